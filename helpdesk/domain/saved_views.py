"""A technician's own named queue views: a filter set saved under a name, listed on the queue.

A view keeps the queue's URL query string as the page wrote it; the page reads it back through
the same parser as any address, so a view can never hold more than a link could.
"""

from dataclasses import dataclass

from sqlmodel import select

from helpdesk.core import db
from helpdesk.core.errors import N_, InvalidInput, found
from helpdesk.domain.policy import load_actor, require_technician
from models import SavedView, User
from models.saved_view import VIEW_NAME_MAX, VIEW_QUERY_MAX

VIEWS_MAX = 30
_REFUSAL = N_("Only technicians can save queue views.")


@dataclass(frozen=True)
class View:
    id: int
    name: str
    query: str


def _view(row: SavedView) -> View:
    assert row.id is not None
    return View(row.id, row.name, row.query)


def validate_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > VIEW_NAME_MAX:
        raise InvalidInput(N_("The view's name must be 1 to {max} characters."), max=VIEW_NAME_MAX)
    return name


def list_views(actor: User) -> list[View]:
    with db.read_session() as session:
        actor = load_actor(session, actor)
        require_technician(actor, _REFUSAL)
        rows = session.exec(select(SavedView).where(SavedView.user_id == actor.id).order_by(SavedView.name))
        return [_view(row) for row in rows]


def save(actor: User, name: str, query: str) -> View:
    """Save the filters under a name; a view of the same name is replaced."""
    name = validate_name(name)
    if len(query) > VIEW_QUERY_MAX:
        raise InvalidInput(N_("These filters are too long to save."))
    with db.write_session() as session:
        actor = load_actor(session, actor)
        require_technician(actor, _REFUSAL)
        mine = list(session.exec(select(SavedView).where(SavedView.user_id == actor.id)))
        row = next((v for v in mine if v.name.casefold() == name.casefold()), None)
        if row is None:
            if len(mine) >= VIEWS_MAX:
                raise InvalidInput(N_("You can keep at most {max} views; delete one first."), max=VIEWS_MAX)
            row = SavedView(user_id=actor.id, name=name, query=query)
        row.name, row.query = name, query
        session.add(row)
        session.flush()
        return _view(row)


def delete(actor: User, view_id: int) -> None:
    with db.write_session() as session:
        actor = load_actor(session, actor)
        require_technician(actor, _REFUSAL)
        row = session.get(SavedView, view_id)
        # Someone else's view answers as one that does not exist.
        found(row if row is not None and row.user_id == actor.id else None, N_("This view does not exist."))
        session.delete(row)
