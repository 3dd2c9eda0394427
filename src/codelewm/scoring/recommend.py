"""Which candidate to pick and why: the recommendation every rerank record carries.

The recommended candidate is rank 1 when it is usable (it was scored and adds no undefined name).
Its reason names the signals that separated it from the runner-up (the calibrator's terms of the
final score, largest first), the margin in final-score units, its softmax share among the ranked
candidates (a relative preference, not a probability of being correct) and the baselines that
agree. After `--execute examples` with the execution-aware calibrator the same is said in that
score's terms (`Basis`: the execution score and its calibrator terms, within a tier of examples
passed; a candidate that passed more examples than the runner-up is said to). Nothing here changes
the ranking.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from codelewm.records import Recommendation, ScoreRecord, SignalDelta

ALONE: str = "the only usable candidate: nothing to compare it with"
#: what the calibrator's features are called in a reason
SIGNAL_LABELS: dict[str, str] = {
    "energy_z": "energy",
    "action_gain": "instruction fit",
    "consensus": "latent consensus",
    "parses": "parses",
    "static_z": "static score",
    "cluster_share": "same outputs on the examples",
    "probe_share": "same outputs on probe inputs",
}


@dataclass(frozen=True)
class Basis:
    """What a recommendation compares: a score per record (None: not ranked by it), the terms
    that make it up, and what the score is called in the reason; `tier`, when the order has a hard
    first key above the score (examples passed), that key and what it counts."""

    score: Callable[[ScoreRecord], float | None]
    terms: Callable[[ScoreRecord], dict[str, float]]
    name: str = "final score"
    tier: Callable[[ScoreRecord], float] | None = None
    tier_name: str = ""


STATIC = Basis(score=lambda r: r.final_score, terms=lambda r: r.signal_terms)


def _tier_lead(best: ScoreRecord, runner: ScoreRecord, basis: Basis) -> str | None:
    """Why the pick leads when it is ahead on the basis's tier (more examples passed), else None."""
    if basis.tier is None:
        return None
    ahead, behind = basis.tier(best), basis.tier(runner)
    if ahead <= behind + 1e-9:
        return None
    return f"passed more {basis.tier_name} than {runner.candidate_id} ({ahead:.0%} vs {behind:.0%})"


def _share(scores: Sequence[float]) -> float:
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    return weights[0] / sum(weights)


def _deltas(best: dict[str, float], runner: dict[str, float]) -> list[SignalDelta]:
    names = [n for n in best if n in runner]
    deltas = [
        SignalDelta(
            signal=name,
            recommended=best[name],
            runner_up=runner[name],
            delta=best[name] - runner[name],
        )
        for name in names
    ]
    return sorted((d for d in deltas if abs(d.delta) > 1e-9), key=lambda d: -d.delta)


def _agreeing(best: ScoreRecord, scored: Sequence[ScoreRecord]) -> list[str]:
    agree = []
    for name, value in best.baseline_scores.items():
        others = [r.baseline_scores.get(name) for r in scored if r is not best]
        if all(o is None or value > o for o in others):
            agree.append(name)
    return agree


def recommend(
    ranked: Sequence[ScoreRecord],
    *,
    usable: Callable[[ScoreRecord], bool],
    basis: Basis = STATIC,
) -> Recommendation:
    """The recommendation for records already in rank order; `usable` says who may be picked;
    `basis` what the margin, share and deciding signals are measured in (when the pick is ahead on
    the basis's tier, that is the reason, and the margin, in the score, is left out)."""
    scored = [r for r in ranked if basis.score(r) is not None]
    if not ranked or not usable(ranked[0]):
        reason = (
            "no candidate is usable: none could be scored"
            if not scored
            else "no recommendation: the best-scored candidate adds undefined names"
        )
        return Recommendation(candidate_id=None, reason=reason)
    best = ranked[0]
    if len(scored) == 1:
        return Recommendation(candidate_id=best.candidate_id, reason=ALONE)
    runner = next((r for r in scored if r is not best), None)
    if runner is None or basis.score(best) is None:  # nothing to compare it with on this basis
        return Recommendation(candidate_id=best.candidate_id, reason=ALONE)
    lead = _tier_lead(best, runner, basis)
    best_score, runner_score = basis.score(best), basis.score(runner)
    assert best_score is not None and runner_score is not None
    margin = best_score - runner_score
    deltas = _deltas(basis.terms(best), basis.terms(runner))
    agree = _agreeing(best, scored)
    share = _share([s for s in (basis.score(r) for r in scored) if s is not None])
    decided = ", ".join(
        f"{SIGNAL_LABELS.get(d.signal, d.signal)} {d.delta:+.2f}" for d in deltas if d.delta > 0
    ) or (basis.name)
    why = lead or (
        f"highest {basis.name}; leads {runner.candidate_id} by {margin:.2f} (decided by {decided})"
    )
    reason = f"{why}; share {share:.1%} among {len(scored)} scored; " + (
        f"agreeing baselines: {', '.join(agree)}" if agree else "no baseline ranks it first"
    )
    return Recommendation(
        candidate_id=best.candidate_id,
        runner_up=runner.candidate_id,
        margin=None if lead else margin,
        share=share,
        deciding_signals=deltas,
        agreeing_baselines=agree,
        reason=reason,
    )
