"""The view model: order, bars, baseline ranks, diffs, validity, execution, redaction."""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from views_fixtures import BEFORE, GOOD, PLANTED_KEY, make_rerank

from codelewm.errors import InputError
from codelewm.records import RerankRecord
from codelewm.views import (
    ViewModel,
    build_view_model,
    redact_view_model,
    render_html,
    render_terminal,
)
from codelewm.views.diffs import side_by_side, unified_diff


def _ids(vm: ViewModel) -> list[str]:
    return [row.candidate_id for row in vm.candidates]


def test_rows_follow_the_records_rank_with_invalid_last(rerank: RerankRecord) -> None:
    vm = build_view_model(rerank, before=BEFORE, title="moving_average")
    assert vm.schema_version == "codelewm.view_model.v1"
    assert _ids(vm) == ["good-fix", "subtle-bug", "noop", "broken-patch"]
    assert [row.position for row in vm.candidates] == [1, 2, 3, 4]
    assert [row.valid for row in vm.candidates] == [True, True, True, False]
    assert vm.orders[0].name == "model"
    assert vm.orders[0].candidate_ids == _ids(vm)


def test_bars_normalise_final_score_over_the_call(rerank: RerankRecord) -> None:
    vm = build_view_model(rerank, before=BEFORE)
    bars = [row.bar for row in vm.candidates]
    # final scores -1.2, -2.0, -4.1 and None -> (s - min) / (max - min)
    assert bars == pytest.approx([1.0, 2.1 / 2.9, 0.0, 0.0])


def test_baseline_orders_and_ranks_higher_is_better(rerank: RerankRecord) -> None:
    vm = build_view_model(rerank, before=BEFORE)
    assert vm.baseline_convention == "higher_is_better"
    assert vm.baselines == ["lexical", "bm25"]
    orders = {order.name: order.candidate_ids for order in vm.orders}
    assert orders["lexical"] == ["noop", "good-fix", "subtle-bug"]
    assert orders["bm25"] == ["noop", "subtle-bug", "good-fix"]
    by_id = {row.candidate_id: row for row in vm.candidates}
    assert by_id["good-fix"].baseline_ranks == {"lexical": 2, "bm25": 3}
    assert by_id["broken-patch"].baseline_ranks == {}


def test_baseline_energies_can_be_declared_lower_is_better(rerank: RerankRecord) -> None:
    vm = build_view_model(rerank, before=BEFORE, baseline_higher_is_better=False)
    orders = {order.name: order.candidate_ids for order in vm.orders}
    assert vm.baseline_convention == "lower_is_better"
    assert orders["lexical"] == ["subtle-bug", "good-fix", "noop"]


def test_explicit_baseline_orders_override_and_unknown_ids_are_refused(
    rerank: RerankRecord,
) -> None:
    vm = build_view_model(
        rerank, before=BEFORE, baseline_orders={"random": ["subtle-bug", "noop", "good-fix"]}
    )
    assert vm.baselines == ["lexical", "bm25", "random"]
    assert vm.candidates[0].baseline_ranks["random"] == 3
    with pytest.raises(InputError, match="unknown candidates: ghost"):
        build_view_model(rerank, before=BEFORE, baseline_orders={"random": ["ghost"]})


def test_diffs_validity_and_no_op(rerank: RerankRecord) -> None:
    good, subtle, noop, broken = build_view_model(rerank, before=BEFORE).candidates
    assert good.unified_diff.splitlines()[:3] == ["--- before", "+++ good-fix", "@@ -3,7 +3,7 @@"]
    assert "+    for start in range(len(values) - window + 1):" in good.unified_diff
    assert "-    for start in range(len(values) - window):" in good.unified_diff
    assert (good.lines_added, good.lines_removed) == (1, 1)
    assert [line.kind for line in good.diff_lines].count("add") == 1
    assert good.changed and good.status == "valid"
    assert (subtle.lines_added, subtle.lines_removed) == (2, 2)
    assert not noop.changed and noop.unified_diff == "" and noop.side_by_side == []
    assert noop.warnings == ["candidate is identical to the before"]
    assert broken.status == "PatchError" and broken.after_code is None
    assert broken.error is not None and "does not apply" in broken.error.message
    assert broken.unified_diff == "" and broken.final_score is None


