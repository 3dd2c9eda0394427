"""Candidates from files, directories and inline text: kinds, ids, kept-invalid candidates."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest
from _code_helpers import unified

from codelewm.code.candidates import (
    MAX_CANDIDATE_BYTES,
    LoadedCandidate,
    candidate_from_text,
    load_candidate_file,
    load_candidates,
    looks_like_patch,
    unique_ids,
)
from codelewm.errors import InputError
from codelewm.records import Validity

BEFORE = "def area(w, h):\n    return w * h\n"
GOOD = "def area(w, h):\n    return abs(w * h)\n"
BAD_NAME = "def area(w, h):\n    return w * hh\n"


def _write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.fixture
def mixed_dir(tmp_path: Path) -> Path:
    d = tmp_path / "cands"
    d.mkdir()
    _write(d / "b_full.py", GOOD)
    _write(d / "a_fix.patch", unified(BEFORE, GOOD, source="a/geo.py", target="b/geo.py"))
    bare_hunks = unified(BEFORE, BAD_NAME).split("\n", 2)[2]
    _write(d / "c_names.diff", bare_hunks)
    _write(d / ".hidden.py", GOOD)
    _write(d / "notes.txt", "not a candidate")
    (d / "sub").mkdir()
    _write(d / "sub" / "deep.py", GOOD)
    (d / "d_link.py").symlink_to(d / "b_full.py")
    return d


def test_directory_mixes_files_and_patches(mixed_dir: Path) -> None:
    loaded = load_candidates([mixed_dir], before=BEFORE, before_path="src/geo.py")
    assert [c.candidate_id for c in loaded] == ["a_fix", "b_full", "c_names", "d_link"]
    assert [c.record.kind for c in loaded] == ["patch", "full", "patch", "full"]
    fix, full, names, link = loaded
    assert fix.after == GOOD and fix.validity == Validity(parses=True, applies=True)
    assert fix.error is None and fix.record.origin == str(mixed_dir / "a_fix.patch")
    assert full.after == GOOD and full.record.text == GOOD
    assert full.record.sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
    assert names.after == BAD_NAME and names.validity.undefined_names == ["hh"]
    assert names.error is None  # undefined names are a signal, not an error
    assert link.error is not None and link.error.error_type == "CandidateRefusedError"


def test_symlink_is_kept_as_refused(mixed_dir: Path) -> None:
    link = load_candidate_file(mixed_dir / "d_link.py", before=BEFORE)
    assert link.after is None
    assert link.validity == Validity(parses=False, applies=False)
    assert link.record.text == "" and link.error is not None
    assert link.error.error_type == "CandidateRefusedError"
    assert link.error.message.endswith("d_link.py' is a symlink: symlinks are refused")
    assert link.error.exit_code == 2


def test_invalid_utf8_is_kept_with_error(tmp_path: Path) -> None:
    raw = b"def f():\n    return '\xff'\n"
    loaded = load_candidate_file(_write(tmp_path / "enc.py", raw), before=BEFORE)
    assert loaded.error is not None and loaded.after is None
    assert loaded.error.error_type == "CandidateRefusedError"
    assert (
        loaded.error.message == "candidate 'enc' is not valid UTF-8: invalid start byte at byte 21"
    )
    assert loaded.error.remediation == "Save the candidate as UTF-8."
    assert loaded.error.caused_by is not None and loaded.error.caused_by.startswith(
        "UnicodeDecodeError"
    )
    assert loaded.record.text == "def f():\n    return '\ufffd'\n"
    assert loaded.record.sha256 == hashlib.sha256(raw).hexdigest()


def test_oversized_and_special_files_are_refused(tmp_path: Path) -> None:
    big = load_candidate_file(
        _write(tmp_path / "big.py", b"#" * (MAX_CANDIDATE_BYTES + 1)), before=BEFORE
    )
    assert big.error is not None
    assert big.error.message.endswith("big.py' is over the size limit of 1,048,576 bytes")
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    piped = load_candidate_file(fifo, before=BEFORE)
    assert piped.error is not None and piped.error.message.endswith(
        "pipe.py' is not a regular file"
    )


def test_patch_that_does_not_apply_is_kept(tmp_path: Path) -> None:
    diff = unified("def area(w, h):\n    return w + h\n", GOOD)
    loaded = load_candidate_file(_write(tmp_path / "stale.patch", diff), before=BEFORE)
    assert loaded.after is None and loaded.validity == Validity(parses=False, applies=False)
    assert loaded.error is not None and loaded.error.error_type == "HunkMismatchError"
    assert "line 2 of the before is '    return w * h'" in loaded.error.message
    assert loaded.record.text == diff


def test_refused_patch_for_another_file(tmp_path: Path) -> None:
    diff = unified(BEFORE, GOOD, source="a/other.py", target="b/other.py")
    loaded = load_candidate_file(
        _write(tmp_path / "x.diff", diff), before=BEFORE, before_path="geo.py"
    )
    assert loaded.error is not None and loaded.error.error_type == "PatchRefusedError"
    assert (
        loaded.error.message == "patch edits 'a/other.py', not the before 'geo.py' (patch line 1)"
    )


def test_syntax_error_keeps_the_after_with_a_parse_error() -> None:
    loaded = candidate_from_text("def area(w, h:\n", before=BEFORE, candidate_id="broken")
    assert loaded.after == "def area(w, h:\n"
    assert loaded.validity == Validity(parses=False, applies=True)
    assert loaded.error is not None and loaded.error.error_type == "ParseFailureError"
    assert loaded.error.exit_code == 4
    assert loaded.error.message.startswith("candidate 'broken' does not parse: SyntaxError:")


def test_inline_text_detects_patches_and_gets_a_content_id() -> None:
    diff = unified(BEFORE, GOOD)
    loaded = candidate_from_text(diff, before=BEFORE)
    assert loaded.record.kind == "patch" and loaded.after == GOOD
    assert loaded.candidate_id == "cand-" + hashlib.sha256(diff.encode()).hexdigest()[:12]
    assert loaded.record.origin == "inline"
    full = candidate_from_text(GOOD, before=BEFORE, candidate_id="g")
    assert (full.record.kind, full.after, full.candidate_id) == ("full", GOOD, "g")
    forced = candidate_from_text(GOOD, before=BEFORE, kind="patch")
    assert forced.error is not None and forced.error.error_type == "MalformedPatchError"


def test_inline_lone_surrogate_and_oversize_are_refused() -> None:
    loaded = candidate_from_text("x = '\udcff'\n", before=BEFORE, candidate_id="s")
    assert loaded.error is not None and loaded.error.error_type == "CandidateRefusedError"
    assert loaded.record.text == "x = '\ufffd\ufffd\ufffd'\n"
    big = candidate_from_text("#" * (MAX_CANDIDATE_BYTES + 1), before=BEFORE, candidate_id="b")
    assert big.error is not None and big.error.message == (
        "candidate 'b' is 1,048,577 bytes, over the limit of 1,048,576"
    )
    assert big.record.text == ""


def test_pyflakes_skip_becomes_a_warning() -> None:
    loaded = candidate_from_text("x = " + "+".join(["1"] * 600) + "\n", before=BEFORE)
    assert loaded.error is None and loaded.validity.parses is True
    assert loaded.warnings == ("undefined-name check skipped: RecursionError (nested too deeply)",)


def test_ids_are_unique_within_a_call(tmp_path: Path) -> None:
    _write(tmp_path / "a.py", GOOD)
    _write(tmp_path / "a.patch", unified(BEFORE, GOOD))
    loaded: list[LoadedCandidate] = load_candidates(
        [tmp_path / "a.patch", tmp_path / "a.py", tmp_path / "a.py"], before=BEFORE
    )
    assert [c.candidate_id for c in loaded] == ["a", "a-2", "a-3"]
    assert unique_ids(["a", "a", "a-2", "b", "a"]) == ["a", "a-3", "a-2", "b", "a-4"]


def test_call_level_problems_raise(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_candidates([tmp_path / "missing.py"], before=BEFORE)
    empty = tmp_path / "empty"
    empty.mkdir()
    _write(empty / "readme.md", "no candidates")
    with pytest.raises(InputError, match="has no candidate files"):
        load_candidates([empty], before=BEFORE)
    with pytest.raises(InputError, match="no candidates given"):
        load_candidates([], before=BEFORE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("diff --git a/x.py b/x.py\n", True),
        ("\n\n--- a/x.py\n+++ b/x.py\n", True),
        ("@@ -1 +1 @@\n-a\n+b\n", True),
        ("Index: x.py\n====\n", True),
        ("From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n", True),
        ("\ufeff--- a/x.py\n", True),
        ("def f():\n    return '--- a/x.py'\n", False),
        ("# --- a/x.py\n", False),
        ("@decorator\ndef f(): ...\n", False),
        ("", False),
    ],
)
def test_looks_like_patch(text: str, expected: bool) -> None:
    assert looks_like_patch(text) is expected


def test_unreadable_file_is_kept_and_unlistable_directory_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "locked.py", GOOD)
    (tmp_path / "d").mkdir()

    def denied(*args: object, **kwargs: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    loaded = load_candidate_file(path, before=BEFORE)
    assert loaded.error is not None and loaded.error.error_type == "CandidateRefusedError"
    assert loaded.error.message.endswith("locked.py' cannot be read: Permission denied")
    assert loaded.error.remediation == "Check the file's permissions."

    def unlistable(self: Path) -> list[Path]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "iterdir", unlistable)
    with pytest.raises(InputError, match=r"cannot be read: .*Permission denied"):
        load_candidates([tmp_path / "d"], before=BEFORE)
