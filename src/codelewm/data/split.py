"""The group split: every group (repository, package, `stdlib/<top-level module>`) goes whole to one
split, chosen by hashing (seed, group) into [0, 1) and cutting at the configured ratios.

Deterministic across machines and shards, since it depends only on the seed and the group name; a
build with few groups can leave a split empty (one git repository is one group unless its source
groups by directory). `groups` pins named groups to a split instead (a fixed, documented held-out set,
e.g. whole repositories: `[split.groups]` in a build config); every other group is hashed.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, model_validator

from codelewm.records import Split


class SplitConfig(BaseModel):
    """Fractions of groups per split (they must sum to 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    train: float = 0.9
    val: float = 0.05
    test: float = 0.05
    groups: dict[str, Split] = {}  # group -> its split, before any hashing

    @model_validator(mode="after")
    def _sums_to_one(self) -> SplitConfig:
        if (
            min(self.train, self.val, self.test) < 0
            or abs(self.train + self.val + self.test - 1) > 1e-6
        ):
            raise ValueError("split fractions must be >= 0 and sum to 1")
        return self


def group_position(seed: int, group: str) -> float:
    """A uniform number in [0, 1) fixed by the seed and the group name."""
    digest = hashlib.sha256(f"{seed}\x1f{group}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(group: str, *, seed: int, config: SplitConfig) -> Split:
    pinned = config.groups.get(group)
    if pinned is not None:
        return pinned
    position = group_position(seed, group)
    if position < config.train:
        return "train"
    if position < config.train + config.val:
        return "val"
    return "test"
