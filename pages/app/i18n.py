"""`_()` for pages: translates into the language of the browser tab being drawn or handled."""

import copy
from typing import Any
from weakref import WeakKeyDictionary

from nicegui import Client, context

from helpdesk.core import i18n
from helpdesk.core.errors import HelpdeskError

_locales: WeakKeyDictionary[Client, tuple[str, str]] = WeakKeyDictionary()
# Quasar's own words (a table's "1-25 of 60", a date picker) and <html lang>.
QUASAR_LANGUAGE = {"en": "en-US", "fr": "fr"}


def set_locale(locale: str, accept_language: str | None = None) -> None:
    """This tab's language (en, fr) and the regional variant its dates are written in (en_GB...)."""
    _locales[context.client] = (locale, i18n.region(locale, accept_language))
    set_page_options(language=QUASAR_LANGUAGE[locale])


def set_page_options(**options: Any) -> None:
    """Options of `ui.page` (language, dark) for this tab alone, before its HTML is written: the
    route's page object is shared by every tab, so this tab gets its own copy."""
    client = context.client
    client.page = copy.copy(client.page)
    for name, value in options.items():
        setattr(client.page, name, value)


def locale() -> str:
    return _locales.get(context.client, ("en", "en"))[0]


def date_locale() -> str:
    return _locales.get(context.client, ("en", "en"))[1]


def _(message: str, **params: object) -> str:
    return i18n.gettext(locale(), message, **params)


def ngettext(singular: str, plural: str, count: int, **params: object) -> str:
    """A message about `count` things, in the page's language (`{count}` filled in)."""
    return i18n.ngettext(locale(), singular, plural, count, **params)


def error_text(error: HelpdeskError) -> str:
    return i18n.gettext(locale(), error.message, **error.params)


def ago(moment) -> str:
    return i18n.ago(moment, locale())


def when(moment) -> str:
    return i18n.when(moment, date_locale())
