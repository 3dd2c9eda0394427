"""P3 surprise: pairwise AUC of the true after against one decoy, per decoy kind.

Decoy kinds, built from held-out transitions:
- `mutant`: a seeded single-point mutant of the true after;
- `other_edit`: another after of the same before (a same-before pool sibling);
- `partial`: only the first changed block of the edit applied (when the edit has two or more);
- `other_file`: the after of a transition from another group.
Every candidate and the before are `ast.unparse`d (`normalise`), so formatting cannot separate the
true after from a mutant. Each (true, decoy) pair is its own 2-candidate query; AUC = P(true energy
< decoy energy), ties 0.5, so a constant scorer gets exactly 0.5.
"""

from __future__ import annotations

import difflib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from codelewm.code.functions import normalise
from codelewm.code.mutations import mutate_function
from codelewm.errors import ParseFailureError
from codelewm.eval.bootstrap import Estimate, bootstrap_ci, paired_difference_ci
from codelewm.eval.claim import Claim, decide_claim
from codelewm.eval.leakage import LeakageCheck
from codelewm.eval.metrics import pairwise_auc
from codelewm.eval.ranking import Variant
from codelewm.eval.runner import Progress, score_all
from codelewm.records import SameBeforePool, TransitionRecord
from codelewm.scoring.baselines_shuffled import derangement_by_group
from codelewm.scoring.protocol import Query

DECOY_KINDS = ("mutant", "other_edit", "partial", "other_file")


@dataclass(frozen=True)
class DecoyPair:
    kind: str
    query: Query  # candidates = (true after, decoy)


class KindAuc(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    auc: Estimate


class SurpriseResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    role: str
    overall: Estimate
    per_kind: list[KindAuc]
    per_pair: list[float]


class SurpriseReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = "codelewm.eval.surprise.v1"
    protocol: str = "P3 surprise (docs/PROTOCOLS.md)"
    data: str
    n_pairs: int
    n_per_kind: dict[str, int]
    scorer: str
    results: list[SurpriseResult]
    strongest_baseline: str | None
    lift: Estimate | None
    leakage: LeakageCheck
    claim: Claim
    runtime_s: float


def partial_edit(before: str, after: str) -> str | None:
    """`before` with only the first changed line block of before -> after applied, if that parses
    and differs from both."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    blocks = [op for op in difflib.SequenceMatcher(a=old, b=new).get_opcodes() if op[0] != "equal"]
    if len(blocks) < 2:
        return None
    _, i1, i2, j1, j2 = blocks[0]
    text = "".join(old[:i1] + new[j1:j2] + old[i2:])
    partial = normalise(text)
    return partial if partial not in {before, after} and _parses(text) else None


def _parses(text: str) -> bool:
    try:
        compile(text, "<partial>", "exec", dont_inherit=True, flags=0x400)  # PyCF_ONLY_AST
    except (SyntaxError, ValueError):
        return False
    return True


def _mutant(after: str, rng: random.Random) -> str | None:
    try:
        mutants = mutate_function(after, rng=rng, max_mutants=1)
    except ParseFailureError:
        return None
    return mutants[0].code if mutants else None


def surprise_pairs(
    records: Sequence[TransitionRecord],
    pools: Sequence[SameBeforePool],
    *,
    seed: int = 17,
    limit: int = 500,
) -> list[DecoyPair]:
    """Up to `limit` transitions (a seeded sample), each with every decoy kind that can be built."""
    rng = random.Random(seed)
    order = list(range(len(records)))
    rng.shuffle(order)  # a seeded sample, not the first `limit` (files are ordered by source)
    chosen: list[TransitionRecord] = []
    for index in order:
        record = records[index]
        if normalise(record.after) != normalise(record.before):
            chosen.append(record)
        if len(chosen) >= limit:
            break
    if len(chosen) < 2:
        return []
    siblings = _siblings(pools)
    donors = derangement_by_group([r.group for r in chosen], seed=seed)
    pairs = []
    for index, record in enumerate(chosen):
        before, after = normalise(record.before), normalise(record.after)
        decoys = {
            "mutant": _mutant(after, rng),
            "other_edit": siblings.get(record.transition_id),
            "partial": partial_edit(before, after),
            "other_file": normalise(chosen[donors[index]].after),
        }
        for kind, decoy in decoys.items():
            if decoy is None or normalise(decoy) == after:
                continue
            query = Query(
                before,
                record.instruction,
                (after, normalise(decoy)),
                f"{record.transition_id}/{kind}",
            )
            pairs.append(DecoyPair(kind=kind, query=query))
    return pairs


def _siblings(pools: Sequence[SameBeforePool]) -> dict[str, str]:
    """transition_id -> the after of the next member of its same-before pool."""
    out = {}
    for pool in pools:
        members = pool.members
        for i, member in enumerate(members):
            if len(members) > 1:
                out[member.transition_id] = members[(i + 1) % len(members)].after
    return out


def surprise_result(
    variant: Variant, pairs: Sequence[DecoyPair], progress: Progress | None
) -> SurpriseResult:
    queries = [p.query for p in pairs]
    if variant.prepare is not None:
        queries = variant.prepare(queries)
    scores = score_all(variant.scorer, queries, progress=progress)
    values = [pairwise_auc([s.energies[0]], [s.energies[1]]) for s in scores]
    per_kind = [
        KindAuc(
            kind=kind,
            auc=bootstrap_ci([v for v, p in zip(values, pairs, strict=True) if p.kind == kind]),
        )
        for kind in DECOY_KINDS
        if any(p.kind == kind for p in pairs)
    ]
    return SurpriseResult(
        name=variant.name,
        role=variant.role,
        overall=bootstrap_ci(values),
        per_kind=per_kind,
        per_pair=values,
    )


def surprise_report(
    pairs: Sequence[DecoyPair],
    variants: Sequence[Variant],
    *,
    data: str,
    leakage: LeakageCheck,
    progress: Progress | None = None,
) -> SurpriseReport:
    started = time.perf_counter()
    results = [surprise_result(v, pairs, progress) for v in variants]
    baselines = [r for r in results[1:] if r.role == "baseline"]
    best = max(baselines, key=lambda r: r.overall.mean, default=None)
    lift = paired_difference_ci(results[0].per_pair, best.per_pair) if best else None
    claim = decide_claim(
        metric="AUC", leakage=leakage, n=len(pairs), lift=lift, baseline=best.name if best else "-"
    )
    return SurpriseReport(
        data=data,
        n_pairs=len(pairs),
        n_per_kind={k: sum(p.kind == k for p in pairs) for k in DECOY_KINDS},
        scorer=results[0].name,
        results=results,
        strongest_baseline=best.name if best else None,
        lift=lift,
        leakage=leakage,
        claim=claim,
        runtime_s=round(time.perf_counter() - started, 3),
    )
