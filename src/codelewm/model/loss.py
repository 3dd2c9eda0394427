"""Every training loss in one place. Each term has its own weight; 0 switches it off (for ablations).

- `infonce`: same-before ranking. Logits -E(b, a, c_k)/τ over the K candidates sharing the before; the
  true after is candidate 0; negatives are other pool members' afters, mutants, partial edits, the
  unedited before and decoys. This is the term that makes copying the before lose.
- `swap`: action-swap ranking. For the true after, logits -E(b, a_j, c_0)/τ over the true instruction,
  the other instructions of the same before and the null action: the true instruction must win.
- action dropout happens in the batch (`drop_action`): the null action must still predict the after.
- `mse`: latent MSE between ẑ and the true after's latent (small weight; alone it rewards copying).
- `behaviour`: behaviour-grounded geometry of the candidate latents (issue 12, item 3). In a row whose
  transition has a sandbox-labelled pool, a member that FAILED the task's checks is pushed below a
  cosine `behaviour_margin` to the true after's latent, a member that PASSED (an equivalent) is pulled
  towards it: candidates that behave alike lie close, so latent consensus (scoring/fusion.py, cosine)
  approximates agreement in behaviour, not in spelling. Passing members are masked out of infonce.
- `sigreg`: Epps–Pulley sketched isotropic-Gaussian regulariser on the encoder latents, with random
  projections drawn afresh every step (seeded by the step), as in LeJEPA / LeWorldModel.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from codelewm.model.batch import Batch
from codelewm.model.world_model import WorldModel

SIGREG_SEED = 0x5EED


@dataclass(frozen=True)
class LossConfig:
    infonce: float = 1.0
    swap: float = 0.5
    mse: float = 0.05
    sigreg: float = 0.02
    sigreg_slices: int = 256
    sigreg_knots: int = 17
    behaviour: float = 0.0
    behaviour_margin: float = 0.5


@dataclass(frozen=True)
class LossOutput:
    total: Tensor
    terms: dict[str, Tensor]  # unweighted, detached
    accuracy: Tensor  # share of rows whose true after has the lowest energy (detached)


def sigreg(x: Tensor, *, slices: int, knots: int, seed: int) -> Tensor:
    """Epps–Pulley statistic of `x` (N, D) against N(0, I) along `slices` random unit directions."""
    gen = torch.Generator(device="cpu").manual_seed(seed)
    directions = torch.randn(x.shape[1], slices, generator=gen).to(x.device)
    directions = directions / directions.norm(dim=0, keepdim=True)  # (D, M)
    t = torch.linspace(-5.0, 5.0, knots, device=x.device)  # (J,)
    target = torch.exp(-0.5 * t**2)  # characteristic function of N(0, 1)
    xt = (x @ directions).unsqueeze(-1) * t  # (N, M, J)
    real = torch.cos(xt).mean(0) - target  # (M, J)
    imag = torch.sin(xt).mean(0)
    err = (real.square() + imag.square()) * target
    return torch.trapezoid(err, t, dim=-1).mean() * x.shape[0]


def encode_candidates(model: WorldModel, batch: Batch) -> Tensor:
    """Latents of the valid candidates, zeros for padding: (B, K, d_latent)."""
    b, k, t = batch.cand_ids.shape
    flat_valid = batch.cand_valid.reshape(-1)  # (B*K,)
    z = model.encode_bucketed(
        batch.cand_ids.reshape(b * k, t)[flat_valid],
        batch.cand_tags.reshape(b * k, t)[flat_valid],
        batch.cand_changed.reshape(b * k, t)[flat_valid],
    ).float()  # (V, d)
    out = z.new_zeros(b * k, z.shape[-1])
    out[flat_valid] = z
    return out.view(b, k, -1)  # (B, K, d)


def world_model_loss(model: WorldModel, batch: Batch, cfg: LossConfig, *, step: int) -> LossOutput:
    b, a_count, _ = batch.action_ids.shape
    length = max(1, int(batch.action_mask.sum(-1).max()))  # cut padding columns no row uses
    z_b = model.encode_bucketed(batch.before_ids, batch.before_tags, batch.before_changed).float()
    z_c = encode_candidates(model, batch)  # (B, K, d)
    actions = (
        model.encode_action(
            batch.action_ids[..., :length].reshape(b * a_count, length),
            batch.action_mask[..., :length].reshape(b * a_count, length),
        )
        .float()
        .view(b, a_count, -1)
    )  # (B, A, d)
    null = model.null_action(b).float()  # (B, d)
    a_true = torch.where(batch.drop_action[:, None], null, actions[:, 0])
    z_hat = model.predict(z_b, a_true).float()  # (B, d)
    tau = model.temperature

    labels = batch.labels()  # (B, K)
    energy = model.energy(z_hat[:, None, :], z_c)  # (B, K)
    logits = (-energy / tau).masked_fill(~batch.cand_valid | (labels > 0), float("-inf"))
    target = torch.zeros(b, dtype=torch.long, device=logits.device)
    terms: dict[str, Tensor] = {"infonce": F.cross_entropy(logits, target)}
    accuracy = (logits.argmax(-1) == 0).float().mean().detach()

    terms["swap"] = _swap_term(model, z_b, actions, null, z_c[:, 0], batch, tau)
    terms["mse"] = F.mse_loss(z_hat, z_c[:, 0])
    valid_labels = labels * batch.cand_valid  # padding candidates are never labelled
    terms["behaviour"] = behaviour_term(z_c, valid_labels, margin=cfg.behaviour_margin)
    latents = torch.cat([z_b, z_c[batch.cand_valid]], dim=0)  # (B + V, d)
    terms["sigreg"] = sigreg(
        latents, slices=cfg.sigreg_slices, knots=cfg.sigreg_knots, seed=SIGREG_SEED + step
    )
    weights = {
        "infonce": cfg.infonce,
        "swap": cfg.swap,
        "mse": cfg.mse,
        "sigreg": cfg.sigreg,
        "behaviour": cfg.behaviour,
    }
    total = sum(
        (weights[name] * value for name, value in terms.items() if weights[name]), z_b.new_zeros(())
    )
    return LossOutput(
        total=total, terms={k: v.detach() for k, v in terms.items()}, accuracy=accuracy
    )


def behaviour_term(z_c: Tensor, labels: Tensor, *, margin: float) -> Tensor:
    """Mean over labelled members of relu(cos(after, failing) - margin) and 1 - cos(after, passing).

    z_c (B, K, d) candidate latents, candidate 0 the true after; labels (B, K) 1 passed, -1 failed,
    0 not labelled (valid rows only). Zero when the batch has no labelled member."""
    cos = F.cosine_similarity(z_c[:, :1, :], z_c, dim=-1)  # (B, K)
    failing = labels < 0
    passing = labels > 0
    count = int(failing.sum() + passing.sum())
    if count == 0:
        return cos.new_zeros(())
    loss = (F.relu(cos - margin) * failing).sum() + ((1.0 - cos) * passing).sum()
    return loss / count


def _swap_term(
    model: WorldModel,
    z_b: Tensor,
    actions: Tensor,
    null: Tensor,
    z_pos: Tensor,
    batch: Batch,
    tau: Tensor,
) -> Tensor:
    """Cross-entropy over [true instruction, other instructions of the same before, null action]."""
    b, a_count, d = actions.shape
    options = torch.cat([actions, null[:, None, :]], dim=1)  # (B, A+1, d)
    z_hat = (
        model.predict(
            z_b[:, None, :].expand(b, a_count + 1, d).reshape(-1, d), options.reshape(-1, d)
        )
        .float()
        .view(b, a_count + 1, d)
    )  # (B, A+1, d)
    energy = model.energy(z_hat, z_pos[:, None, :])  # (B, A+1)
    valid = torch.cat([batch.action_valid, batch.action_valid.new_ones(b, 1)], dim=1)
    logits = (-energy / tau).masked_fill(~valid, float("-inf"))
    rows = batch.action_valid[:, 0] & ~batch.drop_action
    if not bool(rows.any()):
        return logits.new_zeros(())
    target = torch.zeros(int(rows.sum()), dtype=torch.long, device=logits.device)
    return F.cross_entropy(logits[rows], target)
