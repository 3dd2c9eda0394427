"""How far a model's ranking may be trusted, taken from its own evaluation reports.

`./scripts/eval-model` writes the P4 (downstream rerank) claims of the shipped default model into
`codelewm/assets/default_model.claims.json` (`claims_from_reports`), keyed by the checkpoint id; every
rerank record carries `model_trust(checkpoint_id)`. A checkpoint without shipped claims (your own, or
a new default model nobody evaluated) is `unevaluated`: nothing is claimed for it. A test fails when
the shipped model and its claims file name different checkpoints, so a new default model cannot ship
with the old model's trust statement.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import ValidationError

from codelewm.errors import InputError
from codelewm.records import ClaimSummary, ModelTrust, Record

CLAIMS_FILE: Final = "default_model.claims.json"
CLAIMS_PATH: Final = Path(__file__).resolve().parents[1] / "assets" / CLAIMS_FILE
MODEL_DOC: Final = "docs/benchmarks/MODEL.md"
EVIDENCE: Final = f"{MODEL_DOC} (./scripts/eval-model)"
#: pool files of real LLM samples (the others are synthetic: a reference among its own mutants)
REAL_POOL_MARKERS: Final = ("llm", "devset", "external")


class ShippedClaims(Record):
    """The claims file: the downstream claims of one checkpoint's evaluation reports."""

    schema_version: Literal["codelewm.model_claims.v1"] = "codelewm.model_claims.v1"
    checkpoint_id: str
    generated_by: str
    claims: list[ClaimSummary]


def is_real_pool(pools: str) -> bool:
    name = Path(pools).name.lower()
    return any(marker in name for marker in REAL_POOL_MARKERS)


def claim_of_report(report: dict[str, Any]) -> ClaimSummary:
    """One P4 `report.json` (`codelewm.eval.downstream.v1`) -> its claim."""
    rankers = {r["name"]: r for r in report["rankers"]}
    strongest = report["strongest_baseline"]
    scorer = next(r for r in report["rankers"] if r["role"] == "scorer")
    lift = report["lift"]
    return ClaimSummary(
        pools=Path(report["pools"]).name,
        allowed=bool(report["claim"]["allowed"]),
        model=float(scorer["pass_at_1"]["mean"]),
        strongest_baseline=strongest,
        baseline=float(rankers[strongest]["pass_at_1"]["mean"]),
        lift=float(lift["mean"]),
        lift_low=float(lift["lo"]),
        lift_high=float(lift["hi"]),
        statement=str(report["claim"]["statement"]),
    )


def claims_from_reports(
    report_files: Iterable[Path], *, checkpoint_id: str, generated_by: str
) -> ShippedClaims:
    claims = [
        claim_of_report(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(report_files)
    ]
    if not claims:
        raise InputError("no P4 report.json given: nothing to claim")
    return ShippedClaims(checkpoint_id=checkpoint_id, generated_by=generated_by, claims=claims)


def trust_of(claims: ShippedClaims) -> ModelTrust:
    """The trust statement of a checkpoint's claims (see the module docstring)."""
    real = [c for c in claims.claims if is_real_pool(c.pools)] or claims.claims
    shown = [c for c in real if c.allowed]
    if shown:
        best = max(shown, key=lambda c: c.lift)
        return ModelTrust(
            state="shown-to-help",
            statement=f"shown to beat the {best.strongest_baseline} baseline on {best.pools}: "
            f"{_numbers(best)} — see {MODEL_DOC}",
            evidence=EVIDENCE,
            claims=claims.claims,
        )
    worst = min(real, key=lambda c: c.lift)
    kind = "real candidate pools" if is_real_pool(worst.pools) else "labelled candidate pools"
    return ModelTrust(
        state="not-shown",
        statement=f"not shown to beat the {worst.strongest_baseline} baseline on {kind} "
        f"({worst.pools}: {_numbers(worst)}) — see {MODEL_DOC}; treat its ranking as one signal "
        "among the baselines shown, not as a verdict",
        evidence=EVIDENCE,
        claims=claims.claims,
    )


def _numbers(claim: ClaimSummary) -> str:
    return (
        f"pass@1 {claim.model:.3f} vs {claim.baseline:.3f}, lift {claim.lift:+.3f} "
        f"[{claim.lift_low:+.3f}, {claim.lift_high:+.3f}]"
    )


def model_trust(checkpoint_id: str) -> ModelTrust:
    """The trust statement for `checkpoint_id`: its shipped claims, else `unevaluated`."""
    claims = shipped_claims()
    if claims is not None and claims.checkpoint_id == checkpoint_id:
        return trust_of(claims)
    return ModelTrust(
        state="unevaluated",
        statement=f"{checkpoint_id} has no evaluation report shipped with codelewm: how well it "
        "picks correct candidates is unknown",
        evidence="evaluate it: ./scripts/eval-model --scorer CHECKPOINT_DIR, or codelewm eval "
        "downstream-rerank --pools data/eval/mbpp_llm_pools.v1.jsonl --scorer CHECKPOINT_DIR",
    )


@cache
def shipped_claims() -> ShippedClaims | None:
    try:
        text = CLAIMS_PATH.read_text(encoding="utf-8")
    except OSError:
        return None
    try:
        return ShippedClaims.model_validate_json(text)
    except ValidationError:
        return None
