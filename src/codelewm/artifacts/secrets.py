"""Secret scanning of files and artifact directories: detect-secrets plugins plus our SECRET_PATTERNS.

What is scanned: files given by name always; inside directories, text artifacts by suffix
(`TEXT_SUFFIXES`, files named `.env*`), or every file with `all_files=True`. Nothing is skipped silently:
a binary or non-UTF-8 file, a symlink (never followed), a special file, a file over `MAX_BYTES`, a file
outside the default suffixes and a `.git` directory each appear in `not_scanned` with a reason.

Detectors, chosen to flag credentials and not our own artifacts:
- our `SECRET_PATTERNS` (artifacts/redact.py) over the whole text, so multi-line PEM keys are found and
  `redact()` removes exactly what they flag;
- every detect-secrets plugin except `Base64HighEntropyString` and `HexHighEntropyString` (they flag
  every sha256 in a manifest and every base64 blob in a tokenizer) and `IPPublicDetector` (an address is
  not a credential), with its heuristic false-positive filters; its inline allowlist (`pragma: allowlist
  secret`) is disabled because scanned artifacts hold untrusted text that could carry one.
A detect-secrets hit on a secret our patterns already reported, or on a redaction marker, is dropped.

Findings carry a sha256 prefix and the length, never the secret.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.scan import scan_file
from detect_secrets.settings import transient_settings

from codelewm.artifacts.redact import SECRET_PATTERNS, redaction
from codelewm.errors import InputError
from codelewm.records import NotScanned, SecretFinding, SecretScanReport

TEXT_SUFFIXES = frozenset(
    {".json", ".jsonl", ".yaml", ".yml", ".toml", ".md", ".txt", ".log", ".env", ".html", ".py"}
)
MAX_BYTES = 64 * 1024 * 1024
EXCLUDED_PLUGINS = frozenset(
    {"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"}
)
_HEURISTIC_FILTERS = (
    "is_sequential_string",
    "is_potential_uuid",
    "is_likely_id_string",
    "is_templated_secret",
    "is_prefixed_with_dollar_sign",
    "is_indirect_reference",
    "is_lock_file",
    "is_not_alphanumeric_string",
    "is_swagger_file",
)
_VCS_DIRS = frozenset({".git", ".hg", ".svn"})
_REDACTION_MARKER = re.compile(r"\[REDACTED:[a-z0-9_]+:sha256=[0-9a-f]{8}:len=\d+\]")
# detect-secrets' keyword plugin can capture a piece of a marker (YAML splits `[...]`, URLs run on).
_MARKER_PIECE = re.compile(r"REDACTED|sha256=[0-9a-f]{8}")
_DS_LOCK = threading.Lock()  # detect-secrets keeps its settings in process-wide state


def scan_paths(
    paths: Sequence[Path], *, all_files: bool = False, strict: bool = False
) -> SecretScanReport:
    """Scan files and directories; `strict` makes anything left unscanned count against `ok`."""
    skipped: list[NotScanned] = []
    files = list(_collect(paths, all_files=all_files, skipped=skipped))
    findings: list[SecretFinding] = []
    scanned = 0
    with _DS_LOCK, transient_settings(_settings()):
        for path in files:
            text = _read_text(path, skipped)
            if text is None:
                continue
            scanned += 1
            hits = _pattern_hits(text)
            findings.extend(
                _finding(str(path), _line_of(text, h.start), h.kind, "codelewm", h.secret)
                for h in hits
            )
            known = _secrets_by_line(text, hits)
            known[0] = _REDACTION_MARKER.findall(text)  # line 0: pieces that count on any line
            findings.extend(_detect_secrets_findings(path, known))
    findings.sort(key=lambda f: (f.path, f.line, f.kind))
    return SecretScanReport(
        paths=[str(p) for p in paths],
        ok=not findings and not (strict and skipped),
        strict=strict,
        files_scanned=scanned,
        findings=findings,
        not_scanned=sorted(skipped, key=lambda s: s.path),
        detectors=detector_names(),
    )


def pattern_findings(text: str, *, path: str = "<text>") -> list[SecretFinding]:
    """What SECRET_PATTERNS flag in `text`: each secret once, under the first (most precise) kind."""
    return [
        _finding(path, _line_of(text, hit.start), hit.kind, "codelewm", hit.secret)
        for hit in _pattern_hits(text)
    ]


@dataclass(frozen=True)
class _Hit:
    kind: str
    start: int
    secret: str


def _pattern_hits(text: str) -> list[_Hit]:
    claimed: list[tuple[int, int]] = []
    hits: list[_Hit] = []
    for pattern in SECRET_PATTERNS:
        for match in pattern.regex.finditer(text):
            start, end = match.span(pattern.group)
            secret = match.group(pattern.group)
            if secret.startswith("[REDACTED:") or any(s < end and start < e for s, e in claimed):
                continue
            claimed.append((start, end))
            hits.append(_Hit(pattern.kind, start, secret))
    return sorted(hits, key=lambda h: (h.start, h.kind))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def detector_names() -> list[str]:
    own = sorted({p.kind for p in SECRET_PATTERNS})
    return own + [f"detect-secrets:{name}" for name in _plugin_names()]


def _collect(
    paths: Sequence[Path], *, all_files: bool, skipped: list[NotScanned]
) -> Iterator[Path]:
    for path in paths:
        if path.is_symlink():
            skipped.append(
                NotScanned(path=str(path), reason="symlink", detail="symlinks are not followed")
            )
        elif path.is_dir():
            yield from _walk(path, all_files=all_files, skipped=skipped)
        elif path.is_file():
            yield path  # named explicitly: scanned whatever its suffix
        elif path.exists():
            skipped.append(NotScanned(path=str(path), reason="not_a_file", detail="special file"))
        else:
            raise InputError(
                f"{path} does not exist", remediation="Give existing files or directories."
            )


def _walk(top: Path, *, all_files: bool, skipped: list[NotScanned]) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        for name in sorted(dirnames):
            if name in _VCS_DIRS:
                skipped.append(
                    NotScanned(
                        path=str(here / name), reason="vcs_dir", detail="version-control data"
                    )
                )
            elif (here / name).is_symlink():
                skipped.append(
                    NotScanned(
                        path=str(here / name), reason="symlink", detail="symlinks are not followed"
                    )
                )
        dirnames[:] = sorted(
            d for d in dirnames if d not in _VCS_DIRS and not (here / d).is_symlink()
        )
        for name in sorted(filenames):
            path = here / name
            if path.is_symlink():
                skipped.append(
                    NotScanned(path=str(path), reason="symlink", detail="symlinks are not followed")
                )
            elif not path.is_file():
                skipped.append(
                    NotScanned(path=str(path), reason="not_a_file", detail="special file")
                )
            elif all_files or _is_text_artifact(name):
                yield path
            else:
                skipped.append(
                    NotScanned(
                        path=str(path),
                        reason="extension",
                        detail="not a text artifact suffix; use --all-files to scan it",
                    )
                )


def _is_text_artifact(name: str) -> bool:
    return name.startswith(".env") or Path(name).suffix.lower() in TEXT_SUFFIXES


def _read_text(path: Path, skipped: list[NotScanned]) -> str | None:
    """The file as text, or None after recording why it was not scanned."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            skipped.append(
                NotScanned(path=str(path), reason="too_large", detail=f"{size} bytes > {MAX_BYTES}")
            )
            return None
        data = path.read_bytes()
    except OSError as exc:
        skipped.append(
            NotScanned(path=str(path), reason="unreadable", detail=exc.strerror or str(exc))
        )
        return None
    if b"\x00" in data:
        skipped.append(NotScanned(path=str(path), reason="binary", detail="contains NUL bytes"))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        skipped.append(
            NotScanned(
                path=str(path), reason="not_utf8", detail=f"invalid UTF-8 at byte {exc.start}"
            )
        )
        return None


