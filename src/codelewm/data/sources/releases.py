"""`--source releases --package NAME [--versions N]`: function edits between consecutive releases.

Releases are downloaded with pip (`data/fetch.py`: wheel, and the sdist only with `allow_sdist`,
since preparing an sdist runs its build backend) into `cache_dir` and read in memory; nothing is
installed or imported. `release_versions` pins the exact versions (oldest first) for a reproducible
build; without it the newest `versions` releases are listed with `pip index versions` (which changes
as the package releases). Each pair of consecutive versions is one unit (`NAME:OLD..NEW`).

A function edited between the two versions (same qualified name in the same file, code changed;
`data/pairs.py` rules) becomes a transition whose instruction is an abstract description of the AST
edit (`data/edit_summary.py`: "modify `f`: add a condition; ...; 3 lines changed", instruction_kind
"abstract"), never the inserted code. A release pair that changed more than `bulk_fraction` of the
functions common to both versions looks like a bulk reformat and is skipped whole (`bulk_release`,
counted per function). Records: group `site-packages/<top-level package>` (the group the same code
gets from `sources/files.py`, so one package never spans two splits), license from the newer
archive's metadata, meta = package, old_version, new_version.

Skip reasons: `bulk_release`, `download_failed`, `unparseable_*`, `non_utf8`, `function_added` /
`function_removed`, `docstring_only`, `format_only`, `too_many_changed_lines`, `eval_path`,
`vendored_path`/`generated_path`, archive refusals (`archive_path_traversal`, `archive_symlink`).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from codelewm.code.capsule import DEFAULT_BUDGET_CHARS, make_capsule
from codelewm.code.functions import functions_by_name
from codelewm.data.edit_summary import describe_edit
from codelewm.data.eval_guard import is_eval_code, is_eval_path
from codelewm.data.fetch import Archive, available_versions, download, prefetch, python_files
from codelewm.data.filters import changed_lines, path_skip_reason
from codelewm.data.pairs import FileEdits, file_edits
from codelewm.data.sources.base import SourceConfig
from codelewm.data.transition import new_transition
from codelewm.errors import ParseFailureError, SourceUnavailableError
from codelewm.records import TransitionRecord


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "codelewm" / "releases"


class ReleasesConfig(SourceConfig):
    kind: Literal["releases"] = "releases"
    package: str
    versions: int = Field(default=8, ge=2, description="newest N releases when not pinned")
    release_versions: list[str] = Field(
        default_factory=list, description="exact versions, oldest first (reproducible)"
    )
    cache_dir: Path = Field(default_factory=default_cache_dir)
    allow_sdist: bool = False
    bulk_fraction: float = Field(default=0.4, gt=0.0, le=1.0)
    max_changed_lines: int = 150
    capsule_budget_chars: int = DEFAULT_BUDGET_CHARS


class ReleasesSource:
    name: ClassVar[str] = "releases"
    config_model: ClassVar[type[SourceConfig]] = ReleasesConfig

    def __init__(self, config: ReleasesConfig) -> None:
        self.config = config
        self.skipped: Counter[str] = Counter()
        self._versions: list[str] | None = None

    def release_versions(self) -> list[str]:
        """Versions to pair, oldest first."""
        if self._versions is None:
            if self.config.release_versions:
                self._versions = list(self.config.release_versions)
            else:
                newest = available_versions(self.config.package)[: self.config.versions]
                self._versions = list(reversed(newest))
        return self._versions

    def units(self) -> list[str]:
        versions = self.release_versions()
        name = self.config.package
        return [f"{name}:{old}..{new}" for old, new in itertools.pairwise(versions)]

    def provenance(self) -> dict[str, object]:
        """The paired releases and the archives in the cache (name, version, file, sha256)."""
        archives = []
        for version in self.release_versions():
            try:
                archives.append(self._download(version).fetched.model_dump(mode="json"))
            except SourceUnavailableError:
                archives.append({"name": self.config.package, "version": version, "missing": True})
        return {"package": self.config.package, "archives": archives}

    def prefetch(self) -> None:
        """Download every release of the config with one pip run (optional; saves pip starts)."""
        prefetch([(self.config.package, v) for v in self.release_versions()], self.config.cache_dir)

    def iter_transitions(self, unit: str) -> Iterator[TransitionRecord]:
        old_version, new_version = unit.split(":", 1)[1].split("..", 1)
        try:
            old = self._download(old_version)
            new = self._download(new_version)
        except SourceUnavailableError:
            self.skipped["download_failed"] += 1
            return
        old_files = python_files(old, self.skipped)
        new_files = python_files(new, self.skipped)
        pairs = self._file_pairs(old_files, new_files)
        unchanged = [
            data for path, data in sorted(new_files.items()) if old_files.get(path) == data
        ]
        if self._is_bulk(pairs, unchanged):
            return
        for path, (before_text, after_text) in pairs.items():
            edits = file_edits(before_text, after_text, self.skipped)
            if edits is not None:
                yield from self._records(path, edits, old, new)

    def _download(self, version: str) -> Archive:
        return download(
            self.config.package, version, self.config.cache_dir, allow_sdist=self.config.allow_sdist
        )

    def _file_pairs(
        self, old_files: dict[str, bytes], new_files: dict[str, bytes]
    ) -> dict[str, tuple[str, str]]:
        """path -> (old text, new text) for files in both versions that differ and may be read."""
        pairs: dict[str, tuple[str, str]] = {}
        for path in sorted(old_files.keys() & new_files.keys()):
            reason = "eval_path" if is_eval_path(path) else path_skip_reason(path)
            if reason is not None:
                self.skipped[reason] += 1
                continue
            if old_files[path] == new_files[path]:
                continue
            try:
                pairs[path] = (old_files[path].decode("utf-8"), new_files[path].decode("utf-8"))
            except UnicodeDecodeError:
                self.skipped["non_utf8"] += 1
        return pairs

    def _is_bulk(self, pairs: dict[str, tuple[str, str]], unchanged: list[bytes]) -> bool:
        """Whether the pair changed more than `bulk_fraction` of the functions common to both
        versions (functions of unchanged files count as common and untouched)."""
        common = touched = 0
        for before_text, after_text in pairs.values():
            try:
                before = functions_by_name(before_text)
                after = functions_by_name(after_text)
            except ParseFailureError:
                continue
            shared = before.keys() & after.keys()
            common += len(shared)
            touched += sum(before[n].source != after[n].source for n in shared)
        common += sum(_count_functions(data) for data in unchanged)
        if common and touched > self.config.bulk_fraction * common:
            self.skipped["bulk_release"] += touched
            return True
        return False

    def _records(
        self, path: str, edits: FileEdits, old: Archive, new: Archive
    ) -> Iterator[TransitionRecord]:
        top = path.split("/", 1)[0].removesuffix(".py")
        for edit in edits.edits:
            if changed_lines(edit.before, edit.after) > self.config.max_changed_lines:
                self.skipped["too_many_changed_lines"] += 1
                continue
            if is_eval_code(edit.before) or is_eval_code(edit.after):
                self.skipped["eval_overlap"] += 1
                continue
            capsule = make_capsule(
                edits.module,
                edit.qualname,
                edit.before,
                edit.after,
                budget_chars=self.config.capsule_budget_chars,
            )
            name = edit.qualname.rsplit(".", 1)[-1]
            yield new_transition(
                source="releases",
                group=f"site-packages/{top}",
                path=path,
                symbol=edit.qualname,
                before=capsule.before,
                after=capsule.after,
                instruction=describe_edit(edit.before, edit.after, name=name),
                instruction_kind="abstract",
                context=capsule.context,
                truncated=capsule.truncated,
                license=new.fetched.license,
                meta={
                    "package": self.config.package,
                    "old_version": old.fetched.version,
                    "new_version": new.fetched.version,
                },
            )


def _count_functions(data: bytes) -> int:
    try:
        return len(functions_by_name(data.decode("utf-8")))
    except (UnicodeDecodeError, ParseFailureError):
        return 0
