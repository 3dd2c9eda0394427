from __future__ import annotations

import dataclasses

import pytest
import torch
from _model_helpers import TINY, make_batch

from codelewm.model.loss import LossConfig, behaviour_term, sigreg, world_model_loss
from codelewm.model.world_model import ModelConfig, WorldModel, count_parameters


def test_shapes(tiny_model: WorldModel) -> None:
    batch = make_batch()
    z_b = tiny_model.encode(batch.before_ids, batch.before_tags, batch.before_changed)
    assert z_b.shape == (3, TINY.d_latent)
    a = tiny_model.encode_action(batch.action_ids[:, 0], batch.action_mask[:, 0])
    assert a.shape == (3, TINY.d_latent)
    z_hat = tiny_model.predict(z_b, a)
    assert z_hat.shape == (3, TINY.d_latent)
    assert tiny_model.energy(z_hat[:, None], torch.randn(3, 5, TINY.d_latent)).shape == (3, 5)


def test_empty_instruction_is_the_null_action(tiny_model: WorldModel) -> None:
    ids = torch.zeros(2, TINY.action_max_len, dtype=torch.long)
    mask = torch.zeros(2, TINY.action_max_len, dtype=torch.bool)
    assert torch.equal(tiny_model.encode_action(ids, mask), tiny_model.null_action(2))


def test_padding_does_not_change_the_latent(tiny_model: WorldModel) -> None:
    """A sequence's latent depends on its tokens only, not on the padded length of the batch."""
    batch = make_batch()
    z = tiny_model.encode(batch.before_ids, batch.before_tags, batch.before_changed)
    n = int((batch.before_tags[0] != 0).sum())
    alone = tiny_model.encode(
        batch.before_ids[:1, :n], batch.before_tags[:1, :n], batch.before_changed[:1, :n]
    )
    assert torch.allclose(z[:1], alone, atol=1e-6)


def test_seeded_tiny_model_gives_exact_loss(tiny_model: WorldModel) -> None:
    out = world_model_loss(tiny_model, make_batch(), LossConfig(sigreg_slices=16), step=0)
    assert float(out.terms["infonce"]) == pytest.approx(7.061309337615967, abs=1e-5)
    assert float(out.terms["swap"]) == pytest.approx(0.9483273029327393, abs=1e-5)
    assert float(out.terms["mse"]) == pytest.approx(0.002318280516192317, abs=1e-7)
    assert float(out.terms["sigreg"]) == pytest.approx(5.715456485748291, abs=1e-4)
    assert float(out.total.detach()) == pytest.approx(7.649898052215576, abs=1e-4)
    assert count_parameters(tiny_model) == {
        "token_emb": 800,
        "encoder": 4280,
        "action_encoder": 3568,
        "predictor": 3536,
        "log_temperature": 1,
    }


def test_every_parameter_gets_a_gradient(tiny_model: WorldModel) -> None:
    out = world_model_loss(tiny_model, make_batch(), LossConfig(sigreg_slices=16), step=0)
    out.total.backward()
    missing = [n for n, p in tiny_model.named_parameters() if p.grad is None]
    assert missing == []


def test_zero_weight_switches_a_term_off(tiny_model: WorldModel) -> None:
    batch = make_batch()
    full = world_model_loss(tiny_model, batch, LossConfig(sigreg_slices=16), step=0)
    only = world_model_loss(
        tiny_model, batch, LossConfig(swap=0, mse=0, sigreg=0, sigreg_slices=16), step=0
    )
    assert float(only.total.detach()) == pytest.approx(float(full.terms["infonce"]), abs=1e-6)


def test_sigreg_is_small_for_gaussian_and_large_for_collapsed() -> None:
    gen = torch.Generator().manual_seed(1)
    gaussian = torch.randn(512, 16, generator=gen)
    collapsed = torch.randn(512, 1, generator=gen).expand(512, 16) * 0.01
    g = float(sigreg(gaussian, slices=64, knots=17, seed=3))
    c = float(sigreg(collapsed, slices=64, knots=17, seed=3))
    assert g < 1.0 < 50.0 < c


def test_sigreg_projections_change_with_the_step() -> None:
    x = torch.randn(64, 8, generator=torch.Generator().manual_seed(2))
    a = sigreg(x, slices=8, knots=17, seed=10)
    assert torch.equal(a, sigreg(x, slices=8, knots=17, seed=10))
    assert not torch.equal(a, sigreg(x, slices=8, knots=17, seed=11))


def test_config_round_trip_refuses_unknown_keys() -> None:
    assert ModelConfig.from_dict(TINY.to_dict()) == TINY
    with pytest.raises(ValueError, match="unknown model config keys"):
        ModelConfig.from_dict({**TINY.to_dict(), "n_experts": 8})


def test_behaviour_term_pushes_failing_members_away_and_pulls_passing_ones() -> None:
    after = torch.tensor([1.0, 0.0, 0.0])
    near = torch.tensor([0.9, 0.1, 0.0])  # cosine ~0.99 to the after
    far = torch.tensor([0.0, 1.0, 0.0])  # cosine 0
    z = torch.stack([after, near, far, near])[None].requires_grad_(True)  # (1, 4, 3)
    labels = torch.tensor([[0, -1, -1, 1]])  # near fails, far fails, near (again) passes
    loss = behaviour_term(z, labels, margin=0.5)
    cos_near = float(torch.nn.functional.cosine_similarity(after, near, dim=0))
    # the far failing member is already below the margin: only the near one and the pull count
    assert float(loss.detach()) == pytest.approx(((cos_near - 0.5) + (1 - cos_near)) / 3, abs=1e-6)
    loss.backward()
    assert z.grad is not None and float(z.grad[0, 2].abs().sum()) == 0.0  # below the margin
    assert behaviour_term(z, torch.zeros(1, 4, dtype=torch.long), margin=0.5).item() == 0.0


def test_passing_members_are_never_infonce_negatives(tiny_model: WorldModel) -> None:
    batch = make_batch()
    labels = torch.zeros_like(batch.cand_valid, dtype=torch.long)
    labels[1, 2] = 1  # row 1, candidate 2: an equivalent of the after
    labelled = dataclasses.replace(batch, cand_label=labels)
    ids = batch.cand_ids.clone()
    ids[1, 2] = torch.where(ids[1, 2] > 0, (ids[1, 2] % 7) + 2, ids[1, 2])  # another program
    changed = dataclasses.replace(labelled, cand_ids=ids)
    cfg = LossConfig(sigreg_slices=16)
    one = world_model_loss(tiny_model, labelled, cfg, step=0).terms["infonce"]
    two = world_model_loss(tiny_model, changed, cfg, step=0).terms["infonce"]
    base = world_model_loss(tiny_model, batch, cfg, step=0).terms["infonce"]
    assert float(one) == pytest.approx(float(two), abs=1e-6)  # its latent no longer matters
    assert float(base) != pytest.approx(float(one), abs=1e-6)  # it did as a negative
    with_term = world_model_loss(
        tiny_model, labelled, LossConfig(sigreg_slices=16, behaviour=1.0), step=0
    )
    assert float(with_term.terms["behaviour"]) > 0.0
