"""Views: one JSON view model (`codelewm.view_model.v1`) and three renderers — terminal, HTML, TUI.

The TUI needs the optional `tui` extra; `codelewm.views.tui` imports Textual only when it runs.
"""

from __future__ import annotations

from codelewm.views.html import render_html, write_html
from codelewm.views.model import (
    CandidateView,
    RankerOrder,
    ViewModel,
    build_view_model,
    redact_view_model,
)
from codelewm.views.terminal import render_terminal
from codelewm.views.tui import make_tui_app, run_tui

__all__ = [
    "CandidateView",
    "RankerOrder",
    "ViewModel",
    "build_view_model",
    "make_tui_app",
    "redact_view_model",
    "render_html",
    "render_terminal",
    "run_tui",
    "write_html",
]
