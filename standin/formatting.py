"""Formatted text as Telegram parses it: ``parse_mode`` HTML, MarkdownV2 or Markdown.

Telegram strips the markup, returns plain ``text`` with ``entities`` (offsets in UTF-16 code
units), and rejects malformed markup with ``Bad Request: can't parse entities: ...``. The
stand-in does the same so that a reply with an unescaped ``<`` or ``.`` fails here as it would in
production, and so that tests read the text a user actually sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from standin.errors import ApiError, bad_request

MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def utf16_length(text: str) -> int:
    """Length as Telegram counts entity offsets: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse_error(reason: str) -> ApiError:
    """The 400 Telegram answers for markup it cannot parse."""
    return bad_request(f"can't parse entities: {reason}")


def parse_entities(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities for ``text`` under ``parse_mode``; raises :class:`ApiError`."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _MarkdownParser(text, v2=True).parse()
    if mode == "markdown":
        return _MarkdownParser(text, v2=False).parse()
    raise bad_request(f"unsupported parse_mode {parse_mode}")


def command_entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` entity Telegram adds to a message starting with ``/``.

    python-telegram-bot's CommandHandler only fires when this entity is present.
    """
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_length(command)}]


@dataclass
class _Open:
    tag: str
    offset: int
    attrs: dict[str, str | None] = field(default_factory=dict)


class _HtmlEntities(HTMLParser):
    """Collects plain text and entities; raises on tags Telegram does not support."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.parts: list[str] = []
        self.length = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        lines = self.source.split("\n")
        index = sum(len(x) + 1 for x in lines[: line - 1]) + column
        return len(self.source[:index].encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise parse_error(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')
        self.stack.append(_Open(tag, self.length, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise parse_error(f"Unexpected end tag at byte offset {self._byte_offset()}")
        opened = self.stack.pop()
        if opened.tag != tag:
            raise parse_error(
                f"Unmatched end tag at byte offset {self._byte_offset()}, "
                f'expected "</{opened.tag}>", found "</{tag}>"'
            )
        if self.length > opened.offset:
            self.entities.append(_html_entity(opened, self.length))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_length(data)


def _html_entity(opened: _Open, end: int) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "type": HTML_TAGS[opened.tag],
        "offset": opened.offset,
        "length": end - opened.offset,
    }
    if opened.tag == "a":
        entity["url"] = opened.attrs.get("href") or ""
    if opened.tag == "tg-emoji":
        entity["custom_emoji_id"] = opened.attrs.get("emoji-id") or ""
    return entity


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    parser = _HtmlEntities(text)
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise parse_error(
            f'Can\'t find end tag corresponding to start tag "{parser.stack[-1].tag}"'
        )
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


_MARKERS_V2 = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_MARKERS_V1 = {"*": "bold", "_": "italic"}
_ENTITY_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


class _MarkdownParser:
    """Telegram's MarkdownV2 (``v2=True``) or legacy Markdown, reduced to what bots use."""

    def __init__(self, text: str, *, v2: bool) -> None:
        self.text = text
        self.v2 = v2
        self.markers = _MARKERS_V2 if v2 else _MARKERS_V1
        self.out: list[str] = []
        self.length = 0
        self.stack: list[tuple[str, int, int]] = []  # marker, utf16 offset, source index
        self.entities: list[dict[str, Any]] = []
        self.i = 0

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        while self.i < len(self.text):
            self._step()
        if self.stack:
            marker, _, index = self.stack[-1]
            name = "TextUrl" if marker == "[" else _ENTITY_NAMES[self.markers[marker]]
            raise parse_error(f"Can't find end of {name} entity at byte offset {self._byte(index)}")
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), entities

    def _byte(self, index: int) -> int:
        return len(self.text[:index].encode())

    def _emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.length += utf16_length(chunk)

    def _step(self) -> None:
        char = self.text[self.i]
        if char == "\\" and self.i + 1 < len(self.text):
            self._emit(self.text[self.i + 1])
            self.i += 2
        elif char == "`":
            self._code()
        elif char == "[":
            self.stack.append(("[", self.length, self.i))
            self.i += 1
        elif char == "]" and self.stack and self.stack[-1][0] == "[":
            self._link()
        elif (marker := self._marker_at()) is not None:
            self._toggle(marker)
        elif self.v2 and char in MARKDOWN_V2_RESERVED:
            raise parse_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            self._emit(char)
            self.i += 1

    def _marker_at(self) -> str | None:
        for marker in sorted(self.markers, key=len, reverse=True):
            if self.text.startswith(marker, self.i):
                return marker
        return None

    def _toggle(self, marker: str) -> None:
        open_at = [k for k, (m, _, _) in enumerate(self.stack) if m == marker]
        opened = open_at[-1] if open_at else None
        if opened is None:
            self.stack.append((marker, self.length, self.i))
        else:
            _, offset, _ = self.stack.pop(opened)
            if self.length > offset:
                self.entities.append(
                    {"type": self.markers[marker], "offset": offset, "length": self.length - offset}
                )
        self.i += len(marker)

    def _closing(self, start: int, token: str) -> int:
        """Index of the next unescaped ``token`` at or after ``start``, or -1."""
        k = start
        while k < len(self.text):
            if self.text[k] == "\\" and self.v2:
                k += 2
                continue
            if self.text.startswith(token, k):
                return k
            k += 1
        return -1

    def _code(self) -> None:
        fence = "```" if self.text.startswith("```", self.i) else "`"
        end = self._closing(self.i + len(fence), fence)
        if end < 0:
            name = "Pre" if fence == "```" else "Code"
            where = self._byte(self.i)
            raise parse_error(f"Can't find end of {name} entity at byte offset {where}")
        body = self.text[self.i + len(fence) : end]
        entity: dict[str, Any] = {"type": "pre" if fence == "```" else "code"}
        if fence == "```" and "\n" in body:
            language, rest = body.split("\n", 1)
            if language and not language.isspace():
                entity["language"] = language
                body = rest
        if self.v2:
            body = body.replace("\\`", "`").replace("\\\\", "\\")
        entity.update(offset=self.length, length=utf16_length(body))
        self._emit(body)
        if body:
            self.entities.append(entity)
        self.i = end + len(fence)

    def _link(self) -> None:
        _, offset, _ = self.stack.pop()
        if not self.text.startswith("(", self.i + 1):
            if self.v2:
                raise parse_error(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            self.i += 1
            return
        end = self._closing(self.i + 2, ")")
        if end < 0:
            raise parse_error(f"Can't find end of a URL at byte offset {self._byte(self.i + 1)}")
        url = self.text[self.i + 2 : end].replace("\\)", ")").replace("\\\\", "\\")
        if self.length > offset:
            self.entities.append(
                {"type": "text_link", "offset": offset, "length": self.length - offset, "url": url}
            )
        self.i = end + 1
