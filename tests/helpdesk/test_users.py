import pytest

from helpdesk.core import events
from helpdesk.core.errors import Conflict, InvalidInput, NotAuthenticated, PermissionDenied
from helpdesk.domain import auth, users
from models import Role, SessionEnd
from tests.conftest import PASSWORD, People


def test_email_is_unique_whatever_its_case(people: People) -> None:
    with pytest.raises(Conflict):
        users.create(people.admin, "ANNA@Example.COM", "Another Anna", PASSWORD, Role.employee)


@pytest.mark.parametrize("password", ["", "1234567", "x" * 1025])
def test_password_length_is_8_to_1024(people: People, password: str) -> None:
    with pytest.raises(InvalidInput):
        users.create(people.admin, "new@example.com", "New", password, Role.employee)


def test_long_passwords_are_never_truncated(people: People) -> None:
    long = "p" * 1000 + "A"
    users.create(people.admin, "long@example.com", "Long", long, Role.employee)
    assert auth.authenticate("long@example.com", long, "10.0.0.1").email == "long@example.com"
    with pytest.raises(InvalidInput):
        auth.authenticate("long@example.com", "p" * 1000 + "B", "10.0.0.1")


def test_only_admins_manage_users(people: People) -> None:
    for actor in (people.employee_a, people.technician):
        with pytest.raises(PermissionDenied):
            users.create(actor, "x@example.com", "X", PASSWORD, Role.employee)
        with pytest.raises(PermissionDenied):
            users.list_users(actor)
        with pytest.raises(PermissionDenied):
            users.update(actor, people.employee_b.id, is_active=False)
        with pytest.raises(PermissionDenied):
            users.reset_password(actor, people.employee_b.id)


def test_only_technicians_can_be_admins(people: People) -> None:
    with pytest.raises(InvalidInput):
        users.create(people.admin, "x@example.com", "X", PASSWORD, Role.employee, is_admin=True)
    with pytest.raises(InvalidInput):
        users.update(people.admin, people.employee_a.id, is_admin=True)


def test_an_admin_cannot_lock_themselves_out(people: People) -> None:
    for change in ({"is_active": False}, {"role": Role.employee}, {"is_admin": False}):
        with pytest.raises(InvalidInput):
            users.update(people.admin, people.admin.id, **change)


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"is_active": False}, SessionEnd.deactivated), ({"role": Role.technician}, SessionEnd.role_changed)],
)
def test_deactivation_or_role_change_ends_sessions_at_once(people: People, change: dict, reason: SessionEnd) -> None:
    token = auth.start_session(people.employee_a)
    assert auth.verify(token).user.id == people.employee_a.id
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    users.update(people.admin, people.employee_a.id, **change)
    with pytest.raises(NotAuthenticated):
        auth.verify(token)
    assert events.SessionsRevoked(people.employee_a.id, reason=reason) in seen  # the sign-in page says why
    # Their already-loaded identity can act no more either.
    with pytest.raises(NotAuthenticated):
        users.set_language(people.employee_a, "fr")


def test_deactivated_accounts_cannot_sign_in_and_reactivation_restores_it(people: People) -> None:
    users.update(people.admin, people.employee_a.id, is_active=False)
    # The right password learns why (and whom to ask); a wrong one learns nothing more than before.
    with pytest.raises(PermissionDenied, match="deactivated"):
        auth.authenticate("anna@example.com", PASSWORD, "10.0.0.2")
    with pytest.raises(InvalidInput, match="Wrong email or password"):
        auth.authenticate("anna@example.com", "not the password", "10.0.0.2")
    users.update(people.admin, people.employee_a.id, is_active=True)
    assert auth.authenticate("anna@example.com", PASSWORD, "10.0.0.2").id == people.employee_a.id


def test_change_password_needs_the_current_one_and_ends_other_sessions(people: People) -> None:
    other = auth.start_session(people.employee_a)
    with pytest.raises(InvalidInput):
        users.change_password(people.employee_a, "wrong password", "brand new password")
    assert auth.verify(other)
    user = users.change_password(people.employee_a, PASSWORD, "brand new password")
    with pytest.raises(NotAuthenticated):
        auth.verify(other)
    assert auth.verify(auth.start_session(user)).user.id == user.id
    assert auth.authenticate("anna@example.com", "brand new password", "10.0.0.3").id == user.id


def test_reset_password_gives_a_working_one_and_ends_sessions(people: People) -> None:
    token = auth.start_session(people.employee_b)
    new_password = users.reset_password(people.admin, people.employee_b.id)
    assert len(new_password) >= 12
    with pytest.raises(NotAuthenticated):
        auth.verify(token)
    assert auth.authenticate("ben@example.com", new_password, "10.0.0.4").id == people.employee_b.id


def test_password_hashes_are_argon2(people: People) -> None:
    user = users.get(people.employee_a.id)
    assert user is not None and user.password_hash.startswith("$argon2")


def test_theme_preference(people: People) -> None:
    assert people.employee_a.theme == "system"  # follows the device until chosen
    assert users.set_theme(people.employee_a, "dark").theme == "dark"
    assert users.get(people.employee_a.id).theme == "dark"
    for bad in ("blue", "", None):
        with pytest.raises(InvalidInput):
            users.set_theme(people.employee_a, bad)
    assert users.get(people.employee_a.id).theme == "dark"


def test_language_preference(people: People) -> None:
    assert users.set_language(people.employee_a, "fr").language == "fr"
    with pytest.raises(InvalidInput):
        users.set_language(people.employee_a, "de")
