import pytest
from nicegui.testing import User

from helpdesk.core.config import get_settings
from helpdesk.domain import auth, notify, users
from models import NoticeKind, Role
from tests.conftest import PASSWORD, People
from tests.pages.conftest import eventually, sign_in


async def test_users_page_is_for_admins_only(user: User, people: People) -> None:
    for person in (people.employee_a, people.technician):
        sign_in(user, person)
        await user.open("/admin/users")
        await user.should_see(marker="not-found")
        await user.should_not_see("ada@example.com")


async def test_admin_creates_a_user(user: User, people: People) -> None:
    sign_in(user, people.admin)
    await user.open("/admin/users")
    table = user.find(marker="users").elements.pop()
    assert len(table.rows) == 5
    user.find(marker="new-user").click()
    user.find(marker="new-name").type("Zoé Nouvelle")
    user.find(marker="new-email").type("zoe@example.com")
    user.find(marker="new-password").type("short")
    user.find(marker="new-save").click()
    await user.should_see("The password must be 8 to 1024 characters.")
    user.find(marker="new-password").clear()
    user.find(marker="new-password").type("long enough password")
    user.find(marker="new-save").click()
    await user.should_see("Account created for zoe@example.com.")
    await eventually(lambda: len(table.rows) == 6)
    assert auth.authenticate("zoe@example.com", "long enough password", "10.5.0.1").role == Role.employee


async def test_admin_deactivates_and_resets(user: User, people: People) -> None:
    sign_in(user, people.admin)
    await user.open("/admin/users")
    table = user.find(marker="users").elements.pop()
    ben = next(row for row in table.rows if row["email"] == "ben@example.com")
    # Destructive actions ask first: the first click changes nothing.
    user.find(marker="users").trigger("active", ben)
    await user.should_see("Deactivate Ben Employee?")
    assert users.get(people.employee_b.id).is_active is True
    user.find(marker="deactivate-confirm").click()
    await user.should_see("Account deactivated.")
    assert users.get(people.employee_b.id).is_active is False
    user.find(marker="users").trigger("reset", ben)
    await user.should_see("Reset the password of Ben Employee?")
    user.find(marker="reset-confirm").click()
    await user.should_see(marker="temp-password")
    await user.should_see(marker="copy-password")
    password = user.find(marker="temp-password").elements.pop().value
    user.find(marker="users").trigger("active", {**ben, "active": False})
    await user.should_see("Account reactivated.")
    assert auth.authenticate("ben@example.com", password, "10.5.0.2").id == people.employee_b.id


async def test_a_demoted_admin_handler_is_refused_at_the_moment_it_runs(user: User, people: People) -> None:
    sign_in(user, people.admin)
    await user.open("/admin/users")
    other_admin = users.create(people.admin, "root2@example.com", "Root Two", PASSWORD, Role.technician, True)
    # The page stays open, but the account loses its rights before the click lands.
    users.update(other_admin, people.admin.id, is_admin=False)
    user.find(marker="users").trigger("active", {"id": people.employee_b.id, "active": True})
    await user.should_see(marker="sign-in", retries=20)
    assert users.get(people.employee_b.id).is_active is True


async def test_change_password_keeps_this_tab_signed_in(user: User, people: People) -> None:
    sign_in(user, people.employee_a)
    other_session = auth.start_session(people.employee_a)
    await user.open("/profile")
    user.find(marker="current-password").type("wrong password")
    user.find(marker="new-password").type("a whole new password")
    user.find(marker="change-password").click()
    await user.should_see("The current password is wrong.")
    user.find(marker="current-password").clear()
    user.find(marker="current-password").type(PASSWORD)
    old_cookie = user.http_client.cookies.get(auth.COOKIE)
    user.find(marker="change-password").click()
    await eventually(lambda: user.http_client.cookies.get(auth.COOKIE) != old_cookie)
    await user.should_see(marker="change-password")
    assert auth.try_verify(user.http_client.cookies.get(auth.COOKIE)) is not None
    assert auth.try_verify(other_session) is None
    assert auth.try_verify(old_cookie) is None


async def test_language_choice_is_remembered(user: User, people: People) -> None:
    sign_in(user, people.employee_a)
    await user.open("/profile")
    user.find(marker="language").elements.pop().set_value("fr")
    await eventually(lambda: users.get(people.employee_a.id).language == "fr")
    await user.open("/")
    await user.should_see("Mes tickets")


async def test_the_email_page_is_for_admins_only_and_sends_a_test_email(
    user: User, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_SMTP_URL", "smtp://127.0.0.1:9")
    get_settings.cache_clear()
    sign_in(user, people.technician)
    await user.open("/admin/email")
    await user.should_see(marker="not-found")
    sign_in(user, people.admin)
    await user.open("/admin/email")
    await user.should_see("Sending through plain 127.0.0.1:9 as helpdesk@localhost.")
    user.find(marker="test-address").clear()
    user.find(marker="test-address").type("not an address")
    user.find(marker="send-test").click()
    await user.should_see("Enter a valid email address.")
    user.find(marker="test-address").clear()
    user.find(marker="test-address").type("ops@example.com")
    user.find(marker="send-test").click()
    await user.should_see("The test email is in the outbox; it goes out in a few seconds.")
    table = user.find(marker="outbox").elements.pop()
    await eventually(lambda: [r["to"] for r in table.rows] == ["ops@example.com"])
    assert table.rows[0]["state"] == "Queued"


async def test_email_choices_on_the_profile_are_kept(user: User, people: People) -> None:
    sign_in(user, people.employee_a)
    await user.open("/profile")
    await user.should_see("Email notifications")
    await user.should_not_see("A new ticket is opened")  # a technician's choice only
    user.find(marker="email-resolved").click()
    await user.should_see("Saved.")
    assert notify.preferences(people.employee_a)[NoticeKind.resolved] is False
    await user.open("/profile")
    assert user.find(marker="email-resolved").elements.pop().value is False
