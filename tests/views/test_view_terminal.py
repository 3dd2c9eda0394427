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
    # ranking: #, candidate, score, status
    assert cells[0] == "1" and cells[1] == "good-fix"
    assert cells[2].startswith("█" * 10) and cells[2].endswith("-1.200")
    assert cells[3:] == ["valid"]
    assert "valid (no change)" in ranked[2]
    assert "PatchError" in ranked[3]
    first = [
        [c.strip() for c in row.strip("│").split("│")] for row in rows if row.startswith("│ 1 ")
    ]
    # signals: #, energy, no-action energy, action gain, latent consensus; baselines: #, lexical, bm25
    assert ["1", "1.200", "3.300", "2.100", "0.820"] in first
    assert ["1", "2", "3"] in first


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
    second = [row.split("│")[2].strip() for row in _table_rows(text)]
    assert [cell for cell in second if not re.fullmatch(r"[-\d.]+", cell)] == ["good-fix"]
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


LONG_ID = "candidate-from-gpt-4o-mini-temperature-0.8-sample-0017-with-a-long-name"


def _narrow(vm: ViewModel, width: int = 80) -> str:
    console = Console(record=True, width=width, color_system=None, force_terminal=False)
    render_terminal(vm, console)
    return console.export_text()


def test_80_columns_never_cut_a_candidate_id_or_a_header(rerank: RerankRecord) -> None:
    results = list(rerank.results)
    results[0] = results[0].model_copy(update={"candidate_id": LONG_ID})
    text = _narrow(_vm(rerank.model_copy(update={"results": results})))
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "…" not in text  # nothing is cut with an ellipsis
    cells = [line.split("│")[2].strip() for line in text.splitlines() if line.count("│") >= 4]
    assert LONG_ID in "".join(cells)  # folded over lines in its own column, every character kept
    for header in ("candidate", "status", "energy", "action gain", "lexical", "no-action"):
        assert header in text


def test_recommendation_and_trust_are_shown(rerank: RerankRecord) -> None:
    from codelewm.records import ModelTrust
    from codelewm.scoring.recommend import recommend

    ranked = sorted(rerank.results, key=lambda r: r.rank or 99)
    record = rerank.model_copy(
        update={
            "recommendation": recommend(ranked, usable=lambda r: r.final_score is not None),
            "trust": ModelTrust(
                state="not-shown", statement="not shown to beat consensus", evidence="MODEL.md"
            ),
        }
    )
    text = _narrow(_vm(record))
    assert "Recommended: good-fix" in text
    assert "leads subtle-bug by 0.80" in text
    assert "trust: not shown to beat consensus" in text


def test_score_view_marks_consensus_na(rerank: RerankRecord) -> None:
    one = rerank.model_copy(update={"results": [r for r in rerank.results if r.rank == 1]})
    vm = build_view_model(one, before=BEFORE, command="score")
    text = _narrow(vm)
    assert "codelewm score" in text or "moving_average" in text
    assert "n/a" in text
    assert "Orders (best first)" not in text


def test_escape_sequences_in_candidates_cannot_drive_the_terminal(rerank: RerankRecord) -> None:
    attack = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"
    results = list(rerank.results)
    results[0] = results[0].model_copy(
        update={"candidate_id": f"evil{attack}", "after_code": f"x = 1  # {attack}\u202e\n"}
    )
    console = Console(record=True, width=120, force_terminal=True, color_system="standard")
    render_terminal(_vm(rerank.model_copy(update={"results": results})), console)
    raw = console.export_text(styles=True, clear=False)
    assert "\x1b]0;" not in raw and "\x07" not in raw and "\x1b[2J" not in raw
    assert "\u202e" not in raw
    plain = console.export_text()
    assert "evil\\x1b]0;pwned\\x07" in plain  # shown, made visible
