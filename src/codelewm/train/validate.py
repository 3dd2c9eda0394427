"""Validation on held-out same-before pools: R@1 of the true after among the pool's afters.

Each query is (before, instruction_i) with the pool's distinct afters as candidates; the model is scored
as is, with the null action, and with an instruction taken from another pool (the shuffled control).
Ties count as the expected value over random tie-breaking.

The energies are the model's own `E(b, a, c)` on the same inputs scoring builds
(`checkpoint/features.py`): every distinct before and (before, candidate) is encoded once, in order of
first appearance and in chunks of `batch_size`, so R@1 here equals R@1 of the `energy` that
`WorldModelScorer` reports for the same model.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from codelewm.checkpoint.features import (
    before_input,
    candidate_input,
    stack_actions,
    stack_sequences,
)
from codelewm.checkpoint.tokenizer import CodeTokenizer
from codelewm.model.edit_input import EditSequence
from codelewm.model.world_model import WorldModel
from codelewm.train.data import Example


@dataclass(frozen=True)
class PoolQuery:
    before: str
    instruction: str | None
    candidates: tuple[str, ...]
    target: int
    query_id: str = ""


def pool_queries(examples: Sequence[Example], *, max_queries: int, seed: int) -> list[PoolQuery]:
    """Queries from examples with >= 2 siblings (pools of K >= 3), seeded subsample."""
    out = []
    for i, ex in enumerate(examples):
        afters = sorted({ex.after, *(a for _, a in ex.siblings)})
        if ex.instruction is None or len(afters) < 3:
            continue
        out.append(
            PoolQuery(ex.before, ex.instruction, tuple(afters), afters.index(ex.after), f"val-{i}")
        )
    random.Random(seed).shuffle(out)
    return out[:max_queries]


def recall_at_1(energies: Sequence[float] | NDArray[np.float32], target: int) -> float:
    e = np.asarray(energies)
    best = e.min()
    tied = int((e == best).sum())
    return 1.0 / tied if e[target] == best else 0.0


def evaluate_pools(
    model: WorldModel,
    tokenizer: CodeTokenizer,
    queries: Sequence[PoolQuery],
    *,
    batch_size: int = 64,
) -> dict[str, float]:
    """R@1 with the instruction, with the null action, and with another pool's instruction."""
    if not queries:
        return {"r1": 0.0, "r1_null": 0.0, "r1_shuffled": 0.0, "n": 0.0}
    variants: dict[str, list[str | None]] = {
        "r1": [q.instruction for q in queries],
        "r1_null": [None] * len(queries),
        "r1_shuffled": [_other_instruction(queries, i) for i in range(len(queries))],
    }
    was_training = model.training
    model.eval()
    try:
        scorer = _PoolEnergies(model, tokenizer, queries, batch_size)
        result = {"n": float(len(queries))}
        for name, instructions in variants.items():
            energies = scorer.energies(instructions)
            result[name] = float(
                np.mean([recall_at_1(e, q.target) for e, q in zip(energies, queries, strict=True)])
            )
    finally:
        model.train(was_training)
    return result


class _PoolEnergies:
    """Latents of the pools' befores and candidates, encoded once; energies under any instructions."""

    @torch.inference_mode()
    def __init__(
        self,
        model: WorldModel,
        tokenizer: CodeTokenizer,
        queries: Sequence[PoolQuery],
        batch_size: int,
    ) -> None:
        self.model, self.tokenizer, self.batch_size = model, tokenizer, batch_size
        self.sizes = [len(q.candidates) for q in queries]
        cfg = model.cfg
        before_slot: dict[str, int] = {}
        for query in queries:
            before_slot.setdefault(query.before, len(before_slot))
        befores = tokenizer.encode_batch(list(before_slot))
        z_unique = self._encode([before_input(ids, cfg) for ids in befores])  # (B, d)
        self.z_b = z_unique[[before_slot[q.before] for q in queries]]  # (Q, d)
        cand_slot: dict[tuple[int, str], int] = {}
        for query in queries:
            for code in query.candidates:
                cand_slot.setdefault((before_slot[query.before], code), len(cand_slot))
        pairs = list(cand_slot)
        cand_ids = tokenizer.encode_batch([code for _, code in pairs])
        seqs = [
            candidate_input(befores[b], ids, cfg, tokenizer)
            for (b, _), ids in zip(pairs, cand_ids, strict=True)
        ]
        z_pairs = self._encode(seqs)  # (C, d)
        rows = [cand_slot[(before_slot[q.before], code)] for q in queries for code in q.candidates]
        self.z_c = z_pairs[torch.tensor(rows, dtype=torch.long, device=z_pairs.device)]  # (N, d)
        owner = [qi for qi, q in enumerate(queries) for _ in q.candidates]
        self.owner = torch.tensor(owner, dtype=torch.long, device=z_pairs.device)  # (N,)

    @torch.inference_mode()
    def energies(self, instructions: Sequence[str | None]) -> list[NDArray[np.float32]]:
        """E(b, a_q, c) per query (K_q,) with query q's instruction replaced by instructions[q]."""
        model, cfg = self.model, self.model.cfg
        device = self.z_b.device
        rows = [self.tokenizer.encode(text) if text else None for text in instructions]
        actions = []
        for start in range(0, len(rows), self.batch_size):
            ids, mask = stack_actions(rows[start : start + self.batch_size], cfg.action_max_len)
            actions.append(model.encode_action(ids.to(device), mask.to(device)).float())
        z_hat = model.predict(self.z_b, torch.cat(actions)).float()  # (Q, d)
        energy = model.energy(z_hat[self.owner], self.z_c).cpu().numpy()  # (N,)
        bounds = np.cumsum([0, *self.sizes])
        return [energy[bounds[i] : bounds[i + 1]] for i in range(len(self.sizes))]

    def _encode(self, seqs: Sequence[EditSequence]) -> Tensor:
        cfg = self.model.cfg
        device = next(self.model.parameters()).device
        outs = []
        for start in range(0, len(seqs), self.batch_size):
            ids, tags, changed = stack_sequences(seqs[start : start + self.batch_size], cfg.max_len)
            outs.append(
                self.model.encode_bucketed(
                    ids.to(device), tags.to(device), changed.to(device)
                ).float()
            )
        if not outs:
            return torch.zeros(0, cfg.d_latent, device=device)
        return torch.cat(outs)


def _other_instruction(queries: Sequence[PoolQuery], i: int) -> str | None:
    """The instruction of the next query (cyclically) whose before differs: another pool's instruction."""
    n = len(queries)
    for step in range(1, n):
        other = queries[(i + step) % n]
        if other.before != queries[i].before:
            return other.instruction
    return None
