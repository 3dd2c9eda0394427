"""Secret scanning of files and artifact directories with `artifacts.redact.find_secrets`.

What is scanned: files given by name always; inside directories, text artifacts by suffix
(`TEXT_SUFFIXES`, files named `.env*`), or every file with `all_files=True`. Nothing is skipped silently:
a binary or non-UTF-8 file, a symlink (never followed), a special file, a file over `MAX_BYTES`, a file
outside the default suffixes and a `.git` directory each appear in `not_scanned` with a reason.

Detectors (artifacts/redact.py, shared with `redact()`, so it removes whatever is flagged here):
- our `SECRET_PATTERNS` over the whole text, so multi-line PEM keys are found;
- every detect-secrets plugin except `EXCLUDED_PLUGINS`, line by line, with its heuristic
  false-positive filters; its inline allowlist (`pragma: allowlist secret`) is not honoured because
  scanned artifacts hold untrusted text that could carry one.
A detect-secrets hit on a secret our patterns already reported, or on a redaction marker, is dropped.
Scanning is linear in the file size (artifacts/plugins.py says how detect-secrets is kept so).

Findings carry a sha256 prefix and the length, never the secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from codelewm.artifacts.redact import (
    EXCLUDED_PLUGINS,
    SecretHit,
    detect_secrets_hits,
    detector_names,
    pattern_hits,
    redaction,
)
from codelewm.errors import InputError
from codelewm.records import NotScanned, SecretFinding, SecretScanReport

__all__ = [
    "EXCLUDED_PLUGINS",
    "MAX_BYTES",
    "TEXT_SUFFIXES",
    "detector_names",
    "pattern_findings",
    "scan_paths",
    "scan_text",
]

TEXT_SUFFIXES = frozenset(
    {".json", ".jsonl", ".yaml", ".yml", ".toml", ".md", ".txt", ".log", ".env", ".html", ".py"}
)
MAX_BYTES = 64 * 1024 * 1024
_VCS_DIRS = frozenset({".git", ".hg", ".svn"})
_REDACTION_MARKER = re.compile(r"\[REDACTED:[a-z0-9_]+:sha256=[0-9a-f]{8}:len=\d+\]")


def scan_paths(
    paths: Sequence[Path], *, all_files: bool = False, strict: bool = False
) -> SecretScanReport:
    """Scan files and directories; `strict` makes anything left unscanned count against `ok`."""
    skipped: list[NotScanned] = []
    files = list(_collect(paths, all_files=all_files, skipped=skipped))
    findings: list[SecretFinding] = []
    scanned = 0
    for path in files:
        text = _read_text(path, skipped)
        if text is None:
            continue
        scanned += 1
        findings.extend(scan_text(text, path=str(path)))
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


def scan_text(text: str, *, path: str = "<text>") -> list[SecretFinding]:
    """Findings of both detectors in `text`; `path` also picks detect-secrets' file-type rules."""
    hits = pattern_hits(text)
    findings = [_finding(path, h) for h in hits]
    known = _secrets_by_line(hits)
    known[0] = _REDACTION_MARKER.findall(text)  # line 0: pieces that count on any line
    seen: set[tuple[int, str, str]] = set()
    for hit in detect_secrets_hits(text, filename=path):
        key = (hit.line, hit.kind, hit.secret)
        if key in seen or _already_found(hit.secret, hit.line, known):
            continue
        seen.add(key)
        findings.append(_finding(path, hit))
    return findings


def pattern_findings(text: str, *, path: str = "<text>") -> list[SecretFinding]:
    """What SECRET_PATTERNS flag in `text`: each secret once, under the first (most precise) kind."""
    return [_finding(path, hit) for hit in pattern_hits(text)]


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


def _secrets_by_line(hits: list[SecretHit]) -> dict[int, list[str]]:
    """The pieces of our secrets on each line they touch (a PEM key spans many)."""
    by_line: dict[int, list[str]] = {}
    for hit in hits:
        for offset, part in enumerate(hit.secret.split("\n")):
            if part.strip():
                by_line.setdefault(hit.line + offset, []).append(part.strip())
    return by_line


def _already_found(secret: str, line: int, own: dict[int, list[str]]) -> bool:
    """A detect-secrets hit is a duplicate when it is part of one of our secrets or of a redaction
    marker, or overlaps one of ours on the same line."""
    if any(secret in mine for pieces in own.values() for mine in pieces):
        return True
    return any(mine in secret for mine in own.get(line, ()))


def _finding(path: str, hit: SecretHit) -> SecretFinding:
    marker = redaction(hit.kind, hit.secret)
    return SecretFinding(
        path=path,
        line=hit.line,
        kind=hit.kind,
        detector=hit.detector,
        sha256_prefix=marker.split("sha256=")[1][:8],
        length=len(hit.secret),
        redaction=marker,
    )
