"""Attacks that go around the audit hook (issue 13, section 3), met by the OS layers: the seccomp
filter, private /run and /tmp, and the launcher's self-test for a package installed under /tmp.

Each attack runs under each launcher kind this machine can have (bwrap, the unshare stage, plain),
and, where it matters, once with the layer switched off to show that the attack is real.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codelewm.execution import ExecutionStatus, Limits, Policy, run_candidate
from codelewm.execution.isolation import Launcher

ROOT = os.geteuid() == 0
EPERM = "PermissionError: [Errno 1] Operation not permitted"
NO_HOOK = Policy(audit_hook=False)
LAUNCHERS = {  # kind -> (launcher name, what this machine needs to have it)
    "bwrap": ("bwrap+uid_drop" if ROOT else "bwrap", "bwrap"),
    "unshare": ("namespaces+tmpfs+uid_drop" if ROOT else "user_namespaces+tmpfs", "unshare_stage"),
    "plain": ("plain", None),
}
FORK_EXEC = (
    "import _posixsubprocess, os, time\n"
    "r, w = os.pipe()\n"
    "try:\n"
    "    _posixsubprocess.fork_exec(\n"
    "        [b'/bin/sh', b'-c', b'echo shell-ran; echo x > shell-ran'], [b'/bin/sh'], False, (),\n"
    "        None, None, -1, -1, -1, -1, -1, -1, r, w, False, False, -1, None, None, None, -1,\n"
    "        None, True)\n"
    "finally:\n"
    "    time.sleep(0.3)\n"
    "    print('side effect:', os.path.exists('shell-ran'))\n"
)
CTYPES_EXECV = (
    "import ctypes\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "argv = (ctypes.c_char_p * 4)(b'/bin/sh', b'-c', b'echo shell-ran', None)\n"
    "assert libc.execv(b'/bin/sh', argv) == -1\n"
    "assert ctypes.get_errno() == 1, ctypes.get_errno()\n"
)


@pytest.fixture(params=list(LAUNCHERS))
def each(
    request: pytest.FixtureRequest,
    launcher_named: Callable[[str, str | None], Launcher],
    use_launcher: Callable[[Launcher], None],
    require: Callable[[str], None],
) -> Launcher:
    """Every run of the test under this launcher kind; the attacks need the filter too."""
    require("seccomp")
    name, layer = LAUNCHERS[request.param]
    chosen = launcher_named(name, layer)
    use_launcher(chosen)
    return chosen


@pytest.fixture
def plain(
    launcher_named: Callable[[str, str | None], Launcher], use_launcher: Callable[[Launcher], None]
) -> Launcher:
    chosen = launcher_named("plain", None)
    use_launcher(chosen)
    return chosen


# --- processes -----------------------------------------------------------------------------------


def test_fork_exec_runs_no_shell(each: Launcher, fast: Limits) -> None:
    result = run_candidate(FORK_EXEC, tests="", limits=fast)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail == EPERM
    assert result.stdout == "side effect: False\n"  # the shell neither printed nor wrote
    assert "seccomp" in result.isolation


@pytest.mark.usefixtures("no_seccomp")
def test_fork_exec_is_a_real_attack_without_the_filter(plain: Launcher, fast: Limits) -> None:
    result = run_candidate(FORK_EXEC, tests="", limits=fast)
    assert result.status is ExecutionStatus.PASSED  # what issue 13 saw: the audit hook never knew
    assert "shell-ran" in result.stdout
    assert "side effect: True" in result.stdout


def test_ctypes_execv_is_refused(each: Launcher, fast: Limits) -> None:
    result = run_candidate(CTYPES_EXECV, tests="", limits=fast)
    assert result.status is ExecutionStatus.PASSED  # the candidate saw execv fail with EPERM
    assert "shell-ran" not in result.stdout


def test_threads_still_work_under_the_filter(each: Launcher, fast: Limits) -> None:
    program = (
        "import threading\nseen = []\n"
        "threads = [threading.Thread(target=seen.append, args=(i,)) for i in range(4)]\n"
        "for t in threads:\n    t.start()\nfor t in threads:\n    t.join()\n"
    )
    result = run_candidate(program, tests="assert sorted(seen) == [0, 1, 2, 3]", limits=fast)
    assert result.status is ExecutionStatus.PASSED


def test_allow_subprocess_still_forks_and_execs(
    launcher: Launcher, fast: Limits, require: Callable[[str], None]
) -> None:
    require("seccomp")
    if not launcher.enforces_nproc:
        pytest.skip(
            f"launcher {launcher.name} cannot cap processes, so it refuses allow_subprocess"
        )
    program = "import subprocess\nsubprocess.run(['/bin/sh', '-c', 'echo child-ran'], check=True)\n"
    policy = Policy(allow_subprocess=True)
    result = run_candidate(program, tests="", limits=fast, policy=policy)
    assert result.status is ExecutionStatus.PASSED
    assert result.stdout == "child-ran\n"
    assert "seccomp" in result.isolation


@pytest.mark.parametrize(
    ("call", "errno_name"),
    [
        ("libc.unshare(0x10000000)", "EPERM"),  # CLONE_NEWUSER
        ("libc.ptrace(16, os.getppid(), 0, 0)", "EPERM"),  # PTRACE_ATTACH to the parent
        ("libc.mount(b'none', b'/mnt', b'tmpfs', 0, None)", "EPERM"),
        ("libc.syscall(435, 0, 0)", "ENOSYS"),  # clone3: libc must fall back to clone
    ],
    ids=["unshare", "ptrace", "mount", "clone3"],
)
def test_namespaces_ptrace_mounts_and_clone3_are_refused(
    each: Launcher, fast: Limits, call: str, errno_name: str
) -> None:
    if "435" in call and platform.machine() not in {"x86_64", "aarch64"}:
        pytest.skip("clone3 is syscall 435 on x86_64 and aarch64 only")
    program = (
        "import ctypes, errno, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        f"assert {call} == -1\nassert ctypes.get_errno() == errno.{errno_name}, ctypes.get_errno()\n"
    )
    result = run_candidate(program, tests="", limits=fast, policy=NO_HOOK)
    assert result.status is ExecutionStatus.PASSED, result.detail


# --- FIFOs and device nodes ----------------------------------------------------------------------


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A host directory anyone may write (so only the filter stands between it and the child)."""
    directory = Path(tempfile.mkdtemp(prefix="codelewm-open-"))
    directory.chmod(0o777)
    yield directory
    shutil.rmtree(directory)


