"""A real IMAP server for the email tests: Debian's Dovecot on loopback, with Maildir mailboxes
in a scratch directory, and mail delivered into them by IMAP APPEND (as an MTA would over LMTP).

Dovecot never gives mail access to root: its mail processes run as `nobody`, so the scratch
directory is made outside pytest's private temporary tree.
"""

import email
import shutil
import subprocess
import tempfile
import time
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from tests.support.mail import free_port

PASSWORD = "mailbox-pass"
CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


class ImapServer:
    def __init__(self, users: list[str]) -> None:
        self.users = set(users)
        self.root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
        self.root.chmod(0o755)
        (self.root / "home").mkdir(mode=0o777)
        (self.root / "home").chmod(0o777)
        self.port = free_port()
        (self.root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{PASSWORD}::::::\n" for u in users))
        (self.root / "dovecot.conf").write_text(CONFIG.format(root=self.root, port=self.port))
        for name in ("passwd", "dovecot.conf"):  # read by Dovecot's own users, whatever the umask
            (self.root / name).chmod(0o644)
        self.process: subprocess.Popen | None = None

    def url(self, user: str, folder: str = "INBOX") -> str:
        return f"imap://{user.replace('@', '%40')}:{PASSWORD}@127.0.0.1:{self.port}/{folder}"

    def start(self) -> None:
        self.process = subprocess.Popen(["dovecot", "-F", "-c", str(self.root / "dovecot.conf")])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:  # a real sign-in: the port opens before the auth process is ready
                self.client(sorted(self.users)[0]).logout()
                return
            except (OSError, IMAPClientError):
                time.sleep(0.1)
        log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
        raise RuntimeError(f"dovecot did not start:\n{log}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=10)
        client.login(user, PASSWORD)
        client.select_folder("INBOX")
        return client

    def deliver(self, recipients: list[str], raw: bytes) -> None:
        """Into each recipient's INBOX (a plus address reaches its base mailbox); mail for an
        address that has no mailbox here is dropped."""
        for recipient in recipients:
            local, _at, domain = recipient.lower().partition("@")
            user = f"{local.partition('+')[0]}@{domain}"
            if user in self.users:
                with self.client(user) as client:
                    client.append("INBOX", raw)

    def messages(self, user: str) -> list[EmailMessage]:
        with self.client(user) as client:
            fetched = client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"])
            return [email.message_from_bytes(d[b"BODY[]"], policy=default) for _u, d in sorted(fetched.items())]

    def wait_for(self, user: str, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(user)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.2)
