"""Hostile and runaway candidates: each is contained, and the parent and later candidates are unharmed.

Every run here is small (CPU limits of 1-2 s, wall limits of 1.5-5 s, at most 8 processes): the
machine is shared. Tests of one OS layer switch the audit hook off; they skip only where this machine
cannot have the layer, and fail where it can but the launcher lacks it (see conftest.py).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codelewm.errors import ExecutionError
from codelewm.execution import (
    ExecutionStatus,
    Limits,
    Policy,
    SandboxJob,
    run_candidate,
    run_many,
)
from codelewm.execution.isolation import Launcher

FORK_BOMB = "import os\nwhile True:\n    os.fork()\n"
OK = ("def f():\n    return 1\n", "assert f() == 1")
NO_HOOK = Policy(audit_hook=False)
FORKS = Policy(allow_subprocess=True)


def _passes_afterwards(limits: Limits) -> None:
    result = run_candidate(OK[0], tests=OK[1], limits=limits)
    assert result.status is ExecutionStatus.PASSED


# --- time ----------------------------------------------------------------------------------------


def test_infinite_loop_times_out_on_the_wall_clock(fast: Limits) -> None:
    limits = fast.model_copy(update={"wall_s": 1.5, "cpu_s": 30})
    started = time.monotonic()
    result = run_candidate("while True:\n    pass\n", tests="", limits=limits)
    assert result.status is ExecutionStatus.TIMEOUT
    assert result.detail == "wall-clock limit of 1.5s reached"
    assert result.signal in {"SIGTERM", "SIGKILL"}
    assert time.monotonic() - started < 1.5 + limits.grace_s + 3.0


def test_sleeping_candidate_that_ignores_sigterm_is_killed(fast: Limits) -> None:
    program = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(60)\n"
    limits = fast.model_copy(update={"wall_s": 1.0, "grace_s": 0.2})
    result = run_candidate(program, tests="", limits=limits)
    assert result.status is ExecutionStatus.TIMEOUT
    assert result.duration_s < 4.0


def test_cpu_limit_counts_as_timeout(fast: Limits) -> None:
    limits = fast.model_copy(update={"wall_s": 20.0, "cpu_s": 1})
    result = run_candidate("while True:\n    pass\n", tests="", limits=limits)
    assert result.status is ExecutionStatus.TIMEOUT
    assert result.detail in {
        "CPU limit of 1s reached (SIGXCPU)",
        "wall-clock limit of 20.0s reached",
    }


# --- processes -----------------------------------------------------------------------------------


def test_fork_bomb_is_denied_by_policy(fast: Limits, descendants: Callable[[], list[int]]) -> None:
    result = run_candidate(FORK_BOMB, tests="", limits=fast)
    assert result.status is ExecutionStatus.POLICY_VIOLATION
    assert result.violations[0] == "os.fork (denied)"
    assert descendants() == []


def test_fork_bomb_is_contained_by_the_process_limit(
    fast: Limits, launcher: Launcher, descendants: Callable[[], list[int]]
) -> None:
    if not launcher.enforces_nproc:
        with pytest.raises(ExecutionError, match="process-count limit"):
            run_candidate(FORK_BOMB, tests="", limits=fast, policy=FORKS)
        return
    result = run_candidate(FORK_BOMB, tests="", limits=fast, policy=FORKS)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail == "BlockingIOError: [Errno 11] Resource temporarily unavailable"
    assert descendants() == []
    _passes_afterwards(fast)


def test_fork_bomb_next_to_a_normal_candidate(
    fast: Limits, launcher: Launcher, descendants: Callable[[], list[int]]
) -> None:
    if not launcher.enforces_nproc:
        pytest.skip("no process-count limit on this machine")
    jobs = [SandboxJob(FORK_BOMB, "", job_id="bomb"), SandboxJob(*OK, job_id="ok")]
    results = list(run_many(jobs, limits=fast, policy=FORKS, workers=2))
    assert [(r.job_id, r.status) for r in results] == [("bomb", "error"), ("ok", "passed")]
    assert descendants() == []


def test_background_processes_die_with_the_run(
    fast: Limits, launcher: Launcher, descendants: Callable[[], list[int]]
) -> None:
    if not launcher.enforces_nproc:
        pytest.skip("no process-count limit on this machine")
    program = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n"
    result = run_candidate(program, tests="", limits=fast, policy=FORKS)
    assert result.status is ExecutionStatus.PASSED
    assert descendants() == []


def test_subprocess_is_denied_by_policy(fast: Limits) -> None:
    result = run_candidate("import subprocess\nsubprocess.run(['true'])\n", tests="", limits=fast)
    assert result.status is ExecutionStatus.POLICY_VIOLATION
    assert result.violations == ["subprocess.Popen (denied)"]


# --- memory and output ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "program",
    [
        "x = bytearray(1024 * 1024 * 1024)\n",
        "xs = []\nwhile True:\n    xs.append(bytearray(8 * 1024 * 1024))\n",
    ],
    ids=["one-block", "growing"],
)
def test_memory_hog_hits_the_address_space_limit(fast: Limits, program: str) -> None:
    limits = fast.model_copy(update={"memory_mb": 256})
    result = run_candidate(program, tests="", limits=limits)
    assert result.status is ExecutionStatus.MEMORY
    assert result.detail == "MemoryError"
    _passes_afterwards(fast)


def test_output_flood_is_truncated_without_hanging(fast: Limits) -> None:
    program = (
        "import sys\n"
        "for _ in range(2000):\n"
        "    sys.stdout.write('x' * 4096)\n"
        "    sys.stderr.write('y' * 1024)\n"
    )
    limits = fast.model_copy(update={"max_output_bytes": 64 * 1024})
    result = run_candidate(program, tests="", limits=limits)
    assert result.status is ExecutionStatus.PASSED
    assert (result.stdout_bytes, result.stderr_bytes) == (2000 * 4096, 2000 * 1024)
    assert result.stdout == "x" * 64 * 1024
    assert result.stderr == "y" * 64 * 1024
    assert result.stdout_truncated and result.stderr_truncated


def test_output_is_redacted(fast: Limits) -> None:
    key = "sk-or-v1-" + "a1" * 20
    result = run_candidate(f"print('key={key}')", tests="", limits=fast)
    assert key not in result.stdout
    assert result.stdout.startswith("key=[REDACTED:openrouter_key:sha256=")


# --- files ---------------------------------------------------------------------------------------


@pytest.fixture
def private_dir() -> Iterator[Path]:
    """A directory outside /tmp that only the caller may write (under its home directory)."""
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    directory = home / ".cache" / f"codelewm-sandbox-test-{uuid.uuid4().hex}"
    directory.mkdir(parents=True)
    yield directory
    shutil.rmtree(directory)


@pytest.fixture
def planted(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "keep" / "planted.txt"
    target.parent.mkdir()
    target.write_text("precious", encoding="utf-8")
    yield target


def test_write_outside_the_workdir_is_denied(fast: Limits, tmp_path: Path) -> None:
    target = tmp_path / "written.txt"
    result = run_candidate(f"open({str(target)!r}, 'w').write('x')", tests="", limits=fast)
    assert result.status is ExecutionStatus.POLICY_VIOLATION
    assert result.violations == [f"open {target} for writing (outside the working directory)"]
    assert not target.exists()


def test_write_inside_the_workdir_is_allowed(fast: Limits) -> None:
    program = "import os\nopen('out.txt', 'w').write('x')\nos.remove('out.txt')\n"
    result = run_candidate(program, tests="", limits=fast)
    assert result.status is ExecutionStatus.PASSED


def test_write_outside_is_blocked_by_the_uid_without_the_hook(
    fast: Limits, private_dir: Path, require: Callable[[str], None]
) -> None:
    require("uid_drop")
    target = private_dir / "written.txt"
    program = f"open({str(target)!r}, 'w').write('x')"
    result = run_candidate(program, tests="", limits=fast, policy=NO_HOOK)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail.startswith("PermissionError: [Errno 13] Permission denied")
    assert not target.exists()


def test_ctypes_bypass_of_the_hook_still_meets_the_uid(
    fast: Limits, tmp_path: Path, require: Callable[[str], None]
) -> None:
    require("uid_drop")
    target = tmp_path / "written.txt"
    program = (
        "import ctypes, os\n"
        f"fd = ctypes.CDLL(None).open({str(target).encode()!r}, os.O_WRONLY | os.O_CREAT, 0o644)\n"
        "assert fd == -1, fd\n"
    )
    result = run_candidate(program, tests="", limits=fast)
    assert result.status is ExecutionStatus.PASSED
    assert not target.exists()


@pytest.mark.parametrize(
    ("program", "violation"),
    [
        ("import os\nos.remove({file!r})\n", "os.remove {file}"),
        ("import shutil\nshutil.rmtree({dir!r})\n", "shutil.rmtree {dir}"),
        ("import os\nos.rename({file!r}, 'stolen.txt')\n", "os.rename {file}"),
        ("import os\nos.chmod({file!r}, 0o777)\n", "os.chmod {file}"),
    ],
    ids=["remove", "rmtree", "rename", "chmod"],
)
def test_deleting_outside_the_workdir_is_denied(
    fast: Limits, planted: Path, program: str, violation: str
) -> None:
    names = {"file": str(planted), "dir": str(planted.parent)}
    result = run_candidate(program.format(**names), tests="", limits=fast)
    assert result.status is ExecutionStatus.POLICY_VIOLATION
    assert result.violations == [violation.format(**names) + " (outside the working directory)"]
    assert planted.read_text(encoding="utf-8") == "precious"


def test_deleting_is_blocked_by_the_uid_without_the_hook(
    fast: Limits, private_dir: Path, require: Callable[[str], None]
) -> None:
    require("uid_drop")
    planted = private_dir / "planted.txt"
    planted.write_text("precious", encoding="utf-8")
    program = f"import os\nos.remove({str(planted)!r})\n"
    result = run_candidate(program, tests="", limits=fast, policy=NO_HOOK)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail.startswith("PermissionError: [Errno 13] Permission denied")
    assert planted.read_text(encoding="utf-8") == "precious"


def test_private_tmp_keeps_a_ctypes_write_off_the_host(
    fast: Limits, require: Callable[[str], None]
) -> None:
    require("private_tmp")
    target = Path("/tmp") / f"codelewm-escape-{uuid.uuid4().hex}"
    program = (
        "import ctypes, os\n"
        f"fd = ctypes.CDLL(None).open({str(target).encode()!r}, os.O_WRONLY | os.O_CREAT, 0o644)\n"
        "assert fd >= 0, fd\n"
    )
    try:
        result = run_candidate(program, tests="", limits=fast)
        assert result.status is ExecutionStatus.PASSED  # it wrote to the run's own tmpfs
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)


def test_private_tmp_caps_disk_use(fast: Limits, require: Callable[[str], None]) -> None:
    require("private_tmp")
    program = (
        "with open('big', 'wb') as f:\n    for _ in range(32):\n        f.write(b'x' * 2**20)\n"
    )
    limits = fast.model_copy(update={"disk_mb": 4, "file_size_mb": 64})
    result = run_candidate(program, tests="", limits=limits)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail == "OSError: [Errno 28] No space left on device"


def test_swallowed_denial_is_still_a_violation(fast: Limits, planted: Path) -> None:
    program = f"import os\ntry:\n    os.remove({str(planted)!r})\nexcept Exception:\n    pass\n"
    result = run_candidate(program, tests="", limits=fast)
    assert result.status is ExecutionStatus.POLICY_VIOLATION
    assert planted.exists()


def test_reading_a_private_home_file_is_denied(fast: Limits) -> None:
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    result = run_candidate(f"open({str(home / '.bashrc')!r}).read()", tests="", limits=fast)
    assert result.status is ExecutionStatus.POLICY_VIOLATION
    assert result.violations == [f"open {home / '.bashrc'} (private location)"]


# --- network -------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[socket.socket]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.3)
    yield listener
    listener.close()


def _connections(listener: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            return count
        conn.close()
        count += 1


def _connect_program(listener: socket.socket) -> str:
    port = listener.getsockname()[1]
    return (
        "import socket\n"
        f"s = socket.socket()\ns.settimeout(1)\ns.connect(('127.0.0.1', {port}))\ns.sendall(b'hi')\n"
    )


def test_socket_connect_is_denied(fast: Limits, server: socket.socket) -> None:
    result = run_candidate(_connect_program(server), tests="", limits=fast)
    assert result.status is ExecutionStatus.POLICY_VIOLATION
    assert result.violations == ["socket.__new__ family 2 (network is denied)"]
    assert _connections(server) == 0


@pytest.mark.usefixtures("no_seccomp")  # the filter would refuse the AF_INET socket itself
def test_network_namespace_has_no_route_without_the_hook(
    fast: Limits, server: socket.socket, launcher: Launcher, require: Callable[[str], None]
) -> None:
    require("netns")
    result = run_candidate(_connect_program(server), tests="", limits=fast, policy=NO_HOOK)
    assert result.status is ExecutionStatus.ERROR
    if "bwrap" in launcher.isolation:  # bwrap brings up the namespace's own loopback
        assert result.detail == "ConnectionRefusedError: [Errno 111] Connection refused"
    else:  # unshare leaves it down
        assert result.detail == "OSError: [Errno 101] Network is unreachable"
    assert _connections(server) == 0


# --- environment ---------------------------------------------------------------------------------


def test_planted_api_key_does_not_reach_the_child(
    fast: Limits, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = "plantedvalue0123456789"  # matches no redaction pattern, so absence is real
    monkeypatch.setenv("OPENROUTER_API_KEY", marker)
    program = "import os\nprint(os.environ.get('OPENROUTER_API_KEY'))\nprint(sorted(os.environ))\n"
    result = run_candidate(program, tests="", limits=fast)
    assert result.status is ExecutionStatus.PASSED
    assert result.stdout.splitlines()[0] == "None"
    assert "OPENROUTER_API_KEY" not in result.stdout
    assert os.environ["OPENROUTER_API_KEY"] == marker


def test_parent_environment_is_not_readable_through_proc(
    fast: Limits, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = "plantedvalue0123456789"
    monkeypatch.setenv("OPENROUTER_API_KEY", marker)
    path = f"/proc/{os.getpid()}/environ"
    result = run_candidate(f"print(open({path!r}, 'rb').read())", tests="", limits=fast)
    assert result.status is ExecutionStatus.POLICY_VIOLATION
    assert result.violations == [f"open {path} (another process's environment)"]
    assert marker not in result.stdout + result.stderr


def test_parent_environment_is_hidden_by_the_os_without_the_hook(
    fast: Limits, monkeypatch: pytest.MonkeyPatch, require: Callable[[str], None]
) -> None:
    require("mountns_proc")
    marker = "plantedvalue0123456789"
    monkeypatch.setenv("OPENROUTER_API_KEY", marker)
    program = (
        "import os\n"
        "for pid in os.listdir('/proc'):\n"
        "    if pid.isdigit():\n"
        "        print(pid, open(f'/proc/{pid}/environ', 'rb').read())\n"
    )
    result = run_candidate(program, tests="", limits=fast, policy=NO_HOOK)
    assert result.status is ExecutionStatus.PASSED
    pids = [line.split()[0] for line in result.stdout.splitlines()]
    assert pids[0] == "1"
    assert len(pids) == 2  # init and the harness: nothing of the host
    assert marker not in result.stdout


# --- signals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "detail"),
    [
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "killed by SIGKILL"),
        ("import ctypes\nctypes.string_at(0)\n", "killed by SIGSEGV"),
    ],
    ids=["sigkill", "segfault"],
)
def test_death_by_signal_is_killed(fast: Limits, program: str, detail: str) -> None:
    result = run_candidate(program, tests="assert True", limits=fast)
    assert result.status is ExecutionStatus.KILLED
    assert result.detail == detail


def test_signals_to_other_processes_are_denied(fast: Limits) -> None:
    result = run_candidate("import os\nos.kill(1, 9)\n", tests="", limits=fast)
    assert result.status is ExecutionStatus.POLICY_VIOLATION
    assert result.violations == ["os.kill 1 (signals to other processes are denied)"]


def test_sqlite_database_outside_the_workdir_is_denied(fast: Limits, tmp_path: Path) -> None:
    target = tmp_path / "x.db"
    inside = run_candidate("import sqlite3\nsqlite3.connect('ok.db').close()\n", tests="")
    outside = run_candidate(f"import sqlite3\nsqlite3.connect({str(target)!r})\n", tests="")
    assert inside.status is ExecutionStatus.PASSED
    assert outside.status is ExecutionStatus.POLICY_VIOLATION
    assert not target.exists()
