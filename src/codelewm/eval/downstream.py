"""P4 downstream rerank: pass@1 of the top candidate on execution-labelled pools.

For the scorer under test and every baseline side by side (random as its exact expected value and
seeded, lexical, no-action, bm25, shuffled action of the scorer, validity, consensus) plus the oracle,
on all pools and on mixed pools (>= 1 pass and >= 1 fail, the only pools where ranking matters), with
95% bootstrap CIs over pools and the paired CI of scorer minus the strongest baseline.

The strongest baseline is the best mean pass@1 (all pools) among the non-learned rankers that do not
depend on the scorer: random (expected), lexical, no-action, bm25, validity, consensus. The seeded
random draw and the shuffled-action control are shown but not competed against.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from codelewm.checkpoint.calibrator import Calibrator
from codelewm.eval.bootstrap import Estimate, bootstrap_ci, paired_difference_ci
from codelewm.eval.claim import Claim, decide_claim
from codelewm.eval.codet import (
    GeneratedComparison,
    GeneratedRun,
    agreement_first,
    compare_generated,
)
from codelewm.eval.examples_exec import (
    ExamplesRun,
    ExecutionComparison,
    clusters_first,
    compare,
    examples_first,
)
from codelewm.eval.execution_fusion import execution_energies
from codelewm.eval.leakage import LeakageCheck
from codelewm.eval.metrics import expected_pass_at_1, expected_pass_at_k, oracle_pass
from codelewm.eval.pools import pool_queries, require_labels
from codelewm.eval.runner import Progress, score_all
from codelewm.records import RerankPool
from codelewm.scoring.baselines_shuffled import ShuffledActionScorer
from codelewm.scoring.fusion import StaticFusionScorer
from codelewm.scoring.protocol import PoolScores, Scorer
from codelewm.scoring.registry import get_scorer

DEFAULT_BASELINES = (
    "random-expected",
    "random",
    "lexical",
    "no-action",
    "bm25",
    "validity",
    "consensus",
)
COMPETING = {"random-expected", "lexical", "no-action", "bm25", "validity", "consensus"}
K_VALUES = (2, 3)
Role = Literal["scorer", "baseline", "control", "reference", "execution"]
#: static rankers that get an `examples+<name>` row when examples ran (the scorer is added too)
EXECUTION_BASES = ("consensus", "random-expected")
#: the execution-aware score (`eval/execution_fusion.py`) over the scorer's final score, and over the
#: static fusion's (what the model adds once examples ran)
EXAMPLES_FUSED = "examples+fused"
EXAMPLES_FUSED_WITHOUT_MODEL = "examples+fused-without-model"


class RankerResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    role: Role
    pass_at_1: Estimate
    pass_at_1_mixed: Estimate | None
    pass_at_k: dict[str, Estimate]
    per_pool: list[float]


class DownstreamReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["codelewm.eval.downstream_rerank.v1"] = (
        "codelewm.eval.downstream_rerank.v1"
    )
    protocol: str = "P4 downstream rerank (docs/PROTOCOLS.md)"
    pools: str
    n_pools: int
    n_mixed: int
    n_candidates: int
    scorer: str
    rankers: list[RankerResult]
    strongest_baseline: str | None
    lift: Estimate | None
    lift_mixed: Estimate | None
    #: paired pass@1 of the scorer minus the same calibrated fusion without the model's terms
    #: (`fused-without-model`), when the scorer has one
    model_adds: Estimate | None = None
    leakage: LeakageCheck
    claim: Claim
    runtime_s: float
    execution: ExecutionComparison | None = None
    #: the `generated+<ranker>` rows (CodeT dual agreement on LLM-written tests), when they ran
    generated_execution: GeneratedComparison | None = None


def mixed_indices(labels: Sequence[Sequence[bool]]) -> list[int]:
    return [i for i, row in enumerate(labels) if any(row) and not all(row)]


def ranker_result(
    name: str, role: Role, energies: Sequence[Sequence[float]], labels: Sequence[Sequence[bool]]
) -> RankerResult:
    """pass@1 (all, mixed) and pass@k of one ranker's energies over labelled pools."""
    per_pool = [expected_pass_at_1(e, y) for e, y in zip(energies, labels, strict=True)]
    mixed = mixed_indices(labels)
    pass_at_k = {
        str(k): bootstrap_ci(
            [expected_pass_at_k(e, y, k) for e, y in zip(energies, labels, strict=True)]
        )
        for k in K_VALUES
    }
    return RankerResult(
        name=name,
        role=role,
        pass_at_1=bootstrap_ci(per_pool),
        pass_at_1_mixed=bootstrap_ci([per_pool[i] for i in mixed]) if mixed else None,
        pass_at_k=pass_at_k,
        per_pool=per_pool,
    )


