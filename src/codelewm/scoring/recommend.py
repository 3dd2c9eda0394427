"""Which candidate to pick and why: the recommendation every rerank record carries.

The recommended candidate is rank 1 when it is usable (it was scored and adds no undefined name).
Its reason names the signals that separated it from the runner-up (the calibrator's terms of the
final score, largest first), the margin in final-score units, its softmax share among the ranked
candidates (a relative preference, not a probability of being correct) and the baselines that
agree. Nothing here changes the ranking.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from codelewm.records import Recommendation, ScoreRecord, SignalDelta

ALONE: str = "the only usable candidate: nothing to compare it with"
#: what the calibrator's features are called in a reason
SIGNAL_LABELS: dict[str, str] = {
    "energy_z": "energy",
    "action_gain": "instruction fit",
    "consensus": "latent consensus",
    "parses": "parses",
}


def _share(scores: Sequence[float]) -> float:
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    return weights[0] / sum(weights)


def _deltas(best: ScoreRecord, runner: ScoreRecord) -> list[SignalDelta]:
    names = [n for n in best.signal_terms if n in runner.signal_terms]
    deltas = [
        SignalDelta(
            signal=name,
            recommended=best.signal_terms[name],
            runner_up=runner.signal_terms[name],
            delta=best.signal_terms[name] - runner.signal_terms[name],
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
    ranked: Sequence[ScoreRecord], *, usable: Callable[[ScoreRecord], bool]
) -> Recommendation:
    """The recommendation for records already in rank order; `usable` says who may be picked."""
    scored = [r for r in ranked if r.final_score is not None]
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
    runner = scored[1]
    assert best.final_score is not None and runner.final_score is not None
    margin = best.final_score - runner.final_score
    deltas = _deltas(best, runner)
    agree = _agreeing(best, scored)
    share = _share([r.final_score for r in scored if r.final_score is not None])
    decided = ", ".join(
        f"{SIGNAL_LABELS.get(d.signal, d.signal)} {d.delta:+.2f}" for d in deltas if d.delta > 0
    ) or ("final score")
    reason = (
        f"highest final score; leads {runner.candidate_id} by {margin:.2f} "
        f"(decided by {decided}); share {share:.1%} among {len(scored)} scored; "
        + (f"agreeing baselines: {', '.join(agree)}" if agree else "no baseline ranks it first")
    )
    return Recommendation(
        candidate_id=best.candidate_id,
        runner_up=runner.candidate_id,
        margin=margin,
        share=share,
        deciding_signals=deltas,
        agreeing_baselines=agree,
        reason=reason,
    )
