"""scripts/security_md.py: how a JUnit test case is counted, and that the suite covers tests/adversarial."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helper_modules import load_by_path

ROOT = Path(__file__).resolve().parents[1]
md = load_by_path("security_md", ROOT / "scripts" / "security_md.py")

CASES = [
    ("", "refused"),
    ('<failure message="AssertionError: the redacted text still holds a secret"/>', "let_through"),
    ('<failure message="Failed: DID NOT RAISE &lt;class PatchError&gt;"/>', "let_through"),
    ('<failure message="TypeError: unhashable type"/>', "crash"),
    ('<failure message="Failed: Timeout (&gt;120.0s) from pytest-timeout."/>', "hang"),
    ('<failure message="TimeBoundExceeded: redact took 4.10 s"/>', "hang"),
    ('<failure message="hypothesis.errors.DeadlineExceeded: Test took 2500ms"/>', "hang"),
    ('<error message="failed on setup with OSError"/>', "crash"),
    ('<skipped type="pytest.xfail" message="known gap: windows"/>', "let_through"),
    ('<skipped type="pytest.skip" message="no bwrap on this machine"/>', "skipped"),
]


@pytest.mark.parametrize(("body", "outcome"), CASES)
def test_each_ending_is_counted_as_the_report_says(body: str, outcome: str) -> None:
    case = ET.fromstring(
        f'<testcase classname="tests.adversarial.test_fuzz_patch" name="t">{body}</testcase>'
    )
    assert md.outcome_of(case)[0] == outcome
    assert md.nodeid_of(case) == "tests/adversarial/test_fuzz_patch.py::t"


def test_every_adversarial_module_is_in_the_suite_and_has_an_area() -> None:
    modules = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "tests" / "adversarial").glob("test_*.py")
    )
    assert modules and set(modules) <= set(md.suite_paths())
    assert (
        md.area_of("tests/views/test_view_html.py::test_candidate_text_is_escaped")
        == "terminal/HTML views"
    )
    assert (
        md.area_of("tests/views/test_view_html.py::test_ranking_rows_and_candidates_in_model_order")
        is None
    )
    for selector in md.suite_paths():
        assert (ROOT / selector.split("::")[0]).is_file(), selector
