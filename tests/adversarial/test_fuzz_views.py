"""Fuzzing the terminal and HTML views with hostile text in every field an attacker controls: the
candidate's id, code, origin, warnings and error message, the before, the instruction and the title.

Terminal: the only escape sequences in the output are the colours rich itself writes (SGR); no other
control character, no OSC/CSI sequence and no bidi override gets through. HTML: the page has the same
elements as the page of a harmless record (no injected tag, no `on*` attribute), and no hostile
`<` appears unescaped. (tests/views holds the hand-written cases: escape sequences, markup, a planted
key, `</pre><script>`.)
"""

from __future__ import annotations

import re
from collections import Counter

import hypothesis.strategies as st
import pytest
from _adversarial import fuzz, within
from helper_modules import TESTS, load_by_path
from hypothesis import given
from rich.console import Console

from codelewm.records import ErrorRecord, RerankRecord
from codelewm.views import build_view_model, render_html, render_terminal

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(300)]

fixtures = load_by_path("views_fixtures", TESTS / "views" / "views_fixtures.py")
probe = load_by_path("views_html_probe", TESTS / "views" / "views_html_probe.py")

ATOMS = [
    "\x1b]0;pwned\x07",  # OSC: set the window title
    "\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b[2J",  # CSI: clear the screen
    "\x1b[31m",
    "\x1bP1$r\x1b\\",  # DCS
    "\x9b2J",  # C1 CSI
    "\x07",
    "\x08\x08\x08",
    "\r",
    "\x00",
    "\x7f",
    "\u202e",  # right-to-left override (Trojan Source)
    "\u2066",
    "\u200b",
    "[bold red]",
    "[/]",
    "[link=http://evil]x[/link]",
    "</pre><script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "<!--",
    "]]>",
    "{{ 7*7 }}",
    "{% raw %}",
    "&amp;",
    "\n",
    "\t",
    "é",
]
HOSTILE = st.lists(st.one_of(st.sampled_from(ATOMS), st.text(max_size=8)), max_size=8).map("".join)
SGR = re.compile(r"\x1b\[[0-9;]*m")
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _hostile_record(texts: list[str]) -> tuple[RerankRecord, str]:
    """The four-candidate rerank of tests/views with attacker text in each field; and a before."""
    cid, code, origin, warning, message, instruction, before = texts
    rerank = fixtures.make_rerank()
    results = list(rerank.results)
    results[0] = results[0].model_copy(
        update={
            "candidate_id": f"c{cid}",
            "after_code": fixtures.BEFORE + code,
            "origin": origin,
            "warnings": [warning],
        }
    )
    error = ErrorRecord(error_type="PatchError", message=message, remediation=message)
    results[2] = results[2].model_copy(update={"error": error, "candidate_id": f"e{cid}"})
    update = {"results": results, "instruction": instruction, "warnings": [warning]}
    return rerank.model_copy(update=update), fixtures.BEFORE + before


@fuzz(100, deadline_ms=10_000)
@given(texts=st.lists(HOSTILE, min_size=7, max_size=7))
def test_hostile_text_cannot_drive_the_terminal(texts: list[str]) -> None:
    rerank, before = _hostile_record(texts)
    vm = build_view_model(rerank, before=before, title=texts[5])
    console = Console(record=True, width=100, force_terminal=True, color_system="standard")
    within(5.0, lambda: render_terminal(vm, console), what="render_terminal")
    raw = console.export_text(styles=True, clear=False)
    rest = SGR.sub("", raw)
    assert "\x1b" not in rest, (
        f"an escape sequence got through: {rest[rest.index(chr(27)) :][:20]!r}"
    )
    found = UNSAFE.search(rest)
    assert found is None, f"control character {found.group()!r} got through"


TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*")


def _page(texts: list[str]) -> str:
    rerank, before = _hostile_record(texts)
    return render_html(build_view_model(rerank, before=before, title=texts[5]))


@fuzz(100, deadline_ms=10_000)
@given(texts=st.lists(HOSTILE, min_size=7, max_size=7))
def test_hostile_text_cannot_add_markup_to_the_page(texts: list[str]) -> None:
    """The page and its twin, rendered from the same texts with `<` and `>` as `(` and `)`, hold the
    same tags: escaping kept every angle bracket of the attacker's out of the markup."""
    page = within(5.0, lambda: _page(texts), what="render_html")
    twin = _page([t.replace("<", "(").replace(">", ")") for t in texts])
    assert Counter(TAG.findall(page)) == Counter(TAG.findall(twin)), "the text changed the markup"
    elements = probe.parse(page)
    assert not [a for e in elements for a in e.attrs if a.startswith("on")], "an event handler"
