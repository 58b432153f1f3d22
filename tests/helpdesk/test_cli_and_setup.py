import concurrent.futures
import io
import sqlite3
import sys
import tarfile
import threading
from pathlib import Path

import pytest
from sqlmodel import delete

from helpdesk import cli
from helpdesk.core import db
from helpdesk.core.config import get_settings
from helpdesk.core.errors import Conflict, PermissionDenied
from helpdesk.domain import auth, queue, setup, users
from models import RevokedSession, Role, Ticket, TicketEvent, User
from tests.conftest import PASSWORD, POSTGRES, People


def test_create_user_reads_the_password_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    cli.main(
        [
            "create-user",
            "--email",
            "Neo@Example.com",
            "--name",
            "Neo",
            "--role",
            "technician",
            "--admin",
            "--password-stdin",
        ]
    )
    user = auth.authenticate("neo@example.com", "a long enough password", "10.9.0.1")
    assert user.role == Role.technician and user.is_admin
    assert "a long enough password" not in capsys.readouterr().out


def test_create_user_reports_bad_input_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    with pytest.raises(SystemExit, match="8 to 1024"):
        cli.main(["create-user", "--email", "x@example.com", "--name", "X", "--role", "employee", "--password-stdin"])


def test_seed_demo_creates_accounts_and_tickets_in_several_states(capsys) -> None:
    cli.main(["seed-demo", "--password", "demo password 1"])
    assert "alice@example.com" in capsys.readouterr().out
    alice = auth.authenticate("alice@example.com", "demo password 1", "10.9.0.2")
    statuses = {i.status for i in queue.list_tickets(alice, queue.QueueQuery(view=queue.View.all)).items}
    assert len(statuses) == 3


def test_backup_is_one_archive_with_a_consistent_copy(people: People, tmp_path) -> None:
    target = tmp_path / "helpdesk.tar.gz"
    cli.main(["backup", str(target)])
    with tarfile.open(target) as archive:
        names = archive.getnames()
        if POSTGRES:  # pg_dump's to copy; the archive holds the attachments and settings
            assert "database.sqlite" not in names and "settings.env" in names
        else:
            archive.extract("database.sqlite", tmp_path, filter="data")
    if not POSTGRES:
        with sqlite3.connect(tmp_path / "database.sqlite") as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert copy.execute("SELECT count(*) FROM user").fetchone()[0] == 5
    with pytest.raises(SystemExit, match="exists"):
        cli.main(["backup", str(target)])


def test_first_run_link_creates_one_admin_once(data_dir, people: People) -> None:
    assert setup.new_link_token() is None  # users exist: no link
    # A fresh, empty database:
    with db.write_session() as s:
        for table in (TicketEvent, Ticket, RevokedSession, User):
            s.exec(delete(table))
    token = setup.new_link_token()
    assert token and setup.needs_setup()
    with pytest.raises(PermissionDenied):
        setup.create_first_admin("wrong", "root@example.com", "Root", PASSWORD)
    admin = setup.create_first_admin(token, "root@example.com", "Root", PASSWORD)
    assert admin.role == Role.technician and admin.is_admin
    with pytest.raises((PermissionDenied, Conflict)):
        setup.create_first_admin(token, "second@example.com", "Second", PASSWORD)
    assert users.count() == 1


def test_an_invalid_setting_stops_with_its_name_not_a_traceback_or_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_API_NICENESS", "25")
    monkeypatch.setenv("HELPDESK_SESSION_HOURS", "secret-looking-value")
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as stopped:
        get_settings()  # a failure is not cached: with the variables gone, settings load again
    monkeypatch.delenv("HELPDESK_API_NICENESS")
    monkeypatch.delenv("HELPDESK_SESSION_HOURS")
    message = str(stopped.value)
    assert "HELPDESK_API_NICENESS: Input should be less than or equal to 19" in message
    assert "HELPDESK_SESSION_HOURS" in message and "secret-looking-value" not in message


def test_two_set_up_submits_at_the_same_instant_make_one_admin(data_dir, people: People) -> None:
    with db.write_session() as s:
        for table in (TicketEvent, Ticket, RevokedSession, User):
            s.exec(delete(table))
    token = setup.new_link_token()
    assert token
    start = threading.Barrier(8)

    def submit(i: int) -> str:
        start.wait()
        try:
            setup.create_first_admin(token, f"admin{i}@example.com", f"Admin {i}", PASSWORD)
        except (PermissionDenied, Conflict):
            return "refused"
        return "created"

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(submit, range(8)))
    assert outcomes.count("created") == 1, outcomes
    assert users.count() == 1


@pytest.mark.skipif(bool(POSTGRES), reason="SQLite's file")
def test_the_sqlite_database_keeps_its_file_name(data_dir: Path) -> None:
    # An upgrade must open the database an older version wrote, never start an empty one beside it.
    assert get_settings().effective_database_url == f"sqlite:///{(data_dir / 'helpdesk.db').resolve()}"
    assert (data_dir / "helpdesk.db").exists()
