"""The training batch: a before, K candidates sharing it (the true after first) and A instructions."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

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
    # (B, K) long: what running the task's checks said of each candidate of a sandbox-labelled pool:
    # 1 = passed (an equivalent of the true after: never an infonce negative), -1 = failed, 0 = not
    # labelled (the true after, other negatives, every row of an unlabelled transition).
    cand_label: Tensor | None = None

    def labels(self) -> Tensor:
        """cand_label, or zeros (B, K) for a batch without labelled candidates."""
        if self.cand_label is not None:
            return self.cand_label
        return torch.zeros(self.cand_valid.shape, dtype=torch.long, device=self.cand_valid.device)

    def to(self, device: torch.device | str) -> Batch:
        moved: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in moved.items():
            if value is not None:
                moved[name] = value.to(device)
        return Batch(**moved)
