import re
import string
from pathlib import Path

from babel.messages.extract import extract_from_dir

from helpdesk.core import i18n

ROOT = Path(__file__).parents[2]
SAME_IN_FRENCH = {"Description", "Conversation", "Message", "Port"}


KEYWORDS = {"_": None, "N_": None, "_pt": ((2, "c"), 3), "_nt": (2, 3)}  # as `make i18n` extracts them
Message = str | tuple[str, str]  # a text, or the (singular, plural) of a text about a count


def source_messages() -> set[tuple[str | None, Message]]:
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


def french_forms(context: str | None, message: Message) -> list[tuple[str, str]]:
    """(English, French) of each form: a text about a count has French's singular (0 and 1) and plural."""
    if isinstance(message, str):
        return [(message, french(context, message))]
    translations = i18n.translations("fr")
    return [(english, translations.ngettext(*message, n)) for english, n in zip(message, (1, 2), strict=True)]


def test_every_user_facing_text_has_a_french_translation() -> None:
    missing = sorted(
        english
        for context, message in source_messages()
        for english, translated in french_forms(context, message)
        if translated == english and english not in SAME_IN_FRENCH
    )
    assert missing == [], "run `make i18n` and translate these in helpdesk/core/locales/fr: " + repr(missing)


def test_translations_keep_their_placeholders() -> None:
    for context, message in source_messages():
        for english, translated in french_forms(context, message):
            assert sorted(_placeholders(translated)) == sorted(_placeholders(english)), english


def test_a_count_takes_the_form_its_language_gives_it() -> None:
    assert [i18n.ngettext("fr", "{count} open", "{count} open", n) for n in (0, 1, 2)] == [
        "0 ouvert",
        "1 ouvert",
        "2 ouverts",
    ]
    assert [i18n.ngettext("en", "{count} open", "{count} open", n) for n in (0, 1, 2)] == ["0 open", "1 open", "2 open"]


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
    call = re.compile(r"""\b(?:_|N_|_pt|_nt)\((?:\w+, (?:"[^"]+", )?)?(["'])((?:(?!\1).)+)\1[,)]""")  # after a context
    written = {m.group(2) for folder in ("helpdesk", "pages") for f in (ROOT / folder).rglob("*.py")
               for m in call.finditer(f.read_text())}  # fmt: skip
    extracted = {
        english for context, message in source_messages() for english, _french in french_forms(context, message)
    }
    assert sorted(written - extracted) == []
