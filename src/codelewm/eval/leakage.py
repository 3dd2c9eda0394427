"""The leakage check every report states: do eval items occur in the scorer's training data?

A checkpoint's manifest lists its parent artifacts; the `dataset` parents are its training data. Their
train and val transitions (before and after) are hashed with `normalised_hash` (formatting-free), and
the eval items' hashes are intersected with them. A baseline has no training data: its overlap is 0 by
construction. A checkpoint whose training data cannot be found gets status `unknown`, which keeps the
claim closed (we cannot say it is clean). `decontaminate` drops the eval units (pools) that do overlap,
before scoring; the reports that use it say how many in their notes.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from codelewm.artifacts.atomic import atomic_write_text
from codelewm.artifacts.manifest import load_manifest
from codelewm.code.functions import normalised_hash
from codelewm.data.layout import read_transitions, transitions_path
from codelewm.errors import CodeLeWMError
from codelewm.records import Split

LeakageStatus = Literal["none_by_construction", "checked", "unknown"]
TRAINING_SPLITS: tuple[Split, ...] = ("train", "val")
T = TypeVar("T")


class LeakageCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: LeakageStatus
    training_datasets: list[str]
    n_eval_items: int
    n_training_items: int
    overlap: int | None  # None when unknown
    note: str


def eval_hashes(codes: Iterable[str]) -> set[str]:
    return {normalised_hash(code) for code in codes}


def training_datasets(checkpoint: Path) -> list[Path] | None:
    """The dataset directories a checkpoint's manifest names as parents; None if not resolvable."""
    try:
        manifest = load_manifest(checkpoint)
    except CodeLeWMError:
        return None
    paths = [
        Path(p.path) for p in manifest.parent_artifacts if p.artifact_kind == "dataset" and p.path
    ]
    if not paths or not all(transitions_path(p, "train").is_file() for p in paths):
        return None
    return paths


def training_hashes(datasets: Iterable[Path]) -> frozenset[str]:
    """Normalised hashes of every before and after in the datasets' training splits (cached)."""
    return _training_hashes(tuple(Path(p).resolve() for p in datasets))


@functools.lru_cache(maxsize=4)
def _training_hashes(datasets: tuple[Path, ...]) -> frozenset[str]:
    hashes: set[str] = set()
    for root in datasets:
        hashes |= _dataset_hashes(root)
    return frozenset(hashes)


def _dataset_hashes(root: Path) -> set[str]:
    """One dataset's training hashes, kept in the user's cache under the sha256 of its manifest (which
    names the sha256 of every file, so a changed dataset gets a new entry). Hashing 300k functions
    takes minutes; every report of a checkpoint needs the same set."""
    manifest = root / "manifest.json"
    cache = None
    if manifest.is_file():
        key = hashlib.sha256(manifest.read_bytes()).hexdigest()[:32]
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        cache = base / "codelewm" / "training-hashes" / f"{key}.txt"
        if cache.is_file():
            return set(cache.read_text(encoding="utf-8").split())
    hashes: set[str] = set()
    for split in TRAINING_SPLITS:
        if not transitions_path(root, split).is_file():
            continue
        for record in read_transitions(root, split):
            hashes.add(normalised_hash(record.before))
            hashes.add(normalised_hash(record.after))
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(cache, "\n".join(sorted(hashes)) + "\n")
        except OSError:
            pass  # a read-only home: the check still ran, only the cache is lost
    return hashes


def decontaminate(
    checkpoint: Path | None, units: Sequence[T], texts: Callable[[T], Iterable[str]]
) -> tuple[list[T], int]:
    """The units none of whose texts occurs in `checkpoint`'s training data, and how many were dropped.

    A baseline (None) or a checkpoint whose training data cannot be read keeps everything: the leakage
    check of the report then says "none by construction" or "unknown".
    """
    datasets = None if checkpoint is None else training_datasets(checkpoint)
    if not datasets:
        return list(units), 0
    seen = training_hashes(datasets)
    kept = [unit for unit in units if not (eval_hashes(texts(unit)) & seen)]
    return kept, len(units) - len(kept)


def check_leakage(checkpoint: Path | None, items: set[str]) -> LeakageCheck:
    """Overlap of eval item hashes `items` with the training data of `checkpoint` (None: a baseline)."""
    if checkpoint is None:
        return LeakageCheck(
            status="none_by_construction",
            training_datasets=[],
            n_eval_items=len(items),
            n_training_items=0,
            overlap=0,
            note="baselines are not trained: overlap is 0 by construction",
        )
    datasets = training_datasets(checkpoint)
    if datasets is None:
        return LeakageCheck(
            status="unknown",
            training_datasets=[],
            n_eval_items=len(items),
            n_training_items=0,
            overlap=None,
            note=f"{checkpoint}'s manifest names no readable dataset parent: overlap unknown",
        )
    seen = training_hashes(datasets)
    overlap = len(items & seen)
    return LeakageCheck(
        status="checked",
        training_datasets=[p.as_posix() for p in datasets],
        n_eval_items=len(items),
        n_training_items=len(seen),
        overlap=overlap,
        note=f"{overlap} of {len(items)} eval items occur in the training data (normalised hash)",
    )
