"""The Textual viewer, driven by Textual's headless pilot: arrows move, enter selects, q quits."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys

import pytest
from rich.console import Console
from textual.app import App
from textual.widgets import DataTable, Static
from views_fixtures import BEFORE

from codelewm.errors import InputError
from codelewm.records import RerankRecord
from codelewm.views import build_view_model, make_tui_app


def _details(app: App[None]) -> str:
    """The details pane as plain text."""
    console = Console(file=io.StringIO(), width=160, color_system=None, record=True)
    console.print(app.query_one("#details", Static).content)
    return console.export_text()


def test_arrows_enter_and_q(rerank: RerankRecord) -> None:
    app = make_tui_app(build_view_model(rerank, before=BEFORE))
    seen: dict[str, object] = {}

    async def drive() -> None:
        async with app.run_test(size=(140, 45)) as pilot:
            seen["rows"] = app.query_one("#ranking", DataTable).row_count
            seen["first"] = _details(app)
            await pilot.press("down")
            await pilot.press("enter")
            await pilot.pause()
            seen["selected"] = app.selected.candidate_id if app.selected else None
            seen["details"] = _details(app)
            await pilot.press("down", "down", "enter")
            await pilot.pause()
            seen["last"] = _details(app)
            await pilot.press("q")
            await pilot.pause()

    asyncio.run(drive())
    assert seen["rows"] == 4
    assert "#1 good-fix" in str(seen["first"])
    assert "+    for start in range(len(values) - window + 1):" in str(seen["first"])
    assert seen["selected"] == "subtle-bug"
    details = str(seen["details"])
    assert "#2 subtle-bug" in details
    assert "+    for start in range(1, len(values) - window + 1):" in details
    assert "-    for start in range(len(values) - window):" in details
    assert "[REDACTED:openrouter_key:" in details
    last = str(seen["last"])
    assert "#4 broken-patch" in last and "PatchError: hunk 1 does not apply" in last
    assert app.return_code == 0 and not app.is_running


def test_importing_views_does_not_import_textual() -> None:
    code = "import sys, codelewm.views; print('textual' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"


def test_missing_textual_is_a_typed_error(
    rerank: RerankRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "codelewm.views._tui_app", raising=False)
    for name in ("textual", "textual.app"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(InputError) as caught:
        make_tui_app(build_view_model(rerank, before=BEFORE))
    assert caught.value.remediation == "pip install 'codelewm[tui]'"
