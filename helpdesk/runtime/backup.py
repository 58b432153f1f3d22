"""`helpdesk backup` and `helpdesk restore`: one archive holds everything a restore needs.

The archive (a gzipped tar, readable by the service's user only) holds a manifest with each
member's size and SHA-256, a consistent copy of the SQLite database (SQLite's online backup API,
while the app keeps writing), every attachment, the settings in effect without their secrets, and
the signing key only when asked. On PostgreSQL the database is pg_dump's to copy; the archive
then holds the attachments and settings.

A restore runs with the app stopped (every app process holds a shared lock on the data dir's
`app.lock`; a restore needs it exclusively). It checks the whole archive before it touches
anything, then puts the database back with its `-wal` and `-shm` removed, so that a write-ahead
log left by the old database can never be replayed over the restored one.
"""

import contextlib
import errno
import fcntl
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from helpdesk.core.config import get_settings

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database.sqlite"
SETTINGS = "settings.env"
SECRET_KEY = "secret.key"
ATTACHMENTS = "attachments"
LOCK_FILE = "app.lock"
# Settings never written to an archive: secrets, and addresses that may carry a password.
SECRET_SETTINGS = {"HELPDESK_SECRET_KEY"}
URL_SETTINGS = {"DATABASE_URL", "HELPDESK_REDIS_URL", "HELPDESK_SMTP_URL", "HELPDESK_IMAP_URL"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    path: Path
    database: bool
    attachments: int
    secret_key: bool


def _data_dir() -> Path:
    return get_settings().data_dir.resolve()


def _sqlite_path() -> Path | None:
    url = make_url(get_settings().effective_database_url)
    return Path(url.database).resolve() if url.get_backend_name() == "sqlite" and url.database else None


# --- the app's lock ------------------------------------------------------------------------------


def hold_app_lock() -> int:
    """Held (shared) for as long as an app process runs: a restore can then tell that it runs.
    Several app processes may share a data dir; each holds the lock."""
    path = _data_dir() / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_SH)
    return descriptor  # kept open by the process: the lock goes with it, even on kill -9


@contextlib.contextmanager
def _app_stopped() -> Iterator[None]:
    path = _data_dir() / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError("The helpdesk is running on this data dir: stop it first, then restore.") from None
        yield
    finally:
        os.close(descriptor)


# --- backup ---------------------------------------------------------------------------------------


def _settings_text() -> str:
    """The settings in effect (environment and .env), secrets left out, URLs without passwords."""
    found = {k: v for k, v in dotenv_values(".env").items() if v is not None} if Path(".env").exists() else {}
    found |= {k: v for k, v in os.environ.items() if k.startswith("HELPDESK_") or k == "DATABASE_URL"}
    lines = ["# Settings in effect when this backup was made (secrets and passwords left out)."]
    for key in sorted(found):
        if key in SECRET_SETTINGS:
            continue
        value = found[key]
        if key in URL_SETTINGS and value:
            value = make_url(value).render_as_string(hide_password=True) if "://" in value else value
        lines.append(f"{key}={value}")
    return "\n".join(lines) + "\n"


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy, while the app may be writing (SQLite's online backup API)."""
    source_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target_db = sqlite3.connect(target)
    try:
        with target_db:
            source_db.backup(target_db)
        target_db.execute("PRAGMA journal_mode=DELETE")  # one file: no -wal to carry along
        (status,) = target_db.execute("PRAGMA integrity_check").fetchone()
        if status != "ok":
            raise BackupError(f"The database copy failed its integrity check ({status}).")
    finally:
        target_db.close()
        source_db.close()


def _explain(error: OSError, target: Path) -> BackupError:
    if error.errno == errno.ENOSPC:
        return BackupError(f"There is not enough free space for the backup at {target.parent}. Nothing was written.")
    return BackupError(f"The backup could not be written to {target}: {error.strerror}. Nothing was written.")


def backup(target: Path, *, with_secret_key: bool = False) -> Summary:
    """Write the archive to `target` (a new file). A failure leaves no file behind."""
    target = target.resolve()
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    data_dir = _data_dir()
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".helpdesk-backup-") as work:
            staged = Path(work) / "archive.tar.gz"
            summary = _write_archive(staged, Path(work), data_dir, with_secret_key)
            os.chmod(staged, 0o600)
            os.replace(staged, target)  # whole or not at all
    except OSError as error:
        raise _explain(error, target) from None
    return Summary(target, summary.database, summary.attachments, summary.secret_key)


