"""Text -> model inputs, shared by training and scoring so both see exactly the same tensors."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from codelewm.checkpoint.tokenizer import CodeTokenizer
from codelewm.model.edit_input import EditSequence, before_sequence, edit_sequence
from codelewm.model.world_model import ModelConfig


def before_input(before_ids: list[int], cfg: ModelConfig) -> EditSequence:
    return before_sequence(before_ids, max_len=cfg.max_len)


def candidate_input(
    before_ids: list[int], cand_ids: list[int], cfg: ModelConfig, tokenizer: CodeTokenizer
) -> EditSequence:
    return edit_sequence(
        before_ids,
        cand_ids,
        max_len=cfg.max_len,
        newline_ids=tokenizer.newline_ids,
        gap_id=tokenizer.gap_id,
        head=cfg.window_head,
        radius=cfg.window_radius,
    )


def stack_sequences(seqs: Sequence[EditSequence], length: int) -> tuple[Tensor, Tensor, Tensor]:
    """N sequences -> ids, tags, changed, each (N, length) long, zero-padded."""
    ids = torch.zeros(len(seqs), length, dtype=torch.long)
    tags = torch.zeros(len(seqs), length, dtype=torch.long)
    changed = torch.zeros(len(seqs), length, dtype=torch.long)
    for row, seq in enumerate(seqs):
        n = min(len(seq), length)
        ids[row, :n] = torch.tensor(seq.ids[:n], dtype=torch.long)
        tags[row, :n] = torch.tensor(seq.tags[:n], dtype=torch.long)
        changed[row, :n] = torch.tensor(seq.changed[:n], dtype=torch.long)
    return ids, tags, changed


def stack_actions(rows: Sequence[list[int] | None], length: int) -> tuple[Tensor, Tensor]:
    """Instruction token ids (None = no instruction) -> ids (N, length) long, mask (N, length) bool."""
    ids = torch.zeros(len(rows), length, dtype=torch.long)
    mask = torch.zeros(len(rows), length, dtype=torch.bool)
    for row, tokens in enumerate(rows):
        if tokens:
            n = min(len(tokens), length)
            ids[row, :n] = torch.tensor(tokens[:n], dtype=torch.long)
            mask[row, :n] = True
    return ids, mask
