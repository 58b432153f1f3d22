"""Password hashing (passlib API from libpass, argon2) and JWT issue/verify (PyJWT)."""

import hashlib
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt
from passlib.context import CryptContext

from helpdesk.core.config import get_settings
from models.clock import utcnow

PASSWORD_MIN = 8
PASSWORD_MAX = 1024
ALGORITHM = "HS256"
SESSION = "session"  # the browser's cookie
ACCESS = "access"  # a REST API bearer token

_pwd = CryptContext(schemes=["argon2"], deprecated="auto")
# Verified against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = _pwd.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _pwd.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _pwd.verify(password, _DUMMY_HASH)
        return False
    return _pwd.verify(password, password_hash)


@lru_cache
def signing_key() -> bytes:
    """From HELPDESK_SECRET_KEY, else 48 random bytes generated into the data dir on first start."""
    settings = get_settings()
    if settings.secret_key:
        if len(settings.secret_key.encode()) < 32:
            raise RuntimeError("HELPDESK_SECRET_KEY must be at least 32 bytes long")
        return settings.secret_key.encode()
    path: Path = settings.data_dir / "secret.key"
    if not path.exists():
        _create_key(path)
    key = path.read_bytes()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds fewer than 32 bytes")
    return key


def _create_key(path: Path) -> None:
    """Written whole, then linked in place: the app's processes never read half a key, and when
    two create one at once, both end up with the one linked first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, secrets.token_bytes(48))
    finally:
        os.close(fd)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    version: int
    jti: str
    expires_at: float


def issue_token(user_id: int, token_version: int, typ: str, lifetime: timedelta) -> tuple[str, TokenClaims]:
    now = utcnow()
    exp = now + lifetime
    jti = uuid.uuid4().hex
    payload = {
        "sub": str(user_id),
        "ver": token_version,
        "typ": typ,
        "jti": jti,
        "iat": int(_ts(now)),
        "exp": int(_ts(exp)),
    }
    token = jwt.encode(payload, signing_key(), algorithm=ALGORITHM)
    return token, TokenClaims(user_id, token_version, jti, _ts(exp))


def decode_token(token: str, typ: str) -> TokenClaims | None:
    """The token's claims, or None if it is invalid, expired, or of another kind."""
    try:
        payload = jwt.decode(
            token,
            signing_key(),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "ver", "typ", "jti", "iat", "exp"]},
        )
        if payload["typ"] != typ:
            return None
        return TokenClaims(int(payload["sub"]), int(payload["ver"]), str(payload["jti"]), float(payload["exp"]))
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def plausible_token(token: str | None) -> bool:
    """Worth a database lookup: present and no longer than any token this app makes."""
    return bool(token) and len(token) <= 100  # type: ignore[arg-type]


def token_digest(token: str) -> str:
    """What is stored of a random one-use or long-lived secret (set-up link, display, bridge).
    At 256 bits of entropy a fast hash suffices: there is nothing to guess offline."""
    return hashlib.sha256(token.encode()).hexdigest()
