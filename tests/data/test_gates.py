from __future__ import annotations

import ast
import os
from collections import Counter
from pathlib import Path

from codelewm.code.capsule import make_capsule
from codelewm.data.filters import FilterConfig, path_skip_reason, record_skip_reason
from codelewm.data.license import (
    license_allowed,
    license_from_metadata,
    license_from_text,
)
from codelewm.data.sources.files import discover_files
from codelewm.data.transition import new_transition
from codelewm.records import TransitionRecord

BEFORE = "def f(x):\n    return x + 1\n"
AFTER = "def f(x):\n    return x + 2\n"


def _record(before: str = BEFORE, after: str = AFTER, path: str = "pkg/m.py") -> TransitionRecord:
    return new_transition(
        source="git",
        group="g",
        path=path,
        symbol="f",
        before=before,
        after=after,
        instruction="Add two",
        instruction_kind="commit",
        license="MIT",
    )


def test_record_filters_give_reason_codes() -> None:
    config = FilterConfig(max_function_chars=200, max_changed_lines=4)
    token = "ghp_" + "a1B2" * 10
    cases = {
        None: _record(),
        "vendored_path": _record(path="pkg/_vendor/m.py"),
        "generated_path": _record(path="proto/api_pb2.py"),
        "function_too_long": _record(after=AFTER + "    # " + "x" * 300 + "\n"),
        "unparseable_after": _record(after="def f(x):\n    return x +\n"),
        "no_change": _record(after="def f(x):\n    return (x + 1)  # same\n"),
        "too_many_changed_lines": _record(
            after="def f(x):\n" + "    x += 1\n" * 5 + "    return x\n"
        ),
        "edit_ratio_too_high": _record(
            before="def f(x):\n    return x\n", after="def g(y):\n    return y\n"
        ),
        "secret_found": _record(after=f"def f(x):\n    return '{token}'\n"),
    }
    assert {reason: record_skip_reason(r, config) for reason, r in cases.items()} == {
        reason: reason for reason in cases
    }
    assert path_skip_reason("src/pkg/core.py") is None


def test_licenses_from_metadata_text_and_expressions() -> None:
    assert license_from_metadata("Name: a\nLicense-Expression: MIT OR Apache-2.0\n") == (
        "MIT OR Apache-2.0"
    )
    assert license_from_metadata("Name: a\nLicense: BSD License\n") == "BSD"
    meta = "Name: a\nClassifier: License :: OSI Approved :: Apache Software License\n"
    assert license_from_metadata(meta) == "Apache-2.0"
    assert license_from_metadata("Name: a\nLicense: UNKNOWN\n") is None
    assert license_from_text("GNU GENERAL PUBLIC LICENSE\nVersion 3") == "GPL"
    assert license_from_text("Redistribution and use in source and binary forms ...") == "BSD"
    assert license_allowed("MIT OR GPL-3.0-only")
    assert not license_allowed("MIT AND GPL-3.0-only")
    assert not license_allowed("GPL") and not license_allowed(None)


def test_capsule_truncates_siblings_then_imports_then_body() -> None:
    siblings = "".join(f"def helper_{i}(a, b):\n    return a\n\n" for i in range(20))
    module_text = "import os\nimport sys\n\n" + siblings + BEFORE
    module = ast.parse(module_text)
    full = make_capsule(module, "f", BEFORE, AFTER, budget_chars=10_000)
    assert full.truncated == [] and full.context.count("def helper_") == 20
    assert full.context.startswith("import os\nimport sys\n\ndef helper_19(a, b): ...\n")
    some = make_capsule(module, "f", BEFORE, AFTER, budget_chars=150)
    assert some.truncated == ["siblings"]
    assert 0 < some.context.count("def helper_") < 20 and "import os" in some.context
    long_body = "def f(x):\n" + "".join(f"    y{i} = x\n" for i in range(60)) + "    return x\n"
    tiny = make_capsule(
        module, "f", long_body, long_body.replace("return x", "return y0"), budget_chars=200
    )
    assert tiny.truncated == ["siblings", "imports", "body"]
    assert tiny.after.startswith("def f(x):\n    # ... ") and "return y0" in tiny.after


def test_discovery_counts_symlink_loops_and_vendored(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "_vendor").mkdir(parents=True)
    (tmp_path / "pkg" / "core.py").write_text(BEFORE)
    (tmp_path / "pkg" / "_vendor" / "dep.py").write_text(BEFORE)
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "loop")
    (tmp_path / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge")
    skipped: Counter[str] = Counter()
    files = discover_files([tmp_path], skipped)
    assert [(f.rel, f.group, f.license) for f in files] == [
        ("pkg/core.py", f"{tmp_path.name}/pkg", "MIT")
    ]
    assert dict(skipped) == {"symlink_loop": 1, "vendored_path": 1}


def test_distribution_metadata_gives_each_package_its_license(tmp_path: Path) -> None:
    root = tmp_path / "site-packages"
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "core.py").write_text(BEFORE)
    (root / "other.py").write_text(BEFORE)
    info = root / "demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: demo\nLicense-Expression: BSD-3-Clause\n"
    )
    (info / "top_level.txt").write_text("demo\n")
    files = discover_files([root], Counter())
    assert [(f.group, f.license) for f in files] == [
        ("site-packages/demo", "BSD-3-Clause"),
        ("site-packages/other", None),
    ]


def test_pyproject_license() -> None:
    from codelewm.data.license import license_from_pyproject

    assert license_from_pyproject('[project]\nlicense = "MIT"\n') == "MIT"
    assert license_from_pyproject('[project]\nlicense = {text = "BSD License"}\n') == "BSD"
    assert license_from_pyproject("not toml [") is None


def test_a_stub_implementation_is_not_an_edit_ratio_reject() -> None:
    """exercism / doctests write a whole body from a stub: the ratio is ~1 by design, and the
    sandbox-labelled pool rides on that transition."""
    stub = "def f(x):\n    pass\n"
    full = (
        "def g(items):\n    total = sum(items)\n    count = len(items)\n    return total / count\n"
    )
    git = _record(before=stub, after=full)
    assert record_skip_reason(git, FilterConfig()) == "edit_ratio_too_high"
    task = git.model_copy(update={"source": "exercism", "instruction_kind": "task"})
    assert record_skip_reason(task, FilterConfig()) is None
