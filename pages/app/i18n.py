"""`_()` for pages: translates into the language of the browser tab being drawn or handled."""

from weakref import WeakKeyDictionary

from nicegui import Client, context

from helpdesk.core import i18n
from helpdesk.core.errors import HelpdeskError

_locales: WeakKeyDictionary[Client, str] = WeakKeyDictionary()


def set_locale(locale: str) -> None:
    _locales[context.client] = locale


def locale() -> str:
    return _locales.get(context.client, "en")


def _(message: str, **params: object) -> str:
    return i18n.gettext(locale(), message, **params)


def error_text(error: HelpdeskError) -> str:
    return i18n.gettext(locale(), error.message, **error.params)


def ago(moment) -> str:
    return i18n.ago(moment, locale())


def when(moment) -> str:
    return i18n.when(moment, locale())
