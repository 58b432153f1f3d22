"""No client text reaches the log unescaped: every record's message is written on one line, its
control characters escaped (a forged multi-line message cannot fake log entries)."""

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def escape(text: str) -> str:
    return _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode(), text)


class EscapeControl(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: say so rather than fail
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = escape(message), ()
        return True


def install() -> None:
    """On every handler configured now (the root's, uvicorn's, Python's last resort)."""
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    handlers = [h for logger in loggers for h in logger.handlers]
    if logging.lastResort is not None:  # what writes a record no handler took (NiceGUI's, by default)
        handlers.append(logging.lastResort)
    for handler in handlers:
        if not any(isinstance(f, EscapeControl) for f in handler.filters):
            handler.addFilter(EscapeControl())
