"""The world model: code-state encoder, action encoder, AdaLN-zero predictor and the transition energy.

    z_b = E(before)            before alone, tags all keep            (B, d_latent)
    z_c = E(candidate)         candidate as an aligned edit of before (B, K, d_latent)
    a   = A(instruction) | ∅   learned null action for "no instruction"
    ẑ   = P(z_b, a)            MLP blocks, AdaLN-zero conditioned on a
    E(b, a, c) = ||ẑ/|ẑ| - z_c/|z_c|||²    in [0, 4]; lower = more plausible

Pure torch: no I/O, no tokenizer. `ModelConfig` holds every argument needed to rebuild the model, so a
checkpoint stores it beside the weights; `build_world_model(cfg)` builds the components and injects them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from codelewm.model.edit_input import DELETE, INSERT, N_TAGS


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 8192
    max_len: int = 128  # tokens per code sequence (before or windowed candidate)
    action_max_len: int = 48  # tokens per instruction
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 2
    action_layers: int = 1
    d_latent: int = 128
    predictor_blocks: int = 2
    predictor_hidden: int = 256
    dropout: float = 0.0
    init_temperature: float = 0.1
    window_head: int = 16  # candidate window: the first tokens (signature) ...
    window_radius: int = 24  # ... and this many tokens either side of every change

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        """Rebuild from a stored dict. Unknown keys, wrong types and values outside `CONFIG_BOUNDS`
        raise ValueError (the caller maps it): a checkpoint's config is untrusted input, checked
        before anything is allocated."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        for name, value in values.items():
            _check_bound(name, value)
        cfg = cls(**values)
        if cfg.d_model % cfg.n_heads:
            raise ValueError(f"d_model {cfg.d_model} is not a multiple of n_heads {cfg.n_heads}")
        return cfg


# (low, high) of each field, inclusive; ints must be ints (not bool, not float). Generous: the shipped
# model is d 96 / 2 layers / max_len 96; these only keep a hostile config from allocating terabytes
# or building a million layers. The weights file must still match the config tensor for tensor.
CONFIG_BOUNDS: dict[str, tuple[float, float]] = {
    "vocab_size": (3, 1 << 20),
    "max_len": (8, 1 << 14),
    "action_max_len": (1, 1 << 12),
    "d_model": (8, 1 << 13),
    "n_heads": (1, 256),
    "n_layers": (1, 64),
    "action_layers": (1, 64),
    "d_latent": (2, 1 << 13),
    "predictor_blocks": (0, 64),
    "predictor_hidden": (8, 1 << 15),
    "dropout": (0.0, 0.99),
    "init_temperature": (1e-4, 10.0),
    "window_head": (0, 1 << 14),
    "window_radius": (0, 1 << 14),
}
_FLOAT_FIELDS = frozenset({"dropout", "init_temperature"})


def _check_bound(name: str, value: Any) -> None:
    low, high = CONFIG_BOUNDS[name]
    if name in _FLOAT_FIELDS:
        ok_type = isinstance(value, int | float) and not isinstance(value, bool)
        # an int is finite; math.isfinite would overflow on one too large for a float
        if not ok_type or (isinstance(value, float) and not math.isfinite(value)):
            raise ValueError(f"{name} must be a finite number, not {value!r}")
    elif not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, not {type(value).__name__} {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} = {value!r} is outside [{low:g}, {high:g}]")


