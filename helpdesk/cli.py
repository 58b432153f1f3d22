"""The `helpdesk` console command: create users, seed demo data, back up and restore."""

import argparse
import getpass
import os
import sys
from pathlib import Path

from helpdesk.core import db
from helpdesk.core.errors import HelpdeskError
from helpdesk.domain import tickets, users
from helpdesk.runtime import backup
from models import Category, Priority, Role, Status

DEMO_PASSWORD_HINT = "demo-pass-123"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("The passwords differ.")
    return first


def create_user(args: argparse.Namespace) -> None:
    password = _read_password(args.password_stdin)
    user = users.create_unchecked(args.email, args.name, password, Role(args.role), is_admin=args.admin)
    print(f"Created {user.role.value} {user.email} (id {user.id}){' with admin rights' if user.is_admin else ''}.")


DEMO_USERS = [
    ("alice@example.com", "Alice Martin", Role.technician, True),
    ("bruno@example.com", "Bruno Petit", Role.technician, False),
    ("chloe@example.com", "Chloé Durand", Role.employee, False),
    ("david@example.com", "David Leroy", Role.employee, False),
    ("emma@example.com", "Emma Moreau", Role.employee, False),
]

DEMO_TICKETS = [
    (
        "chloe",
        "Printer on floor 2 jams every page",
        "Since this morning every print job jams after one page.",
        Priority.high,
        Category.hardware,
        None,
    ),
    (
        "david",
        "Cannot connect to the VPN from home",
        "The client says 'authentication failed' although my password works for email.",
        Priority.urgent,
        Category.network,
        None,
    ),
    (
        "emma",
        "Excel crashes when opening the budget file",
        "Excel closes without a message when I open budget-2026.xlsx.",
        Priority.normal,
        Category.software,
        "bruno:in_progress",
    ),
    (
        "chloe",
        "New starter needs an account",
        "Julie Bernard starts on Monday in accounting and needs an email account.",
        Priority.normal,
        Category.access,
        "alice:in_progress",
    ),
    (
        "david",
        "Laptop battery drains in an hour",
        "The battery indicator drops from 100% to 0 in about an hour.",
        Priority.low,
        Category.hardware,
        "alice:resolved",
    ),
    (
        "emma",
        "Wi-Fi drops in meeting room B",
        "Everyone in room B loses Wi-Fi every few minutes.",
        Priority.high,
        Category.network,
        "bruno:open",
    ),
]


def seed_demo(args: argparse.Namespace) -> None:
    password = args.password or DEMO_PASSWORD_HINT
    people = {}
    for email, name, role, admin in DEMO_USERS:
        existing = users.get_by_email(email)
        people[email.split("@")[0]] = existing or users.create_unchecked(email, name, password, role, admin)
    for who, title, description, priority, category, handling in DEMO_TICKETS:
        ticket = tickets.create(people[who], title, description, priority, category)
        if handling:
            tech, status = handling.split(":")
            tickets.take(people[tech], ticket.id)
            if status != "open":
                tickets.set_status(people[tech], ticket.id, Status(status))
    print(f"Demo accounts (password: {password}):")
    for email, name, role, admin in DEMO_USERS:
        print(f"  {email:22} {name:14} {role.value}{' (admin)' if admin else ''}")


def backup_command(args: argparse.Namespace) -> None:
    summary = backup.backup(Path(args.path), with_secret_key=args.with_secret_key)
    what = ["the database" if summary.database else "no database (PostgreSQL: use pg_dump)"]
    what.append(f"{summary.attachments} attachment file(s)")
    what.append("the signing key" if summary.secret_key else "not the signing key (--with-secret-key)")
    print(f"Backed up to {summary.path}: {', '.join(what)}.")


def restore_command(args: argparse.Namespace) -> None:
    summary = backup.restore(Path(args.path))
    print(f"Restored into {summary.path}: {'the database, ' if summary.database else ''}"
          f"{summary.attachments} attachment file(s){', the signing key' if summary.secret_key else ''}. "
          "The settings in effect at backup time are in settings-from-backup.env there.")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    os.umask(0o077)  # a backup, like the data dir, is readable by the service's user only
    parser = argparse.ArgumentParser(prog="helpdesk", description="Helpdesk administration.")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("create-user", help="create an account (password read from stdin or prompted)")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", choices=[r.value for r in Role], required=True)
    p.add_argument("--admin", action="store_true", help="administrator rights (technicians only)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=create_user)
    p = commands.add_parser("seed-demo", help="a few demo employees, technicians and tickets")
    p.add_argument("--password", help=f"password of the demo accounts (default {DEMO_PASSWORD_HINT})")
    p.set_defaults(func=seed_demo)
    p = commands.add_parser("backup", help="one archive: database, attachments, settings (the app may run)")
    p.add_argument("path", help="the archive to write (a new file)")
    p.add_argument("--with-secret-key", action="store_true", help="include the generated signing key")
    p.set_defaults(func=backup_command, migrate=False)
    p = commands.add_parser("restore", help="put a backup archive back whole (the app must be stopped)")
    p.add_argument("path", help="an archive written by `helpdesk backup`")
    p.set_defaults(func=restore_command, migrate=False)
    args = parser.parse_args(argv)
    if getattr(args, "migrate", True):
        db.init()
        db.migrate()
    try:
        args.func(args)
    except HelpdeskError as error:
        raise SystemExit(f"error: {error}") from None
    except backup.BackupError as error:
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    main()