def test_side_by_side_pairs_changed_lines() -> None:
    rows = side_by_side(BEFORE, GOOD)
    changed = [row for row in rows if row.kind == "replace"]
    assert len(changed) == 1
    assert changed[0].left_no == changed[0].right_no == 6
    assert changed[0].left == "    for start in range(len(values) - window):"
    assert changed[0].right == "    for start in range(len(values) - window + 1):"
    assert rows[0].kind == "gap"  # lines 1-2 are skipped before the context starts


def test_side_by_side_insertions_deletions_and_gaps() -> None:
    before = "\n".join(f"line {i}" for i in range(1, 21)) + "\n"
    after = before.replace("line 3\n", "").replace("line 15\n", "line 15\nnew A\nnew B\n")
    rows = side_by_side(before, after)
    kinds = [row.kind for row in rows]
    assert kinds.count("delete") == 1 and kinds.count("insert") == 2
    deleted = next(row for row in rows if row.kind == "delete")
    assert (deleted.left_no, deleted.left, deleted.right) == (3, "line 3", None)
    inserted = [row.right for row in rows if row.kind == "insert"]
    assert inserted == ["new A", "new B"]
    assert kinds.count("gap") == 2  # between the two changes, and after the last context
    assert unified_diff(before, before, name="same") == ""


def test_facts_title_and_warnings(rerank: RerankRecord) -> None:
    vm = build_view_model(
        rerank, before=BEFORE, title="moving_average", extra_facts={"model": "wm-4L-d256"}
    )
    assert vm.title == "moving_average"
    assert vm.facts["checkpoint"] == "codelewm-default-0.1"
    assert vm.facts["checkpoint sha256"] == "ab" * 32
    assert vm.facts["model"] == "wm-4L-d256"
    assert vm.facts["executed"] == "no"
    assert vm.warnings == ["calibrator missing: final_score = -energy"]
    assert not vm.executed and vm.isolation == []


def test_executed_rerank_carries_isolation_and_statuses() -> None:
    vm = build_view_model(make_rerank(executed=True), before=BEFORE)
    assert vm.executed and vm.isolation == ["subprocess", "rlimits"]
    statuses = [row.execution.status if row.execution else None for row in vm.candidates]
    assert statuses == ["passed", "failed", "failed", None]


def test_every_string_is_redacted(rerank: RerankRecord) -> None:
    vm = build_view_model(rerank, before=f"# key {PLANTED_KEY}\n{BEFORE}")
    dumped = vm.model_dump_json()
    assert PLANTED_KEY not in dumped
    assert "[REDACTED:openrouter_key:" in vm.before
    subtle = vm.candidates[1]
    assert subtle.after_code is not None and "[REDACTED:openrouter_key:" in subtle.after_code
    assert any("[REDACTED:" in line.text for line in subtle.diff_lines if line.kind == "add")


def test_redact_view_model_cleans_a_hand_made_view(rerank: RerankRecord) -> None:
    vm = build_view_model(rerank, before=BEFORE)
    tampered = vm.model_copy(update={"warnings": [f"token leaked: {PLANTED_KEY}"]})
    assert PLANTED_KEY not in redact_view_model(tampered).model_dump_json()


def test_json_round_trip(rerank: RerankRecord) -> None:
    vm = build_view_model(rerank, before=BEFORE)
    data = json.loads(vm.model_dump_json())
    assert data["schema_version"] == "codelewm.view_model.v1"
    assert ViewModel.model_validate(data) == vm


def test_an_empty_or_all_invalid_rerank_still_renders(rerank: RerankRecord) -> None:
    empty = build_view_model(rerank.model_copy(update={"results": []}), before=BEFORE)
    assert empty.candidates == [] and empty.orders[0].candidate_ids == []
    invalid_only = build_view_model(
        rerank.model_copy(update={"results": [rerank.results[2]]}), before=BEFORE
    )
    assert [row.bar for row in invalid_only.candidates] == [0.0]
    for vm in (empty, invalid_only):
        console = Console(record=True, width=120, color_system=None)
        render_terminal(vm, console)
        assert "Ranking" in console.export_text()
        assert 'id="ranking"' in render_html(vm)
