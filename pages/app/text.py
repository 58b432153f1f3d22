"""User text as safe HTML: escaped, line breaks kept, http(s) links clickable, sanitized again.

Pure functions (no NiceGUI): the chat's messages and a ticket's description are written with them.
"""

import html
import re
from functools import lru_cache

import nh3

_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


@lru_cache(maxsize=2048)  # one message, many viewers: render it once
def render_body(body: str) -> str:
    """Plain text to safe HTML: escaped, line breaks kept, http(s) links clickable, then sanitized."""
    parts, position = [], 0
    for match in _URL.finditer(body):
        url = html.escape(match.group(0))
        parts += [html.escape(body[position : match.start()]), f'<a href="{url}" target="_blank">{url}</a>']
        position = match.end()
    parts.append(html.escape(body[position:]))
    return nh3.clean(
        "".join(parts).replace("\n", "<br>"),
        tags={"a", "br"},
        attributes={"a": {"href", "target"}},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
    )
