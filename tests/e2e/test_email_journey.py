"""Email both ways, end to end: the app as its own process sends through a real SMTP server
(aiosmtpd) that delivers into a real IMAP server (Dovecot); the app reads its own mailbox there.
A technician's reply typed in Chromium reaches the requester's mailbox; her answer from that
mailbox, quoting it as a mail client does, shows live in his open chat without the quote."""

import re
import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import PASSWORD, axe_violations, box_of, bubbles, report_problem, screenshot, send, sign_in
from tests.support.app_process import App
from tests.support.imap import ImapServer
from tests.support.mail import SmtpServer, html_of, text_of

HELPDESK = "helpdesk@example.com"


@pytest.fixture(scope="module")
def mail_servers() -> Iterator[tuple[SmtpServer, ImapServer]]:
    imap = ImapServer([HELPDESK, "anna@example.com"])
    imap.start()
    smtp = SmtpServer()
    smtp.inbox.forward.append(imap.deliver)
    smtp.start()
    yield smtp, imap
    smtp.stop()
    imap.stop()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, mail_servers: tuple[SmtpServer, ImapServer]) -> Iterator[App]:
    smtp, imap = mail_servers
    app = App(tmp_path_factory.mktemp("e2e-mail"))
    app.env |= {
        "HELPDESK_SMTP_URL": smtp.url,
        "HELPDESK_MAIL_FROM": f"IT Helpdesk <{HELPDESK}>",
        "HELPDESK_IMAP_URL": imap.url(HELPDESK),
        "HELPDESK_IMAP_POLL_SECONDS": "5",
        "HELPDESK_MAIL_DELAY_SECONDS": "1",
        "HELPDESK_PUBLIC_URL": app.url,
        "HELPDESK_REMOTE_ENABLED": "false",
        "HELPDESK_MAIL_RETRY_SECONDS": "1",
        "HELPDESK_MAIL_LOOP_LIMIT": "4",
    }
    for email, name, role in (
        ("anna@example.com", "Anna Employee", "employee"),
        ("tom@example.com", "Tom Technician", "technician"),
        ("ada@example.com", "Ada Admin", "technician --admin"),
        ("ben@example.com", "Ben Employee", "employee"),
    ):
        app.helpdesk(
            "create-user", "--email", email, "--name", name, "--role", *role.split(), "--password-stdin", stdin=PASSWORD
        )
    app.start()
    yield app
    app.stop()
    assert app.server_errors() == [], app.log.read_text()


def test_a_reply_goes_out_by_email_and_the_answer_by_email_shows_live_without_the_quote(
    app: App, browser: Browser, mail_servers: tuple[SmtpServer, ImapServer]
) -> None:
    smtp, imap = mail_servers
    anna = sign_in(browser, app, "anna@example.com")
    ticket_url = report_problem(anna, "Outlook asks for my password", "Every ten minutes since the update.")
    anna.context.close()  # she closes the tab: from now on only email reaches her

    tom = sign_in(browser, app, "tom@example.com")
    tom.goto(ticket_url)
    send(tom, "Please sign out of Outlook and in again, then tell me.")
    expect(bubbles(tom, "Please sign out of Outlook")).to_have_count(1)

    (notice,) = imap.wait_for("anna@example.com", 1, timeout=30)
    ticket_id = int(ticket_url.rsplit("/", 1)[1])
    assert notice["Subject"] == f"[#{ticket_id}] Outlook asks for my password"
    assert "Tom Technician wrote:" in text_of(notice)
    assert "Please sign out of Outlook" in html_of(notice) and ticket_url in html_of(notice)
    _look_at_the_email(browser, html_of(notice))

    # Anna answers from her mailbox, as her mail client would: quoting, threaded, to the Reply-To.
    answer = EmailMessage()
    answer["From"] = "Anna Employee <anna@example.com>"
    answer["To"] = notice["Reply-To"]
    answer["Subject"] = f"Re: {notice['Subject']}"
    answer["Message-ID"] = make_msgid(domain="example.com")
    answer["In-Reply-To"] = notice["Message-ID"]
    answer["References"] = f"{notice['References']} {notice['Message-ID']}"
    quoted = "\n".join(f"> {line}" for line in text_of(notice).splitlines())
    answer.set_content(f"That fixed it, thank you!\n\nOn Sat, Dec 6, 2026, IT Helpdesk wrote:\n{quoted}\n")
    with smtplib.SMTP("127.0.0.1", smtp.port) as client:
        client.send_message(answer)

    expect(bubbles(tom, "That fixed it, thank you!")).to_have_count(1, timeout=15_000)  # live, no reload
    (answered,) = bubbles(tom, "That fixed it").all_inner_texts()
    assert answered.startswith("That fixed it, thank you!")
    assert "wrote" not in answered and "Tom Technician" not in answered  # the quote and its line left out
    expect(bubbles(tom, "Please sign out of Outlook")).to_have_count(1)  # not quoted back into the chat

    # A new email opens a ticket in Anna's name, and it reaches the open queue live.
    tom.goto(app.url + "/")
    new = EmailMessage()
    new["From"] = "Anna Employee <anna@example.com>"
    new["To"] = HELPDESK
    new["Subject"] = "The projector in room 4 is dead"
    new["Message-ID"] = make_msgid(domain="example.com")
    new.set_content("No picture at all.")
    with smtplib.SMTP("127.0.0.1", smtp.port) as client:
        client.send_message(new)
    expect(tom.get_by_text("The projector in room 4 is dead")).to_be_visible(timeout=15_000)


