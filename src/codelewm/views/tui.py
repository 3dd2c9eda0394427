"""The optional Textual viewer. Textual is imported only here, when a viewer is asked for.

Install it with `pip install 'codelewm[tui]'`; without it `make_tui_app` raises `InputError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codelewm.errors import InputError
from codelewm.views.model import ViewModel, redact_view_model

if TYPE_CHECKING:
    from codelewm.views._tui_app import RerankApp


def make_tui_app(vm: ViewModel) -> RerankApp:
    """The viewer app for `vm` (not started): for `run_tui`, or for Textual's test pilot."""
    try:
        from codelewm.views._tui_app import RerankApp
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "textual":
            raise
        raise InputError(
            "the terminal UI needs the optional 'textual' package",
            remediation="pip install 'codelewm[tui]'",
        ) from exc
    return RerankApp(redact_view_model(vm))


def run_tui(vm: ViewModel) -> None:
    """Run the viewer in this terminal until the user presses `q`."""
    make_tui_app(vm).run()
