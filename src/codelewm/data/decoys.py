"""Decoy pools: one before, ONE instruction, K candidate afters of which exactly one is right.

A same-before pool (P1) needs a different instruction per member; sources whose natural pools have a
single instruction (stubs: "Implement `f`: <docstring summary>") write decoy pools instead, in the
interchange format `codelewm.rerank_pool.v1` with `passed` = True for the true after and False for
each decoy. They serve training (hard negatives that share the before and the instruction), P3
surprise (per `decoy_kind`) and P4-style reranking. Extra fields on each pool: `source`, `group`,
`split`, `path`, `symbol`, `context`, `transition_id` (the true transition); on each candidate:
`decoy_kind` ("true", "mutant", "other_body"). Candidate ids are `<pool_id>#<sha1(code)[:12]>` and
candidates are sorted by id, so neither order nor id tells which one passed.

A source that builds decoy pools implements `DecoyPoolSource.iter_decoy_pools(unit)` (called after
`iter_transitions(unit)` was exhausted, like `iter_pools`); the build assigns `split` by `group` and
writes them to `pools/<split>.decoys.jsonl` (`layout.decoy_pools_path`, `layout.read_decoy_pools`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from codelewm.records import PoolCandidate, RerankPool, TransitionRecord


@runtime_checkable
class DecoyPoolSource(Protocol):
    """A source that also yields decoy pools (one instruction, one true after, K decoys)."""

    def iter_decoy_pools(self, unit: str) -> Iterator[RerankPool]: ...


def decoy_pool(record: TransitionRecord, decoys: Sequence[tuple[str, str]]) -> RerankPool:
    """The pool of `record` (the true transition) and `decoys` as (decoy_kind, code) pairs."""
    pool_id = "decoys-" + record.transition_id
    seen = {record.after}
    candidates = [_candidate(pool_id, record.after, True, "true")]
    for kind, code in decoys:
        if code not in seen:
            seen.add(code)
            candidates.append(_candidate(pool_id, code, False, kind))
    return transition_pool(pool_id, record, candidates)


def transition_pool(
    pool_id: str, record: TransitionRecord, candidates: Sequence[PoolCandidate], **extra: object
) -> RerankPool:
    """A pool over `record`'s before and instruction that rides on the transition (split with it):
    candidates sorted by id, the transition's provenance fields and any `extra` fields kept."""
    return RerankPool(
        pool_id=pool_id,
        before=record.before,
        instruction=record.instruction,
        candidates=sorted(candidates, key=lambda c: c.candidate_id),
        source=record.source,
        group=record.group,
        split=record.split,
        path=record.path,
        symbol=record.symbol,
        context=record.context,
        transition_id=record.transition_id,
        **extra,
    )


def candidate_id(pool_id: str, code: str) -> str:
    """`<pool_id>#<sha1(code)[:12]>`: the id tells nothing about the label."""
    digest = hashlib.sha1(code.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{pool_id}#{digest}"


def _candidate(pool_id: str, code: str, passed: bool, kind: str) -> PoolCandidate:
    return PoolCandidate(
        candidate_id=candidate_id(pool_id, code), code=code, passed=passed, decoy_kind=kind
    )
