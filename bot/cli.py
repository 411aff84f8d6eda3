"""The ``signpost`` command: one entry point for the project's tools (``signpost db upgrade``,
``signpost kb ...``, ``signpost advisors ...``, ``signpost privacy purge``). Every command but ``db`` first
brings the database's schema up to date, so a tool pointed at a new database just works."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Optional


def _register_db(subparsers: Any) -> None:
    db = subparsers.add_parser("db", help="the database's schema",
                               description="Apply the schema migrations the database has not had yet.")
    db.add_argument("--db", help="database URL (default: $SIGNPOST_DATABASE_URL or data/signpost.sqlite3)")
    commands = db.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    commands.add_parser("upgrade", help="bring the schema up to date (safe to run at any time)")
    commands.add_parser("current", help="show the schema's revision")


def main(argv: Optional[list[str]] = None) -> int:
    # spaCy's thinc imports TensorFlow when it is installed (Rasa needs it); the CLI never uses it and
    # the import costs seconds, so keep it out of this process.
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]
    from bot import privacy_cli
    from bot.console import cli as advisors_cli
    from core import migrate
    from core.settings import SettingsError, settings
    from knowledge import cli as kb_cli

    parser = argparse.ArgumentParser(prog="signpost", description="Signpost: council service signposting assistant.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _register_db(commands)
    kb_cli.register(commands)
    advisors_cli.register(commands)
    privacy_cli.register(commands)
    args = parser.parse_args(argv)
    try:
        settings()
    except SettingsError as exc:
        print(f"signpost: {exc}", file=sys.stderr)
        return 2
    if args.command == "db" and args.db_command == "current":
        print(migrate.current(args.db) or "none (run: signpost db upgrade)")
        return 0
    migrate.upgrade(getattr(args, "db", None))
    if args.command == "db":
        print(f"The schema is up to date ({migrate.head()}).")
        return 0
    if args.command == "advisors":
        return advisors_cli.run(args)
    if args.command == "privacy":
        return privacy_cli.run(args)
    return kb_cli.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