class Block(nn.Module):
    """Pre-LayerNorm transformer block with a key padding mask."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model)
        )
        self.dropout = dropout

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q = q.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2)  # (B, H, T, Dh)
        k = k.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2)
        v = v.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2)
        attn_mask = mask[:, None, None, :]  # (B, 1, 1, T): True = attend
        drop = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=drop)
        y = y.transpose(1, 2).reshape(b, t, d)  # (B, T, D)
        x = x + self.proj(y)
        out: Tensor = x + self.mlp(self.ln2(x))
        return out


def masked_mean(x: Tensor, mask: Tensor) -> Tensor:
    """Mean over the tokens where mask is True. x (B, T, D), mask (B, T) -> (B, D)."""
    weights = mask.to(x.dtype).unsqueeze(-1)  # (B, T, 1)
    return (x * weights).sum(1) / weights.sum(1).clamp_min(1.0)


class CodeEncoder(nn.Module):
    """Transformer over code tokens with tag and changed-line embeddings, mean-pooled and projected."""

    def __init__(self, cfg: ModelConfig, token_emb: nn.Embedding) -> None:
        super().__init__()
        self.token_emb = token_emb
        self.tag_emb = nn.Embedding(N_TAGS, cfg.d_model)
        self.changed_emb = nn.Embedding(2, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.max_len, cfg.d_model)
        self.blocks = nn.ModuleList(
            [Block(cfg.d_model, cfg.n_heads, cfg.dropout) for _ in range(cfg.n_layers)]
        )
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.projector = nn.Sequential(
            nn.Linear(2 * cfg.d_model, cfg.d_model), nn.GELU(), nn.Linear(cfg.d_model, cfg.d_latent)
        )

    def forward(self, ids: Tensor, tags: Tensor, changed: Tensor) -> Tensor:
        """ids, tags, changed (N, T) -> z (N, d_latent). Tag 0 marks padding.

        Two pools: the mean over all tokens (the state) and the mean over the edit — inserted and
        deleted tokens and the rest of their lines (zero for a before or an unchanged candidate). A
        one-token edit in a 100-token window would otherwise move the mean by 1%, and every candidate
        of a same-before pool would look the same: the copy trap, at the representation level.
        """
        mask = tags != 0  # (N, T)
        edit = mask & ((changed != 0) | (tags == INSERT) | (tags == DELETE))  # (N, T)
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.token_emb(ids) + self.tag_emb(tags) + self.changed_emb(changed) + self.pos_emb(pos)
        for block in self.blocks:
            x = block(x, mask)
        x = self.ln_f(x)
        pooled = torch.cat([masked_mean(x, mask), masked_mean(x, edit)], dim=-1)  # (N, 2D)
        z: Tensor = self.projector(pooled)  # (N, d_latent)
        return z


class ActionEncoder(nn.Module):
    """A smaller transformer over the instruction, sharing the token embedding; a learned null action."""

    def __init__(self, cfg: ModelConfig, token_emb: nn.Embedding) -> None:
        super().__init__()
        self.token_emb = token_emb
        self.type_emb = nn.Parameter(torch.zeros(cfg.d_model))
        self.pos_emb = nn.Embedding(cfg.action_max_len, cfg.d_model)
        self.blocks = nn.ModuleList(
            [Block(cfg.d_model, cfg.n_heads, cfg.dropout) for _ in range(cfg.action_layers)]
        )
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.projector = nn.Linear(cfg.d_model, cfg.d_latent)
        self.null = nn.Parameter(torch.randn(cfg.d_latent) * 0.02)

    def forward(self, ids: Tensor, mask: Tensor) -> Tensor:
        """ids, mask (N, L) -> a (N, d_latent). Rows with an empty mask get the null action."""
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.token_emb(ids) + self.type_emb + self.pos_emb(pos)
        for block in self.blocks:
            x = block(
                x, mask | ~mask.any(1, keepdim=True)
            )  # empty rows attend to padding, then replaced
        a = self.projector(masked_mean(self.ln_f(x), mask))  # (N, d_latent)
        empty = ~mask.any(1, keepdim=True)  # (N, 1)
        return torch.where(empty, self.null.expand_as(a), a)

    def null_action(self, n: int) -> Tensor:
        return self.null.expand(n, -1)  # (N, d_latent)


class AdaLNBlock(nn.Module):
    """MLP block whose LayerNorm shift/scale and residual gate come from the action (zero-initialised)."""

    def __init__(self, hidden: int, d_cond: int) -> None:
        super().__init__()
        self.ln = nn.LayerNorm(hidden, elementwise_affine=False)
        self.mlp = nn.Sequential(
            nn.Linear(hidden, 4 * hidden), nn.GELU(), nn.Linear(4 * hidden, hidden)
        )
        ada = nn.Linear(d_cond, 3 * hidden)
        nn.init.zeros_(ada.weight)
        nn.init.zeros_(ada.bias)
        self.ada = nn.Sequential(nn.SiLU(), ada)

    def forward(self, h: Tensor, cond: Tensor) -> Tensor:
        shift, scale, gate = self.ada(cond).chunk(3, dim=-1)  # 3 x (N, H)
        out: Tensor = h + gate * self.mlp(self.ln(h) * (1 + scale) + shift)
        return out


class Predictor(nn.Module):
    """P(z_b, a) -> ẑ: AdaLN-zero MLP blocks conditioned on the action latent."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.inp = nn.Linear(cfg.d_latent, cfg.predictor_hidden)
        self.cond = nn.Sequential(nn.Linear(cfg.d_latent, cfg.predictor_hidden), nn.GELU())
        self.blocks = nn.ModuleList(
            [
                AdaLNBlock(cfg.predictor_hidden, cfg.predictor_hidden)
                for _ in range(cfg.predictor_blocks)
            ]
        )
        self.ln_out = nn.LayerNorm(cfg.predictor_hidden)
        self.out = nn.Linear(cfg.predictor_hidden, cfg.d_latent)
        self.out_cond = nn.Linear(cfg.predictor_hidden, cfg.d_latent)

    def forward(self, z_b: Tensor, a: Tensor) -> Tensor:
        """z_b, a (N, d_latent) -> ẑ (N, d_latent)."""
        cond = self.cond(a)  # (N, H)
        h = self.inp(z_b)
        for block in self.blocks:
            h = block(h, cond)
        # The action also enters the output directly, so it can move ẑ even while the gates are still 0.
        z_hat: Tensor = self.out(self.ln_out(h)) + self.out_cond(cond)
        return z_hat


