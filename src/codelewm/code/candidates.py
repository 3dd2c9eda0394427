"""Turn untrusted user inputs (files, directories, inline text) into candidates with an after-state.

A candidate is a full after-state (`.py`, or text that is not a diff) or a unified diff against the
before (`.patch`, `.diff`, or text whose first non-blank line starts like a diff: `diff --git `,
`--- `, `@@ `, `Index: `, `From <sha> `). A diff is applied in memory (`apply_patch`); the after is
checked statically (`static_check`); nothing is executed.

A problem with one candidate never aborts the call: a symlink, a non-regular file, a file over
`MAX_CANDIDATE_BYTES`, invalid UTF-8, a refused or non-applying patch and code that does not parse
all give a kept candidate with `error` set (its `error_type`, message and remediation). Only what
leaves nothing to keep raises `InputError`: a missing path, a directory with no candidate files.

Directories are read non-recursively in name order; hidden entries (`.name`) and subdirectories are
skipped, and so are files whose suffix is not `.py`, `.patch` or `.diff` (those are listed by
`skipped_files`, and the reranker warns about each one). Candidate ids are file
stems (or, inline, the given id or `cand-<sha256[:12]>`), made unique within a call by suffixing
`-2`, `-3`, ... Text is UTF-8 (a leading BOM is dropped; coding cookies are not honoured); `sha256`
is over the bytes as received, and a file that was not read has the empty text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from codelewm.code.patch import apply_patch
from codelewm.code.safe_read import read_capped
from codelewm.code.validity import static_check
from codelewm.errors import CandidateRefusedError, CodeLeWMError, InputError, PatchError
from codelewm.records import CandidateKind, CandidateRecord, ErrorRecord, Validity

MAX_CANDIDATE_BYTES: Final = 1_048_576
PATCH_SUFFIXES: Final = frozenset({".patch", ".diff"})
FULL_SUFFIXES: Final = frozenset({".py"})
KindChoice = Literal["auto", "full", "patch"]
_PATCH_START = re.compile(r"(diff --git |--- |@@ |Index: |From [0-9a-f]{40} )")


@dataclass(frozen=True)
class LoadedCandidate:
    """A candidate as received, its after-state (None when there is none) and its static checks."""

    record: CandidateRecord
    after: str | None
    validity: Validity
    error: ErrorRecord | None = None
    warnings: tuple[str, ...] = ()

    @property
    def candidate_id(self) -> str:
        return self.record.candidate_id


def looks_like_patch(text: str) -> bool:
    """Whether the first non-blank line starts the way a unified diff does."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return _PATCH_START.match(first.lstrip("\ufeff")) is not None


