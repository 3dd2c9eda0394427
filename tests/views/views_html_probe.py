"""A tiny HTML reader for tests: elements with their attributes, and the text under a selector."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"meta", "link", "br", "img", "input", "col", "hr", "source", "base", "wbr"}
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.\-]*:|//)", re.IGNORECASE)
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "poster", "data", "srcset", "background"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)
    parents: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def inner_text(self) -> str:
        return "".join(self.text)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, parents=list(self.stack))
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text.append(data)


def parse(page: str) -> list[Element]:
    collector = _Collector()
    collector.feed(page)
    collector.close()
    return collector.elements


def by_id(elements: list[Element], element_id: str) -> Element:
    return next(e for e in elements if e.attrs.get("id") == element_id)


def with_class(elements: list[Element], name: str) -> list[Element]:
    return [e for e in elements if name in e.classes]


def inside(element: Element, ancestor: Element) -> bool:
    return any(parent is ancestor for parent in element.parents)


def external_references(elements: list[Element]) -> list[str]:
    """Every URL-bearing attribute that points outside the page (scheme or `//`)."""
    found: list[str] = []
    for element in elements:
        for name, value in element.attrs.items():
            if name in URL_ATTRIBUTES and value and EXTERNAL.match(value):
                found.append(f"<{element.tag} {name}={value!r}>")
    return found