def test_the_administrators_email_page_shows_the_outbox_and_sends_a_test(
    app: App, browser: Browser, mail_servers: tuple[SmtpServer, ImapServer]
) -> None:
    smtp, _imap = mail_servers
    ada = sign_in(browser, app, "ada@example.com", bypass_csp=True)  # bypass: for axe-core
    ada.get_by_role("link", name="Email").click()
    ada.wait_for_url(app.url + "/admin/email")
    expect(ada.get_by_text(re.compile(r"Sending through plain 127\.0\.0\.1"))).to_be_visible()
    address = ada.get_by_label("To", exact=True)
    address.fill("ops@example.com")
    address.press("Tab")
    ada.keyboard.press("Enter")  # the Send button, reached by keyboard
    expect(ada.get_by_text("The test email is in the outbox")).to_be_visible()
    expect(ada.get_by_role("cell", name="ops@example.com")).to_be_visible()
    expect(ada.get_by_role("row").filter(has_text="ops@example.com").get_by_text("Sent")).to_be_visible(timeout=15_000)
    assert any(m["To"] == "ops@example.com" for m in smtp.inbox.messages)
    screenshot(ada, "admin-email")
    assert axe_violations(ada) == []
    ada.set_viewport_size({"width": 390, "height": 844})
    cell = ada.get_by_role("cell", name="ops@example.com")
    box = box_of(cell)
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # a card: nothing to scroll sideways for
    screenshot(ada, "phone-admin-email")


def test_a_bounce_and_a_loop_make_nothing_and_a_mail_server_away_then_back_delivers_once(
    app: App, browser: Browser, mail_servers: tuple[SmtpServer, ImapServer]
) -> None:
    smtp, imap = mail_servers
    bounce = _mail("MAILER-DAEMON@example.com", "Undelivered Mail Returned to Sender", "Could not deliver.")
    bounce.add_attachment("Status: 5.1.1", subtype="delivery-status")
    bounce.replace_header("Content-Type", bounce.get_content_type().replace("mixed", "report"))
    loop = [_mail("ben@example.com", f"Out of office, loop {n}", "I am away.") for n in range(1, 7)]
    new = _mail("anna@example.com", "The printer on floor 2 is offline", "Since this morning.")
    with smtplib.SMTP("127.0.0.1", smtp.port) as client:
        for message in [bounce, *loop, new]:
            client.send_message(message)
    with imap.client(HELPDESK) as mailbox:  # delivered before the server said 250: wait till the app read them
        deadline = time.monotonic() + 20
        while mailbox.search(["UNSEEN"]) and time.monotonic() < deadline:
            time.sleep(0.2)
            mailbox.noop()

    tom = sign_in(browser, app, "tom@example.com")
    tom.goto(app.url + "/?view=all")
    expect(tom.get_by_role("link", name="Out of office, loop 4")).to_be_visible()  # the loop limit: 4 a minute
    expect(tom.get_by_role("link", name="The printer on floor 2 is offline")).to_be_visible()
    for never in ("Out of office, loop 5", "Out of office, loop 6", "Undelivered Mail Returned to Sender"):
        expect(tom.get_by_role("link", name=never)).to_have_count(0)

    before = len(imap.messages("anna@example.com"))
    smtp.stop()  # the mail server goes away: the reply waits in the outbox
    tom.get_by_role("link", name="The printer on floor 2 is offline").click()
    send(tom, "Try switching it off and on again.")
    expect(bubbles(tom, "Try switching it off and on again.")).to_have_count(1)
    time.sleep(4)  # tried and refused (retries after 1, 2, 4 s...)
    smtp.start()
    imap.wait_for("anna@example.com", before + 1, timeout=30)
    time.sleep(3)  # a doubled send would show by now
    received = imap.messages("anna@example.com")
    replies = [m for m in received if "Try switching it off and on again." in text_of(m)]
    assert len(replies) == 1 and len(received) == before + 1


def _mail(sender: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = HELPDESK
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.com")
    message.set_content(body)
    return message


def _look_at_the_email(browser: Browser, html: str) -> None:
    context = browser.new_context(viewport={"width": 700, "height": 600}, java_script_enabled=False)
    page = context.new_page()
    page.set_content(html)
    screenshot(page, "email-reply")
    context.close()


@pytest.mark.parametrize("size", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}])
def test_email_choices_on_the_profile_by_keyboard(app: App, browser: Browser, size: dict) -> None:
    anna = sign_in(browser, app, "anna@example.com", viewport=size)
    anna.goto(app.url + "/profile#email")
    resolved = anna.get_by_role("checkbox", name="My ticket is resolved")
    expect(resolved).to_be_checked()
    anna.get_by_role("checkbox", name="My ticket is taken by a technician").focus()
    anna.keyboard.press("Tab")  # to the next choice, as a keyboard user goes
    expect(resolved).to_be_focused()
    anna.keyboard.press("Space")
    expect(anna.get_by_text("Saved.")).to_be_visible()
    expect(resolved).not_to_be_checked()
    expect(anna.get_by_role("checkbox", name="A new ticket is opened")).to_have_count(0)  # technicians' only
    anna.reload()
    expect(anna.get_by_role("checkbox", name="My ticket is resolved")).not_to_be_checked()
    anna.get_by_role("checkbox", name="My ticket is resolved").click()  # back as it was, for the next size
    expect(anna.get_by_role("checkbox", name="My ticket is resolved")).to_be_checked()
    expect(anna.get_by_text("Saved.")).to_be_visible()  # saved before the page goes
    anna.context.close()
