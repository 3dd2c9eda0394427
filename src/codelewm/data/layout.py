"""The on-disk layout of a dataset artifact, shared by `dataset build`, training and evaluation.

```
DATASET/
  manifest.json, config.json          artifact contract (artifacts/manifest.py)
  transitions/{train,val,test}.jsonl  one codelewm.transition.v1 per line
  pools/{train,val,test}.jsonl        one codelewm.same_before_pool.v1 per line
  pools/{train,val,test}.decoys.jsonl one codelewm.rerank_pool.v1 decoy pool per line (data/decoys.py):
                                      one before + instruction, the true after (passed=True) and
                                      seeded decoys (passed=False); absent when no source made any
  filter_report.json, leakage_report.json, stats.json
```
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from codelewm.errors import ParseFailureError, SourceUnavailableError
from codelewm.records import RerankPool, SameBeforePool, Split, TransitionRecord

R = TypeVar("R", bound=BaseModel)

SPLITS: tuple[Split, ...] = ("train", "val", "test")


def transitions_path(root: Path, split: Split) -> Path:
    return root / "transitions" / f"{split}.jsonl"


def pools_path(root: Path, split: Split) -> Path:
    return root / "pools" / f"{split}.jsonl"


def decoy_pools_path(root: Path, split: Split) -> Path:
    return root / "pools" / f"{split}.decoys.jsonl"


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.is_file():
        raise SourceUnavailableError(
            f"{path} does not exist",
            remediation="Build the dataset first: `codelewm dataset build ...`.",
        )
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def _records(path: Path, model: type[R], what: str) -> Iterator[R]:
    """Validate each non-blank line of `path` as `model`; a bad line names its file and line."""
    for number, line in _lines(path):
        try:
            yield model.model_validate_json(line)
        except ValidationError as exc:
            raise ParseFailureError(f"{path}:{number}: not a {what}: {exc}") from exc


def read_transitions(root: Path, split: Split) -> Iterator[TransitionRecord]:
    return _records(transitions_path(root, split), TransitionRecord, "transition record")


def read_pools(root: Path, split: Split) -> Iterator[SameBeforePool]:
    return _records(pools_path(root, split), SameBeforePool, "same-before pool")


def read_decoy_pools(root: Path, split: Split) -> Iterator[RerankPool]:
    """Decoy pools of one split; none when the dataset has no decoy pool file for it."""
    path = decoy_pools_path(root, split)
    if not path.is_file():
        return iter(())
    return _records(path, RerankPool, "rerank pool")
