"""The trust statement comes from the shipped model's own evaluation reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codelewm.errors import InputError
from codelewm.records import ClaimSummary
from codelewm.scoring.load import default_model_path
from codelewm.scoring.trust import (
    ShippedClaims,
    claims_from_reports,
    model_trust,
    shipped_claims,
    trust_of,
)


def _shipped_id() -> str:
    manifest = json.loads((default_model_path() / "manifest.json").read_text(encoding="utf-8"))
    return str(manifest["artifact_id"])


def test_the_claims_file_is_the_shipped_models() -> None:
    """Shipping a new default model without rerunning ./scripts/eval-model fails here."""
    claims = shipped_claims()
    assert claims is not None, "src/codelewm/assets/default_model.claims.json is missing or invalid"
    assert claims.checkpoint_id == _shipped_id()
    assert any("mbpp_llm" in c.pools for c in claims.claims)


def test_the_shipped_model_is_not_claimed_to_beat_its_baselines() -> None:
    trust = model_trust(_shipped_id())
    assert trust.state == "not-shown"
    assert (
        "not shown to beat the" in trust.statement and "docs/benchmarks/MODEL.md" in trust.statement
    )
    assert "real candidate pools" in trust.statement


def test_another_checkpoint_is_unevaluated() -> None:
    trust = model_trust("checkpoint-0000000000000000")
    assert trust.state == "unevaluated" and trust.claims == []


def _claim(pools: str, *, allowed: bool, lift: float) -> ClaimSummary:
    return ClaimSummary(
        pools=pools,
        allowed=allowed,
        model=0.8 + lift,
        strongest_baseline="consensus",
        baseline=0.8,
        lift=lift,
        lift_low=lift - 0.02,
        lift_high=lift + 0.02,
        statement="",
    )


def test_a_claim_on_real_pools_decides_over_synthetic_ones() -> None:
    claims = ShippedClaims(
        checkpoint_id="c",
        generated_by="test",
        claims=[
            _claim("humaneval_wsd.jsonl", allowed=True, lift=0.3),
            _claim("mbpp_llm_pools.v1.jsonl", allowed=False, lift=-0.01),
        ],
    )
    assert trust_of(claims).state == "not-shown"
    shown = claims.model_copy(
        update={"claims": [_claim("mbpp_llm_pools.v1.jsonl", allowed=True, lift=0.05)]}
    )
    assert trust_of(shown).state == "shown-to-help"
    assert "shown to beat the consensus baseline" in trust_of(shown).statement


def test_claims_are_read_from_p4_reports(tmp_path: Path) -> None:
    report = {
        "pools": "data/eval/mbpp_llm_pools.v1.jsonl",
        "strongest_baseline": "lexical",
        "rankers": [
            {"name": "world-model", "role": "scorer", "pass_at_1": {"mean": 0.78}},
            {"name": "lexical", "role": "baseline", "pass_at_1": {"mean": 0.81}},
        ],
        "lift": {"mean": -0.03, "lo": -0.06, "hi": -0.003},
        "claim": {"allowed": False, "statement": "no claim"},
    }
    path = tmp_path / "p4_devset" / "report.json"
    path.parent.mkdir()
    path.write_text(json.dumps(report))
    claims = claims_from_reports([path], checkpoint_id="x", generated_by="t")
    (claim,) = claims.claims
    assert (claim.pools, claim.model, claim.baseline, claim.lift) == (
        "mbpp_llm_pools.v1.jsonl",
        0.78,
        0.81,
        -0.03,
    )
    with pytest.raises(InputError, match="nothing to claim"):
        claims_from_reports([], checkpoint_id="x", generated_by="t")