def _detect_secrets_findings(path: Path, own: dict[int, list[str]]) -> list[SecretFinding]:
    """detect-secrets hits not already reported; call inside `transient_settings(_settings())`."""
    findings: list[SecretFinding] = []
    for hit in scan_file(str(path)):
        secret = hit.secret_value
        secret = secret.strip() if secret else secret
        if (
            not secret
            or _MARKER_PIECE.search(secret)
            or _already_found(secret, hit.line_number, own)
        ):
            continue
        findings.append(
            _finding(str(path), hit.line_number, _slug(hit.type), "detect-secrets", secret)
        )
    return findings


def _secrets_by_line(text: str, hits: list[_Hit]) -> dict[int, list[str]]:
    """The pieces of our secrets on each line they touch (a PEM key spans many)."""
    by_line: dict[int, list[str]] = {}
    for hit in hits:
        first = _line_of(text, hit.start)
        for offset, part in enumerate(hit.secret.split("\n")):
            if part.strip():
                by_line.setdefault(first + offset, []).append(part.strip())
    return by_line


def _already_found(secret: str, line: int, own: dict[int, list[str]]) -> bool:
    """A detect-secrets hit is a duplicate when it is part of one of our secrets or of a redaction
    marker (its YAML reader can move a block onto the key's line, and splits `[REDACTED:...]`), or
    overlaps one of ours on the same line."""
    if any(secret in mine for pieces in own.values() for mine in pieces):
        return True
    return any(mine in secret for mine in own.get(line, ()))


def _settings() -> dict[str, list[dict[str, str]]]:
    return {
        "plugins_used": [{"name": name} for name in _plugin_names()],
        "filters_used": [
            {"path": f"detect_secrets.filters.heuristic.{name}"} for name in _HEURISTIC_FILTERS
        ],
    }


def _plugin_names() -> list[str]:
    classes: list[type] = list(get_mapping_from_secret_type_to_class().values())
    return sorted(cls.__name__ for cls in classes if cls.__name__ not in EXCLUDED_PLUGINS)


def _finding(path: str, line: int, kind: str, detector: str, secret: str) -> SecretFinding:
    marker = redaction(kind, secret)
    return SecretFinding(
        path=path,
        line=line,
        kind=kind,
        detector="codelewm" if detector == "codelewm" else "detect-secrets",
        sha256_prefix=marker.split("sha256=")[1][:8],
        length=len(secret),
        redaction=marker,
    )


def _slug(secret_type: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", secret_type.lower()).strip("_")
