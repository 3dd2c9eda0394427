"""P5 latent health: effective rank / dim, per-dimension variance and mean pairwise cosine of the
scorer's embeddings of held-out code, with a gate.

Gate (all must hold): effective rank / dim >= `min_rank_ratio` (the anchor's collapsed latent sat at
0.016-0.023), mean pairwise cosine <= `max_mean_cosine`, and no dead dimension beyond
`max_dead_fraction` (variance < 1e-6 x the mean variance).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from codelewm.eval.latent_metrics import LatentHealth, latent_health
from codelewm.eval.leakage import LeakageCheck

BATCH = 64


class LatentGate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_rank_ratio: float = 0.1
    max_mean_cosine: float = 0.9
    max_dead_fraction: float = 0.1


class LatentReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = "codelewm.eval.latent.v1"
    protocol: str = "P5 latent health (docs/PROTOCOLS.md)"
    data: str
    scorer: str
    n_texts: int
    health: LatentHealth
    dead_fraction: float
    gate: LatentGate
    gate_passed: bool
    failed_conditions: list[str]
    leakage: LeakageCheck
    runtime_s: float


def embed_all(
    embed: Callable[[Sequence[str]], np.ndarray],
    texts: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    rows = []
    for start in range(0, len(texts), BATCH):
        chunk = texts[start : start + BATCH]
        rows.append(np.asarray(embed(chunk), dtype=np.float64))
        if progress is not None:
            progress(len(chunk))
    return np.vstack(rows)


def latent_report(
    embeddings: np.ndarray,
    *,
    scorer: str,
    data: str,
    gate: LatentGate,
    leakage: LeakageCheck,
    started: float,
) -> LatentReport:
    health = latent_health(embeddings)
    variance = np.asarray(health.per_dim_variance)
    dead = float((variance < 1e-6 * max(variance.mean(), 1e-30)).mean())
    failed = []
    if health.effective_rank_ratio < gate.min_rank_ratio:
        failed.append(
            f"effective rank / dim {health.effective_rank_ratio:.3f} < {gate.min_rank_ratio}"
        )
    if health.mean_pairwise_cosine > gate.max_mean_cosine:
        failed.append(
            f"mean pairwise cosine {health.mean_pairwise_cosine:.3f} > {gate.max_mean_cosine}"
        )
    if dead > gate.max_dead_fraction:
        failed.append(f"dead dimensions {dead:.3f} > {gate.max_dead_fraction}")
    return LatentReport(
        data=data,
        scorer=scorer,
        n_texts=health.n,
        health=health,
        dead_fraction=dead,
        gate=gate,
        gate_passed=not failed,
        failed_conditions=failed,
        leakage=leakage,
        runtime_s=round(time.perf_counter() - started, 3),
    )
