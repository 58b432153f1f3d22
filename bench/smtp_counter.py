"""A local SMTP server for benchmarks, in its own process (its CPU is not the measurer's): it takes
every message and appends one line per message to a file.

    python -m bench.smtp_counter PORT FILE
"""

import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Counter:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.path.open("a") as out:
            out.write(f"{len(envelope.content or b'')}\n")
        return "250 Message accepted"


def main() -> None:
    port, path = int(sys.argv[1]), Path(sys.argv[2])
    controller = Controller(Counter(path), hostname="127.0.0.1", port=port)
    controller.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
