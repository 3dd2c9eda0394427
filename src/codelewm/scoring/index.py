"""A transition index: "past edits like this one", by nearest neighbours in the model's latent space.

Each indexed transition (before -> after, from a dataset split) is embedded as the model embeds a
candidate: the after seen as an aligned edit of its before, `z_c = E(before -> after)`, unit-normalised.
A query is either

- `predicted`: the model's predicted after-latent `P(E(before), A(instruction))` (no candidate needed),
- `candidate`: a candidate's `z_c` as an edit of the query's before.

Similarity is the cosine (exact search over a float32 matrix with numpy). Since the model's energy is
`||ẑ/|ẑ| - z_c/|z_c|||² = 2 - 2·cos`, the nearest neighbours are the lowest-energy past edits.

The index is an artifact directory (`codelewm index build`):

    embeddings.safetensors  {"embeddings": (N, d) float32, unit rows}   (no pickle)
    entries.jsonl           one IndexEntry per row, same order
    config.json, manifest.json   parents: the checkpoint and the dataset

An index is only queried with the checkpoint it was built with (same artifact id); anything else is a
`CheckpointError`, since latents of different checkpoints are not comparable.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, ValidationError
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file
from torch import Tensor

from codelewm.artifacts.manifest import ArtifactWriter, load_manifest
from codelewm.artifacts.verify import verify_artifact
from codelewm.checkpoint.features import (
    before_input,
    candidate_input,
    stack_actions,
    stack_sequences,
)
from codelewm.data.layout import read_transitions
from codelewm.errors import ArtifactError, CheckpointError, InputError
from codelewm.model.edit_input import EditSequence
from codelewm.records import IndexHit, IndexQueryRecord, Split, TransitionRecord
from codelewm.scoring.world_model import WorldModelScorer

INDEX_KIND: Final = "index"
EMBEDDINGS_NAME: Final = "embeddings.safetensors"
ENTRIES_NAME: Final = "entries.jsonl"
MAX_K: Final = 100
BUILD_CHUNK: Final = 256


class IndexEntry(BaseModel):
    """What the index keeps of one transition (enough to show it as a diff)."""

    model_config = ConfigDict(extra="forbid")

    transition_id: str
    source: str
    group: str
    path: str
    symbol: str
    instruction: str | None
    before: str
    after: str

    @classmethod
    def of(cls, record: TransitionRecord) -> IndexEntry:
        return cls(
            transition_id=record.transition_id,
            source=record.source,
            group=record.group,
            path=record.path,
            symbol=record.symbol,
            instruction=record.instruction,
            before=record.before,
            after=record.after,
        )


# --- embeddings -----------------------------------------------------------------------------------


@torch.inference_mode()
def edit_embeddings(
    scorer: WorldModelScorer, befores: Sequence[str], afters: Sequence[str]
) -> NDArray[np.float32]:
    """Unit latents of each after as an edit of its before: (N, d_latent) float32."""
    scorer.model.eval()
    tok, cfg = scorer.tokenizer, scorer.model.cfg
    before_ids = tok.encode_batch(list(befores))
    after_ids = tok.encode_batch(list(afters))
    seqs = [candidate_input(b, a, cfg, tok) for b, a in zip(before_ids, after_ids, strict=True)]
    return _unit(_encode(scorer, seqs))


@torch.inference_mode()
def predicted_embeddings(
    scorer: WorldModelScorer, befores: Sequence[str], instructions: Sequence[str | None]
) -> NDArray[np.float32]:
    """Unit predicted after-latents P(E(before), A(instruction)): (N, d_latent) float32."""
    scorer.model.eval()
    model, tok = scorer.model, scorer.tokenizer
    z_b = _encode(scorer, [before_input(ids, model.cfg) for ids in tok.encode_batch(list(befores))])
    rows = [tok.encode(text) if text else None for text in instructions]
    ids, mask = stack_actions(rows, model.cfg.action_max_len)
    actions = model.encode_action(ids.to(scorer.device), mask.to(scorer.device)).float()
    no_action = torch.tensor([r is None for r in rows], device=scorer.device)[:, None]
    actions = torch.where(no_action, model.null_action(len(rows)).float(), actions)  # (N, d)
    return _unit(model.predict(z_b, actions).float())


def _encode(scorer: WorldModelScorer, seqs: Sequence[EditSequence]) -> Tensor:
    cfg = scorer.model.cfg
    outs = []
    for start in range(0, len(seqs), scorer.batch_size):
        ids, tags, changed = stack_sequences(seqs[start : start + scorer.batch_size], cfg.max_len)
        device = scorer.device
        outs.append(
            scorer.model.encode(ids.to(device), tags.to(device), changed.to(device)).float()
        )
    return torch.cat(outs) if outs else torch.zeros(0, cfg.d_latent, device=scorer.device)


def _unit(z: Tensor) -> NDArray[np.float32]:
    return F.normalize(z, dim=-1).cpu().numpy().astype(np.float32)


# --- build ----------------------------------------------------------------------------------------


def build_index(
    scorer: WorldModelScorer,
    *,
    checkpoint: Path,
    dataset: Path,
    out: Path,
    split: Split = "train",
    limit: int | None = None,
    overwrite: bool = False,
    command: Sequence[str] | None = None,
) -> Path:
    """Embed the transitions of `dataset`'s `split` (the first `limit`) and write the index at `out`."""
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, got {limit}")
    try:
        dataset_id = load_manifest(dataset).artifact_id
    except ArtifactError as exc:
        raise InputError(
            f"{dataset} is not a dataset artifact: {exc.message}",
            remediation="Build one with `codelewm dataset build` (it writes manifest.json).",
        ) from exc
    entries = [IndexEntry.of(r) for r in islice(read_transitions(dataset, split), limit)]
    if not entries:
        raise InputError(f"{dataset} has no {split} transitions to index")
    vectors = np.concatenate(
        [
            edit_embeddings(scorer, [e.before for e in chunk], [e.after for e in chunk])
            for chunk in _chunks(entries, BUILD_CHUNK)
        ]
    )
    config = {
        "schema_version": "codelewm.index.v1",
        "checkpoint_id": scorer.checkpoint_id,
        "checkpoint_sha256": scorer.checkpoint_sha256,
        "dataset_id": dataset_id,
        "split": split,
        "limit": limit,
        "embedding": "edit latent E(before -> after), unit-normalised",
        "metric": "cosine",
        "backend": "numpy",
        "dim": int(vectors.shape[1]),
    }
    with ArtifactWriter(
        out,
        kind=INDEX_KIND,
        config=config,
        overwrite=overwrite,
        command=command,
        parents=[checkpoint, dataset],
        metadata={"entries": len(entries), "checkpoint_path": str(checkpoint.resolve())},
    ) as art:
        save_file({"embeddings": vectors}, str(art.path / EMBEDDINGS_NAME))
        lines = "".join(e.model_dump_json() + "\n" for e in entries)
        (art.path / ENTRIES_NAME).write_text(lines, encoding="utf-8")
    return out


