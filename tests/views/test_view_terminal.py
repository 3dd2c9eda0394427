"""The rich terminal view, rendered into a recording console."""

from __future__ import annotations

import re

from rich.console import Console
from views_fixtures import BEFORE, PLANTED_KEY, make_rerank

from codelewm.records import RerankRecord
from codelewm.views import ViewModel, build_view_model, render_terminal
from codelewm.views.terminal import score_bar


def _render(vm: ViewModel, **kwargs: int | None) -> str:
    console = Console(record=True, width=150, color_system=None, force_terminal=False)
    render_terminal(vm, console, **kwargs)  # type: ignore[arg-type]
    return console.export_text()


def _vm(rerank: RerankRecord) -> ViewModel:
    return build_view_model(rerank, before=BEFORE, title="moving_average: off-by-one")


def _table_rows(text: str) -> list[str]:
    """The ranking table's body rows (they start with the position cell)."""
    return [line for line in text.splitlines() if re.match(r"│\s+\d+ │", line)]


def test_ranking_table_in_model_order_with_baseline_ranks(rerank: RerankRecord) -> None:
    text = _render(_vm(rerank))
    rows = _table_rows(text)
    ids = ["good-fix", "subtle-bug", "noop", "broken-patch"]
    ranked = [next(row for row in rows if f" {cid} " in row) for cid in ids]
    assert [rows.index(row) for row in ranked] == sorted(rows.index(row) for row in ranked)
    cells = [cell.strip() for cell in ranked[0].strip("│").split("│")]
    # #, candidate, score, energy, action gain, lexical #, bm25 #, status
    assert cells[0] == "1" and cells[1] == "good-fix"
    assert cells[2].startswith("█" * 12) and cells[2].endswith("-1.200")
    assert cells[3:] == ["1.200", "2.100", "2", "3", "valid"]
    assert "valid (no change)" in ranked[2]
    assert "PatchError" in ranked[3]


def test_orders_diffs_warnings_and_errors(rerank: RerankRecord) -> None:
    text = _render(_vm(rerank))
    assert "moving_average: off-by-one" in text
    assert "model   │ good-fix  >  subtle-bug  >  noop  >  broken-patch" in text
    assert "lexical │ noop  >  good-fix  >  subtle-bug" in text
    assert "+    for start in range(len(values) - window + 1):" in text
    assert "+    for start in range(1, len(values) - window + 1):" in text
    assert text.index("#1 good-fix") < text.index("#2 subtle-bug")
    assert "warning: calibrator missing: final_score = -energy" in text
    assert "warning [noop]: candidate is identical to the before" in text
    assert "error [broken-patch] PatchError: hunk 1 does not apply" in text
    assert "No code was executed" in text
    assert PLANTED_KEY not in text and "[REDACTED:openrouter_key:" in text


def test_top_limits_rows_and_diffs(rerank: RerankRecord) -> None:
    text = _render(_vm(rerank), top=1)
    assert "good-fix" in text
    assert [row.split("│")[2].strip() for row in _table_rows(text)] == ["good-fix"]
    assert "#2 subtle-bug" not in text
    assert "#1 good-fix" not in _render(_vm(rerank), diffs=0)


def test_execution_is_stated_with_isolation() -> None:
    text = _render(build_view_model(make_rerank(executed=True), before=BEFORE))
    assert "Code was EXECUTED" in text
    assert "isolation: subprocess, rlimits" in text
    good_row = next(row for row in _table_rows(text) if " good-fix " in row)
    assert "passed" in good_row


def test_markup_in_candidate_text_is_printed_literally(rerank: RerankRecord) -> None:
    results = list(rerank.results)
    results[1] = results[1].model_copy(update={"candidate_id": "[bold red]evil[/]"})
    text = _render(_vm(rerank.model_copy(update={"results": results})))
    assert "[bold red]evil[/]" in text


def test_score_bar_uses_eighths() -> None:
    assert score_bar(1.0, width=4).plain == "████"
    assert score_bar(0.0, width=4).plain == "    "
    assert score_bar(0.5 + 1 / 32, width=4).plain == "██▏ "
