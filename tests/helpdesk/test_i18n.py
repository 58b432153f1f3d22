import re
import string
from pathlib import Path

from babel.messages.extract import extract_from_dir

from helpdesk import i18n

ROOT = Path(__file__).parents[2]
SAME_IN_FRENCH = {"Description", "Conversation", "Port"}


KEYWORDS = {"_": None, "N_": None, "_pt": ((2, "c"), 3)}  # as `make i18n` extracts them


def source_messages() -> set[tuple[str | None, str]]:
    """(context, message) of every text the code marks for translation."""
    found = set()
    for folder in ("helpdesk", "pages"):
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add((context, message))
    return found


def french(context: str | None, message: str) -> str:
    return i18n.pgettext("fr", context, message) if context else i18n.gettext("fr", message)


def test_every_user_facing_text_has_a_french_translation() -> None:
    missing = sorted((c or "", m) for c, m in source_messages() if french(c, m) == m and m not in SAME_IN_FRENCH)
    assert missing == [], "run `make i18n` and translate these in helpdesk/locales/fr: " + repr(missing)


def test_translations_keep_their_placeholders() -> None:
    for context, message in source_messages():
        assert sorted(_placeholders(french(context, message))) == sorted(_placeholders(message)), message


def _placeholders(text: str) -> list[str]:
    return [field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field]


def test_negotiation_prefers_the_user_then_the_browser() -> None:
    assert i18n.negotiate("fr", "en-US") == "fr"
    assert i18n.negotiate(None, "fr-CA,en;q=0.5") == "fr"
    assert i18n.negotiate(None, "de-DE, en;q=0.3") == "en"
    assert i18n.negotiate(None, "xx, *") == "en"
    assert i18n.negotiate(None, None) == "en"


def test_no_text_hides_from_extraction() -> None:
    """Babel cannot see inside f-strings: a `_("...")` there would never be translated."""
    call = re.compile(r"""\b(?:_|N_|_pt)\((?:\w+, "[^"]+", )?(["'])((?:(?!\1).)+)\1[,)]""")  # _pt: after its context
    written = {m.group(2) for folder in ("helpdesk", "pages") for f in (ROOT / folder).rglob("*.py")
               for m in call.finditer(f.read_text())}  # fmt: skip
    assert sorted(written - {message for _context, message in source_messages()}) == []
