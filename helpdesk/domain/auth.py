"""Sign-in, sessions and their revocation.

A session is a JWT (`typ` "session") kept in an HttpOnly cookie. The login form runs over
NiceGUI's websocket, which cannot set cookies, so a successful sign-in yields a one-time,
30-second exchange code that a plain HTTP route trades for the cookie.
"""

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from limits import parse
from sqlmodel import delete, select, update

from helpdesk.core import cluster, db, events
from helpdesk.core.config import get_settings
from helpdesk.core.errors import N_, InvalidInput, NotAuthenticated, PermissionDenied, RateLimited
from helpdesk.core.security import ACCESS, SESSION, TokenClaims, decode_token, issue_token, signing_key, verify_password
from helpdesk.domain import remote
from helpdesk.domain.users import normalize_email
from models import EndReason, RevokedSession, SessionEnd, User
from models.clock import utcnow

COOKIE = "helpdesk_session"
# A random id the browser holds from its first visit (HttpOnly): a sign-in code works only in
# the browser that signed in, so an attacker's code sent to a victim signs nobody in.
BROWSER_COOKIE = "helpdesk_browser"
DEVICE_COOKIE = "helpdesk_device"
EXCHANGE_SECONDS = 30

_limiter = cluster.SharedLimiter()  # shared by every process when Redis is set
_exchange: dict[str, tuple[str, str, float]] = {}
_exchange_lock = threading.Lock()


@dataclass(frozen=True)
class SignIn:
    user: User
    claims: TokenClaims
    token: str


def _limits() -> tuple:
    settings = get_settings()
    return (
        parse(settings.login_rate_account),
        parse(settings.login_rate_account_wide),
        parse(settings.login_rate_address),
    )


def device_proof(user_id: int, browser: str) -> str:
    """What the `helpdesk_device` cookie holds once `browser` has signed in to the account: its
    owner's known browser is spared the account-wide limit that strangers' guesses fill."""
    return hmac.new(signing_key(), f"device:{user_id}:{browser}".encode(), hashlib.sha256).hexdigest()


def authenticate(email: str, password: str, address: str, browser: str = "", device: str | None = None) -> User:
    """The account for these credentials; the same message for any failure, throttled.

    Three limits: every attempt from one address; wrong passwords for one account from one
    address; and wrong passwords for one account from anywhere, which a browser that has signed
    in to that account before (`device`, see `device_proof`) is exempt from. A stranger who knows
    an email slows down guesses without locking its owner out."""
    per_account, account_wide, per_address = _limits()
    account_key = normalize_email(email)[:254]
    if not _limiter.test(per_address, "address", address) or not _limiter.test(
        per_account, "account", account_key, address
    ):
        raise RateLimited(N_("Too many sign-in attempts. Please wait a few minutes and try again."))
    _limiter.hit(per_address, "address", address)
    user = None
    if len(password) <= 1024:
        with db.read_session() as session:
            user = session.exec(select(User).where(User.email == account_key)).first()
    known = bool(user and browser and device and hmac.compare_digest(device, device_proof(user.id, browser)))
    if not known and not _limiter.test(account_wide, "account-wide", account_key):
        raise RateLimited(N_("Too many sign-in attempts. Please wait a few minutes and try again."))
    # Always verify a hash, so an unknown email costs the same time as a wrong password.
    ok = verify_password(password[:1024], user.password_hash if user else None)
    if not ok or user is None:
        _limiter.hit(per_account, "account", account_key, address)
        _limiter.hit(account_wide, "account-wide", account_key)
        raise InvalidInput(N_("Wrong email or password."))
    if not user.is_active:
        # Said only to someone who knows the password: they need to know whom to ask.
        raise PermissionDenied(N_("This account has been deactivated. Ask an administrator to reactivate it."))
    if user.last_address != address[:64]:
        # Remote assistance's default workstation: where this person last signed in from.
        with db.write_session() as session:
            session.exec(update(User).where(User.id == user.id).values(last_address=address[:64]))
        user.last_address = address[:64]
    return user


def reset_throttle() -> None:
    _limiter.reset()


def start_session(user: User) -> str:
    hours = get_settings().session_hours
    token, _claims = issue_token(user.id, user.token_version, SESSION, timedelta(hours=hours))
    return token


def start_api_token(user: User) -> tuple[str, int]:
    """A bearer token for the REST API (its own `typ`: never accepted as a cookie session)."""
    lifetime = session_max_age()
    token, _claims = issue_token(user.id, user.token_version, ACCESS, timedelta(seconds=lifetime))
    return token, lifetime


def session_max_age() -> int:
    return int(get_settings().session_hours * 3600)


def exchange_code(token: str, browser: str) -> str:
    """A one-time code for `token`, valid for 30 seconds in the browser `browser` only: what the
    login page hands to the browser."""
    code = secrets.token_urlsafe(32)
    now = time.monotonic()
    with _exchange_lock:
        for key, (_tok, _browser, expires) in list(_exchange.items()):
            if expires < now:
                del _exchange[key]
        _exchange[code] = (token, browser, now + EXCHANGE_SECONDS)
    return code


def redeem_code(code: str, browser: str | None) -> str | None:
    with _exchange_lock:
        token, bound, expires = _exchange.pop(code, (None, "", 0.0))
    if token is None or expires < time.monotonic() or not browser or not secrets.compare_digest(bound, browser):
        return None
    return token


def verify(token: str | None, typ: str = SESSION) -> SignIn:
    """The live session behind a token of kind `typ`, checked against the database now."""
    claims = decode_token(token, typ) if token else None
    if claims is None:
        raise NotAuthenticated(N_("Please sign in."))
    with db.read_session() as session:
        user = session.get(User, claims.user_id)
        revoked = session.get(RevokedSession, claims.jti)
    if user is None or not user.is_active or user.token_version != claims.version or revoked is not None:
        raise NotAuthenticated(N_("Your session has ended. Please sign in again."))
    return SignIn(user=user, claims=claims, token=token)


def try_verify(token: str | None) -> SignIn | None:
    try:
        return verify(token)
    except NotAuthenticated:
        return None


def logout(token: str | None, typ: str = SESSION) -> None:
    """Ends this one session (a browser's cookie, or an API token with `typ` ACCESS) now, on
    every server, and its open pages with it."""
    claims = decode_token(token, typ) if token else None
    if claims is None:
        return
    expires = datetime.fromtimestamp(claims.expires_at, UTC)
    with db.write_session() as session:
        if session.get(RevokedSession, claims.jti) is None:
            session.add(RevokedSession(jti=claims.jti, expires_at=expires))
        # Housekeeping: entries whose token has expired anyway can go.
        session.exec(delete(RevokedSession).where(RevokedSession.expires_at < utcnow()))
        db.publish(session, events.SessionsRevoked(claims.user_id, jti=claims.jti, reason=SessionEnd.signed_out))
        if typ == SESSION:
            remote.end_for_technician(session, claims.user_id, EndReason.signed_out)