def oracle_result(labels: Sequence[Sequence[bool]]) -> RankerResult:
    """The ceiling: pass@1 = 1 whenever any candidate passes (energies from the labels)."""
    energies = [[0.0 if y else 1.0 for y in row] for row in labels]
    result = ranker_result("oracle", "reference", energies, labels)
    assert all(v == oracle_pass(row) for v, row in zip(result.per_pool, labels, strict=True))
    return result


#: model signals ranked alone (component name, sign: +1 = lower is better, -1 = higher is better)
SIGNALS = (("energy", 1.0), ("action_gain", -1.0), ("consensus", -1.0))
FUSED_WITHOUT_MODEL = "fused-without-model"


def signal_results(
    scores: Sequence[PoolScores], labels: Sequence[Sequence[bool]]
) -> list[RankerResult]:
    """One control row per model signal the scorer reports (`signal:<name>`): each signal alone."""
    out = []
    for name, sign in SIGNALS:
        if all(name in s.components for s in scores):
            energies = [[sign * v for v in s.components[name]] for s in scores]
            out.append(ranker_result(f"signal:{name}", "control", energies, labels))
    return out


def baseline_scorers(scorer: Scorer, names: Sequence[str]) -> list[tuple[Scorer, Role]]:
    """The baselines to run beside `scorer` (never a duplicate of it), then its controls: the
    shuffled action and, for a scorer whose calibrator fuses static signals, that fusion without
    the model's terms."""
    out: list[tuple[Scorer, Role]] = [
        (get_scorer(name), "baseline") for name in names if name != scorer.name
    ]
    out.append((ShuffledActionScorer(scorer), "control"))
    static = getattr(scorer, "static_calibrator", None)
    if isinstance(static, Calibrator):
        out.append((StaticFusionScorer(static, name=FUSED_WITHOUT_MODEL), "control"))
    return out


def execution_results(
    scorer_name: str,
    energies_of: dict[str, list[list[float]]],
    labels: Sequence[Sequence[bool]],
    examples: ExamplesRun | None,
    generated: GeneratedRun | None,
    execution_calibrator: Calibrator | None = None,
) -> list[RankerResult]:
    """The opt-in execution rows: `examples+X`, the behaviour clusters, `generated+X`; with the
    scorer's execution-aware calibrator, `examples+fused` (it over the scorer's final score) and its
    control `examples+fused-without-model` (it over the static fusion's score)."""
    bases = [b for b in (scorer_name, *EXECUTION_BASES) if b in energies_of]
    results = []
    if examples is not None:
        for base in bases:
            ordered = examples_first(energies_of[base], examples.fractions)
            results.append(ranker_result(f"examples+{base}", "execution", ordered, labels))
        if execution_calibrator is not None:
            for name, base in (
                (EXAMPLES_FUSED, scorer_name),
                (EXAMPLES_FUSED_WITHOUT_MODEL, FUSED_WITHOUT_MODEL),
            ):
                if base in energies_of:
                    ordered = execution_energies(
                        execution_calibrator,
                        energies_of[base],
                        examples.fractions,
                        examples.clusters,
                        examples.probe_shares,
                    )
                    results.append(ranker_result(name, "execution", ordered, labels))
        if "consensus" in energies_of:
            mbr = clusters_first(energies_of["consensus"], examples.clusters)
            results.append(ranker_result("clusters+consensus", "execution", mbr, labels))
            both = clusters_first(energies_of["consensus"], examples.clusters, examples.fractions)
            results.append(ranker_result("examples+clusters", "execution", both, labels))
    if generated is not None:
        for base in bases:
            ordered = agreement_first(energies_of[base], generated.scores)
            results.append(ranker_result(f"generated+{base}", "execution", ordered, labels))
    return results


