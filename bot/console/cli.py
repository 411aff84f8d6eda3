"""``signpost advisors``: the advisor team's console accounts.

    signpost advisors add NAME [--area ID]  asks for the password twice (or reads one line from stdin)
    signpost advisors area NAME [ID]        the area whose chats they handle (no ID: every area)
    signpost advisors password NAME         sets a new password and ends its sessions
    signpost advisors remove NAME
    signpost advisors list                  names, presence and area
"""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from core.database import make_engine, session_factory


def register(subparsers: Any) -> None:
    advisors = subparsers.add_parser("advisors", help="advisor console accounts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    advisors.add_argument("--db", help="database URL (default: $SIGNPOST_DATABASE_URL or data/signpost.sqlite3)")
    commands = advisors.add_subparsers(dest="advisors_command", metavar="COMMAND", required=True)
    for name, helptext in (("add", "create an account (prompts for the password, or reads it from stdin)"),
                           ("password", "set a new password (and end its sessions)"),
                           ("remove", "delete an account")):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("name")
        if name == "add":
            command.add_argument("--area", help="the area whose chats they handle (default: every area)")
        command.set_defaults(advisors_handler=name)
    area = commands.add_parser("area", help="set the area whose chats an advisor handles (no area: every area)")
    area.add_argument("name")
    area.add_argument("area", nargs="?")
    area.set_defaults(advisors_handler="area")
    commands.add_parser("list", help="list accounts").set_defaults(advisors_handler="list")


def _password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise SystemExit("The passwords differ: nothing was changed.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    from bot.console import accounts
    from bot.handoff import presence

    engine = make_engine(args.db)
    try:
        with session_factory(engine)() as session:
            if args.advisors_handler == "list":
                for advisor in accounts.list_advisors(session):
                    print(f"{advisor.name}\t{presence.state(advisor).value}\t{advisor.area_id or 'every area'}")
                return 0
            if args.advisors_handler == "remove":
                accounts.remove_advisor(session, args.name)
                print(f"Removed {args.name}.")
                return 0
            if args.advisors_handler == "area":
                accounts.set_area(session, args.name, args.area)
                print(f"{args.name} handles {args.area or 'every area'}'s chats.")
                return 0
            password = _password()
            if args.advisors_handler == "add":
                accounts.add_advisor(session, args.name, password, args.area)
                print(f"Added {args.name.strip()}: they can log in at /console.")
            else:
                accounts.set_password(session, args.name, password)
                print(f"New password set for {args.name}.")
            return 0
    except accounts.AccountError as exc:
        print(f"signpost advisors: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