MKNOD_CALLS = {
    "mkfifo": "os.mkfifo({target!r})",
    "mknod-fifo": f"os.mknod({{target!r}}, {stat.S_IFIFO | 0o600})",
    "mknod-file": f"os.mknod({{target!r}}, {stat.S_IFREG | 0o600})",
}


@pytest.mark.parametrize("call", list(MKNOD_CALLS))
def test_mkfifo_and_mknod_outside_the_workdir_leave_nothing(
    each: Launcher, fast: Limits, open_dir: Path, call: str
) -> None:
    target = open_dir / "planted"
    program = f"import os\n{MKNOD_CALLS[call].format(target=str(target))}\n"
    result = run_candidate(program, tests="", limits=fast)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail == EPERM
    assert list(open_dir.iterdir()) == []


def test_mkfifo_in_the_workdir_is_refused_too(each: Launcher, fast: Limits) -> None:
    result = run_candidate("import os\nos.mkfifo('fifo')\n", tests="", limits=fast)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail == EPERM


@pytest.mark.usefixtures("no_seccomp")
def test_mkfifo_is_a_real_attack_without_the_filter(
    plain: Launcher, fast: Limits, open_dir: Path
) -> None:
    target = open_dir / "planted"
    result = run_candidate(f"import os\nos.mkfifo({str(target)!r})\n", tests="", limits=fast)
    assert result.status is ExecutionStatus.PASSED  # no audit event for mkfifo
    assert stat.S_ISFIFO(target.stat().st_mode)


# --- sockets -------------------------------------------------------------------------------------


@pytest.fixture
def run_socket() -> Iterator[tuple[str, socket.socket]]:
    """A real listening Unix socket under /run on the host, connectable by any uid."""
    runtime = "/run" if ROOT else f"/run/user/{os.getuid()}"
    if not os.access(runtime, os.W_OK):
        pytest.skip(f"cannot create a socket under {runtime} as uid {os.getuid()}")
    path = f"{runtime}/codelewm-test-{uuid.uuid4().hex[:12]}.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o777)
    listener.listen(8)
    listener.settimeout(0.3)
    try:
        yield path, listener
    finally:
        listener.close()
        os.unlink(path)


