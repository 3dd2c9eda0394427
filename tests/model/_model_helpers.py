from __future__ import annotations

import torch

from codelewm.model.batch import Batch
from codelewm.model.world_model import ModelConfig, WorldModel, build_world_model

TINY = ModelConfig(
    vocab_size=50,
    max_len=12,
    action_max_len=6,
    d_model=16,
    n_heads=2,
    n_layers=1,
    action_layers=1,
    d_latent=8,
    predictor_blocks=1,
    predictor_hidden=16,
)


def make_batch(seed: int = 0, b: int = 3, k: int = 4, a: int = 2) -> Batch:
    gen = torch.Generator().manual_seed(seed)
    t, length = TINY.max_len, TINY.action_max_len
    lengths = torch.randint(4, t + 1, (b, k), generator=gen)
    tags = (torch.arange(t) < lengths[..., None]).long() * torch.randint(
        1, 5, (b, k, t), generator=gen
    )
    before_len = torch.randint(4, t + 1, (b,), generator=gen)
    before_tags = (torch.arange(t) < before_len[:, None]).long()
    cand_valid = torch.ones(b, k, dtype=torch.bool)
    cand_valid[0, -1] = False
    action_mask = torch.arange(length) < torch.randint(1, length + 1, (b, a, 1), generator=gen)
    action_valid = torch.ones(b, a, dtype=torch.bool)
    action_valid[1, 1] = False
    action_mask[1, 1] = False
    return Batch(
        before_ids=torch.randint(2, TINY.vocab_size, (b, t), generator=gen)
        * before_tags.clamp(max=1),
        before_tags=before_tags,
        before_changed=torch.zeros(b, t, dtype=torch.long),
        cand_ids=torch.randint(2, TINY.vocab_size, (b, k, t), generator=gen) * (tags > 0),
        cand_tags=tags * cand_valid[..., None],
        cand_changed=torch.randint(0, 2, (b, k, t), generator=gen) * (tags > 0),
        cand_valid=cand_valid,
        action_ids=torch.randint(2, TINY.vocab_size, (b, a, length), generator=gen) * action_mask,
        action_mask=action_mask,
        action_valid=action_valid,
        drop_action=torch.tensor([False, False, True]),
    )


def tiny_model() -> WorldModel:
    torch.manual_seed(0)
    return build_world_model(TINY)
