"""Translations (Babel + gettext catalogues in helpdesk/core/locales) and locale-aware formatting.

The `.po` files are compiled in memory at start, so there is no build step and no `.mo` in git.
"""

import io
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from helpdesk.core.config import get_settings
from models.clock import utcnow

LOCALES_DIR = Path(__file__).parent / "locales"
SUPPORTED = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


@lru_cache
def translations(locale: str) -> NullTranslations:
    po = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def _filled(text: str, params: dict[str, object]) -> str:
    return text.format(**params) if params else text


def gettext(locale: str, message: str, **params: object) -> str:
    return _filled(translations(locale).gettext(message), params)


def pgettext(locale: str, context: str, message: str, **params: object) -> str:
    """A message whose translation depends on where it is shown (French: "Ouverts" on a counter,
    "Ouvert" on a ticket); `_pt` calls are extracted with their context."""
    return _filled(translations(locale).pgettext(context, message), params)


def ngettext(locale: str, singular: str, plural: str, count: int, **params: object) -> str:
    """A message about `count` things, with `{count}` filled in: the language picks the form
    (French "0 ouvert", "1 ouvert", "2 ouverts"; English "0 open"). `_nt` calls are extracted."""
    return _filled(translations(locale).ngettext(singular, plural, count), {"count": count, **params})


def negotiate(preferred: str | None, accept_language: str | None) -> str:
    """The user's own choice, else the browser's best supported language, else the default."""
    if preferred in SUPPORTED:
        return preferred
    if accept_language:
        wanted = [part.split(";")[0].strip().replace("-", "_") for part in accept_language.split(",")]
        try:
            match = Locale.negotiate([w for w in wanted if w and w != "*"], list(SUPPORTED), sep="_")
        except (UnknownLocaleError, ValueError):
            match = None
        if match is not None:
            return match.language
        for tag in wanted:
            if tag[:2].lower() in SUPPORTED:
                return tag[:2].lower()
    default = get_settings().default_language
    return default if default in SUPPORTED else "en"


def ago(moment: datetime | None, locale: str) -> str:
    if moment is None:
        return "—"
    return format_timedelta(moment - utcnow(), add_direction=True, locale=locale, threshold=1.0)


def region(language: str, accept_language: str | None) -> str:
    """The locale that dates are written in: the browser's own variant of the chosen language
    (en-GB writes 1 Dec 2026, 15:04; en-US Dec 1, 2026, 3:04 PM), else the language's default."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag.split("_")[0].lower() == language and "_" in tag:
            try:
                return str(Locale.parse(tag))
            except (UnknownLocaleError, ValueError):
                continue
    return language


def when(moment: datetime | None, locale: str) -> str:
    """A moment as people read it: the time only for today, the day and time this year, the
    full date before, in the user's locale and the helpdesk's time zone."""
    if moment is None:
        return "—"
    zone = ZoneInfo(get_settings().timezone)
    local, today = moment.astimezone(zone), utcnow().astimezone(zone).date()
    time = format_time(local, "short", locale=locale)
    if local.date() == today:
        return time
    if local.year == today.year:
        return f"{format_skeleton('MMMd', local, locale=locale)}, {time}"
    return f"{format_date(local, 'medium', locale=locale)}, {time}"
