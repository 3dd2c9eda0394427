"""Deduplication: exact duplicates of transitions, and near-duplicate before-states across splits.

Exact: two records are duplicates when their normalised before, instruction and normalised after are
equal (`duplicate_transition`), or their normalised before and after are (`duplicate_edit`: the same
edit under another instruction). The first record in build order is kept.

Near-duplicates (leakage): every distinct before of the train split goes into a MinHash LSH index
(`datasketch`, token 3-shingles of the normalised code); a val/test before whose estimated Jaccard
similarity to a train before reaches `threshold` leaks the training data into evaluation, so the
build drops its records and lists them in `leakage_report.json`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from codelewm.extras import require_extra

if TYPE_CHECKING:
    from datasketch import MinHash

_TOKEN = re.compile(r"\w+|[^\w\s]")


class NearDupConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    threshold: float = 0.8
    num_perm: int = 64
    shingle: int = 3


def exact_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def exact_duplicate_reasons(
    rows: Sequence[tuple[str, str | None, str]],
) -> list[str | None]:
    """Per (before_key, instruction, after_key): a duplicate reason code, or None for a first one."""
    seen_transition: set[str] = set()
    seen_edit: set[str] = set()
    reasons: list[str | None] = []
    for before_key, instruction, after_key in rows:
        transition = exact_key(before_key, instruction or "\x00none", after_key)
        edit = exact_key(before_key, after_key)
        if transition in seen_transition:
            reasons.append("duplicate_transition")
        elif edit in seen_edit:
            reasons.append("duplicate_edit")
        else:
            reasons.append(None)
        seen_transition.add(transition)
        seen_edit.add(edit)
    return reasons


def shingles(code: str, size: int) -> set[bytes]:
    tokens = _TOKEN.findall(code)
    if len(tokens) < size:
        return {" ".join(tokens).encode()}
    return {" ".join(tokens[i : i + size]).encode() for i in range(len(tokens) - size + 1)}


@functools.cache
def _permutations(num_perm: int) -> Any:
    """datasketch's seeded permutations, drawn once (drawing them costs more than hashing)."""
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=1, scheme="affine32").permutations


def _minhash(code: str, config: NearDupConfig) -> MinHash:
    from datasketch import MinHash

    # crc32: a fast, deterministic 32-bit hash (datasketch's default is sha1 per shingle).
    sketch = MinHash(
        num_perm=config.num_perm,
        seed=1,
        hashfunc=zlib.crc32,
        permutations=_permutations(config.num_perm),
        scheme="affine32",
    )
    sketch.update_batch(list(shingles(code, config.shingle)))
    return sketch


def near_duplicates(
    train: Mapping[str, str], held_out: Iterable[tuple[str, str]], config: NearDupConfig
) -> dict[str, str]:
    """held-out before key -> a train before key it nearly duplicates (normalised code as values)."""
    require_extra("datasketch", "data", feature="near-duplicate leakage removal")
    from datasketch import MinHashLSH

    index = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm)
    for key, code in train.items():
        index.insert(key, _minhash(code, config))
    found: dict[str, str] = {}
    for key, code in held_out:
        if key in train:
            found[key] = key
            continue
        matches = index.query(_minhash(code, config))
        if matches:
            found[key] = sorted(matches)[0]
    return found