def _write_archive(staged: Path, work: Path, data_dir: Path, with_secret_key: bool) -> Summary:
    members: dict[str, Path] = {}
    database = _sqlite_path()
    if database is not None:
        copy = work / DATABASE
        _copy_database(database, copy)
        members[DATABASE] = copy
    attachments = data_dir / ATTACHMENTS
    files = sorted(p for p in attachments.rglob("*") if p.is_file()) if attachments.is_dir() else []
    for file in files:
        members[f"{ATTACHMENTS}/{file.relative_to(attachments).as_posix()}"] = file
    settings = work / SETTINGS
    settings.write_text(_settings_text())
    members[SETTINGS] = settings
    key = data_dir / SECRET_KEY
    if with_secret_key:
        if not key.exists():
            raise BackupError("There is no generated secret key to include (HELPDESK_SECRET_KEY is set instead).")
        members[SECRET_KEY] = key
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": "sqlite" if database is not None else make_url(get_settings().effective_database_url).drivername,
        "files": {name: {"size": path.stat().st_size, "sha256": _digest(path)} for name, path in members.items()},
    }
    with tarfile.open(staged, "w:gz") as archive:
        body = json.dumps(manifest, indent=1).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(body), 0o600, int(datetime.now(UTC).timestamp())
        archive.addfile(info, io.BytesIO(body))
        for name, path in members.items():
            archive.add(path, arcname=name, recursive=False)
    return Summary(staged, database is not None, len(files), with_secret_key)


# --- restore --------------------------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def _extract_checked(source: Path, staging: Path) -> dict:
    """Every member, checked against the manifest, into `staging`; BackupError if anything is off."""
    try:
        with tarfile.open(source, "r:gz") as archive:
            manifest_member = archive.getmember(MANIFEST)
            manifest_file = archive.extractfile(manifest_member)
            if manifest_file is None:
                raise BackupError("The archive is damaged: its manifest is not a file.")
            manifest = json.loads(manifest_file.read())
            if manifest.get("format") != FORMAT:
                raise BackupError("This archive was made by another version of the helpdesk's backup.")
            expected: dict[str, dict] = manifest["files"]
            seen = set()
            for member in archive:
                if member.name == MANIFEST:
                    continue
                if member.name not in expected or not member.isfile() or not _safe_name(member.name):
                    raise BackupError(f"The archive is damaged: unexpected member {member.name!r}.")
                target = staging / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                stream = archive.extractfile(member)
                assert stream is not None
                with target.open("wb") as out:
                    shutil.copyfileobj(stream, out)
                wanted = expected[member.name]
                if target.stat().st_size != wanted["size"] or _digest(target) != wanted["sha256"]:
                    raise BackupError(f"The archive is damaged: {member.name} does not match its checksum.")
                seen.add(member.name)
            missing = set(expected) - seen
            if missing:
                raise BackupError(f"The archive is damaged: {len(missing)} file(s) are missing from it.")
            return manifest
    except FileNotFoundError:
        raise BackupError(f"There is no file {source}.") from None
    except KeyError:
        raise BackupError("The archive is damaged: it has no manifest (is it a helpdesk backup?).") from None
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            raise BackupError("There is not enough free space to restore. Nothing was changed.") from None
        raise BackupError(f"The archive is damaged or not a helpdesk backup ({type(error).__name__}).") from None


def restore(source: Path) -> Summary:
    """Put the archive back whole: database (WAL and all), attachments, generated key if it holds
    one. Refuses, changing nothing, if the app runs or the archive does not check out."""
    data_dir = _data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    database = _sqlite_path()
    with _app_stopped(), tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as work:
        staging = Path(work)
        manifest = _extract_checked(source.resolve(), staging)
        has_database = DATABASE in manifest["files"]
        if has_database and database is None:
            raise BackupError("This archive holds a SQLite database, but DATABASE_URL points elsewhere.")
        if database is not None and not has_database:
            raise BackupError(
                "This archive holds no database (it was made on PostgreSQL): restore that with pg_restore."
            )
        if has_database:
            _check_database(staging / DATABASE)
        attachments = 0
        # Checked and staged: from here on, the old files are replaced.
        if has_database and database is not None:
            for suffix in ("-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{database}{suffix}").unlink()
            shutil.move(staging / DATABASE, database)  # the database may live outside the data dir
        staged_attachments = staging / ATTACHMENTS
        live_attachments = data_dir / ATTACHMENTS
        old = staging / "previous-attachments"
        if live_attachments.exists():
            os.replace(live_attachments, old)
        if staged_attachments.exists():
            attachments = sum(1 for p in staged_attachments.rglob("*") if p.is_file())
            os.replace(staged_attachments, live_attachments)
        else:
            live_attachments.mkdir(mode=0o700)
        if (staging / SECRET_KEY).exists():
            os.replace(staging / SECRET_KEY, data_dir / SECRET_KEY)
        if (staging / SETTINGS).exists():
            os.replace(staging / SETTINGS, data_dir / "settings-from-backup.env")
    return Summary(data_dir, has_database, attachments, SECRET_KEY in manifest["files"])


def _check_database(path: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (status,) = connection.execute("PRAGMA integrity_check").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The archive's database is damaged ({error}).") from None
    if status != "ok":
        raise BackupError(f"The archive's database is damaged ({status}).")
