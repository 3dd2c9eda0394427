"""Content digests: sha256 of files and of canonical JSON (the hashes manifests are made of)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from codelewm.errors import ArtifactError

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(obj: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept, NaN refused."""
    try:
        return json.dumps(
            obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise ArtifactError(
            f"value is not canonical JSON: {exc}",
            remediation="Give the config as JSON types only (str, int, float, bool, None, list, dict).",
        ) from exc
