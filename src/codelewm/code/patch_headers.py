"""Read the header lines of an untrusted diff (everything outside its hunks) and refuse what asks for
more than a content edit of one file.

unidiff decides where hunks are; every other line is a header line here. Refused, with the patch line
and the file section it belongs to: renames and copies, mode changes, symlinks and submodules
(mode 120000 / 160000 anywhere), deleted files, binary patches (`GIT binary patch`, `Binary files ...
differ`), and any unsafe file name (see `patch_paths`). File names of every form are checked: the
`diff --git` line, `---` and `+++`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from unidiff.constants import (
    RE_DIFF_GIT_HEADER,
    RE_DIFF_GIT_HEADER_NO_PREFIX,
    RE_SOURCE_FILENAME,
    RE_TARGET_FILENAME,
)

from codelewm.code.patch_paths import checked_path
from codelewm.errors import PatchRefusedError

_REFUSED_PREFIXES: tuple[tuple[str, str], ...] = (
    ("rename from ", "renames are refused"),
    ("rename to ", "renames are refused"),
    ("copy from ", "copies are refused"),
    ("copy to ", "copies are refused"),
    ("old mode ", "mode changes are refused"),
    ("new mode ", "mode changes are refused"),
    ("deleted file mode ", "deleting the file is refused"),
    ("GIT binary patch", "binary patches are refused"),
    ("Binary file", "binary patches are refused"),
)
_SPECIAL_MODE = re.compile(r"^(?:new file mode|index \S+)\s+(120000|160000)\s*$")
_MODE_NAMES = {"120000": "symlinks are refused", "160000": "submodules are refused"}


@dataclass
class FileSection:
    """One file of the diff: where it starts and every name its headers give it."""

    line: int  # 1-based patch line of its first header
    names: list[str] = field(default_factory=list)
    git: bool = False
    has_target: bool = False

    @property
    def label(self) -> str:
        shown = [n for n in self.names if n and n != "/dev/null"]
        return shown[-1] if shown else "<unnamed>"


def _refuse(number: int, line: str, reason: str, section: FileSection | None) -> PatchRefusedError:
    text = line.rstrip("\n")
    shown = repr(text if len(text) <= 100 else text[:100] + "...")
    where = f" (file section {section.label!r})" if section is not None else ""
    return PatchRefusedError(
        f"{reason}: patch line {number} {shown}{where}",
        remediation="Give a plain content edit of the before file only, as a unified diff.",
    )


def _git_names(line: str, where: str) -> list[str]:
    line = line.rstrip("\r\n")
    match = RE_DIFF_GIT_HEADER.match(line) or RE_DIFF_GIT_HEADER_NO_PREFIX.match(line)
    if match is None:
        return [checked_path(line[len("diff --git ") :], where=where)]
    return [checked_path(match.group(g), where=where) for g in ("source", "target")]


def _header_name(line: str, where: str) -> str:
    match = RE_SOURCE_FILENAME.match(line) or RE_TARGET_FILENAME.match(line)
    raw = match.group("filename") if match is not None else ""
    return checked_path(raw.rstrip("\r"), where=where)


def scan_headers(lines: Iterable[tuple[int, str]]) -> list[FileSection]:
    """The file sections of the diff, given its non-hunk lines as (1-based number, line)."""
    sections: list[FileSection] = []
    pending_source: str | None = None
    for number, line in lines:
        where = f"patch line {number}"
        current = sections[-1] if sections else None
        if line.startswith("diff --git "):
            sections.append(FileSection(number, _git_names(line, where), git=True))
            pending_source = None
        elif line.startswith("--- "):
            pending_source = _header_name(line, where)
        elif line.startswith("+++ "):
            names = [n for n in (pending_source, _header_name(line, where)) if n is not None]
            if current is not None and current.git and not current.has_target:
                current.names.extend(names)
            else:
                sections.append(FileSection(number - (pending_source is not None), names))
            sections[-1].has_target = True
            pending_source = None
        else:
            _refuse_special(number, line, current)
    return sections


def _refuse_special(number: int, line: str, section: FileSection | None) -> None:
    for prefix, reason in _REFUSED_PREFIXES:
        if line.startswith(prefix):
            raise _refuse(number, line, reason, section)
    mode = _SPECIAL_MODE.match(line.rstrip("\r\n"))
    if mode is not None:
        raise _refuse(number, line, _MODE_NAMES[mode.group(1)], section)
