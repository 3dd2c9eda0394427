"""The HTML view: one self-contained page (inline CSS, no script, no external resource).

The template (`templates/report.html.j2`, package data) is rendered with autoescaping on, from a view
model that is redacted again here; the finished page is passed through `redact` once more. A
Content-Security-Policy meta tag (`default-src 'none'`) makes a browser refuse anything the page
might try to load, so a stray external reference shows up as a console error in tests.

Stable hooks for tests and scripts: `#ranking` (rows `.rank-row[data-candidate-id]`), `#orders`
(`.order[data-ranker]`), `#candidates` (`.candidate[data-candidate-id]`, each with `.diff-unified`
and `.diff-sbs`), `#warnings`, `#facts`, `#execution`, `#before`.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import jinja2

from codelewm import __version__
from codelewm.artifacts.atomic import atomic_write_text
from codelewm.artifacts.redact import redact
from codelewm.errors import InputError
from codelewm.views.model import ViewModel, redact_view_model

TEMPLATE = "report.html.j2"


def render_html(vm: ViewModel) -> str:
    """The whole page as one string."""
    template = _environment().get_template(TEMPLATE)
    page = template.render(vm=redact_view_model(vm), version=__version__)
    return redact(page)


def write_html(vm: ViewModel, path: Path) -> Path:
    """Render `vm` and write it to `path` atomically; returns `path`.

    A directory (or a path under a missing or non-directory parent) is an `InputError`."""
    check_html_path(path)
    atomic_write_text(path, render_html(vm))
    return path


def check_html_path(path: Path) -> None:
    """Refuse an HTML destination that cannot be a file, before any work is done."""
    if path.is_dir():
        raise InputError(
            f"--html {str(path)!r} is a directory",
            remediation="Give a file name, e.g. out/rerank.html.",
        )
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise InputError(f"--html {str(path)!r}: {str(parent)!r} is not a directory")


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("codelewm.views", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    return env


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3f}"


def _pct(fraction: float) -> str:
    return f"{min(max(fraction, 0.0), 1.0) * 100:.1f}%"
