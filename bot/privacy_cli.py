"""``signpost privacy``: residents' data and its lifetime.

    signpost privacy purge [--db URL] [--days N]
                                        erase conversations whose last message is older than N days
                                        (default: $SIGNPOST_RETENTION_DAYS) and print how much went
"""
from __future__ import annotations

import argparse
from typing import Any

from core.database import make_engine, session_factory
from core.settings import settings


def _days(raw: str) -> int:
    days = int(raw)
    if days < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return days


def register(subparsers: Any) -> None:
    privacy = subparsers.add_parser("privacy", help="residents' data and how long it is kept", description=__doc__,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = privacy.add_subparsers(dest="privacy_command", metavar="COMMAND", required=True)
    purge = commands.add_parser("purge", help="erase what is older than the retention period")
    purge.add_argument("--db", help="database URL (default: $SIGNPOST_DATABASE_URL or data/signpost.sqlite3)")
    purge.add_argument("--days", type=_days, help="the period in days (default: $SIGNPOST_RETENTION_DAYS)")


def run(args: argparse.Namespace) -> int:
    from bot import retention

    days = args.days or settings().retention_days
    engine = make_engine(args.db)
    try:
        report = retention.purge(session_factory(engine), days=days)
    finally:
        engine.dispose()
    print(f"Erased what was last used more than {days} days ago:")
    for name, count in report.labelled().items():
        print(f"  {name}: {count}")
    return 0
