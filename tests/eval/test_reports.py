"""P1/P2/P3/scorer-quality/P5 on a tiny hand-built dataset: exact values where the answer is known."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from p1_pools import AFTERS, same_before_pool
from typer.testing import CliRunner

from codelewm.cli.app import app
from codelewm.eval.action_use import action_use_items, action_use_variants, item_sources
from codelewm.eval.latent import LatentGate, latent_report
from codelewm.eval.leakage import check_leakage
from codelewm.eval.ranking import RankItem, Variant, evaluate_variants
from codelewm.eval.ranking_report import RankingReport, ranking_markdown, ranking_report
from codelewm.eval.retrieval import retrieval_items
from codelewm.eval.scorer_quality import fixture_pools, scorer_quality_items
from codelewm.eval.surprise import partial_edit, surprise_pairs
from codelewm.records import SameBeforePool, TransitionRecord
from codelewm.scoring.baselines import ConstantScorer
from codelewm.scoring.protocol import PoolScores, Query


def _pool(n: int) -> SameBeforePool:
    return same_before_pool(n)


class _Oracle:
    """Knows which after each instruction means: a scorer that uses the action perfectly."""

    name = "oracle-scorer"

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        return [
            PoolScores(
                energies=tuple(
                    0.0 if q.instruction and c == AFTERS.get(q.instruction) else 1.0
                    for c in q.candidates
                )
            )
            for q in queries
        ]


def test_action_use_exact_values() -> None:
    items = action_use_items([_pool(0), _pool(1)])
    assert len(items) == 6 and {i.target for i in items} == {0, 1, 2}
    results = evaluate_variants(items, action_use_variants(_Oracle()))
    by_name = {r.name: r for r in results}
    assert by_name["oracle-scorer"].recall_at["1"].mean == 1.0
    # the null action ties everything: exactly 1/K, MRR (1 + 1/2 + 1/3) / 3
    assert by_name["oracle-scorer (null action)"].recall_at["1"].mean == pytest.approx(1 / 3)
    assert by_name["oracle-scorer (null action)"].mrr.mean == pytest.approx(11 / 18)
    assert by_name["random-expected"].recall_at["1"].mean == pytest.approx(1 / 3)
    # shuffled: the instruction of the other pool's query, which names ANOTHER after (or the same by chance)
    assert by_name["shuffled-action(oracle-scorer)"].recall_at["1"].mean < 1.0


def _oracle_report(items: list[RankItem], **kwargs: Any) -> RankingReport:
    return ranking_report(
        items,
        action_use_variants(_Oracle()),
        name="action_use",
        protocol="P1",
        data="t",
        n_groups=2,
        leakage=check_leakage(None, set()),
        **kwargs,
    )


def test_ranking_report_claim_needs_n_100() -> None:
    report = _oracle_report(action_use_items([_pool(0), _pool(1)]))
    assert report.schema_version == "codelewm.eval.action_use.v1"
    assert report.lift_r1 is not None
    assert report.claim.failed_conditions[0] == "n = 6 < 100"


def test_ranking_report_by_source() -> None:
    pools = [_pool(0), same_before_pool(1, "ruff")]
    items = action_use_items(pools)
    groups = item_sources(pools, items)
    assert groups == ["mutations"] * 3 + ["ruff"] * 3
    report = _oracle_report(items, groups=groups, group_by="source")
    assert report.group_by == "source"
    oracle = report.by_group["oracle-scorer"]
    assert set(oracle) == {"mutations", "ruff"}
    assert oracle["ruff"].n == 3 and oracle["ruff"].mean == 1.0
    null = report.by_group["oracle-scorer (null action)"]
    assert null["mutations"].mean == pytest.approx(1 / 3)
    assert "R@1 by source" in ranking_markdown(report)
    with pytest.raises(ValueError, match="group labels"):
        _oracle_report(items, groups=groups[:-1])


def _records(n: int) -> list[TransitionRecord]:
    return [
        TransitionRecord(
            transition_id=f"r{i}",
            source="mutations",
            group=f"g{i % 3}",
            path="a.py",
            symbol=f"f{i}",
            before=f"def f{i}(x):\n    a = x\n    b = a\n    return b\n",
            after=f"def f{i}(x):\n    a = x + {i}\n    b = a\n    return b * 2\n",
            instruction="change it",
            instruction_kind="template",
        )
        for i in range(n)
    ]


def test_retrieval_items_and_constant_scorer() -> None:
    items = retrieval_items(_records(20), candidates=10, queries=4)
    assert len(items) == 4 and all(len(i.query.candidates) == 10 for i in items)
    assert all(
        i.query.candidates[i.target] == _records(20)[int(i.query.query_id[1:])].after for i in items
    )
    (result,) = evaluate_variants(items, [Variant("c", "baseline", ConstantScorer())], ks=(1, 5))
    assert result.recall_at["1"].mean == pytest.approx(0.1)
    assert result.recall_at["5"].mean == pytest.approx(0.5)
    assert result.median_rank == 5.5


def test_surprise_pairs_and_partial_edit() -> None:
    before = "def g(x):\n    a = 1\n    b = 2\n    return a + b\n"
    after = "def g(x):\n    a = 10\n    b = 2\n    return a * b\n"
    assert partial_edit(before, after) == "def g(x):\n    a = 10\n    b = 2\n    return a + b"
    pairs = surprise_pairs(_records(6), [], limit=6)
    kinds = {p.kind for p in pairs}
    assert kinds == {"mutant", "partial", "other_file"}
    assert all(p.query.candidates[0] != p.query.candidates[1] for p in pairs)


def test_scorer_quality_fixtures() -> None:
    items = scorer_quality_items(fixture_pools())
    assert len(items) == 12 and all(len(i.query.candidates) == 5 for i in items)


def test_latent_gate() -> None:
    rng = np.random.default_rng(0)
    healthy = rng.normal(size=(200, 8))
    collapsed = np.outer(rng.normal(size=200), np.ones(8)) + 5.0
    leak = check_leakage(None, set())
    ok = latent_report(healthy, scorer="s", data="d", gate=LatentGate(), leakage=leak, started=0.0)
    bad = latent_report(
        collapsed, scorer="s", data="d", gate=LatentGate(), leakage=leak, started=0.0
    )
    assert ok.gate_passed and not bad.gate_passed
    assert bad.health.effective_rank == pytest.approx(1.0)
    # rank 1 of 8 = 0.125 clears the 0.1 ratio; the shared offset makes every cosine ~1
    assert bad.failed_conditions == ["mean pairwise cosine 1.000 > 0.9"]


def _dataset(root: Path) -> Path:
    (root / "transitions").mkdir(parents=True)
    (root / "pools").mkdir()
    records = _records(12)
    (root / "transitions" / "test.jsonl").write_text(
        "".join(r.model_dump_json() + "\n" for r in records)
    )
    (root / "pools" / "test.jsonl").write_text(
        "".join(_pool(n).model_dump_json() + "\n" for n in range(3))
    )
    return root


@pytest.mark.parametrize("command", ["action-use", "retrieval", "surprise"])
def test_dataset_commands_write_reports(tmp_path: Path, command: str) -> None:
    data = _dataset(tmp_path / "data")
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        ["eval", command, "--data", str(data), "--scorer", "lexical", "--out", str(out), "--json"],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["leakage"]["status"] == "none_by_construction"
    assert not payload["claim"]["allowed"]
    assert (out / "report.md").is_file() and list(out.glob("*.png"))


def test_action_use_source_filter(tmp_path: Path) -> None:
    data = _dataset(tmp_path / "data")
    base = ["eval", "action-use", "--data", str(data), "--scorer", "lexical", "--json"]
    result = CliRunner().invoke(app, [*base, "--source", "mutations", "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["data"].endswith("(test, source mutations)")
    assert set(payload["by_group"]["lexical"]) == {"mutations"}
    refused = CliRunner().invoke(app, [*base, "--source", "ruff", "--out", str(tmp_path / "r")])
    assert refused.exit_code == 2
    assert "no test pool of source 'ruff'" in refused.output
    assert not (tmp_path / "r").exists()


def test_latent_refuses_a_baseline(tmp_path: Path) -> None:
    data = _dataset(tmp_path / "data")
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "latent",
            "--data",
            str(data),
            "--split",
            "test",
            "--scorer",
            "lexical",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code == 2


def test_evaluating_on_train_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "retrieval",
            "--data",
            str(tmp_path),
            "--split",
            "train",
            "--scorer",
            "lexical",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code == 2


def test_rank_items_are_plain() -> None:
    item = RankItem(query=Query("b", None, ("x", "y")), target=1)
    (result,) = evaluate_variants([item], [Variant("c", "baseline", ConstantScorer())])
    assert result.per_item_rr == [0.75]