def _connections(listener: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            return count
        conn.close()
        count += 1


def _unix_connect(path: str) -> str:
    return (
        f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({path!r})\ns.sendall(b'hi')\n"
    )


def test_host_unix_socket_under_run_gets_no_connection(
    each: Launcher, fast: Limits, run_socket: tuple[str, socket.socket]
) -> None:
    path, listener = run_socket
    result = run_candidate(_unix_connect(path), tests="", limits=fast, policy=NO_HOOK)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail == EPERM  # no AF_UNIX socket without allow_subprocess
    assert _connections(listener) == 0


@pytest.mark.parametrize("kind", ["bwrap", "unshare"])
def test_private_run_hides_host_sockets_where_af_unix_is_allowed(
    kind: str,
    fast: Limits,
    run_socket: tuple[str, socket.socket],
    launcher_named: Callable[[str, str | None], Launcher],
    use_launcher: Callable[[Launcher], None],
) -> None:
    use_launcher(launcher_named(*LAUNCHERS[kind]))
    path, listener = run_socket
    policy = Policy(allow_subprocess=True, audit_hook=False)  # the filter then allows AF_UNIX
    result = run_candidate(_unix_connect(path), tests="", limits=fast, policy=policy)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail == "FileNotFoundError: [Errno 2] No such file or directory"
    assert "private_run" in result.isolation
    assert _connections(listener) == 0


@pytest.mark.usefixtures("no_seccomp")
def test_host_unix_socket_is_a_real_attack_without_the_layers(
    plain: Launcher, fast: Limits, run_socket: tuple[str, socket.socket]
) -> None:
    path, listener = run_socket
    result = run_candidate(_unix_connect(path), tests="", limits=fast, policy=NO_HOOK)
    assert result.status is ExecutionStatus.PASSED
    assert _connections(listener) == 1


@pytest.mark.parametrize("family", ["AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET"])
def test_network_socket_families_are_refused_without_the_hook(
    each: Launcher, fast: Limits, family: str
) -> None:
    program = f"import socket\nsocket.socket(socket.{family}, socket.SOCK_DGRAM)\n"
    result = run_candidate(program, tests="", limits=fast, policy=NO_HOOK)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail == EPERM


def test_socketpair_still_works(each: Launcher, fast: Limits) -> None:
    program = "import asyncio\nvalue = asyncio.run(asyncio.sleep(0, 'done'))\n"
    result = run_candidate(program, tests="assert value == 'done'", limits=fast)
    assert result.status is ExecutionStatus.PASSED


# --- a package installed under /tmp --------------------------------------------------------------

_TMP_PACKAGE_SCRIPT = """
import json, shutil, sys
if sys.argv[2] == "hide-bwrap":  # as on a machine without bubblewrap
    found = shutil.which
    shutil.which = lambda name: None if name == "bwrap" else found(name)
import codelewm.execution as execution
from codelewm.execution import run_candidate
from codelewm.execution.isolation import candidate_launchers
from codelewm.execution.selftest import select_launcher, self_test

launcher = select_launcher(sys.executable)
result = run_candidate("def f():\\n    return 1\\n", tests="assert f() == 1")
stage = [c for c in candidate_launchers(sys.executable) if c.name == sys.argv[1]][:1]
stage_result = self_test(stage[0], sys.executable) if stage else None
print(json.dumps({
    "file": execution.__file__,
    "launcher": launcher.name,
    "status": result.status.value,
    "isolation": result.isolation,
    "caveats": result.caveats,
    "stage": stage_result.status.value if stage_result else None,
}))
"""


@pytest.fixture
def package_under_tmp() -> Iterator[Path]:
    """A copy of the modules the sandbox imports, in a fresh directory under /tmp."""
    root = Path(tempfile.mkdtemp(prefix="codelewm-pkg-", dir="/tmp"))
    source = Path(sys.modules["codelewm"].__file__ or "").parent.parent
    for name, module in list(sys.modules.items()):
        if (name == "codelewm" or name.startswith("codelewm.")) and module.__file__:
            relative = Path(module.__file__).relative_to(source)
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(module.__file__, root / relative)
    (root / "codelewm" / "execution" / "_bootstrap.py").write_bytes(
        (source / "codelewm" / "execution" / "_bootstrap.py").read_bytes()
    )
    root.chmod(0o755)
    yield root
    shutil.rmtree(root)


@pytest.mark.parametrize("bwrap", ["as-installed", "hide-bwrap"])
def test_a_package_installed_under_tmp_passes_its_control(
    package_under_tmp: Path, cannot_have: Callable[[str], str | None], bwrap: str
) -> None:
    stage_name = LAUNCHERS["unshare"][0]
    env = {**os.environ, "PYTHONPATH": str(package_under_tmp)}
    completed = subprocess.run(
        [sys.executable, "-c", _TMP_PACKAGE_SCRIPT, stage_name, bwrap],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(completed.stdout.splitlines()[-1])
    assert report["file"].startswith(f"{package_under_tmp}/")
    assert report["status"] == "passed"  # the control passes under whichever launcher was chosen
    if bwrap == "as-installed" and cannot_have("bwrap") is None:
        # bwrap binds the package back, read-only, over the private /tmp
        assert report["launcher"].startswith("bwrap")
        assert {"private_tmp", "private_run"} <= set(report["isolation"])
        assert not [c for c in report["caveats"] if c.startswith("the self-test refused")]
    elif cannot_have("netns") is None:
        # the unshare stage hides the bootstrap: its self-test fails and the fallback says so
        assert report["stage"] == "error"
        assert "private_tmp" not in report["isolation"]
        refused = [c for c in report["caveats"] if c.startswith("the self-test refused")]
        assert len(refused) == 1
        # the hidden file: the bootstrap, or the interpreter itself where a venv lives under /tmp
        assert f"{stage_name} (error: exited with code" in refused[0]
        assert "No such file or directory" in refused[0] and "/tmp/" in refused[0]
