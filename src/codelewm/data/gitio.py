"""Read a git repository through plumbing (`git log`, `git diff-tree`, `git cat-file --batch`).

No working tree is needed, so bare repositories work. Everything is read as bytes; callers decode.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from codelewm.errors import SourceUnavailableError

_SEP = "\x1f"
_REGULAR_MODES = {"100644", "100755", "000000"}  # 000000: the absent side of an add/delete


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author_date: str  # ISO 8601
    message: str


@dataclass(frozen=True)
class FileChange:
    status: str  # M, A, D, R (rename), C, T
    old_path: str
    new_path: str
    old_blob: str
    new_blob: str
    regular: bool = True  # both sides are regular files (not symlinks or submodules)


def run_git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """stdout of `git -C repo ARGS`, or SourceUnavailableError with git's message."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=False
        )
    except OSError as exc:
        raise SourceUnavailableError(
            f"cannot run git: {exc}", remediation="Install git and put it on PATH."
        ) from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise SourceUnavailableError(
            f"git {args[0]} failed in {repo}: {message}",
            remediation="Check that --repo is a git repository (bare or not) and the revision exists.",
        )
    return done.stdout


def list_commits(repo: Path, rev: str) -> list[Commit]:
    """All commits reachable from `rev`, oldest first (merges included: callers skip them)."""
    fmt = _SEP.join(("%H", "%P", "%aI", "%B"))
    out = run_git(repo, "log", "--reverse", "--topo-order", f"--format={fmt}", "-z", rev, "--")
    commits = []
    for entry in out.decode("utf-8", "replace").split("\x00"):
        if not entry.strip():
            continue
        sha, parents, date, message = entry.lstrip("\n").split(_SEP, 3)
        commits.append(Commit(sha, tuple(parents.split()), date, message))
    return commits


def changed_files(repo: Path, shas: list[str]) -> dict[str, list[FileChange]]:
    """sha -> files it changed against its first parent (renames followed with -M), one git call."""
    if not shas:
        return {}
    out = run_git(
        repo,
        "diff-tree",
        "--stdin",
        "-r",
        "-M",
        "-z",
        "--raw",
        stdin=("\n".join(shas) + "\n").encode(),
    )
    tokens = out.decode("utf-8", "surrogateescape").split("\x00")
    changes: dict[str, list[FileChange]] = {sha: [] for sha in shas}
    current: str | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i].strip("\n")
        if token.startswith(":") and current is not None:
            old_mode, new_mode, old_blob, new_blob, status = token[1:].split(" ")
            old_path = tokens[i + 1]
            two_paths = status[0] in "RC"
            new_path = tokens[i + 2] if two_paths else old_path
            regular = {old_mode, new_mode} <= _REGULAR_MODES
            changes[current].append(
                FileChange(status[0], old_path, new_path, old_blob, new_blob, regular)
            )
            i += 3 if two_paths else 2
            continue
        if token:
            current = token
        i += 1
    return changes


class BlobReader:
    """A long-running `git cat-file --batch`: `read(sha)` returns the blob's bytes (or None when
    it is larger than `max_bytes`; the content is still consumed)."""

    def __init__(self, repo: Path) -> None:
        self._proc = subprocess.Popen(
            ["git", "-C", str(repo), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def read(self, sha: str, *, max_bytes: int) -> bytes | None:
        stdin, stdout = self._pipes()
        stdin.write(sha.encode() + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3:
            raise SourceUnavailableError(f"git cat-file: no object {sha}")
        size = int(header[2])
        data = stdout.read(size)
        stdout.read(1)  # the newline after the content
        return None if size > max_bytes else data

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        return self._proc.stdin, self._proc.stdout

    def close(self) -> None:
        stdin, stdout = self._pipes()
        stdin.close()
        self._proc.wait()
        stdout.close()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def head_tree_names(repo: Path, rev: str) -> list[str]:
    """Names at the root of `rev`'s tree."""
    out = run_git(repo, "ls-tree", "--name-only", "-z", rev)
    return [name for name in out.decode("utf-8", "replace").split("\x00") if name]


def read_file_at(repo: Path, rev: str, path: str) -> bytes:
    return run_git(repo, "cat-file", "blob", f"{rev}:{path}")
