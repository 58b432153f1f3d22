import io
from html.parser import HTMLParser

import pytest
from PIL import Image

from helpdesk.domain import tickets
from models import Category, Priority
from pages.app.text import render_body
from tests.conftest import People


@pytest.fixture
def ticket_id(people: People) -> int:
    return tickets.create(people.employee_a, "Printer jams", "Every page.", Priority.normal, Category.hardware).id


def png(width: int = 800, height: int = 600) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


class Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text += data


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "javascript:alert(1)",
        'http://x.example/"onmouseover="alert(1)',
        "<a href='javascript:alert(1)'>x</a>",
        "<svg/onload=alert(1)>",
        "https://ok.example/<script>",
    ],
)
def test_message_html_is_plain_text_with_safe_links(body: str) -> None:
    markup = Markup()
    markup.feed(render_body(body))
    for tag, attrs in markup.tags:
        assert tag in {"a", "br"}
        assert set(attrs) <= {"href", "target", "rel"}
        assert attrs.get("href", "https://").startswith(("http://", "https://"))
    assert markup.text == body  # every character the user typed shows, as text


def test_links_become_clickable() -> None:
    rendered = render_body("See https://intranet.example.com/vpn?a=1&b=2.\nThanks")
    assert '<a href="https://intranet.example.com/vpn?a=1&amp;b=2"' in rendered
    assert 'rel="noopener noreferrer nofollow"' in rendered and "<br>" in rendered
