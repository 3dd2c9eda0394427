"""The claim section of a report: it opens only when the evidence allows it, else it says why not.

Conditions: no overlap with the training data (known, and 0), at least `MIN_ITEMS` items, and the
95% paired CI of the lift over the strongest baseline lies entirely above 0.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from codelewm.errors import GateFailedError
from codelewm.eval.bootstrap import Estimate
from codelewm.eval.leakage import LeakageCheck

MIN_ITEMS = 100


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allowed: bool
    statement: str
    failed_conditions: list[str]


def decide_claim(
    *,
    metric: str,
    leakage: LeakageCheck,
    n: int,
    lift: Estimate | None,
    baseline: str,
    model_adds: Estimate | None = None,
) -> Claim:
    """Open only with no leakage, enough items, the lift over `baseline` above 0 and, when the
    scorer fuses the model with static signals, its lift over the same fusion without the model's
    terms (`model_adds`) above 0 too."""
    failed = []
    if leakage.overlap is None:
        failed.append("leakage unknown: the checkpoint's training data could not be checked")
    elif leakage.overlap > 0:
        failed.append(f"leakage: {leakage.overlap} eval items occur in the training data")
    if n < MIN_ITEMS:
        failed.append(f"n = {n} < {MIN_ITEMS}")
    if lift is None:
        failed.append("no baseline to compare with")
    elif lift.lo <= 0.0:
        failed.append(
            f"the 95% CI of the {metric} lift over {baseline} ({lift.text(signed=True)}) does not lie above 0"
        )
    if model_adds is not None and model_adds.lo <= 0.0:
        failed.append(
            f"the 95% CI of what the model adds over the fused score without it "
            f"({model_adds.text(signed=True)}) does not lie above 0"
        )
    if failed:
        return Claim(
            allowed=False, statement="no claim: " + "; ".join(failed), failed_conditions=failed
        )
    assert lift is not None
    statement = f"{metric} beats {baseline} by {lift.text(signed=True)} over n = {n}, no leakage"
    return Claim(allowed=True, statement=statement, failed_conditions=[])


def enforce_gate(claim: Claim) -> None:
    """Raise GateFailedError (exit 6) when the claim is closed."""
    if not claim.allowed:
        raise GateFailedError(f"gate failed: {claim.statement}")