class WorldModel(nn.Module):
    """Encoders + predictor + temperature, injected: `build_world_model(cfg)` makes the standard ones.

    The code encoder and the action encoder share one token embedding (`token_emb`, registered here
    too, so the state_dict names it `token_emb.weight` as well as under each encoder). `cfg` is kept
    so a checkpoint can store it and rebuild the model; `init_temperature` comes from it.
    """

    def __init__(
        self,
        *,
        cfg: ModelConfig,
        encoder: CodeEncoder,
        action_encoder: ActionEncoder,
        predictor: Predictor,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.token_emb = encoder.token_emb
        self.encoder = encoder
        self.action_encoder = action_encoder
        self.predictor = predictor
        self.log_temperature = nn.Parameter(torch.tensor(math.log(cfg.init_temperature)))

    def encode(self, ids: Tensor, tags: Tensor, changed: Tensor) -> Tensor:
        """Code sequences (N, T) -> raw latents (N, d_latent)."""
        z: Tensor = self.encoder(ids, tags, changed)
        return z

    def encode_bucketed(
        self, ids: Tensor, tags: Tensor, changed: Tensor, *, chunk: int = 64
    ) -> Tensor:
        """`encode` in length-sorted chunks, each cut to its longest row: same latents, fewer padded
        tokens (candidate windows are mostly far shorter than max_len). (N, T) -> (N, d_latent)."""
        lengths = (tags != 0).sum(1)  # (N,)
        order = torch.argsort(lengths, stable=True)
        outs = []
        for start in range(0, ids.shape[0], chunk):
            rows = order[start : start + chunk]
            width = max(1, int(lengths[rows].max()))
            outs.append(self.encoder(ids[rows, :width], tags[rows, :width], changed[rows, :width]))
        if not outs:
            return ids.new_zeros(0, self.cfg.d_latent, dtype=self.token_emb.weight.dtype)
        z = torch.cat(outs)  # (N, d) in sorted order
        return z[torch.argsort(order)]

    def encode_action(self, ids: Tensor, mask: Tensor) -> Tensor:
        a: Tensor = self.action_encoder(ids, mask)
        return a

    def null_action(self, n: int) -> Tensor:
        return self.action_encoder.null_action(n)

    def predict(self, z_b: Tensor, a: Tensor) -> Tensor:
        z_hat: Tensor = self.predictor(z_b, a)
        return z_hat

    @property
    def temperature(self) -> Tensor:
        return self.log_temperature.exp().clamp(0.01, 1.0)

    @staticmethod
    def energy(z_hat: Tensor, z_c: Tensor) -> Tensor:
        """Squared distance of unit-normalised latents: (..., d) x (..., d) -> (...)."""
        return (F.normalize(z_hat, dim=-1) - F.normalize(z_c, dim=-1)).pow(2).sum(-1)


def build_world_model(cfg: ModelConfig) -> WorldModel:
    """The standard world model of `cfg`: one token embedding shared by both encoders, initialised
    (from torch's global RNG, so `torch.manual_seed` makes it reproducible)."""
    token_emb = nn.Embedding(cfg.vocab_size, cfg.d_model, padding_idx=0)
    model = WorldModel(
        cfg=cfg,
        encoder=CodeEncoder(cfg, token_emb),
        action_encoder=ActionEncoder(cfg, token_emb),
        predictor=Predictor(cfg),
    )
    model.apply(_init_weights)
    # Latents start at unit scale: SIGReg's gradient vanishes for latents collapsed near 0.
    for head in (model.encoder.projector[-1], model.action_encoder.projector):
        assert isinstance(head, nn.Linear)
        nn.init.normal_(head.weight, std=head.in_features**-0.5)
    return model


def _init_weights(module: nn.Module) -> None:
    if any(p.is_meta for p in module.parameters(recurse=False)):
        return  # a shape-only skeleton (`torch.device("meta")`): nothing to initialise
    if isinstance(module, nn.Linear):
        if module.weight.abs().sum() == 0:  # AdaLN-zero layers stay zero
            return
        nn.init.normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)
        if module.padding_idx is not None:
            with torch.no_grad():
                module.weight[module.padding_idx].zero_()


def count_parameters(model: nn.Module) -> dict[str, int]:
    """Parameters per top-level submodule (shared embeddings counted once, under token_emb)."""
    counts: dict[str, int] = {}
    seen: set[int] = set()
    for name, param in model.named_parameters():
        if id(param) in seen:
            continue
        seen.add(id(param))
        top = name.split(".")[0]
        counts[top] = counts.get(top, 0) + param.numel()
    return counts
