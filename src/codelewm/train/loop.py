"""The training loop, torchtune style: `Trainer(cfg, out_dir=...)` then `setup / train / cleanup`.

Deterministic under a seed: the tokenizer is trained on the train split in file order, the model is
initialised after `torch.manual_seed(seed)`, each batch is a function of (seed, epoch, position) and
SIGReg's projections are seeded by the step. Exact resume restores model, optimizer, torch RNG and the
loop position from OUT/state/ and reproduces the uninterrupted run's parameters bit for bit (CPU).
Library code never prints: progress goes to an optional callback (the CLI renders it with rich).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from codelewm.checkpoint.tokenizer import CodeTokenizer, train_tokenizer
from codelewm.checkpoint.write import save_checkpoint
from codelewm.errors import ConfigError, SourceUnavailableError
from codelewm.extras import require_extra
from codelewm.model.batch import Batch
from codelewm.model.loss import LossConfig, world_model_loss
from codelewm.model.world_model import WorldModel, build_world_model
from codelewm.train.config import TrainConfig
from codelewm.train.data import BatchBuilder, epoch_order, load_examples, tokenizer_corpus
from codelewm.train.distributed import (
    DistInfo,
    broadcast_floats,
    cleanup_distributed,
    init_distributed,
)
from codelewm.train.run_dir import prepare_run_dir
from codelewm.train.state import LoopState, load_train_state, save_train_state
from codelewm.train.validate import PoolQuery, evaluate_pools, pool_queries

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

TERMS = ("infonce", "swap", "mse", "sigreg", "behaviour")
logger = logging.getLogger("codelewm.train")


@dataclass(frozen=True)
class Progress:
    """One report to the progress callback: after a logged step or an evaluation."""

    step: int
    max_steps: int
    metrics: dict[str, float]
    kind: str = "step"  # "step" | "eval" | "warning" (then `message` says what)
    message: str = ""


@dataclass
class TrainResult:
    out_dir: Path
    steps: int = 0
    best_metric: float = float("-inf")
    last_eval: dict[str, float] = field(default_factory=dict)
    examples_seen: int = 0
    wall_s: float = 0.0
    stopped_early: bool = False
    rank: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def examples_per_s(self) -> float:
        return self.examples_seen / self.wall_s if self.wall_s > 0 else 0.0


class LossModule(nn.Module):
    """Wraps the model so DDP sees one forward that returns the loss."""

    def __init__(self, model: WorldModel, cfg: LossConfig) -> None:
        super().__init__()
        self.model = model
        self.cfg = cfg

    def forward(self, batch: Batch, step: int) -> tuple[Tensor, Tensor, Tensor]:
        out = world_model_loss(self.model, batch, self.cfg, step=step)
        terms = torch.stack([out.terms[name] for name in TERMS])
        return out.total, terms, out.accuracy


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warmup, then cosine decay to lr * min_lr_ratio at max_steps."""
    opt = cfg.optim
    if step < opt.warmup_steps:
        return opt.lr * (step + 1) / opt.warmup_steps
    progress = (step - opt.warmup_steps) / max(1, opt.max_steps - opt.warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return opt.lr * (opt.min_lr_ratio + (1 - opt.min_lr_ratio) * cosine)


class Trainer:
    def __init__(
        self,
        cfg: TrainConfig,
        *,
        out_dir: Path,
        resume: bool = False,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.out_dir = out_dir
        self.resume = resume
        self.progress = progress
        self.loop = LoopState()
        self.result = TrainResult(out_dir=out_dir)

    # --- setup ---------------------------------------------------------------------------------

    def setup(self) -> None:
        cfg = self.cfg
        self.dist: DistInfo = init_distributed(cfg.device)
        torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        self.device = torch.device(
            f"cuda:{self.dist.local_rank}" if cfg.device == "cuda" else "cpu"
        )
        self.state_dir = self.out_dir / "state"
        self.examples = load_examples(
            cfg.data.dataset,
            "train",
            limit=cfg.data.max_train_examples,
            labelled_repeat=cfg.data.labelled_repeat,
        )
        self.val_queries = self._val_queries()
        self.tokenizer = self._tokenizer()
        torch.manual_seed(cfg.seed)
        self.model = build_world_model(cfg.model.build(self.tokenizer.vocab_size)).to(self.device)
        self.optimizer = self._optimizer()
        if self.resume:
            self.loop = load_train_state(self.state_dir, model=self.model, optimizer=self.optimizer)
        self.builder = BatchBuilder(
            self.examples,
            self.tokenizer,
            cfg.data,
            self.model.cfg,
            seed=cfg.seed,
            action_dropout=cfg.loss.action_dropout,
        )
        loss_module = LossModule(self.model, cfg.loss.build())
        self.step_module: nn.Module = (
            DistributedDataParallel(loss_module, find_unused_parameters=True)
            if self.dist.enabled
            else loss_module
        )
        self.writer: SummaryWriter | None = None
        if self.dist.is_main:
            require_extra("tensorboard", "train", feature="training logs (TensorBoard)")
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.out_dir / "tb"), purge_step=self.loop.step)
            for message in self.result.warnings:
                self.writer.add_text("warnings", message, self.loop.step)

    def _val_queries(self) -> list[PoolQuery]:
        """Validation pools of the val split. Only a dataset that has no val split (no file, or no
        usable transition: SourceUnavailableError) trains without validation, and says so loudly;
        a faulty val split (a bad line, ...) raises, since it would silently turn off early stopping
        and best-checkpoint selection."""
        try:
            val = load_examples(self.cfg.data.dataset, "val")
        except SourceUnavailableError as exc:
            self._warn(
                f"no validation: {exc.message} -- training runs without early stopping and "
                "without a best checkpoint (OUT/best/)"
            )
            return []
        return pool_queries(val, max_queries=self.cfg.data.val_max_pools, seed=self.cfg.seed)

    def _warn(self, message: str) -> None:
        """Log, report to the progress callback and keep for the checkpoints' metadata."""
        self.result.warnings.append(message)
        if not self.dist.is_main:
            return
        logger.warning(message)
        if self.progress is not None:
            self.progress(
                Progress(self.loop.step, self.cfg.optim.max_steps, {}, "warning", message)
            )

    def _tokenizer(self) -> CodeTokenizer:
        path = self.state_dir / "tokenizer.json"
        if self.resume and path.is_file():
            return CodeTokenizer.from_file(path)
        corpus = tokenizer_corpus(self.examples, limit=self.cfg.data.tokenizer_max_texts)
        tokenizer = train_tokenizer(corpus, vocab_size=self.cfg.data.tokenizer_vocab)
        if self.dist.is_main:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            tokenizer.save(path)
        return tokenizer

    def _optimizer(self) -> torch.optim.Optimizer:
        decay = [p for p in self.model.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.model.parameters() if p.dim() < 2]
        opt = self.cfg.optim
        return torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": opt.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=opt.lr,
            betas=opt.betas,
        )

    # --- train ---------------------------------------------------------------------------------

    def train(self) -> TrainResult:
        cfg, loop = self.cfg, self.loop
        started = time.perf_counter()
        seen_at_start = loop.examples_seen
        batch_size = cfg.optim.batch_size
        stop = False
        while loop.step < cfg.optim.max_steps and not stop:
            order = epoch_order(
                len(self.examples),
                seed=cfg.seed,
                epoch=loop.epoch,
                rank=self.dist.rank,
                world=self.dist.world,
            )
            n_batches = len(order) // batch_size
            if n_batches == 0:
                raise ConfigError(
                    f"{len(self.examples)} training examples cannot fill one batch of {batch_size} per process",
                    remediation="Lower optim.batch_size or use a larger dataset.",
                )
            while loop.batch_in_epoch < n_batches and loop.step < cfg.optim.max_steps:
                start = loop.batch_in_epoch * batch_size
                metrics = self._step(order[start : start + batch_size])
                loop.step += 1
                loop.batch_in_epoch += 1
                loop.examples_seen += batch_size * self.dist.world
                elapsed = time.perf_counter() - started
                metrics["examples_per_s"] = (loop.examples_seen - seen_at_start) / max(
                    elapsed, 1e-9
                )
                self._log(metrics, kind="step")
                stop = self._maybe_evaluate_and_save(elapsed)
                if stop:
                    break
            if loop.batch_in_epoch >= n_batches:
                loop.epoch += 1
                loop.batch_in_epoch = 0
        self.result.steps = loop.step
        self.result.rank = self.dist.rank
        self.result.best_metric = loop.best_metric
        self.result.examples_seen = loop.examples_seen - seen_at_start
        self.result.wall_s = time.perf_counter() - started
        return self.result

    def _step(self, indices: list[int]) -> dict[str, float]:
        self.step_module.train()
        batch = self.builder.build(indices, self.loop.epoch).to(self.device)
        lr = lr_at(self.loop.step, self.cfg)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        autocast = (
            torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
            if self.cfg.bf16
            else nullcontext()
        )
        with autocast:
            total, terms, accuracy = self.step_module(batch, self.loop.step)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(
            self.model.parameters(), self.cfg.optim.grad_clip
        )
        self.optimizer.step()
        metrics = {
            "loss": float(total.detach()),
            "accuracy": float(accuracy),
            "lr": lr,
            "grad_norm": float(grad_norm),
        }
        metrics.update({name: float(v) for name, v in zip(TERMS, terms, strict=True)})
        metrics["temperature"] = float(self.model.temperature.detach())
        return metrics

    def _maybe_evaluate_and_save(self, elapsed: float) -> bool:
        cfg, loop = self.cfg, self.loop
        out_of_time = cfg.max_minutes is not None and elapsed >= cfg.max_minutes * 60
        final = loop.step >= cfg.optim.max_steps or out_of_time
        stop = out_of_time
        if loop.step % cfg.eval_every == 0 or final:
            stop = self._evaluate() or stop
            if self.dist.is_main:
                self.save_checkpoint("last")
        if (loop.step % cfg.checkpoint_every == 0 or final or stop) and self.dist.is_main:
            save_train_state(self.state_dir, model=self.model, optimizer=self.optimizer, loop=loop)
        self.result.stopped_early = stop and not final
        return stop

    def _evaluate(self) -> bool:
        """Validate on held-out pools (rank 0), keep the best checkpoint, decide early stopping."""
        loop = self.loop
        metrics: dict[str, float] = {}
        if self.dist.is_main and self.val_queries:
            metrics = evaluate_pools(self.model, self.tokenizer, self.val_queries)
            self._log({f"val_{k}": v for k, v in metrics.items()}, kind="eval")
            self.result.last_eval = metrics
        r1 = metrics.get("r1", float("nan"))
        [r1] = broadcast_floats([r1], self.dist, self.device)
        if math.isnan(r1):
            return False
        if r1 > loop.best_metric:
            loop.best_metric = r1
            loop.bad_evals = 0
            if self.dist.is_main:
                self.save_checkpoint("best", metrics)
        else:
            loop.bad_evals += 1
        return loop.bad_evals >= self.cfg.patience

    def _log(self, metrics: dict[str, float], *, kind: str) -> None:
        if not self.dist.is_main:
            return
        if self.writer is not None and (kind == "eval" or self.loop.step % self.cfg.log_every == 0):
            for name, value in metrics.items():
                self.writer.add_scalar(
                    f"{'val' if kind == 'eval' else 'train'}/{name}", value, self.loop.step
                )
        if self.progress is not None:
            self.progress(Progress(self.loop.step, self.cfg.optim.max_steps, metrics, kind))

    # --- save / cleanup --------------------------------------------------------------------------

    def save_checkpoint(self, name: str, metrics: dict[str, float] | None = None) -> Path:
        path = self.out_dir / name
        save_checkpoint(
            path,
            model=self.model,
            tokenizer=self.tokenizer,
            train_config=self.cfg.model_dump(mode="json"),
            parents=[self.cfg.data.dataset],
            metadata={
                "step": self.loop.step,
                "examples_seen": self.loop.examples_seen,
                "val": metrics if metrics is not None else self.result.last_eval,
                **({"warnings": list(self.result.warnings)} if self.result.warnings else {}),
            },
        )
        return path

    def cleanup(self) -> None:
        if self.writer is not None:
            self.writer.close()
        cleanup_distributed(self.dist)


def run_training(
    cfg: TrainConfig,
    *,
    out_dir: Path,
    resume: bool = False,
    overwrite: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> TrainResult:
    """Train into `out_dir`; an existing run there is refused unless `resume` or `overwrite`."""
    prepare_run_dir(out_dir, resume=resume, overwrite=overwrite)
    trainer = Trainer(cfg, out_dir=out_dir, resume=resume, progress=progress)
    trainer.setup()
    try:
        return trainer.train()
    finally:
        trainer.cleanup()
