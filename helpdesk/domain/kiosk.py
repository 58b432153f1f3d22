"""Wall displays (kiosks): pairing, revocation, and the board they show.

An administrator creates a named display and gets a one-time pairing link (15 minutes). The
TV that opens it receives a long-lived secret in a cookie; only digests are stored. The cookie
opens `/kiosk` and nothing else: every other route wants a user session.

`board()` reads the whole board in one short transaction. Pages share one snapshot between
every connected display and render it per language and privacy setting.
"""

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, update
from sqlmodel import Session, select

from helpdesk.core import db, events
from helpdesk.core.config import get_settings
from helpdesk.core.errors import N_, InvalidInput, found
from helpdesk.core.security import plausible_token, token_digest
from helpdesk.domain.users import LANGUAGES, require_admin
from models import Assignee, Display, Priority, Requester, Role, Status, Ticket, User
from models.clock import utcnow
from models.display import DISPLAY_NAME_MAX

PAIRING_MINUTES = 15
COOKIE = "helpdesk_display"
# Browsers cap cookie lifetimes at 400 days; the board refreshes it on every load.
COOKIE_MAX_AGE = 400 * 24 * 3600
BOARD_ROWS = 8  # what fits a 16:9 screen at a size readable from three metres
EXCERPT_MAX = 140


def _require_admin(session: Session, actor: User) -> User:
    return require_admin(session, actor, N_("Only administrators can manage displays."))


