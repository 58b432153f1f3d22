"""The wall board as HTML: pure functions of a `kiosk.Board`, a language and the privacy setting
(no NiceGUI here). Each block is rendered once per variant and sent to every display of it."""

from datetime import datetime
from html import escape

from helpdesk.core import i18n
from helpdesk.core.errors import N_
from helpdesk.domain import kiosk
from models import Priority, Status

# Unassigned tickets get warmer the longer they wait (seconds).
WAIT_WARN, WAIT_ALERT = 15 * 60, 60 * 60
BLOCKS = ("counters", "tickets", "loads")

PRIORITY = {
    Priority.low: N_("Low"),
    Priority.normal: N_("Normal"),
    Priority.high: N_("High"),
    Priority.urgent: N_("Urgent"),
}

_t = i18n.gettext  # (locale, message, **params): the board is drawn per language, not per page
_pt = i18n.pgettext  # (locale, context, message): where a word's translation depends on its place
_nt = i18n.ngettext  # (locale, singular, plural, count): a count's words agree with it


def _e(locale: str, message: str, **params: object) -> str:
    return escape(_t(locale, message, **params))


def age_text(seconds: float, locale: str) -> str:
    """The same text the browser's ticker shows, for the first paint."""
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
    day = _t(locale, N_("d"))  # the abbreviation of "day(s)"
    return f"{seconds // 86400} {day} {seconds % 86400 // 3600:02d} h"


def _wait_level(seconds: float) -> int:
    return 3 if seconds >= WAIT_ALERT else 2 if seconds >= WAIT_WARN else 1


def _counters_html(board: kiosk.Board, locale: str) -> str:
    tiles = (
        ("open", board.open, _pt(locale, "board counter", "Open")),
        ("unassigned", board.unassigned, _pt(locale, "board counter", "Unassigned")),
        ("progress", board.in_progress, _pt(locale, "board counter", "In progress")),
        ("resolved", board.resolved_today, _pt(locale, "board counter", "Resolved today")),
    )
    return "".join(
        f'<div class="tile {kind}" data-counter="{kind}"><b>{count}</b><span>{escape(label)}</span></div>'
        for kind, count, label in tiles
    )


def _ticket_html(ticket: kiosk.BoardTicket, now: datetime, locale: str, privacy: bool) -> str:
    waited = (now - ticket.created_at).total_seconds()
    since = int(ticket.created_at.timestamp() * 1000)
    title = escape(ticket.title)
    if not privacy:
        detail = escape(ticket.requester_name) + (f" · {escape(ticket.excerpt)}" if ticket.excerpt else "")
        title += f"<small>{detail}</small>"
    if ticket.assignee_name is None:
        who = escape(_pt(locale, "ticket's assignee", "Unassigned"))
        classes = f"row unassigned wait-{_wait_level(waited)}"
    else:
        state = _t(locale, N_("In progress") if ticket.status == Status.in_progress else N_("Open"))
        classes, who = "row", f"{escape(ticket.assignee_name)}<small>{escape(state)}</small>"
    return (
        f'<div class="{classes}" data-ticket="{ticket.id}">'
        f'<span class="prio {ticket.priority.value}">{escape(_t(locale, PRIORITY[ticket.priority]))}</span>'
        f'<span class="num">#{ticket.id}</span><span class="title">{title}</span>'
        f'<span class="who">{who}</span>'
        f'<span class="age" data-since="{since}">{age_text(waited, locale)}</span></div>'
    )


def _more_html(locale: str, count: int) -> str:
    """The line under a list that shows what it has no room for."""
    more = _nt(locale, "+ {count} more", "+ {count} more", count)
    return f'<div class="more">{escape(more)}</div>'


def _tickets_html(board: kiosk.Board, locale: str, privacy: bool) -> str:
    heading = _e(locale, N_("Open tickets by priority"))
    parts = [f"<h2>{heading}</h2>"]
    parts += [_ticket_html(ticket, board.taken_at, locale, privacy) for ticket in board.tickets]
    if not board.tickets:
        empty = _e(locale, N_("No open tickets. All clear!"))
        parts.append(f'<div class="empty">{empty}</div>')
    elif board.not_shown > 0:
        parts.append(_more_html(locale, board.not_shown))
    return "".join(parts)


LOADS_SHOWN = 8


def _loads_html(board: kiosk.Board, locale: str) -> str:
    heading = _e(locale, N_("Technicians"))
    parts = [f"<h2>{heading}</h2>"]
    busiest = max((load.open + load.in_progress for load in board.loads), default=0) or 1
    # Eight fit the panel at 16:9; beyond that, seven and a line saying how many more.
    shown = board.loads if len(board.loads) <= LOADS_SHOWN else board.loads[: LOADS_SHOWN - 1]
    for load in shown:
        total = load.open + load.in_progress
        opened = _nt(locale, "{count} open", "{count} open", load.open)
        working = _t(locale, N_("{count} in progress"), count=load.in_progress)
        detail = f"{opened} · {working}"
        busy = "busy" if load.in_progress else ""
        parts.append(
            f'<div class="load" data-technician="{escape(load.name)}"><span class="name">{escape(load.name)}</span>'
            f'<span class="n">{total}</span><span class="bar"><i class="{busy}" '
            f'style="width:{round(100 * total / busiest)}%"></i></span>'
            f'<span class="detail">{escape(detail)}</span></div>'
        )
    if not board.loads:
        empty = _e(locale, N_("No technicians yet."))
        parts.append(f'<div class="empty">{empty}</div>')
    elif len(shown) < len(board.loads):
        parts.append(_more_html(locale, len(board.loads) - len(shown)))
    return "".join(parts)


def render(board: kiosk.Board, locale: str, privacy: bool) -> tuple[str, str, str]:
    return _counters_html(board, locale), _tickets_html(board, locale, privacy), _loads_html(board, locale)
