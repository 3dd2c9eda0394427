"""`--source ruff --code PATH...`: function-level edits made by ruff's autofixes, one rule at a time.

Files (default: the running Python's standard library; groups and licenses as in `sources/files.py`)
are copied into a temporary directory, `units` of `files_per_unit` files each. Per unit, one lint run
finds which of `rules` have a fix where; then every such rule is applied alone
(`ruff check --isolated --select RULE --fix [--unsafe-fixes]`) to a fresh copy of the files that have
it. Each function whose code the rule changed becomes a transition whose instruction is
`"<CODE>: <fix message>"` (instruction_kind `rule`), the fix message of the diagnostics inside that
function (distinct messages joined by "; "). Every rule starts from the original file, so a function
changed by several rules yields several transitions from one before: natural same-before pools.

Skip reasons: those of `read_code` and `file_edits`, `unparseable_file` (ruff does not fix it either),
`ruff_failed` (ruff exited with an error on the unit's files or one rule's fixes),
`fix_without_diagnostic` (a rule's fix changed a function in which it reported nothing).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from codelewm.code.capsule import DEFAULT_BUDGET_CHARS, make_capsule
from codelewm.data.pairs import FunctionEdit, ParsedFile, file_edits, parse_file
from codelewm.data.ruffrun import Diagnostic, apply_fixes, fixable_diagnostics, ruff_version
from codelewm.data.sources.base import SourceConfig
from codelewm.data.sources.files import CodeFile, discover_files, read_code, stdlib_root
from codelewm.data.transition import new_transition
from codelewm.errors import SourceUnavailableError
from codelewm.records import TransitionRecord

# Fixable, non-preview rules that change code inside functions (no import sorting, no layout).
DEFAULT_RULES: tuple[str, ...] = tuple(
    """B009 B010 B011 B013 B014 B028 B033 B905 C401 C402 C403 C404 C405 C406 C408 C409 C410 C411
    C413 C414 C416 C417 C418 C419 PIE790 PIE800 PIE804 PIE807 PIE808 PIE810 RSE102 RET501 RET502
    RET503 RET504 RET505 RET506 RET507 RET508 SIM101 SIM102 SIM103 SIM105 SIM108 SIM109 SIM110
    SIM114 SIM117 SIM118 SIM201 SIM202 SIM208 SIM210 SIM211 SIM212 SIM220 SIM221 SIM222 SIM223
    SIM300 SIM401 SIM910 SIM911 FLY002 PERF101 PERF102 PERF401 F504 F541 F632 F841 PLR1711
    PLR1714 PLR1722 PLR1730 PLR5501 PLW0120 UP004 UP006 UP007 UP008 UP012 UP015 UP018 UP024
    UP025 UP028 UP030 UP031 UP032 UP034 UP045 FURB110 FURB116 FURB129 FURB136 FURB161 FURB163
    FURB167 FURB168 FURB171 FURB187 FURB188 RUF005 RUF010 RUF015 RUF019 RUF021 RUF046 RUF051
    RUF057 TRY201 TRY400""".split()  # noqa: SIM905  (readable as a block)
)


class RuffConfig(SourceConfig):
    kind: Literal["ruff"] = "ruff"
    code: list[Path] = Field(default_factory=list, description="default: the standard library")
    exclude: list[str] = Field(default_factory=list, description="glob patterns on relative paths")
    license: str | None = Field(default=None, description="override the detected license")
    rules: list[str] = Field(default_factory=lambda: list(DEFAULT_RULES))
    unsafe_fixes: bool = True
    target_version: str = "py311"
    files_per_unit: int = 100
    max_file_bytes: int = 1_000_000
    capsule_budget_chars: int = DEFAULT_BUDGET_CHARS


@dataclass(frozen=True)
class _Original:
    """A file of the unit as read, parsed once for all its rules."""

    file: CodeFile
    text: str
    parsed: ParsedFile


class RuffSource:
    name: ClassVar[str] = "ruff"
    config_model: ClassVar[type[SourceConfig]] = RuffConfig

    def __init__(self, config: RuffConfig) -> None:
        self.config = config
        self.skipped: Counter[str] = Counter()
        self._files: list[CodeFile] | None = None

    def files(self) -> list[CodeFile]:
        if self._files is None:
            roots = self.config.code or [stdlib_root()]
            self._files = discover_files(
                roots,
                self.skipped,
                exclude=self.config.exclude,
                license_override=self.config.license,
            )
        return self._files

    def provenance(self) -> dict[str, Any]:
        files = self.files()
        return {
            "ruff": ruff_version(),
            "rules": len(self.config.rules),
            "files": len(files),
            "groups": len({f.group for f in files}),
        }

    def units(self) -> list[str]:
        files, size = self.files(), self.config.files_per_unit
        return [f"{i // size:06d}:{files[i].rel}" for i in range(0, len(files), size)]

    def iter_transitions(self, unit: str) -> Iterator[TransitionRecord]:
        index, size = int(unit.split(":", 1)[0]), self.config.files_per_unit
        chunk = self.files()[index * size : (index + 1) * size]
        originals = self._read(chunk)
        with tempfile.TemporaryDirectory(prefix="codelewm-ruff-") as tmp:
            paths = {i: Path(tmp) / f"f{i:05d}.py" for i in originals}
            for i, original in originals.items():
                paths[i].write_text(original.text, encoding="utf-8")
            by_rule = self._diagnostics(paths)
            for rule in sorted(by_rule):
                yield from self._apply_rule(rule, by_rule[rule], originals, paths)

    def _read(self, chunk: list[CodeFile]) -> dict[int, _Original]:
        originals: dict[int, _Original] = {}
        for i, file in enumerate(chunk):
            text = read_code(file, self.skipped, max_bytes=self.config.max_file_bytes)
            if text is None:
                continue
            parsed = parse_file(text)
            if parsed is None:
                self.skipped["unparseable_file"] += 1
                continue
            originals[i] = _Original(file, text, parsed)
        return originals

    def _diagnostics(self, paths: dict[int, Path]) -> dict[str, dict[int, list[Diagnostic]]]:
        """rule -> file index -> its fixable diagnostics."""
        index_of = {str(path): i for i, path in paths.items()}
        try:
            found = fixable_diagnostics(
                list(paths.values()),
                self.config.rules,
                target_version=self.config.target_version,
                unsafe=self.config.unsafe_fixes,
            )
        except SourceUnavailableError:  # a ruff crash on one file must not stop the build
            self.skipped["ruff_failed"] += len(paths)
            return {}
        by_rule: dict[str, dict[int, list[Diagnostic]]] = {}
        for diag in found:
            i = index_of.get(diag.path)
            if i is not None:
                by_rule.setdefault(diag.code, {}).setdefault(i, []).append(diag)
        return by_rule

    def _apply_rule(
        self,
        rule: str,
        diags: dict[int, list[Diagnostic]],
        originals: dict[int, _Original],
        paths: dict[int, Path],
    ) -> Iterator[TransitionRecord]:
        for i in diags:
            paths[i].write_text(originals[i].text, encoding="utf-8")
        try:
            apply_fixes(
                [paths[i] for i in sorted(diags)],
                rule,
                target_version=self.config.target_version,
                unsafe=self.config.unsafe_fixes,
            )
        except SourceUnavailableError:
            self.skipped["ruff_failed"] += len(diags)
            return
        for i in sorted(diags):
            after_text = paths[i].read_text(encoding="utf-8")
            yield from self._file_records(rule, diags[i], originals[i], after_text)

    def _file_records(
        self, rule: str, diags: list[Diagnostic], original: _Original, after_text: str
    ) -> Iterator[TransitionRecord]:
        file = original.file
        found = file_edits(original.parsed, after_text, self.skipped)
        if found is None:
            return
        for edit in found.edits:
            message = _message(diags, edit)
            if message is None:
                self.skipped["fix_without_diagnostic"] += 1
                continue
            capsule = make_capsule(
                found.module,
                edit.qualname,
                edit.before,
                edit.after,
                budget_chars=self.config.capsule_budget_chars,
            )
            yield new_transition(
                source="ruff",
                group=file.group,
                path=file.rel,
                symbol=edit.qualname,
                before=capsule.before,
                after=capsule.after,
                instruction=f"{rule}: {message}",
                instruction_kind="rule",
                context=capsule.context,
                truncated=capsule.truncated,
                license=file.license,
                meta={"rule": rule, "ruff_version": ruff_version()},
            )


def _message(diags: list[Diagnostic], edit: FunctionEdit) -> str | None:
    inside = [d.message for d in diags if edit.start_line <= d.row <= edit.end_line]
    unique = list(dict.fromkeys(inside))
    return "; ".join(unique[:3]) if unique else None
