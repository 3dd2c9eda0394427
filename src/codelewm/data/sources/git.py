"""`--source git --repo PATH`: function-level edits from a repository's history.

Non-merge commits oldest to newest; for every modified (or renamed and modified: `diff-tree -M`)
`.py` file, each function present on both sides whose code changed becomes a transition
(`data/pairs.py`); the instruction is the first paragraph of the commit message (at most 512
characters). Read through git plumbing only, so bare repositories work and no checkout is made.

Skip reasons (counted in `skipped`): `merge_commit`, `root_commit`, `revert_commit`,
`short_message`, `file_added`, `file_deleted`, `not_a_regular_file` (symlink, submodule),
`vendored_path`/`generated_path`, `file_too_large`, `binary_file`, `non_utf8`, `unparseable_before_file`/`unparseable_after_file`,
`function_added`/`function_removed`, `docstring_only`, `format_only`, `bulk_edit` (the commit touched
more than 30% of a file's functions), `too_many_changed_lines` (an edit of more than 150 lines).
Commit-level filters for real histories: `sweep_message` (the message names a formatting, typing,
lint or rename sweep: black, ruff, isort, pyupgrade, pre-commit, ...; `sweep_pattern`), `bulk_commit`
(every edit of a commit that edits more than `bulk_commit_functions` functions across at least two
files) and `commit_cap` (a commit keeps a sample of at most `max_per_commit` edits, seeded by `seed`
and the commit). `max_commits` keeps only the newest N commits (the tail of the topological order).
Units are runs of `commits_per_unit` consecutive commits, so new history only adds units.
Records: group = the repository's name (or `<repo>/<top-level dir>` with `group_by = "top_dir"`), license
= the config's `license`, else its LICENSE file (else pyproject.toml's) at `rev` = its LICENSE file at `rev`, meta = repo, commit,
author_date, old_path (renames).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

from codelewm.code.capsule import DEFAULT_BUDGET_CHARS, Capsule, make_capsule
from codelewm.data.filters import changed_lines, path_skip_reason, text_skip_reason
from codelewm.data.gitio import (
    BlobReader,
    Commit,
    FileChange,
    changed_files,
    head_tree_names,
    list_commits,
    read_file_at,
)
from codelewm.data.license import first_license_file, license_from_pyproject, license_from_text
from codelewm.data.pairs import BulkRule, ParsedFile, file_edits, parse_file
from codelewm.data.sources.base import SourceConfig
from codelewm.data.transition import new_transition
from codelewm.records import JsonScalar, TransitionRecord

_PARSE_CACHE_SIZE = 512  # parsed blobs held for a later commit of the same unit
_REVERT = re.compile(r"^Revert\b|This reverts commit [0-9a-f]{7,}", re.MULTILINE)
# Messages of mechanical sweeps: the edit follows from a tool or a rename, not from what the message
# asks of one function. Matched against the first paragraph, case-insensitively.
SWEEP_PATTERN = (
    r"\b(black|ruff|isort|pyupgrade|autopep8|yapf|flake8|pylint|mypy|pre-commit|codespell|"
    r"reformat\w*|format(ting)?|lint(ing|er)?|typing|type (hints?|annotations?)|annotat(e|ions?)|"
    r"renam(e|ed|es|ing)|whitespace)\b"
)


class GitConfig(SourceConfig):
    kind: Literal["git"] = "git"
    repo: Path
    rev: str = "HEAD"
    group: str | None = None  # default: the repository directory's name
    # "top_dir": one group per top-level directory (`proj/src`, `proj/tests`), so that a single
    # repository spreads over train/val/test; "repo": the whole repository is one group.
    group_by: Literal["repo", "top_dir"] = "repo"
    license: str | None = None  # overrides what the repository's files say
    min_message_chars: int = 8
    max_instruction_chars: int = 512
    max_changed_lines: int = 150
    max_file_bytes: int = 1_000_000
    bulk_fraction: float = 0.3
    bulk_min_functions: int = 4
    bulk_min_touched: int = 3
    capsule_budget_chars: int = DEFAULT_BUDGET_CHARS
    commits_per_unit: int = 250
    max_commits: int | None = None  # keep only the newest N commits
    sweep_pattern: str | None = SWEEP_PATTERN  # None: no message filter
    bulk_commit_functions: int = 30
    max_per_commit: int | None = 8
    seed: int = 0


def repo_name(repo: Path) -> str:
    """`proj` for `proj/`, `proj/.git` and a bare `proj.git`."""
    path = repo.resolve()
    if path.name == ".git":
        path = path.parent
    return path.name.removesuffix(".git") or "repo"


def instruction_of(message: str, max_chars: int) -> str:
    """The message's first paragraph on one line, cut to `max_chars`."""
    paragraph = re.split(r"\n\s*\n", message.strip(), maxsplit=1)[0]
    return " ".join(paragraph.split())[:max_chars].rstrip()


