"""Read and write rerank pool files (`codelewm.rerank_pool.v1`, JSONL) and turn pools into queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import ValidationError

from codelewm.artifacts.atomic import atomic_write_text
from codelewm.code.candidates import looks_like_patch
from codelewm.code.patch import apply_patch
from codelewm.errors import InputError, ParseFailureError, PatchError, SourceUnavailableError
from codelewm.records import PoolCandidate, RerankPool
from codelewm.scoring.protocol import Query


def read_pool_file(path: Path) -> list[RerankPool]:
    """Every pool of a JSONL file, validated; blank lines are skipped."""
    if not path.is_file():
        raise SourceUnavailableError(
            f"pool file {path} does not exist",
            remediation="Build one with `codelewm eval downstream-pack` or give an existing file.",
        )
    pools = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                pools.append(RerankPool.model_validate_json(line))
            except ValidationError as exc:
                raise ParseFailureError(f"{path}:{number}: not a rerank pool: {exc}") from exc
    if not pools:
        raise ParseFailureError(f"{path} holds no pools")
    return pools


def write_pool_file(path: Path, pools: Iterable[RerankPool]) -> int:
    """Write pools as JSONL atomically; returns how many."""
    lines = [pool.model_dump_json(exclude_none=False) for pool in pools]
    atomic_write_text(path, "".join(line + "\n" for line in lines))
    return len(lines)


def require_labels(pools: Sequence[RerankPool]) -> list[list[bool]]:
    """The pass/fail labels of every candidate; an unlabelled candidate is an error."""
    labels = []
    for pool in pools:
        row = []
        for candidate in pool.candidates:
            if candidate.passed is None:
                raise InputError(
                    f"pool {pool.pool_id}: candidate {candidate.candidate_id} has no `passed` label",
                    remediation="Label the pool by execution first (downstream-pack does).",
                )
            row.append(bool(candidate.passed))
        labels.append(row)
    return labels


def pool_queries(pools: Sequence[RerankPool]) -> list[Query]:
    """One scoring query per pool: its before, instruction and candidates' full code; the
    candidates' `n_samples` (how many raw samples each stands for) as weights when the file has them."""
    return [
        Query(
            before=pool.before,
            instruction=pool.instruction,
            candidates=tuple(candidate_code(pool.before, c.code) for c in pool.candidates),
            query_id=pool.pool_id,
            weights=sample_counts(pool),
        )
        for pool in pools
    ]


def sample_count(candidate: PoolCandidate) -> int:
    """How many raw samples collapsed into this candidate (`n_samples` of the pool file, else 1)."""
    value = getattr(candidate, "n_samples", None)
    return value if isinstance(value, int) and value > 0 else 1


def sample_counts(pool: RerankPool) -> tuple[float, ...] | None:
    """Each candidate's `sample_count`, or None when no candidate gives `n_samples`."""
    if all(getattr(c, "n_samples", None) is None for c in pool.candidates):
        return None
    return tuple(float(sample_count(c)) for c in pool.candidates)


def candidate_code(before: str, code: str) -> str:
    """The full after-state: a unified diff is applied to the before; one that does not apply stays
    as given (it then fails static validity and ranks last under `validity`/`consensus`)."""
    if not looks_like_patch(code):
        return code
    try:
        return apply_patch(before, code)
    except PatchError:
        return code