def evaluate_downstream(
    pools: Sequence[RerankPool],
    scorer: Scorer,
    *,
    pools_label: str,
    leakage: LeakageCheck,
    baselines: Sequence[str] = DEFAULT_BASELINES,
    progress: Progress | None = None,
    examples: ExamplesRun | None = None,
    generated: GeneratedRun | None = None,
) -> DownstreamReport:
    """Score every pool with `scorer` and the baselines, then compare. Needs labelled pools.

    With `examples` (opt-in execution, `eval.examples_exec`), `examples+<ranker>` rows rank by the
    examples each candidate passed, then by that ranker, for the scorer, consensus and random; with
    `generated` (`eval.codet`), `generated+<ranker>` rows rank by CodeT dual agreement first."""
    started = time.perf_counter()
    labels = require_labels(pools)
    queries = pool_queries(pools)
    rankers = [(scorer, "scorer"), *baseline_scorers(scorer, baselines)]
    results = []
    energies_of: dict[str, list[list[float]]] = {}
    for ranker, role in rankers:
        scores = score_all(ranker, queries, progress=progress)
        energies = [list(s.energies) for s in scores]
        energies_of[ranker.name] = energies
        results.append(ranker_result(ranker.name, role, energies, labels))  # type: ignore[arg-type]
        if ranker is scorer:
            results += signal_results(scores, labels)
    calibrator = getattr(scorer, "execution_calibrator", None)
    results += execution_results(
        scorer.name,
        energies_of,
        labels,
        examples,
        generated,
        calibrator if isinstance(calibrator, Calibrator) else None,
    )
    results.append(oracle_result(labels))
    report = _assemble(
        pools, results, scorer.name, pools_label, leakage, time.perf_counter() - started
    )
    per_pool = {r.name: r.per_pool for r in results}
    strongest = report.strongest_baseline
    update: dict[str, object] = {}
    if examples is not None:
        update["execution"] = compare(
            per_pool, scorer=scorer.name, strongest=strongest, run=examples
        )
    if generated is not None:
        update["generated_execution"] = compare_generated(
            per_pool, scorer=scorer.name, strongest=strongest, run=generated
        )
    return report.model_copy(update=update)


def _assemble(
    pools: Sequence[RerankPool],
    results: list[RankerResult],
    scorer_name: str,
    pools_label: str,
    leakage: LeakageCheck,
    runtime: float,
) -> DownstreamReport:
    main = results[0]
    competing = [r for r in results[1:] if r.role == "baseline" and r.name in COMPETING]
    strongest = max(competing, key=lambda r: r.pass_at_1.mean, default=None)
    labels = require_labels(pools)
    mixed = mixed_indices(labels)
    lift = lift_mixed = None
    if strongest is not None:
        lift = paired_difference_ci(main.per_pool, strongest.per_pool)
        if mixed:
            lift_mixed = paired_difference_ci(
                [main.per_pool[i] for i in mixed], [strongest.per_pool[i] for i in mixed]
            )
    without = next((r for r in results if r.name == FUSED_WITHOUT_MODEL), None)
    model_adds = (
        paired_difference_ci(main.per_pool, without.per_pool) if without is not None else None
    )
    claim = decide_claim(
        metric="pass@1",
        leakage=leakage,
        n=len(pools),
        lift=lift,
        baseline=strongest.name if strongest else "-",
        model_adds=model_adds,
    )
    return DownstreamReport(
        pools=pools_label,
        n_pools=len(pools),
        n_mixed=len(mixed),
        n_candidates=sum(len(p.candidates) for p in pools),
        scorer=scorer_name,
        rankers=results,
        strongest_baseline=strongest.name if strongest else None,
        lift=lift,
        lift_mixed=lift_mixed,
        model_adds=model_adds,
        leakage=leakage,
        claim=claim,
        runtime_s=round(runtime, 3),
    )