def _chunks(items: Sequence[IndexEntry], size: int) -> Iterator[Sequence[IndexEntry]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- load and query -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransitionIndex:
    """A loaded, verified index."""

    path: Path
    index_id: str
    config: dict[str, Any]
    embeddings: NDArray[np.float32]  # (N, d) unit rows
    entries: list[IndexEntry]
    checkpoint_path: Path | None = None  # where the checkpoint was when the index was built

    @property
    def checkpoint_id(self) -> str:
        return str(self.config["checkpoint_id"])

    def nearest(self, query: NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        """Indices and cosines of the `k` most similar rows, best first (ties: lower index first)."""
        sims = self.embeddings @ query.astype(np.float32)  # (N,)
        order = np.lexsort((np.arange(len(sims)), -sims))[:k]
        return [(int(i), float(sims[i])) for i in order]


def load_index(path: Path) -> TransitionIndex:
    """Verify the index artifact (every file's sha256) and load it; InputError when it is not one."""
    try:
        manifest = load_manifest(path)
    except ArtifactError as exc:
        raise InputError(f"{path} is not an index: {exc.message}") from exc
    if manifest.artifact_kind != INDEX_KIND:
        raise InputError(f"{path} is a {manifest.artifact_kind!r} artifact, not an index")
    report = verify_artifact(path)
    if not report.ok:
        first = report.problems[0]
        raise InputError(
            f"{path}: index failed verification: {first.path}: {first.kind}: {first.detail}",
            remediation="Rebuild the index with `codelewm index build`.",
        )
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    built_with = manifest.metadata.get("checkpoint_path")
    try:
        vectors = load_file(str(path / EMBEDDINGS_NAME))["embeddings"]
        entries = [
            IndexEntry.model_validate_json(line)
            for line in (path / ENTRIES_NAME).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    except (SafetensorError, KeyError, ValidationError, OSError) as exc:
        raise InputError(f"{path}: index files do not load: {exc}") from exc
    if vectors.ndim != 2 or len(entries) != vectors.shape[0]:
        raise InputError(f"{path}: {len(entries)} entries for {vectors.shape[0]} embeddings")
    return TransitionIndex(
        path,
        manifest.artifact_id,
        config,
        vectors.astype(np.float32),
        entries,
        Path(built_with) if isinstance(built_with, str) else None,
    )


def query_index(
    index: TransitionIndex,
    scorer: WorldModelScorer,
    *,
    before: str,
    instruction: str | None,
    candidate: str | None = None,
    k: int = 5,
) -> IndexQueryRecord:
    """The `k` past edits nearest to this query (see the module docstring for the two kinds)."""
    if not 1 <= k <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K}, got {k}")
    if scorer.checkpoint_id != index.checkpoint_id:
        raise CheckpointError(
            f"index {index.index_id} was built with checkpoint {index.checkpoint_id}, "
            f"not {scorer.checkpoint_id}: latents of different checkpoints are not comparable",
            remediation="Query with the index's checkpoint, or rebuild the index with this one.",
        )
    action = instruction if instruction and instruction.strip() else None
    if candidate is not None:
        vector = edit_embeddings(scorer, [before], [candidate])[0]
    else:
        vector = predicted_embeddings(scorer, [before], [action])[0]
    hits = [
        _hit(rank, index.entries[i], sim)
        for rank, (i, sim) in enumerate(index.nearest(vector, k), 1)
    ]
    warnings = []
    if len(index.entries) < k:
        warnings.append(f"the index holds only {len(index.entries)} transitions")
    if action is None and candidate is None:
        warnings.append("no instruction: the query is the null-action prediction")
    return IndexQueryRecord(
        index_id=index.index_id,
        checkpoint_id=index.checkpoint_id,
        query="candidate" if candidate is not None else "predicted",
        k=k,
        hits=hits,
        warnings=warnings,
    )


def _hit(rank: int, entry: IndexEntry, similarity: float) -> IndexHit:
    diff = "\n".join(
        difflib.unified_diff(
            entry.before.splitlines(),
            entry.after.splitlines(),
            fromfile=f"a/{entry.path}",
            tofile=f"b/{entry.path}",
            lineterm="",
        )
    )
    return IndexHit(
        rank=rank,
        similarity=similarity,
        transition_id=entry.transition_id,
        source=entry.source,
        group=entry.group,
        path=entry.path,
        symbol=entry.symbol,
        instruction=entry.instruction,
        diff=diff,
    )
