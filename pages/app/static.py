"""Our CSS and JavaScript, as real files in pages/static, served once at /static.

`static_url` adds a digest of the file's content, so a browser's cache never keeps an old copy
after an upgrade. Pages hand their scripts data with `json_script` (read with JSON.parse), never
by writing it into JavaScript.
"""

import hashlib
import json
from functools import cache
from html import escape
from pathlib import Path

from nicegui import app

STATIC = Path(__file__).parents[1] / "static"
PREFIX = "/static"


@cache
def static_url(name: str) -> str:
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"{PREFIX}/{name}?v={digest}"


def json_script(element_id: str, data: object) -> str:
    # `</` cannot end the element early: JSON escapes every `<`.
    payload = json.dumps(data).replace("<", "\\u003c")
    return f'<script type="application/json" id="{escape(element_id)}">{payload}</script>'


def register() -> None:
    app.add_static_files(PREFIX, STATIC)
