"""A killed writer's temp dir is removed by the next writer of the same path; a live one's never is."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from codelewm.artifacts.manifest import (
    STALE_TEMP_AGE_S,
    ArtifactWriter,
    begin_artifact,
    discard_artifact,
    remove_stale_temps,
)

KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from codelewm.artifacts.manifest import ArtifactWriter
    with ArtifactWriter(Path(sys.argv[1]), kind="dataset", config={}) as art:
        (art.path / "records.jsonl").write_bytes(b"x" * 1_000_000)
        os.kill(os.getpid(), signal.SIGKILL)  # as a kill -9 / OOM of `dataset build` would
    """
)


def _temps(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name)


def test_a_killed_writers_temp_dir_is_removed_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(out)], check=False)
    assert killed.returncode == -9
    [left] = _temps(tmp_path)  # what the issue saw: a 23 MB .ds.tmp-* after a killed build
    assert left.startswith(".ds.tmp-") and not out.exists()
    with ArtifactWriter(out, kind="dataset", config={}) as art:
        (art.path / "records.jsonl").write_text("ok\n")
    assert _temps(tmp_path) == [] and (out / "records.jsonl").read_text() == "ok\n"


def test_a_live_writers_temp_dir_is_kept(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = begin_artifact(tmp_path / "ds", overwrite=False)  # ours: this process is alive
        other = tmp_path / live.name.replace(f"tmp-{os.getpid()}-", f"tmp-{sleeper.pid}-")
        other.mkdir()
        old = time.time() - 10 * STALE_TEMP_AGE_S
        os.utime(other, (old, old))  # however old: its pid is alive
        assert remove_stale_temps(tmp_path / "ds") == []
        second = begin_artifact(
            tmp_path / "ds", overwrite=False
        )  # a concurrent run of the same path
        assert {live.name, other.name, second.name} <= set(_temps(tmp_path))
        discard_artifact(second)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert remove_stale_temps(tmp_path / "ds") == [other]  # now its writer is gone
    assert _temps(tmp_path) == [live.name]


def test_temps_of_unknown_owner_are_removed_only_when_old(tmp_path: Path) -> None:
    legacy_old = tmp_path / ".ds.tmp-0123456789ab"  # the name form before owners were recorded
    legacy_new = tmp_path / ".ds.tmp-ba9876543210"
    remote_old = tmp_path / ".ds.tmp-4242-00000000-0123456789ab"  # another host (shared disk)
    remote_new = tmp_path / ".ds.tmp-4242-00000000-ba9876543210"
    another = tmp_path / ".other.tmp-0123456789ab"  # another artifact's: never ours to remove
    for path in (legacy_old, legacy_new, remote_old, remote_new, another):
        path.mkdir()
        (path / "part").write_text("x")
    old = time.time() - STALE_TEMP_AGE_S - 60
    for path in (legacy_old, remote_old, another):
        for item in (path / "part", path):
            os.utime(item, (old, old))
    removed = remove_stale_temps(tmp_path / "ds")
    assert sorted(p.name for p in removed) == sorted([legacy_old.name, remote_old.name])
    assert _temps(tmp_path) == sorted([legacy_new.name, remote_new.name, another.name])


def test_a_recent_file_inside_keeps_an_old_temp_dir(tmp_path: Path) -> None:
    legacy = tmp_path / ".ds.tmp-0123456789ab"
    legacy.mkdir()
    (legacy / "fresh").write_text("still being written")
    old = time.time() - 2 * STALE_TEMP_AGE_S
    os.utime(legacy, (old, old))
    assert remove_stale_temps(tmp_path / "ds") == []


def test_atomic_writes_get_the_mode_of_a_plain_write(tmp_path: Path) -> None:
    import os
    import stat

    from codelewm.artifacts.atomic import atomic_write_text

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "page.html", "x")
        plain = tmp_path / "plain.html"
        plain.write_text("x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "page.html").stat().st_mode)
    assert mode == stat.S_IMODE(plain.stat().st_mode) == 0o644
