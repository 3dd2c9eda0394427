"""Fuzzing the CLI's inputs: hostile candidate directories and befores, and argument lists built from
the real options and hostile values. Every run ends with a documented exit code, a JSON object on
stdout under --json, no traceback, never the content a symlink points to, and in bounded time.

Runs are in-process (`typer.testing.CliRunner`) against a tiny real checkpoint, inside a temp
directory. Nothing here asks for execution (`--tests`, `--execute`) or the TUI: the sandbox has its
own attack list (tests/execution). (tests/cli/test_cli_consistency.py holds usage errors under --json
and markup in paths; tests/scoring/test_inputs.py the API's type and size checks.)
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import hypothesis.strategies as st
import pytest
from _adversarial import fuzz, within
from helper_modules import harness_helpers
from hypothesis import event, given
from typer.testing import CliRunner, Result

from codelewm.cli.app import app

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(300)]

H = harness_helpers()
DOCUMENTED_EXITS = {0, 2, 3, 4, 5}  # 70 is an internal error: a crash
SECRET_FILE = "/etc/passwd"
NAMES = st.sampled_from(
    [
        "x[red]y",  # rich markup (a file name holds no "/")
        "[bold]",
        "-rf",
        "--json",
        "a b",
        "evil\x1b]0;pwned\x07",
        "\u202eyp",
        "new\nline",
        "é",
        "a" * 200,
        ".hidden",
        "mod",
    ]
)
SUFFIXES = st.sampled_from([".py", ".patch", ".diff", ".txt", ""])
KINDS = st.sampled_from(["file", "symlink", "dangling", "loop", "fifo", "dir", "sparse"])
CONTENTS = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([H.GOOD, H.WRONG, H.GOOD_PATCH, H.GOOD_PATCH.replace("stats.py", "../x.py")]),
    st.text(st.characters(codec="utf-8"), max_size=200),
).map(lambda c: c if isinstance(c, bytes) else c.encode("utf-8"))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = H.build_tiny_checkpoint(tmp_path_factory.mktemp("fz-cli") / "tiny")
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("fz-cli-work")
    yield root


def _invoke(args: list[str], where: Path) -> Result:
    with contextlib.chdir(where):  # relative paths land in the example's directory
        return within(60.0, lambda: CliRunner().invoke(app, args), what=f"codelewm {args[0]}")


def _check(result: Result, *, json_output: bool, planted: bool = True) -> None:
    """The CLI's contract on hostile input; `planted`: the only way to /etc/passwd is a symlink the
    attacker planted among the inputs (an argument naming it is the user's own choice)."""
    event(f"exit {result.exit_code}")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # an exception that escaped the CLI: a crash
    assert result.exit_code in DOCUMENTED_EXITS, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert not planted or "root:x:0:0" not in result.output, "a symlink's target was read"
    if json_output and result.stdout.strip():
        assert isinstance(json.loads(result.stdout), dict | list)


def _plant(directory: Path, name: str, kind: str, content: bytes) -> Path:
    path = directory / name
    if kind == "file":
        path.write_bytes(content)
    elif kind == "symlink":
        path.symlink_to(SECRET_FILE)
    elif kind == "dangling":
        path.symlink_to(directory / "nowhere")
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "fifo":
        os.mkfifo(path)  # reading it would block forever
    elif kind == "dir":
        path.mkdir()
    else:
        with path.open("wb") as f:
            f.truncate(8 << 20)  # 8 MiB of holes: over the size limit, costs nothing on disk
    return path


@fuzz(40, deadline_ms=60_000)
@given(
    files=st.lists(
        st.tuples(NAMES, SUFFIXES, KINDS, CONTENTS),
        min_size=1,
        max_size=6,
        unique_by=lambda f: f[:2],
    ),
    command=st.sampled_from(["rerank", "score"]),
)
def test_a_hostile_candidate_directory_is_ranked_or_refused(
    checkpoint: Path,
    workdir: Path,
    files: list[tuple[str, str, str, bytes]],
    command: str,
) -> None:
    case = Path(os.path.realpath(workdir)) / f"case-{len(os.listdir(workdir))}"
    (case / "cands").mkdir(parents=True)
    (case / "stats.py").write_text(H.BEFORE)
    planted = [_plant(case / "cands", n + s, k, c) for n, s, k, c in files]
    target = str(case / "cands") if command == "rerank" else str(planted[0])
    args = [command, "--before", str(case / "stats.py"), "--instruction", H.INSTRUCTION]
    args += ["-c", target, "--checkpoint", str(checkpoint), "--json"]
    result = _invoke(args, case)
    _check(result, json_output=True)
    if result.exit_code == 0 and command == "rerank":  # every unreadable candidate is kept, refused
        refused = {r["origin"] for r in json.loads(result.stdout)["results"] if r.get("error")}
        for path, (_, suffix, kind, _) in zip(planted, files, strict=True):
            unreadable = kind in ("symlink", "dangling", "loop", "fifo", "sparse")
            if unreadable and suffix in (".py", ".patch", ".diff") and path.name[0] != ".":
                assert str(path) in refused, f"{path.name!r} ({kind}) is not a refused candidate"


@fuzz(20, deadline_ms=60_000)
@given(kind=KINDS, content=CONTENTS)
def test_a_hostile_before_is_refused_with_an_error_record(
    checkpoint: Path, workdir: Path, kind: str, content: bytes
) -> None:
    case = Path(os.path.realpath(workdir)) / f"case-{len(os.listdir(workdir))}"
    case.mkdir()
    before = _plant(case, "before.py", kind, content)
    (case / "good.py").write_text(H.GOOD)
    args = ["rerank", "--before", str(before), "--instruction", "x", "-c", str(case / "good.py")]
    result = _invoke([*args, "--checkpoint", str(checkpoint), "--json"], case)
    _check(result, json_output=True)
    if kind != "file":
        assert json.loads(result.stdout)["schema_version"] == "codelewm.error.v1"


VALUES = st.sampled_from(
    [
        "",
        "-",
        "--",
        "0",
        "-1",
        "99999999999999999999",
        "nan",
        "cuda:99",
        "meta",
        "[red]x[/red]",
        "\x1b[2J",
        "a" * 5000,
        "out.html",
        "out/",
        "/dev/null",
        "/etc/passwd",
        "/proc/self/environ",
        "{before}",
        "{cands}",
        "{checkpoint}",
        "{fifo}",
    ]
)
OPTIONS = st.sampled_from(
    [
        "--before",
        "--candidates",
        "--candidate",
        "-c",
        "--instruction",
        "--instruction-file",
        "--checkpoint",
        "--top",
        "--html",
        "--device",
        "--entry-point",
        "--all-files",
        "--strict",
        "--parent",
        "--bogus",
    ]
)


@fuzz(60, deadline_ms=60_000)
@given(
    command=st.sampled_from(
        [["rerank"], ["score"], ["secret-scan"], ["manifest", "verify"], ["index", "query"]]
    ),
    tokens=st.lists(st.one_of(st.tuples(OPTIONS, VALUES), OPTIONS, VALUES), max_size=5).map(
        lambda items: [t for item in items for t in (item if isinstance(item, tuple) else (item,))]
    ),
    json_output=st.booleans(),
    valid_start=st.booleans(),
)
def test_arguments_built_from_real_options_end_with_a_documented_exit(
    checkpoint: Path,
    workdir: Path,
    command: list[str],
    tokens: list[str],
    json_output: bool,
    valid_start: bool,
) -> None:
    """`valid_start`: the tokens follow a working rerank/score call (later options override)."""
    case = Path(os.path.realpath(workdir)) / f"case-{len(os.listdir(workdir))}"
    (case / "cands").mkdir(parents=True)
    (case / "stats.py").write_text(H.BEFORE)
    (case / "cands" / "good.py").write_text(H.GOOD)
    os.mkfifo(case / "fifo.py")
    where = {"before": case / "stats.py", "cands": case / "cands", "checkpoint": checkpoint}
    where["fifo"] = case / "fifo.py"
    if valid_start and command[0] in ("rerank", "score"):
        target = where["cands"] if command[0] == "rerank" else where["cands"] / "good.py"
        start = ["--before", "{before}", "-c", str(target), "--instruction", "x"]
        tokens = [*start, *tokens, "--checkpoint", "{checkpoint}"]
    args = [*command, *(t.format(**where) if t.startswith("{") else t for t in tokens)]
    result = _invoke([*args, "--json"] if json_output else args, case)
    _check(result, json_output=json_output, planted=False)


# Regression of what this module found: every path option crashed (exit 70) on a name the OS refuses.


@pytest.mark.parametrize(
    "args",
    [
        ["rerank", "--before", "{long}", "--instruction", "x", "-c", "{good}"],
        ["rerank", "--before", "{good}", "--instruction-file", "{long}", "-c", "{good}"],
        ["rerank", "--before", "{good}", "--instruction", "x", "-c", "{good}", "--html", "{long}"],
        [
            "score",
            "--before",
            "{good}",
            "--instruction",
            "x",
            "-c",
            "{good}",
            "--checkpoint",
            "{long}",
        ],
        ["secret-scan", "{long}"],
        ["manifest", "verify", "{long}"],
    ],
    ids=["before", "instruction-file", "html", "checkpoint", "secret-scan", "manifest"],
)
def test_a_path_the_os_refuses_is_bad_input(workdir: Path, args: list[str]) -> None:
    good = workdir / "good.py"
    good.write_text(H.GOOD)
    argv = [a.format(long="a" * 5000, good=good) for a in args]  # ENAMETOOLONG
    result = _invoke([*argv, "--json"], workdir)
    # a --checkpoint that cannot be read is refused like one that does not exist (exit 5)
    expected = ("CheckpointError", 5) if "--checkpoint" in args else ("InputError", 2)
    assert result.exit_code == expected[1], result.output
    record = json.loads(result.stdout)
    assert record["error_type"] == expected[0] and "File name too long" in record["message"]
    assert len(record["message"]) < 1000  # the refused name is not echoed whole
