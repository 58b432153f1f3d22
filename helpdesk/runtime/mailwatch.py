"""Watches the helpdesk's mailbox (HELPDESK_IMAP_URL) and hands each new email to the intake.

It waits with IMAP IDLE when the server offers it (a new email is taken within a second or so),
else it polls every HELPDESK_IMAP_POLL_SECONDS. An email is flagged \\Seen only after the intake
took it; one read again after a crash is recognised by its Message-ID and adds nothing. It runs
in a worker thread (imapclient is blocking), in slices of a second so that stopping is quick.
"""

import contextlib
import logging
import ssl
import threading
import time

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from helpdesk.core.config import get_settings
from helpdesk.domain import intake
from helpdesk.domain.intake import Mailbox

log = logging.getLogger(__name__)
SLICE = 1.0  # seconds of IDLE between checks of `stopping`
FETCH_MAX = 50


class MailWatch:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.stopping = threading.Event()
        self.client: IMAPClient | None = None
        self.failures = 0

    def __call__(self) -> None:
        """One round (the job runs it again and again): take what is new, then wait for more."""
        try:
            client = self.client or self._connect()
            while self._take_new(client) == FETCH_MAX and not self.stopping.is_set():
                pass
            self._wait(client)
            self.failures = 0
        except (OSError, IMAPClientError) as error:
            self.failures += 1
            self.close()
            # The server's words or the socket's (never the password); try again, less often.
            log.warning("mailbox %s: %s", self.mailbox.describe(), error)
            self.stopping.wait(min(5 * 2**self.failures, 300))

    def _connect(self) -> IMAPClient:
        box = self.mailbox
        context = ssl.create_default_context()
        client = IMAPClient(box.host, box.port, ssl=box.security == "tls", ssl_context=context, timeout=30)
        if box.security == "starttls":
            client.starttls(context)
        client.login(box.user, box.password)
        client.select_folder(box.folder)
        self.client = client
        return client

    def _take_new(self, client: IMAPClient) -> int:
        uids = client.search(["UNSEEN"])[:FETCH_MAX]
        for uid, data in client.fetch(uids, ["BODY.PEEK[]"]).items():
            if self.stopping.is_set():
                break
            try:
                outcome = intake.take(data[b"BODY[]"])
            except Exception:  # one bad email must not stop the others; it stays unseen for a retry
                log.exception("an email could not be processed")
                continue
            client.add_flags([uid], [b"\\Seen"])
            log.info("email %s: %s", uid, outcome or "already taken")
        return len(uids)

    def _wait(self, client: IMAPClient) -> None:
        poll = get_settings().imap_poll_seconds
        if b"IDLE" not in client.capabilities():
            self.stopping.wait(poll)
            client.noop()
            return
        client.idle()
        try:
            deadline = time.monotonic() + poll
            while not self.stopping.is_set() and time.monotonic() < deadline:
                if client.idle_check(timeout=SLICE):
                    break  # something arrived (or changed): take it
        finally:
            client.idle_done()

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(OSError, IMAPClientError):
                self.client.logout()
            self.client = None
