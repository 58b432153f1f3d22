"""Email out, against a real SMTP server on loopback: who hears what, in their language, threaded,
once; what they saw live is left out; a server away and back loses and doubles nothing."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from helpdesk.core import db, mailer
from helpdesk.core.config import get_settings
from helpdesk.core.errors import InvalidInput, PermissionDenied
from helpdesk.domain import chat, notify, outbox, tickets, users
from models import Category, MailStatus, NoticeKind, OutboxMail, Priority, Status
from models.clock import utcnow
from tests.conftest import People
from tests.support.mail import SmtpServer, html_of, text_of


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    monkeypatch.setenv("HELPDESK_SMTP_URL", server.url)
    monkeypatch.setenv("HELPDESK_MAIL_FROM", "IT Helpdesk <helpdesk@example.com>")
    monkeypatch.setenv("HELPDESK_MAIL_DELAY_SECONDS", "0")
    monkeypatch.setenv("HELPDESK_PUBLIC_URL", "https://help.example.com")
    get_settings.cache_clear()
    yield server
    server.stop()


def _mails() -> list[OutboxMail]:
    with db.read_session() as session:
        return list(session.exec(select(OutboxMail).order_by(OutboxMail.id)).all())


def _ticket(people: People) -> int:
    return tickets.create(people.employee_a, "Printer jams", "Every page jams.", Priority.high, Category.hardware).id


def test_a_technicians_reply_reaches_the_requester_threaded_in_their_language(smtp: SmtpServer, people: People) -> None:
    users.set_language(people.employee_a, "fr")
    ticket_id = _ticket(people)
    chat.post(people.technician, ticket_id, "Please restart it.\nThen tell me. <script>alert(1)</script>")
    chat.post(people.technician, ticket_id, "Her printer is old; order a new one.", internal=True)
    outbox.run()

    (mail,) = smtp.inbox.to("anna@example.com")
    assert mail["Subject"] == f"[#{ticket_id}] Printer jams"
    assert mail["In-Reply-To"] == mail["References"] == mailer.thread_id(ticket_id)
    assert mail["Message-ID"].startswith(f"<ticket-{ticket_id}.mail-") and mail["Auto-Submitted"] == "auto-generated"
    assert mail["List-Unsubscribe"] == "<https://help.example.com/profile#email>"
    text, html = text_of(mail), html_of(mail)
    assert "Tom Technician a écrit" in text and "Please restart it." in text
    assert f"https://help.example.com/tickets/{ticket_id}" in text and 'lang="fr"' in html
    assert "order a new one" not in text + html  # the internal note never reaches the employee
    assert "Please restart it." in html and "<script" not in html and "&lt;script&gt;" in html  # text, escaped
    # The other technicians heard of the new ticket, in English; not Tom, who answered on its page.
    assert {m["To"] for m in smtp.inbox.messages} == {"anna@example.com", "tess@example.com", "ada@example.com"}
    assert "Anna Employee opened a new ticket" in text_of(smtp.inbox.to("tess@example.com")[0])


def test_several_changes_in_the_delay_make_one_email_and_nothing_goes_to_its_own_author(
    smtp: SmtpServer, people: People
) -> None:
    ticket_id = _ticket(people)
    tickets.take(people.technician, ticket_id)
    chat.post(people.technician, ticket_id, "On my way.")
    tickets.set_status(people.technician, ticket_id, Status.resolved)
    outbox.run()

    (to_anna,) = smtp.inbox.to("anna@example.com")
    text = text_of(to_anna)
    assert text.index("took your ticket") < text.index("On my way.") < text.index("resolved your ticket")
    assert to_anna["Subject"].count("Printer jams") == 1
    # Tom: nothing yet. He worked on the ticket's page (he saw it there), and his message is his own.
    assert smtp.inbox.to("tom@example.com") == []
    chat.post(people.employee_a, ticket_id, "It jams again.")
    outbox.run()
    (to_tom,) = smtp.inbox.to("tom@example.com")
    assert "Anna Employee wrote:" in text_of(to_tom) and "It jams again." in text_of(to_tom)
    assert "On my way." not in text_of(to_tom)


def test_what_the_reader_saw_live_is_not_mailed(smtp: SmtpServer, people: People) -> None:
    ticket_id = _ticket(people)
    chat.post(people.technician, ticket_id, "Seen on the page.")
    seen = chat.history(people.employee_a, ticket_id)[-1]
    chat.mark_seen(people.employee_a, ticket_id, seen.id)
    outbox.run()
    assert not smtp.inbox.to("anna@example.com")
    assert [m.status for m in _mails() if m.to_address == "anna@example.com"] == [MailStatus.skipped]
    assert outbox.pending_count() == 0


def test_a_notice_added_while_its_email_is_composed_goes_in_the_next_one(
    smtp: SmtpServer, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = _ticket(people)
    chat.post(people.technician, ticket_id, "First")
    compose = outbox._compose

    def compose_then_a_reply_arrives(*args: object) -> object:
        composed = compose(*args)
        monkeypatch.setattr(outbox, "_compose", compose)
        chat.post(people.technician, ticket_id, "Second, written meanwhile")
        return composed

    monkeypatch.setattr(outbox, "_compose", compose_then_a_reply_arrives)
    outbox.run()
    outbox.run()
    first, second = smtp.inbox.to("anna@example.com")
    assert "First" in text_of(first) and "Second" not in text_of(first)
    assert "Second, written meanwhile" in text_of(second) and "First" not in text_of(second)


def test_a_change_seen_on_the_ticket_page_is_not_mailed(smtp: SmtpServer, people: People) -> None:
    ticket_id = _ticket(people)
    tickets.take(people.technician, ticket_id)
    chat.queue_viewed(people.employee_a, ticket_id)  # her open page showed the ticket taken
    chat.flush_seen()
    tickets.set_status(people.technician, ticket_id, Status.resolved)  # this one she did not see
    outbox.run()
    (mail,) = smtp.inbox.to("anna@example.com")
    assert "resolved your ticket" in text_of(mail) and "took your ticket" not in text_of(mail)


def test_a_requester_who_is_also_the_assignee_reads_a_reply_once(smtp: SmtpServer, people: People) -> None:
    ticket_id = tickets.create(people.technician, "My own laptop", "Fan noise.", Priority.low, Category.hardware).id
    tickets.take(people.technician, ticket_id)
    chat.post(people.technician_2, ticket_id, "Swap the fan.")
    outbox.run()
    (mail,) = smtp.inbox.to("tom@example.com")
    assert text_of(mail).count("Swap the fan.") == 1


def test_a_preference_turned_off_queues_nothing_and_employees_have_no_technician_choices(
    smtp: SmtpServer, people: People
) -> None:
    notify.set_preference(people.employee_a, NoticeKind.reply, False)
    assert notify.preferences(people.employee_a)[NoticeKind.reply] is False
    with pytest.raises(InvalidInput):
        notify.set_preference(people.employee_a, NoticeKind.new_ticket, True)
    ticket_id = _ticket(people)
    chat.post(people.technician, ticket_id, "Hello")
    outbox.run()
    assert all(m.to_address != "anna@example.com" for m in _mails())
    assert not smtp.inbox.to("anna@example.com") and smtp.inbox.to("tess@example.com")


def test_a_change_that_rolls_back_queues_no_email(smtp: SmtpServer, people: People) -> None:
    ticket_id = _ticket(people)
    outbox.run()
    before = len(_mails())

    def fail(_session: object) -> None:
        raise RuntimeError("the write fails after the message was added")

    with db.first_write_also(fail), pytest.raises(RuntimeError):
        chat.post(people.technician, ticket_id, "Lost")
    outbox.run()
    assert len(_mails()) == before and not smtp.inbox.to("anna@example.com")


def test_a_server_away_then_back_delivers_every_email_once(smtp: SmtpServer, people: People) -> None:
    smtp.stop()
    ticket_id = _ticket(people)
    chat.post(people.technician, ticket_id, "One")
    outbox.run()
    waiting = [m for m in _mails() if m.status != MailStatus.skipped]
    assert waiting and all(m.status == MailStatus.queued and m.attempts == 1 for m in waiting)
    assert all("Connection" in (m.last_error or "") and m.due_at > utcnow() for m in waiting)

    smtp.start()
    outbox.send_due(utcnow())  # not yet: each waits out its backoff
    assert not smtp.inbox.messages
    later = utcnow() + timedelta(minutes=2)
    outbox.send_due(later)
    outbox.send_due(later)
    assert len(smtp.inbox.messages) == len(waiting)
    assert len({m["Message-ID"] for m in smtp.inbox.messages}) == len(waiting)
    assert all(m.status == MailStatus.sent for m in _mails() if m.status != MailStatus.skipped)


def test_a_refused_recipient_fails_for_good_with_the_reason_and_can_be_retried(
    smtp: SmtpServer, people: People
) -> None:
    smtp.inbox.refuse.add("anna@example.com")
    ticket_id = _ticket(people)
    chat.post(people.technician, ticket_id, "Hello")
    outbox.run()
    (failed,) = [m for m in _mails() if m.to_address == "anna@example.com"]
    assert failed.status == MailStatus.failed and failed.last_error.startswith("550")
    assert outbox.listing(people.admin).counts[MailStatus.failed] == 1
    with pytest.raises(PermissionDenied):
        outbox.retry(people.technician, failed.id)
    smtp.inbox.refuse.clear()
    outbox.retry(people.admin, failed.id)
    outbox.run()
    assert len(smtp.inbox.to("anna@example.com")) == 1


def test_the_last_temporary_failure_is_kept_as_failed(
    smtp: SmtpServer, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_MAIL_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    smtp.stop()
    outbox.send_test(people.admin, "ops@example.com")
    outbox.send_due(utcnow())
    outbox.send_due(utcnow() + timedelta(hours=1))
    (mail,) = _mails()
    assert mail.status == MailStatus.failed and mail.attempts == 2


def test_only_administrators_send_a_test_email_and_it_arrives(smtp: SmtpServer, people: People) -> None:
    with pytest.raises(PermissionDenied):
        outbox.send_test(people.technician, "ops@example.com")
    with pytest.raises(InvalidInput):
        outbox.send_test(people.admin, "not an address")
    outbox.send_test(people.admin, "ops@example.com")
    outbox.run()
    (mail,) = smtp.inbox.to("ops@example.com")
    assert mail["Subject"] == "Test email from the helpdesk" and "Ada Admin" in text_of(mail)
    assert mailer.is_ours(mail["Message-ID"])


def test_reply_addresses_and_thread_ids_are_signed() -> None:
    assert mailer.ticket_of_address(mailer.reply_address(12)) == 12
    assert mailer.ticket_of_address(mailer.reply_address(12).replace("+t12.", "+t13.")) is None
    assert mailer.ticket_of_references(f"<a@b> {mailer.thread_id(7)}") == 7
    assert mailer.ticket_of_references(mailer.message_id(7, 3)) == 7
    assert mailer.ticket_of_references(mailer.thread_id(7).replace("ticket-7.", "ticket-8.")) is None


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("HELPDESK_SMTP_URL", "http://user:s3cret@mail.example.com"),
        ("HELPDESK_IMAP_URL", "imap://user:s3cret@mail.example.com/INBOX"),  # a clear password off this machine
    ],
)
def test_a_bad_mail_url_stops_the_app_naming_the_setting_never_its_value(
    monkeypatch: pytest.MonkeyPatch, name: str, url: str
) -> None:
    monkeypatch.setenv(name, url)
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as stopped:
        get_settings()
    assert name in str(stopped.value) and "s3cret" not in str(stopped.value)
