"""SMTP (HELPDESK_SMTP_URL) and the identifiers that thread a ticket's emails and match replies.

Sending is blocking (smtplib): callers run it in a worker thread (runtime/jobs.py), never on
the event loop. Failures are sorted into temporary (try again later: the server is down, busy,
or answered 4xx) and permanent (5xx for this message or recipient).
"""

import hashlib
import hmac
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

from helpdesk.core.config import SMTP_SCHEMES, get_settings
from helpdesk.core.security import signing_key

TIMEOUT = 30.0


class MailFailure(Exception):
    def __init__(self, reason: str, temporary: bool) -> None:
        super().__init__(reason)
        self.reason = reason[:500]
        self.temporary = temporary


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str  # plain, starttls or tls
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        parts = urlsplit(url)
        security, default_port = SMTP_SCHEMES[parts.scheme]  # checked with the settings
        return cls(
            parts.hostname,
            parts.port or default_port,
            security,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
        )

    def describe(self) -> str:
        """For administrators: where mail goes, never the password."""
        user = f"{self.user}@" if self.user else ""
        return f"{self.security} {user}{self.host}:{self.port}"

    def send(
        self, messages: list[EmailMessage], between: Callable[[], object] = lambda: None
    ) -> list[MailFailure | None]:
        """Send over one connection, calling `between` after each; for each message, None (the
        server took it) or why not. A connection that cannot be made or breaks fails every message
        not yet taken, temporarily."""
        results: list[MailFailure | None] = []
        try:
            with self._connect() as smtp:
                for message in messages:
                    results.append(_send_one(smtp, message))
                    between()
        except (OSError, smtplib.SMTPException) as error:
            failure = _failure(error)
            results.extend([failure] * (len(messages) - len(results)))
        return results

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _send_one(smtp: smtplib.SMTP, message: EmailMessage) -> MailFailure | None:
    try:
        smtp.send_message(message)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
        return _failure(error)
    return None


def _failure(error: BaseException) -> MailFailure:
    """Why a message was not sent, in words safe to show an administrator (never a password)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (450, b""))
    elif isinstance(error, smtplib.SMTPResponseException):
        code, text = error.smtp_code, error.smtp_error
    else:
        return MailFailure(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__, True)
    words = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    # 5xx is final, except a failed login: the administrator fixes the password, the mail waits.
    temporary = code < 500 or isinstance(error, smtplib.SMTPAuthenticationError)
    return MailFailure(f"{code} {words}".strip(), temporary)


def server() -> SmtpServer | None:
    url = get_settings().smtp_url
    return SmtpServer.from_url(url) if url else None


def from_address() -> str:
    return parseaddr(get_settings().mail_from)[1] or "helpdesk@localhost"


def _domain() -> str:
    return from_address().rpartition("@")[2] or "localhost"


def _tag(text: str, length: int = 12) -> str:
    return hmac.new(signing_key(), text.encode(), hashlib.sha256).hexdigest()[:length]


def thread_id(ticket_id: int) -> str:
    """The Message-ID every email of a ticket refers to (In-Reply-To, References): one
    conversation per ticket in a mail client. Tagged with the key, so this install's only."""
    return f"<ticket-{ticket_id}.{_tag(f'thread:{ticket_id}')}@{_domain()}>"


def message_id(ticket_id: int | None, mail_id: int) -> str:
    ticket = f"ticket-{ticket_id}." if ticket_id is not None else ""
    return f"<{ticket}mail-{mail_id}.{_tag(f'mail:{ticket_id}:{mail_id}')}@{_domain()}>"


def reply_address(ticket_id: int) -> str:
    """A signed address that names the ticket (helpdesk+t12.3f9a…@example.com): a reply whose
    client dropped the threading headers still finds its ticket, and nobody can forge one."""
    local, _at, domain = from_address().rpartition("@")
    return f"{local}+t{ticket_id}.{_tag(f'reply:{ticket_id}')}@{domain}"


_OURS = re.compile(r"<(?:ticket-(\d+)\.)?(?:mail-(\d+)\.)?([0-9a-f]{12})@")
_REPLY = re.compile(r"\+t(\d+)\.([0-9a-f]{12})@")


def _ours(header: str) -> list[int | None]:
    """The tickets of the ids of ours in a header (None for a test email's), tags checked."""
    found = []
    for match in _OURS.finditer(header or ""):
        ticket, mail, tag = match.groups()
        if ticket is None and mail is None:
            continue
        tid = int(ticket) if ticket else None
        expected = _tag(f"mail:{tid}:{mail}") if mail else _tag(f"thread:{tid}")
        if hmac.compare_digest(expected, tag):
            found.append(tid)
    return found


def ticket_of_references(references: str) -> int | None:
    """The ticket an email answers, from its In-Reply-To and References (ours only)."""
    return next((tid for tid in _ours(references) if tid is not None), None)


def ticket_of_address(address: str) -> int | None:
    found = _REPLY.search(address or "")
    if found and hmac.compare_digest(_tag(f"reply:{found[1]}"), found[2]):
        return int(found[1])
    return None


def is_ours(message_id_header: str) -> bool:
    """An email we sent (its Message-ID is one of ours): never turned into a message."""
    return bool(_ours(message_id_header))
