"""Email in: new tickets and replies from mail, with the quoted history left out; what is
automatic, a bounce, our own or a loop makes nothing; nothing is taken twice. The mailbox is a
real Dovecot IMAP server on loopback."""

import io
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from PIL import Image
from sqlmodel import select

from helpdesk.core import db, mailer
from helpdesk.core.config import get_settings
from helpdesk.domain import chat, intake, tickets, users
from helpdesk.runtime.mailwatch import MailWatch
from models import InboundMail, InboundOutcome, MailStatus, OutboxMail, Role, Status, Ticket
from tests.conftest import People
from tests.support.imap import ImapServer

HELPDESK = "helpdesk@example.com"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[ImapServer]:
    server = ImapServer([HELPDESK, "anna@example.com"])
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def mail_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_MAIL_FROM", f"IT Helpdesk <{HELPDESK}>")
    monkeypatch.setenv("HELPDESK_SMTP_URL", "smtp://127.0.0.1:9")  # refusals are queued, not sent here
    get_settings.cache_clear()


def mail(
    sender: str = "anna@example.com",
    subject: str = "VPN drops every hour",
    body: str = "Since Monday the VPN drops.",
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Anna Employee <{sender}>"
    message["To"] = HELPDESK
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="client.example.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def _tickets() -> list[Ticket]:
    with db.read_session() as session:
        return list(session.exec(select(Ticket).order_by(Ticket.id)).all())


def _refusals_queued() -> list[OutboxMail]:
    with db.read_session() as session:
        return list(session.exec(select(OutboxMail).where(OutboxMail.status == MailStatus.queued)).all())


def test_a_new_email_in_the_mailbox_opens_a_ticket_in_the_senders_name_with_its_file(
    dovecot: ImapServer, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_IMAP_POLL_SECONDS", "1")
    get_settings.cache_clear()
    message = mail()
    message.add_attachment(png(), maintype="image", subtype="png", filename="error.png")
    dovecot.deliver([HELPDESK], bytes(message))
    watch = MailWatch(intake.Mailbox.from_url(dovecot.url(HELPDESK)))
    watch()  # takes the new email, then waits (IDLE) up to a second
    watch.close()

    (ticket,) = _tickets()
    assert (ticket.requester_id, ticket.title, ticket.description) == (
        people.employee_a.id,
        "VPN drops every hour",
        "Since Monday the VPN drops.",
    )
    (first,) = chat.history(people.employee_a, ticket.id)
    assert first.files[0].filename == "error.png"
    with dovecot.client(HELPDESK) as client:  # flagged seen once taken
        assert client.search(["UNSEEN"]) == []


def test_a_reply_to_our_email_joins_the_ticket_without_the_quote_and_reopens_it(people: People) -> None:
    ticket_id = tickets.create(people.employee_a, "Printer jams", "Jams.", "high", "hardware").id
    tickets.set_status(people.technician, ticket_id, Status.resolved)
    body = (
        "It jams again since this morning.\n\nCordialement,\nAnna\n\n"
        "Le sam. 6 déc. 2026 à 10:02, IT Helpdesk <helpdesk@example.com> a écrit :\n"
        "> Tom Technician a résolu votre ticket.\n"
    )
    reply = mail(subject="Re: [#1] Printer jams", body=body, In_Reply_To=mailer.thread_id(ticket_id))
    assert intake.take(bytes(reply)) == InboundOutcome.reply
    (message,) = chat.history(people.employee_a, ticket_id)
    assert message.body == "It jams again since this morning."
    assert tickets.get(people.employee_a, ticket_id).ticket.status == Status.open
    assert intake.take(bytes(reply)) is None  # read again after a restart: nothing twice
    assert len(chat.history(people.employee_a, ticket_id)) == 1


def test_a_technicians_reply_by_email_is_the_first_response_and_the_signed_address_alone_finds_the_ticket(
    people: People,
) -> None:
    ticket_id = tickets.create(people.employee_a, "Screen flickers", "It flickers.", "low", "hardware").id
    reply = mail(sender="tom@example.com", subject="whatever", body="Try another cable.")
    reply.replace_header("To", mailer.reply_address(ticket_id))
    assert intake.take(bytes(reply)) == InboundOutcome.reply
    view = tickets.get(people.technician, ticket_id)
    assert view.ticket.first_response_at is not None
    forged = mail(subject=f"Re: [#{ticket_id}] Screen flickers", body="By subject only")
    forged.replace_header("To", mailer.reply_address(ticket_id).replace(f"+t{ticket_id}.", "+t999."))
    assert intake.take(bytes(forged)) == InboundOutcome.ticket  # never matched by subject or a bad signature
    assert len(chat.history(people.technician, ticket_id)) == 1


def test_a_reply_to_a_ticket_the_sender_may_not_see_opens_their_own(people: People) -> None:
    ticket_id = tickets.create(people.employee_b, "Ben's laptop", "Broken.", "low", "hardware").id
    intruder = mail(body="Let me in", In_Reply_To=mailer.thread_id(ticket_id))
    assert intake.take(bytes(intruder)) == InboundOutcome.ticket
    assert chat.history(people.employee_b, ticket_id) == []


def test_html_only_mail_is_reduced_to_text() -> None:
    message = mail()
    message.set_content("<p>Hello <b>team</b></p><script>alert(1)</script><style>p{}</style>", subtype="html")
    parsed = intake.parse(bytes(message))
    assert parsed.text.startswith("Hello team") and "<" not in parsed.text


def test_unknown_senders_are_refused_once_and_allowed_domains_get_an_account(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert intake.take(bytes(mail(sender="stranger@elsewhere.org"))) == InboundOutcome.refused
    assert intake.take(bytes(mail(sender="stranger@elsewhere.org"))) == InboundOutcome.refused
    (answer,) = _refusals_queued()  # answered once, not per email
    assert answer.to_address == "stranger@elsewhere.org" and "not known" in (answer.body_text or "")
    assert "n’est pas connue" in (answer.body_text or "")  # unknown language: English and French
    assert _tickets() == []

    monkeypatch.setenv("HELPDESK_MAIL_ALLOWED_DOMAINS", "example.com, corp.example.com")
    get_settings.cache_clear()
    assert intake.take(bytes(mail(sender="new.person@corp.example.com"))) == InboundOutcome.ticket
    created = users.get_by_email("new.person@corp.example.com")
    assert created is not None and created.role == Role.employee


def test_a_refused_file_refuses_the_email_with_the_reason(people: People) -> None:
    message = mail()
    message.add_attachment(b"MZ\x90\x00binary", maintype="application", subtype="octet-stream", filename="fix.exe")
    assert intake.take(bytes(message)) == InboundOutcome.refused
    assert _tickets() == []
    (answer,) = _refusals_queued()
    assert "Only images, PDF and text" in (answer.body_text or "")


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List_Id": "<all.example.com>"},
    ],
)
def test_automatic_mail_makes_nothing_and_is_not_answered(people: People, headers: dict) -> None:
    assert intake.take(bytes(mail(**headers))) == InboundOutcome.ignored
    assert _tickets() == [] and _refusals_queued() == []


def test_a_bounce_and_our_own_email_make_nothing(people: People) -> None:
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@example.com>"
    bounce["To"] = HELPDESK
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce.set_content("The mail could not be delivered.")
    bounce.add_attachment("Status: 5.1.1", subtype="delivery-status")
    bounce.replace_header("Content-Type", bounce.get_content_type().replace("mixed", "report"))
    assert intake.take(bytes(bounce)) == InboundOutcome.ignored
    ours = mail(sender=HELPDESK)
    assert intake.take(bytes(ours)) == InboundOutcome.ignored
    assert _tickets() == [] and _refusals_queued() == []


def test_a_loop_is_cut_after_the_limit(people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_MAIL_LOOP_LIMIT", "3")
    get_settings.cache_clear()
    outcomes = [intake.take(bytes(mail(subject=f"Loop number {n}"))) for n in range(5)]
    assert outcomes == [InboundOutcome.ticket] * 3 + [InboundOutcome.ignored] * 2
    assert len(_tickets()) == 3


def test_administrators_see_what_was_refused(people: People) -> None:
    intake.take(bytes(mail(sender="stranger@elsewhere.org", subject="Hello there")))
    (row,) = intake.refused(people.admin)
    assert (row.sender, row.subject, row.outcome) == ("stranger@elsewhere.org", "Hello there", InboundOutcome.refused)
    with pytest.raises(Exception, match="administrators"):
        intake.refused(people.technician)
    with db.read_session() as session:
        assert session.exec(select(InboundMail)).all()


def test_an_email_the_chat_refuses_for_another_reason_is_kept_once_not_retried_forever(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = tickets.create(people.employee_a, "Printer jams", "Jams.", "high", "hardware").id
    monkeypatch.setenv("HELPDESK_CHAT_RATE", "1/minute")
    get_settings.cache_clear()
    chat.post(people.employee_a, ticket_id, "From the page")
    reply = mail(body="And by email, too fast", In_Reply_To=mailer.thread_id(ticket_id))
    assert intake.take(bytes(reply)) == InboundOutcome.ignored
    assert intake.take(bytes(reply)) is None  # remembered: read again, nothing happens
    with db.read_session() as session:
        (row,) = session.exec(select(InboundMail)).all()
    assert row.reason == "You are sending messages too fast. Wait a moment."