def _validate(name: str, language: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > DISPLAY_NAME_MAX:
        raise InvalidInput(N_("The display name must be 1 to {max} characters."), max=DISPLAY_NAME_MAX)
    if language not in LANGUAGES:
        raise InvalidInput(N_("Choose English or French."))
    return name


def _get(session: Session, display_id: int) -> Display:
    return found(session.get(Display, display_id), N_("This display does not exist."))


def list_displays(actor: User) -> list[Display]:
    with db.read_session() as session:
        _require_admin(session, actor)
        return list(session.exec(select(Display).order_by(Display.revoked_at.is_not(None), Display.name)).all())


def create_display(actor: User, name: str, language: str = "en", privacy: bool = True) -> tuple[Display, str]:
    """A new display and its pairing code (shown once, as a link)."""
    name = _validate(name, language)
    code = secrets.token_urlsafe(32)
    with db.write_session() as session:
        admin = _require_admin(session, actor)
        display = Display(
            name=name,
            language=language,
            privacy=privacy,
            pairing_hash=token_digest(code),
            pairing_expires_at=utcnow() + timedelta(minutes=PAIRING_MINUTES),
            created_by_id=admin.id,
        )
        session.add(display)
        session.flush()
    return display, code


def new_pairing_code(actor: User, display_id: int) -> tuple[Display, str]:
    """A fresh pairing link for a display (to move it to another screen); the old link dies."""
    code = secrets.token_urlsafe(32)
    with db.write_session() as session:
        _require_admin(session, actor)
        display = _get(session, display_id)
        if display.revoked_at is not None:
            raise InvalidInput(N_("This display was revoked. Create a new one."))
        display.pairing_hash = token_digest(code)
        display.pairing_expires_at = utcnow() + timedelta(minutes=PAIRING_MINUTES)
        session.add(display)
    return display, code


def update_display(actor: User, display_id: int, name: str, language: str, privacy: bool) -> Display:
    name = _validate(name, language)
    with db.write_session() as session:
        _require_admin(session, actor)
        display = _get(session, display_id)
        display.name, display.language, display.privacy = name, language, privacy
        session.add(display)
        db.publish(session, events.DisplayChanged(display_id=display_id, revoked=display.revoked_at is not None))
    return display


def revoke_display(actor: User, display_id: int) -> Display:
    """The display's cookie stops working now, and its open board leaves within seconds."""
    with db.write_session() as session:
        _require_admin(session, actor)
        display = _get(session, display_id)
        if display.revoked_at is None:
            display.revoked_at = utcnow()
        display.secret_hash = display.pairing_hash = display.pairing_expires_at = None
        session.add(display)
        db.publish(session, events.DisplayChanged(display_id=display_id, revoked=True))
    return display


def pair(code: str) -> str | None:
    """Trades a valid pairing code for the display's cookie value; the code works once."""
    if not plausible_token(code):
        return None
    secret, now = secrets.token_urlsafe(32), utcnow()
    with db.write_session() as session:
        # One conditional UPDATE: two screens racing for the same link cannot both win.
        paired = session.exec(
            update(Display)
            .where(
                Display.pairing_hash == token_digest(code),
                Display.pairing_expires_at > now,
                Display.revoked_at.is_(None),
            )
            .values(secret_hash=token_digest(secret), pairing_hash=None, pairing_expires_at=None, paired_at=now)
            .returning(Display.id)
        ).first()
        if paired is None:
            return None
        # A re-paired display's previous screen stops working: tell it at once.
        db.publish(session, events.DisplayChanged(display_id=paired[0], revoked=False))
    return f"{paired[0]}.{secret}"


def verify_cookie(value: str | None) -> Display | None:
    """The active display this cookie belongs to, or None; marks it as seen."""
    display_id, _, secret = (value or "").partition(".")
    if not display_id.isdigit() or not plausible_token(secret):
        return None
    with db.write_session() as session:
        display = session.get(Display, int(display_id))
        if display is None or display.revoked_at is not None or display.secret_hash is None:
            return None
        if not hmac.compare_digest(display.secret_hash, token_digest(secret)):
            return None
        display.last_seen_at = utcnow()
        session.add(display)
    return display


def active_secrets() -> dict[int, str]:
    """Each paired, unrevoked display's secret digest: boards re-check theirs against it."""
    with db.read_session() as session:
        rows = session.exec(
            select(Display.id, Display.secret_hash).where(
                Display.revoked_at.is_(None), Display.secret_hash.is_not(None)
            )
        ).all()
    return dict(rows)


@dataclass(frozen=True)
class BoardTicket:
    id: int
    title: str
    priority: Priority
    status: Status
    category: str
    created_at: datetime
    assignee_name: str | None
    requester_name: str
    excerpt: str


@dataclass(frozen=True)
class TechnicianLoad:
    name: str
    open: int
    in_progress: int


@dataclass(frozen=True)
class Board:
    open: int
    unassigned: int
    in_progress: int
    resolved_today: int
    tickets: tuple[BoardTicket, ...]
    loads: tuple[TechnicianLoad, ...]
    taken_at: datetime = field(default_factory=utcnow)

    @property
    def not_shown(self) -> int:
        return self.open + self.in_progress - len(self.tickets)


def _local_midnight(now: datetime) -> datetime:
    local = now.astimezone(ZoneInfo(get_settings().timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_MAX else flat[: EXCERPT_MAX - 1].rstrip() + "…"


def board() -> Board:
    """What every display shows, read in one transaction (no actor: displays hold no user)."""
    now = utcnow()
    active = Ticket.status.in_([Status.open, Status.in_progress])
    with db.read_session() as session:
        by_status = dict(session.exec(select(Ticket.status, func.count()).where(active).group_by(Ticket.status)).all())
        unassigned = session.exec(
            select(func.count()).select_from(Ticket).where(active, Ticket.assignee_id.is_(None))
        ).one()
        resolved_today = session.exec(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.status == Status.resolved, Ticket.resolved_at >= _local_midnight(now))
        ).one()
        rows = session.exec(
            select(
                Ticket.id,
                Ticket.title,
                Ticket.priority,
                Ticket.status,
                Ticket.category,
                Ticket.created_at,
                Assignee.name,
                Requester.name,
                func.substr(Ticket.description, 1, EXCERPT_MAX * 2),
            )
            .join(Requester, Requester.id == Ticket.requester_id)
            .join(Assignee, Assignee.id == Ticket.assignee_id, isouter=True)
            .where(active)
            .order_by(Ticket.priority_rank.desc(), Ticket.created_at, Ticket.id)
            .limit(BOARD_ROWS)
        ).all()
        loads = session.exec(
            select(
                User.name,
                func.count(Ticket.id).filter(Ticket.status == Status.open),
                func.count(Ticket.id).filter(Ticket.status == Status.in_progress),
            )
            .join(Ticket, and_(Ticket.assignee_id == User.id, active), isouter=True)
            .where(User.role == Role.technician, User.is_active)
            .group_by(User.id, User.name)
            .order_by(func.count(Ticket.id).desc(), User.name)
        ).all()
    tickets = tuple(
        BoardTicket(i, t, Priority(p), Status(s), str(c), created, a, r, _excerpt(d or ""))
        for i, t, p, s, c, created, a, r, d in rows
    )
    return Board(
        open=by_status.get(Status.open, 0),
        unassigned=unassigned,
        in_progress=by_status.get(Status.in_progress, 0),
        resolved_today=resolved_today,
        tickets=tickets,
        loads=tuple(TechnicianLoad(name, o, p) for name, o, p in loads),
        taken_at=now,
    )
