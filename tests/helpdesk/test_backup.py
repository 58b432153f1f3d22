"""`helpdesk backup` and `helpdesk restore` on a real app process, a real SQLite file and its WAL."""

import io
import shutil
import sqlite3
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import httpx
import pytest
from PIL import Image

from helpdesk.core import db
from helpdesk.domain import auth, chat, tickets
from models import Category, Priority
from tests.conftest import POSTGRES, People
from tests.support.app_process import ROOT, App

pytestmark = pytest.mark.skipif(bool(POSTGRES), reason="the SQLite database's own backup (PostgreSQL: pg_dump)")


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return buffer.getvalue()


def helpdesk(app: App, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "helpdesk.cli", *args], env=app.env, cwd=ROOT, capture_output=True, text=True
    )


def ticket_titles(app: App, token: str) -> list[str]:
    answer = httpx.get(app.api_url + "/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    return sorted(item["title"] for item in answer.json()["items"])


def test_a_restore_after_a_clean_stop_with_a_stale_wal_brings_back_every_row_and_file(
    data_dir: Path, people: People, tmp_path: Path
) -> None:
    app = App(data_dir)
    database = data_dir / "helpdesk.db"
    archive = tmp_path / "backups" / "helpdesk.tar.gz"
    archive.parent.mkdir()
    with app:
        before = tickets.create(people.employee_a, "Printer jams", "Every page.", Priority.high, Category.hardware)
        kept = chat.post(people.employee_a, before.id, "the jam", upload=chat.Upload("jam.png", png("red")))
        done = helpdesk(app, "backup", str(archive))
        assert done.returncode == 0, done.stderr
        assert "2 attachment file(s)" in done.stdout  # the picture and its thumbnail
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # the service's user's only
        # Written after the backup: must not come back.
        after = tickets.create(people.employee_a, "VPN down", "Since noon.", Priority.urgent, Category.network)
        chat.post(people.employee_a, after.id, "later", upload=chat.Upload("later.png", png("blue")))
        wal = Path(f"{database}-wal")
        assert wal.stat().st_size > 0
        stale = tmp_path / "stale-wal"
        shutil.copy(wal, stale)  # the log of those later writes, as a clean stop may leave it
    db.engine().dispose()
    shutil.copy(stale, wal)

    restored = helpdesk(app, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert not wal.exists() or wal.stat().st_size == 0  # the stale log was never replayed
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with app:
        token = auth.start_api_token(people.employee_a)[0]
        assert ticket_titles(app, token) == ["Printer jams"]
        headers = {"Authorization": f"Bearer {token}"}
        messages = httpx.get(f"{app.api_url}/api/v1/tickets/{before.id}/messages", headers=headers).json()
        [file] = messages[0]["attachments"]
        assert file["id"] == kept.files[0].id
        served = httpx.get(app.api_url + file["url"], headers=headers)
        assert served.status_code == 200 and served.content == png("red")
    assert app.server_errors() == []


def test_a_restore_refuses_while_the_app_runs_or_the_archive_is_damaged(
    data_dir: Path, people: People, tmp_path: Path
) -> None:
    app = App(data_dir)
    archive = tmp_path / "backup.tar.gz"
    tickets.create(people.employee_a, "Printer jams", "Every page.", Priority.high, Category.hardware)
    assert helpdesk(app, "backup", str(archive)).returncode == 0
    assert helpdesk(app, "backup", str(archive)).stderr.strip().endswith("exists already; choose a new file name.")
    with app:
        running = helpdesk(app, "restore", str(archive))
        assert running.returncode != 0 and "running" in running.stderr and "Traceback" not in running.stderr
    # One byte changed inside, then a cut-off copy: refused, with nothing touched.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "database.sqlite":
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.addfile(member, io.BytesIO(data))
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    size_before = (data_dir / "helpdesk.db").stat().st_size
    for bad in (damaged, cut, tmp_path / "missing.tar.gz"):
        refused = helpdesk(app, "restore", str(bad))
        assert refused.returncode != 0 and "Traceback" not in refused.stderr, refused.stderr
        assert "damaged" in refused.stderr or "no file" in refused.stderr
    assert (data_dir / "helpdesk.db").stat().st_size == size_before
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(".restore")] == []


def test_the_archive_holds_no_secret_unless_asked(data_dir: Path, tmp_path: Path) -> None:
    app = App(data_dir)
    app.env["HELPDESK_SMTP_URL"] = "smtp://helpdesk:hunter2-secret@mail.example.com:587"
    plain, keyed = tmp_path / "plain.tar.gz", tmp_path / "keyed.tar.gz"
    assert helpdesk(app, "backup", str(plain)).returncode == 0
    assert helpdesk(app, "backup", "--with-secret-key", str(keyed)).returncode == 0
    with tarfile.open(plain) as archive:
        names = archive.getnames()
        settings = archive.extractfile("settings.env").read().decode()  # type: ignore[union-attr]
    assert "secret.key" not in names and "database.sqlite" in names
    assert "hunter2" not in settings and "HELPDESK_SMTP_URL=smtp://helpdesk:***@mail.example.com:587" in settings
    with tarfile.open(keyed) as archive:
        key = archive.extractfile("secret.key").read()  # type: ignore[union-attr]
    assert key == (data_dir / "secret.key").read_bytes()
