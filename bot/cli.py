"""The ``signpost`` command: one entry point for the project's tools (``signpost kb ...``,
``signpost advisors ...``)."""
from __future__ import annotations

import argparse
import sys
from typing import Optional


def main(argv: Optional[list[str]] = None) -> int:
    # spaCy's thinc imports TensorFlow when it is installed (Rasa needs it); the CLI never uses it and
    # the import costs seconds, so keep it out of this process.
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]
    from bot.console import cli as advisors_cli
    from knowledge import cli as kb_cli

    parser = argparse.ArgumentParser(prog="signpost", description="Signpost: council service signposting assistant.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    kb_cli.register(commands)
    advisors_cli.register(commands)
    args = parser.parse_args(argv)
    if args.command == "advisors":
        return advisors_cli.run(args)
    return kb_cli.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
