"""The optional Textual viewer. Textual is imported only here, when a viewer is asked for.

Install it with `pip install 'codelewm[tui]'`; without it `make_tui_app` raises `MissingExtraError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codelewm.extras import require_extra
from codelewm.views.model import ViewModel, redact_view_model

if TYPE_CHECKING:
    from codelewm.views._tui_app import RerankApp


def make_tui_app(vm: ViewModel) -> RerankApp:
    """The viewer app for `vm` (not started): for `run_tui`, or for Textual's test pilot."""
    require_extra("textual", "tui", feature="the terminal UI (--tui)")
    from codelewm.views._tui_app import RerankApp

    return RerankApp(redact_view_model(vm))


def run_tui(vm: ViewModel) -> None:
    """Run the viewer in this terminal until the user presses `q`."""
    make_tui_app(vm).run()
