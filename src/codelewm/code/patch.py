"""Apply an untrusted unified diff to the before content, in memory only.

Nothing here touches the filesystem: the diff is parsed with `unidiff`, checked, and its hunks are
applied to the `before` string. Every refusal is a `PatchError` (exit code 2), one of
`MalformedPatchError` (not a usable diff: too large, invalid UTF-8, empty, no hunks, bad counts),
`PatchRefusedError` (see `patch_headers` and `patch_paths`: unsafe names, other files, renames, copies,
mode changes, symlinks, binaries, deletions, NUL bytes) and `HunkMismatchError` (see `hunks` for the
offset-search, no-fuzz policy and end-of-file newline rules).

Which file: the diff must edit exactly one file. With `before_path`, every name in its headers must be
a trailing part of that path (`a/mod.py` names `/src/pkg/mod.py`); without it, the names only have to
agree with each other. A diff that creates the file (`--- /dev/null`) applies only to an empty
before. Bare hunks (text that starts with `@@`) are read as a diff of the before.
"""

from __future__ import annotations

import io
from typing import Final

from unidiff.patch import PatchedFile, PatchSet

from codelewm.code.hunks import apply_hunks, hunk_lines
from codelewm.code.patch_headers import FileSection, scan_headers
from codelewm.code.patch_paths import DEV_NULL, names_before, same_file
from codelewm.errors import MalformedPatchError, PatchRefusedError

MAX_PATCH_BYTES: Final = 1_048_576  # 1 MiB
MAX_PATCH_LINES: Final = 20_000


def apply_patch(before: str, patch_text: str | bytes, *, before_path: str | None = None) -> str:
    """The before with the diff applied, or a `PatchError` that says why not."""
    text = decode_patch(patch_text)
    lines = io.StringIO(text).readlines()  # split on "\n" only, as unidiff does
    _check_line_count(lines)
    _check_no_nul(lines)
    if not text.strip():
        raise MalformedPatchError("patch is empty")
    parsed_lines, numbers = _with_header_for_bare_hunks(lines)
    patched = _parse("".join(parsed_lines))
    in_hunks = {line.diff_line_no for f in patched for h in f for line in h}
    outside = [
        (numbers[i], line)
        for i, line in enumerate(parsed_lines)
        if i + 1 not in in_hunks and not line.startswith("@@")
    ]
    section = _the_one_section(scan_headers(outside), before_path)
    _check_section(section, before, before_path)
    return apply_hunks(before, [hunk_lines(h) for h in _the_one_file(patched)])


def _with_header_for_bare_hunks(lines: list[str]) -> tuple[list[str], list[int]]:
    """Lines to parse and, for each, its 1-based line number in the patch as given.

    Text whose first non-blank line is a hunk header gets `--- ` / `+++ ` (the before) in front of it.
    """
    numbers = list(range(1, len(lines) + 1))
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or not lines[first].startswith("@@"):
        return lines, numbers
    parsed = [*lines[:first], "--- \n", "+++ \n", *lines[first:]]
    at = first + 1  # the added header lines take the number of the first hunk line
    return parsed, [*numbers[:first], at, at, *numbers[first:]]


def decode_patch(patch_text: str | bytes) -> str:
    """The diff as text, after the size and encoding limits; a leading BOM is dropped."""
    if len(patch_text) > MAX_PATCH_BYTES:
        raise PatchRefusedError(
            f"patch is {len(patch_text):,} {'bytes' if isinstance(patch_text, bytes) else 'characters'}"
            f", over the limit of {MAX_PATCH_BYTES:,} bytes",
            remediation="Give a smaller patch: one edit of one file.",
        )
    try:
        data = patch_text if isinstance(patch_text, bytes) else patch_text.encode("utf-8")
        text = data.decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        raise MalformedPatchError(
            f"patch is not valid UTF-8: {exc.reason} at offset {exc.start}"
        ) from exc
    if len(data) > MAX_PATCH_BYTES:
        raise PatchRefusedError(
            f"patch is {len(data):,} bytes in UTF-8, over the limit of {MAX_PATCH_BYTES:,} bytes",
            remediation="Give a smaller patch: one edit of one file.",
        )
    return text.removeprefix("\ufeff")


def _check_line_count(lines: list[str]) -> None:
    if len(lines) > MAX_PATCH_LINES:
        raise PatchRefusedError(
            f"patch has {len(lines):,} lines, over the limit of {MAX_PATCH_LINES:,}",
            remediation="Give a smaller patch: one edit of one file.",
        )


def _check_no_nul(lines: list[str]) -> None:
    for number, line in enumerate(lines, 1):
        if "\x00" in line:
            raise PatchRefusedError(
                f"patch line {number} contains a NUL byte: binary content is refused",
                remediation="Give a text diff of a Python source file.",
            )


def _parse(text: str) -> PatchSet:
    try:
        return PatchSet(text)
    # unidiff raises UnidiffParseError for what it detects, but untrusted text can reach other
    # failures inside it; every one of them means the same thing here: not a diff we can read.
    except Exception as exc:
        raise MalformedPatchError(f"patch does not parse as a unified diff: {exc}") from exc


def _the_one_section(sections: list[FileSection], before_path: str | None) -> FileSection:
    if not sections:
        raise MalformedPatchError("patch has no file headers ('--- a/FILE' and '+++ b/FILE')")
    if len(sections) == 1:
        return sections[0]
    if before_path is None:
        listed = ", ".join(f"{s.label!r} (patch line {s.line})" for s in sections)
        raise PatchRefusedError(
            f"patch edits {len(sections)} files: {listed}; a candidate may edit only the before",
            remediation="Give a diff of the before file only.",
        )
    others = [
        s
        for s in sections
        if not all(names_before(n, before_path) for n in s.names if n != DEV_NULL)
    ]
    if not others:
        raise PatchRefusedError(
            f"patch has {len(sections)} sections for the before {before_path!r}; give one",
            remediation="Merge the hunks into one diff of the before.",
        )
    listed = ", ".join(f"{s.label!r} (patch line {s.line})" for s in others)
    raise PatchRefusedError(
        f"patch edits files other than the before {before_path!r}: {listed}",
        remediation="Give a diff of the before file only.",
    )


def _check_section(section: FileSection, before: str, before_path: str | None) -> None:
    names = [n for n in section.names if n != DEV_NULL]
    for name in names:
        if not names_before(name, before_path):
            raise PatchRefusedError(
                f"patch edits {name!r}, not the before {before_path!r} (patch line {section.line})",
                remediation="Give a diff of the before file only.",
            )
    named = [n for n in names if n]
    if any(not same_file(named[0], n) for n in named[1:]):
        raise PatchRefusedError(
            f"patch renames {named[0]!r} to {named[-1]!r} (patch line {section.line}): "
            "renames are refused",
            remediation="Give a diff whose source and target name the same file.",
        )
    if section.names and section.names[-1] == DEV_NULL:
        raise PatchRefusedError(f"patch deletes {section.label!r}: deleting the file is refused")
    if DEV_NULL in section.names and before != "":
        raise PatchRefusedError(
            f"patch creates {section.label!r} from /dev/null, but the before is not empty",
            remediation="Give a diff against the before's current content.",
        )


def _the_one_file(patched: PatchSet) -> PatchedFile:
    with_hunks = [f for f in patched if len(f) > 0]
    if not with_hunks:
        raise MalformedPatchError("patch has no hunks ('@@ -a,b +c,d @@'): nothing to apply")
    if len(with_hunks) > 1 or len(patched) > 1:
        raise MalformedPatchError(f"patch has {len(patched)} file sections where one was expected")
    return with_hunks[0]
