"""The doctests source on small modules written here, labelled by real sandbox runs."""

from __future__ import annotations

import tempfile
from pathlib import Path

from codelewm.data.labelled import LABEL_LIMITS
from codelewm.data.sources.doctests import (
    DoctestsConfig,
    DoctestsSource,
    check_tests,
    dotted_name,
    module_context,
    package_name,
)
from codelewm.data.sources.files import CodeFile
from codelewm.execution import ExecutionStatus, SandboxJob, TestKind, run_many
from codelewm.records import RerankPool, TransitionRecord

CLAMP = '''"""Small helpers."""
from __future__ import annotations

LIMIT = 3


def clamp(x, low, high):
    """Clamp x into [low, high].

    Values below low become low, values above high become high.

    Examples:

    >>> clamp(5, 0, LIMIT)
    3
    >>> clamp(-2, 0, 3)
    0
    >>> y = clamp(2, 0, 3)
    >>> y
    2
    >>> clamp(1, 0, 3)
    7
    >>> clamp(1, 2, 0)
    Traceback (most recent call last):
    ValueError: empty range
    """
    if low > high:
        raise ValueError("empty range")
    if x < low:
        return low
    if x > high:
        return high
    return x


def uses_clamp(x):
    return clamp(x, 0, LIMIT)


TABLE = {"clamp": clamp}  # captured at import
'''

RELATIVE = '''from . import clamps


def double(x):
    """Twice x.

    >>> double(2)
    4
    """
    return clamps.LIMIT * 0 + 2 * x
'''


def _package(tmp_path: Path) -> Path:
    root = tmp_path / "mathbits"
    root.mkdir()
    (root / "LICENSE").write_text(
        "MIT License\n\nPermission is hereby granted, free of charge, ..."
    )
    (root / "clamps.py").write_text(CLAMP)
    return root


def _build(
    config: DoctestsConfig,
) -> tuple[DoctestsSource, list[TransitionRecord], list[RerankPool]]:
    source = DoctestsSource(config)
    records: list[TransitionRecord] = []
    pools: list[RerankPool] = []
    for unit in source.units():
        records.extend(source.iter_transitions(unit))
        pools.extend(source.iter_decoy_pools(unit))
    return source, records, pools


def _clamp_context(root: Path) -> str:
    """clamps.py without `clamp`, as the pool's members run in it."""
    text = (root / "clamps.py").read_text()
    lines = text.splitlines()
    start = lines.index("def clamp(x, low, high):") + 1  # 1-based first line
    end = lines.index("def uses_clamp(x):") - 2  # 1-based last line (two blank lines after it)
    context = module_context(
        CodeFile(root / "clamps.py", "clamps.py", "mathbits", "MIT"), text, "clamp", start, end
    )
    assert context is not None and "def uses_clamp" in context
    assert "def clamp(x, low, high)" not in context and "Clamp x" not in context
    return context


def _status(root: Path, program: str) -> ExecutionStatus:
    """Run `program` as a member of clamp's pool: its module context and its passing checks."""
    source = DoctestsSource(DoctestsConfig(code=[root]))
    functions = source._functions.functions(source.units()[0])
    doctested = next(d for d in map(source._doctested, functions) if d is not None)
    tests = check_tests(doctested.checks[:3], doctested.setup, "clamps")  # the 4th is false
    job = SandboxJob(_clamp_context(root) + program, tests, TestKind.UNITTEST, None, "t")
    return next(run_many([job], limits=LABEL_LIMITS)).status


def test_doctested_function_becomes_a_labelled_pool(tmp_path: Path) -> None:
    source, records, pools = _build(DoctestsConfig(code=[_package(tmp_path)]))
    assert [r.symbol for r in records] == ["clamp"]
    record = records[0]
    assert record.source == "doctests" and record.instruction_kind == "docstring"
    assert record.instruction == (
        "Implement `clamp`: Clamp x into [low, high]. "
        "Values below low become low, values above high become high."
    )
    assert record.before.endswith('"""\n    ...') and record.after.startswith("def clamp(")
    assert record.meta["checks"] == 3  # `clamp(1, 0, 3) -> 7` is false, the traceback dropped
    assert source.skipped["false_checks"] == 1
    assert source.skipped["exception_examples"] == 1
    [pool] = pools
    assert getattr(pool, "labelled_by", None) == "sandbox"  # extra fields of RerankPool
    assert getattr(pool, "transition_id", None) == record.transition_id
    by_origin = {getattr(c, "origin", None): c.passed for c in pool.candidates}
    assert by_origin["reference"] is True
    assert by_origin["constant_return"] is False
    assert False in by_origin.values()