class GitSource:
    name: ClassVar[str] = "git"
    config_model: ClassVar[type[SourceConfig]] = GitConfig

    def __init__(self, config: GitConfig) -> None:
        self.config = config
        self.group = config.group or repo_name(config.repo)
        self.skipped: Counter[str] = Counter()
        self._commits: list[Commit] | None = None
        self._license: tuple[str | None] | None = None
        self._parse_cache: dict[str, ParsedFile | str | None] = {}
        self._pending: Counter[str] = Counter()  # blob -> uses as a before still to come
        pattern = config.sweep_pattern
        self._sweep = None if pattern is None else re.compile(pattern, re.IGNORECASE)

    def commits(self) -> list[Commit]:
        if self._commits is None:
            commits = list_commits(self.config.repo, self.config.rev)
            newest = self.config.max_commits
            self._commits = commits if newest is None else commits[max(len(commits) - newest, 0) :]
        return self._commits

    def license(self) -> str | None:
        """The config's `license`, else the LICENSE/COPYING file at `rev`, else pyproject.toml's
        `project.license`; None when none says."""
        if self._license is None:
            self._license = (self.config.license or self._detect_license(),)
        return self._license[0]

    def _detect_license(self) -> str | None:
        repo, rev = self.config.repo, self.config.rev
        names = head_tree_names(repo, rev)
        name = first_license_file(names)
        if name is not None:
            found = license_from_text(read_file_at(repo, rev, name).decode("utf-8", "replace"))
            if found is not None:
                return found
        if "pyproject.toml" in names:
            return license_from_pyproject(
                read_file_at(repo, rev, "pyproject.toml").decode("utf-8", "replace")
            )
        return None

    def provenance(self) -> dict[str, Any]:
        commits = self.commits()
        return {
            "repo": self.group,
            "rev": self.config.rev,
            "head": commits[-1].sha if commits else None,
            "commits": len(commits),
            "license": self.license(),
        }

    def units(self) -> list[str]:
        commits = self.commits()
        size = self.config.commits_per_unit
        return [
            f"{start // size:06d}:{commits[start].sha}" for start in range(0, len(commits), size)
        ]

    def iter_transitions(self, unit: str) -> Iterator[TransitionRecord]:
        for _, records in self.commit_transitions(self._chunk(unit)):
            yield from records

    def commit_transitions(
        self, commits: list[Commit]
    ) -> Iterator[tuple[Commit, list[TransitionRecord]]]:
        """(commit, its kept transitions) for every commit of `commits` that passes the commit
        filters, in the given order (what the history pools of `eval/history_pools.py` read)."""
        wanted = [c for c in commits if self._keep_commit(c)]
        changes = changed_files(self.config.repo, [c.sha for c in wanted])
        self._parse_cache = {}
        self._pending = Counter(c.old_blob for cs in changes.values() for c in cs)
        license_id = self.license()
        with BlobReader(self.config.repo) as blobs:
            for commit in wanted:
                records = [
                    record
                    for change in changes.get(commit.sha, [])
                    for record in self._file_transitions(commit, change, blobs, license_id)
                ]
                yield commit, self._commit_cap(commit, records)

    def _commit_cap(
        self, commit: Commit, records: list[TransitionRecord]
    ) -> list[TransitionRecord]:
        """Drop a bulk commit's edits; sample the others down to `max_per_commit` (seeded)."""
        files = {record.path for record in records}
        if len(records) > self.config.bulk_commit_functions and len(files) >= 2:
            self.skipped["bulk_commit"] += len(records)
            return []
        cap = self.config.max_per_commit
        if cap is None or len(records) <= cap:
            return records
        keep = sorted(
            random.Random(f"{self.config.seed}:{commit.sha}").sample(range(len(records)), cap)
        )
        self.skipped["commit_cap"] += len(records) - cap
        return [records[i] for i in keep]

    def _chunk(self, unit: str) -> list[Commit]:
        index = int(unit.split(":", 1)[0])
        size = self.config.commits_per_unit
        return self.commits()[index * size : (index + 1) * size]

    def _keep_commit(self, commit: Commit) -> bool:
        reason = None
        if len(commit.parents) > 1:
            reason = "merge_commit"
        elif not commit.parents:
            reason = "root_commit"
        elif _REVERT.search(commit.message):
            reason = "revert_commit"
        elif len(instruction_of(commit.message, 10_000)) < self.config.min_message_chars:
            reason = "short_message"
        elif self._sweep is not None and self._sweep.search(instruction_of(commit.message, 10_000)):
            reason = "sweep_message"
        if reason is not None:
            self.skipped[reason] += 1
        return reason is None

    def _file_transitions(
        self, commit: Commit, change: FileChange, blobs: BlobReader, license_id: str | None
    ) -> Iterator[TransitionRecord]:
        if not change.new_path.endswith(".py"):
            return
        if change.status in "AD":
            self.skipped["file_added" if change.status == "A" else "file_deleted"] += 1
            return
        if change.status not in "MR" or change.old_blob == change.new_blob:
            return
        if not change.regular:
            self.skipped["not_a_regular_file"] += 1
            return
        reason = path_skip_reason(change.new_path)
        if reason is not None:
            self.skipped[reason] += 1
            return
        before = self._parsed(blobs, change.old_blob, as_before=True)
        if isinstance(before, str):
            return
        after = self._parsed(blobs, change.new_blob, as_before=False)
        if isinstance(after, str):
            return
        found = file_edits(before, after, self.skipped, bulk=self._bulk_rule())
        if found is None:
            return
        for edit in found.edits:
            if changed_lines(edit.before, edit.after) > self.config.max_changed_lines:
                self.skipped["too_many_changed_lines"] += 1
                continue
            capsule = make_capsule(
                found.module,
                edit.qualname,
                edit.before,
                edit.after,
                budget_chars=self.config.capsule_budget_chars,
            )
            yield self._record(commit, change, edit.qualname, capsule, license_id)

    def _record(
        self,
        commit: Commit,
        change: FileChange,
        symbol: str,
        capsule: Capsule,
        license_id: str | None,
    ) -> TransitionRecord:
        meta: dict[str, JsonScalar] = {
            "repo": self.group,
            "commit": commit.sha,
            "author_date": commit.author_date,
        }
        if change.old_path != change.new_path:
            meta["old_path"] = change.old_path
        group = self.group
        if self.config.group_by == "top_dir":
            group = f"{self.group}/{change.new_path.split('/', 1)[0].removesuffix('.py')}"
        return new_transition(
            source="git",
            group=group,
            path=change.new_path,
            symbol=symbol,
            before=capsule.before,
            after=capsule.after,
            instruction=instruction_of(commit.message, self.config.max_instruction_chars),
            instruction_kind="commit",
            context=capsule.context,
            truncated=capsule.truncated,
            license=license_id,
            meta=meta,
        )

    def _bulk_rule(self) -> BulkRule:
        return BulkRule(
            self.config.bulk_fraction, self.config.bulk_min_functions, self.config.bulk_min_touched
        )

    def _parsed(self, blobs: BlobReader, sha: str, *, as_before: bool) -> ParsedFile | str | None:
        """The blob parsed, None when it does not parse, or the reason code it could not be read
        for (counted at every use). An after that a later commit of the unit edits again (it is in
        `_pending`) stays parsed until that commit used it as its before."""
        parsed: ParsedFile | str | None
        if sha in self._parse_cache:
            parsed = self._parse_cache[sha]
        else:
            text, reason = self._read(blobs, sha)
            parsed = reason if text is None else parse_file(text)
        if as_before:
            self._pending[sha] -= 1
            if self._pending[sha] <= 0:
                self._parse_cache.pop(sha, None)
        elif self._pending[sha] > 0:
            self._parse_cache[sha] = parsed
            while len(self._parse_cache) > _PARSE_CACHE_SIZE:
                del self._parse_cache[next(iter(self._parse_cache))]
        if isinstance(parsed, str):
            self.skipped[parsed] += 1
        return parsed

    def _read(self, blobs: BlobReader, sha: str) -> tuple[str | None, str]:
        data = blobs.read(sha, max_bytes=self.config.max_file_bytes)
        if data is None:
            return None, "file_too_large"
        reason = text_skip_reason(data, max_bytes=self.config.max_file_bytes)
        if reason is not None:
            return None, reason
        return data.decode("utf-8"), ""
