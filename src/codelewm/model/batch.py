"""The training batch: a before, K candidates sharing it (the true after first) and A instructions."""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
from torch import Tensor


@dataclass(frozen=True)
class Batch:
    before_ids: Tensor  # (B, T) long; the before alone
    before_tags: Tensor  # (B, T) long; keep, 0 = padding
    before_changed: Tensor  # (B, T) long; all 0
    cand_ids: Tensor  # (B, K, T) long; candidate 0 is the true after
    cand_tags: Tensor  # (B, K, T) long; keep / insert / delete / gap, 0 = padding
    cand_changed: Tensor  # (B, K, T) long; 1 on changed lines
    cand_valid: Tensor  # (B, K) bool; False = padding candidate
    action_ids: Tensor  # (B, A, L) long; action 0 is the true instruction, 1.. other pool members'
    action_mask: Tensor  # (B, A, L) bool; an empty row = no instruction (null action)
    action_valid: Tensor  # (B, A) bool
    drop_action: Tensor  # (B,) bool; replace the true instruction by the null action

    def to(self, device: torch.device | str) -> Batch:
        return Batch(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})