def candidate_from_text(
    text: str | bytes,
    *,
    before: str,
    candidate_id: str | None = None,
    before_path: str | None = None,
    kind: KindChoice = "auto",
    origin: str = "inline",
) -> LoadedCandidate:
    """A candidate from text (the API and the server); bytes are decoded as UTF-8."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    sha = hashlib.sha256(data).hexdigest()
    cid = candidate_id if candidate_id is not None else f"cand-{sha[:12]}"
    if len(data) > MAX_CANDIDATE_BYTES:
        refusal = CandidateRefusedError(
            f"candidate {cid!r} is {len(data):,} bytes, over the limit of {MAX_CANDIDATE_BYTES:,}"
        )
        return _refused(cid, "patch" if kind == "patch" else "full", origin, refusal, sha=sha)
    try:
        decoded = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        refusal = CandidateRefusedError(
            f"candidate {cid!r} is not valid UTF-8: {exc.reason} at byte {exc.start}",
            remediation="Save the candidate as UTF-8.",
        )
        refusal.__cause__ = exc
        shown = data.decode("utf-8", "replace")
        chosen: CandidateKind = "patch" if kind == "patch" else "full"
        return _refused(cid, chosen, origin, refusal, sha=sha, text=shown)
    chosen = kind if kind != "auto" else ("patch" if looks_like_patch(decoded) else "full")
    record = CandidateRecord(candidate_id=cid, kind=chosen, origin=origin, text=decoded, sha256=sha)
    return _resolved(record, before=before, before_path=before_path)


def _resolved(record: CandidateRecord, *, before: str, before_path: str | None) -> LoadedCandidate:
    after = record.text
    if record.kind == "patch":
        try:
            after = apply_patch(before, record.text, before_path=before_path)
        except PatchError as exc:
            return LoadedCandidate(record, None, Validity(parses=False, applies=False), _error(exc))
    return _checked(record, after)


def _checked(record: CandidateRecord, after: str, note: str | None = None) -> LoadedCandidate:
    """The candidate with its static check; a parse failure is its error (exit code 4)."""
    check = static_check(after, filename=record.origin)
    notes = (note,) if note else ()
    if not check.validity.parses:
        dedented = " (dedented)" if note else ""
        error = ErrorRecord(
            error_type="ParseFailureError",
            message=f"candidate {record.candidate_id!r} does not parse{dedented}: {check.reason}",
            remediation="Give a candidate that is valid Python (the full after-state or a diff).",
            exit_code=4,
        )
        return LoadedCandidate(record, after, check.validity, error, notes)
    extra = (check.reason,) if check.reason else ()
    return LoadedCandidate(record, after, check.validity, None, (*notes, *extra))


def _refused(
    cid: str,
    kind: CandidateKind,
    origin: str,
    exc: CodeLeWMError,
    *,
    sha: str | None = None,
    text: str = "",
) -> LoadedCandidate:
    digest = sha if sha is not None else hashlib.sha256(text.encode("utf-8")).hexdigest()
    record = CandidateRecord(candidate_id=cid, kind=kind, origin=origin, text=text, sha256=digest)
    return LoadedCandidate(record, None, Validity(parses=False, applies=False), _error(exc))


def _error(exc: CodeLeWMError) -> ErrorRecord:
    cause = exc.__cause__
    return ErrorRecord(
        error_type=exc.error_type,
        message=exc.message,
        remediation=exc.remediation,
        caused_by=f"{type(cause).__name__}: {cause}" if cause is not None else None,
        exit_code=int(exc.exit_code),
    )


def common_indent(code: str) -> str:
    """The whitespace every non-blank line of `code` starts with ('' when there is none)."""
    lines = [line for line in code.splitlines() if line.strip()]
    if not lines:
        return ""
    prefix = lines[0][: len(lines[0]) - len(lines[0].lstrip(" \t"))]
    for line in lines[1:]:
        while prefix and not line.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


def strip_indent(code: str, indent: str) -> str | None:
    """`code` with `indent` removed from every non-blank line; None when a line lacks it."""
    out = []
    for line in code.splitlines(keepends=True):
        if not line.strip():
            out.append(line.lstrip(" \t") if line.endswith("\n") else "")
        elif line.startswith(indent):
            out.append(line[len(indent) :])
        else:
            return None
    return "".join(out)


def dedent_call(
    before: str, loaded: Sequence[LoadedCandidate]
) -> tuple[str, list[LoadedCandidate], int]:
    """A before cut from inside a class or function (indented as a whole, so it does not parse)
    and its candidates, dedented by the before's common indent so they parse as the user meant.

    Returns (before, candidates, columns removed: 0 when nothing changed). Patches were already applied to the indented before; their afters are dedented too.
    A candidate that is not indented like the before keeps its own text and checks."""
    indent = common_indent(before)
    if not indent or static_check(before).validity.parses:
        return before, list(loaded), 0
    dedented = strip_indent(before, indent)
    if dedented is None or not static_check(dedented).validity.parses:
        return before, list(loaded), 0
    width = len(indent.expandtabs(4))
    out = []
    for candidate in loaded:
        after = candidate.after
        flat = strip_indent(after, indent) if after is not None else None
        if flat is None or (candidate.error is not None and candidate.error.exit_code != 4):
            out.append(candidate)
            continue
        out.append(_checked(candidate.record, flat, f"dedented by {width} columns before scoring"))
    return dedented, out, width


def load_candidate_file(
    path: Path, *, before: str, before_path: str | None = None, candidate_id: str | None = None
) -> LoadedCandidate:
    """One candidate file; its kind comes from the suffix, else from its first line."""
    cid = candidate_id if candidate_id is not None else path.stem
    suffix = path.suffix.lower()
    kind: KindChoice = (
        "patch" if suffix in PATCH_SUFFIXES else "full" if suffix in FULL_SUFFIXES else "auto"
    )
    try:
        data = read_capped(path, max_bytes=MAX_CANDIDATE_BYTES)
    except CandidateRefusedError as exc:
        return _refused(cid, "patch" if kind == "patch" else "full", str(path), exc)
    return candidate_from_text(
        data, before=before, candidate_id=cid, before_path=before_path, kind=kind, origin=str(path)
    )


def candidate_files(paths: Sequence[Path]) -> list[Path]:
    """Files named directly, plus the candidate files of each directory (see the module doc)."""
    files: list[Path] = []
    for path in paths:
        try:
            if path.is_dir() and not path.is_symlink():
                files.extend(_directory_entries(path))
            elif path.exists() or path.is_symlink():
                files.append(path)
            else:
                raise InputError(f"candidate path {str(path)!r} does not exist")
        except OSError as exc:
            raise InputError(f"candidate path {str(path)!r} cannot be read: {exc}") from exc
    return files


def _is_candidate_name(path: Path) -> bool:
    return not path.name.startswith(".") and path.suffix.lower() in PATCH_SUFFIXES | FULL_SUFFIXES


def _directory_entries(directory: Path) -> list[Path]:
    entries = sorted(directory.iterdir(), key=lambda p: p.name)
    found = [p for p in entries if _is_candidate_name(p) and (p.is_symlink() or not p.is_dir())]
    if not found:
        others = [p.name for p in _skipped_in(directory)]
        listed = f"; it holds {', '.join(others[:10])}" if others else ""
        raise InputError(
            f"directory {str(directory)!r} has no candidate files (.py, .patch, .diff){listed}",
            remediation="Put one candidate per file in the directory (.py for code, .patch/.diff "
            "for diffs: rename e.g. .txt outputs), or name the files directly.",
        )
    return found


def _skipped_in(directory: Path) -> list[Path]:
    return [
        p
        for p in sorted(directory.iterdir(), key=lambda p: p.name)
        if not p.name.startswith(".") and not _is_candidate_name(p) and not p.is_dir()
    ]


def skipped_files(paths: Sequence[Path]) -> list[str]:
    """Files of the given directories that are not candidates by their suffix (not hidden files,
    not subdirectories): listed in the output, so nothing is dropped silently."""
    skipped: list[str] = []
    for path in paths:
        try:
            if path.is_dir() and not path.is_symlink():
                skipped += [str(p) for p in _skipped_in(path)]
        except OSError:
            continue
    return skipped


def load_candidates(
    paths: Sequence[Path], *, before: str, before_path: str | None = None
) -> list[LoadedCandidate]:
    """Every candidate of one call, in order, with unique ids."""
    files = candidate_files(paths)
    if not files:
        raise InputError("no candidates given", remediation="Pass at least one candidate path.")
    ids = unique_ids([path.stem for path in files])
    return [
        load_candidate_file(path, before=before, before_path=before_path, candidate_id=cid)
        for path, cid in zip(files, ids, strict=True)
    ]


def unique_ids(ids: Sequence[str]) -> list[str]:
    """The ids in order, a repeat getting the first free `-2`, `-3`, ... (never another's id)."""
    originals = set(ids)
    used: set[str] = set()
    result: list[str] = []
    for cid in ids:
        chosen, n = cid, 2
        while chosen in used or (chosen != cid and chosen in originals):
            chosen, n = f"{cid}-{n}", n + 1
        used.add(chosen)
        result.append(chosen)
    return result