def test_wrong_variant_fails_and_equivalent_passes(tmp_path: Path) -> None:
    root = _package(tmp_path)
    _, [record], _ = _build(DoctestsConfig(code=[root]))
    wrong = "def clamp(x, low, high):\n    return max(low, x)\n"  # ignores high
    same = "def clamp(x, low, high):\n    return min(max(x, low), high)\n"
    assert _status(root, record.after) is ExecutionStatus.PASSED
    assert _status(root, same) is ExecutionStatus.PASSED
    assert _status(root, wrong) is ExecutionStatus.FAILED


def test_import_of_the_module_gets_the_candidate(tmp_path: Path) -> None:
    """An example that imports the module by name, a function of the module calling it and a
    table that captured it at import all reach the member, never the original."""
    root = _package(tmp_path)
    context = _clamp_context(root)
    tests = (
        check_tests([], [], "clamps")
        + "import clamps\nassert clamps.clamp(9, 0, 3) is None\nassert uses_clamp(9) is None\n"
        "assert TABLE['clamp'](9, 0, 3) is None\n"
    )
    wrong = "def clamp(x, low, high):\n    return None\n"
    job = SandboxJob(context + wrong, tests, TestKind.SCRIPT, None, "t")
    assert next(run_many([job], limits=LABEL_LIMITS)).status is ExecutionStatus.PASSED


def test_relative_import_skipped_when_off(tmp_path: Path) -> None:
    root = _package(tmp_path)
    (root / "__init__.py").write_text("")
    (root / "doubling.py").write_text(RELATIVE)
    source, records, _ = _build(DoctestsConfig(code=[tmp_path], relative_imports=False))
    assert [r.symbol for r in records] == ["clamp"]
    assert source.skipped["relative_import"] == 1


def test_names() -> None:
    assert dotted_name("json/decoder.py") == "json.decoder"
    assert dotted_name("email/__init__.py") == "email"
    assert package_name("json/decoder.py") == "json"
    assert package_name("email/__init__.py") == "email"
    assert package_name("heapq.py") == ""


NX_INIT = "from networkx.utils import backends as _b\nfrom networkx import paths\n"
NX_BACKENDS = '''_registered_algorithms = {}


def dispatchable(func):
    """Registers each name once, like networkx's `_dispatchable` (a second one is a KeyError)."""
    if func.__name__ in _registered_algorithms:
        raise KeyError(f"Algorithm already exists in dispatch registry: {func.__name__}")
    _registered_algorithms[func.__name__] = func
    return func
'''
NX_PATHS = '''import networkx.utils.backends as backends


@backends.dispatchable
def path_length(nodes):
    """Edges on a path through `nodes`.

    >>> path_length([1, 2, 3])
    2
    >>> path_length([7])
    0
    """
    if not nodes:
        return 0
    return len(nodes) - 1
'''


def test_networkx_registry_accepts_the_modules_second_run() -> None:
    """A package whose `__init__` imports the module registers its functions once; the context runs
    the module again (its members are defined there): the networkx prelude lets that registration
    through instead of ending every such function as `module_fails_in_sandbox`. The root lies in the
    repository's build/ (the sandbox's private /tmp would hide a pytest tmp_path)."""
    base = Path(__file__).resolve().parents[2] / "build"
    base.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        Path(tmp).chmod(0o755)  # the sandbox runs as another uid: mkdtemp's 0700 would hide it
        root = Path(tmp) / "site-packages"
        (root / "networkx" / "utils").mkdir(parents=True)
        (root / "networkx" / "__init__.py").write_text(NX_INIT)
        (root / "networkx" / "utils" / "__init__.py").write_text("")
        (root / "networkx" / "utils" / "backends.py").write_text(NX_BACKENDS)
        (root / "networkx" / "paths.py").write_text(NX_PATHS)
        (root / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge")
        source, records, pools = _build(DoctestsConfig(code=[root]))
        assert source.skipped["module_fails_in_sandbox"] == 0, source.skipped
        assert [r.symbol for r in records] == ["path_length"], source.skipped
        [pool] = pools
        passed = {getattr(c, "origin", None): c.passed for c in pool.candidates}
        assert passed["reference"] is True and False in passed.values()
