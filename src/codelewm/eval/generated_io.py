"""Read generated tests (`codelewm llm tests` artifacts) for `--execute generated`, checked before use.

A path is an artifact directory (verified against its manifest: every file's sha256, no file added,
kind `llm-generated-tests`) or a `tests.jsonl` file of `codelewm.generated_tests.v1` sets. Every set
is checked again: each test's sha256 and the set's `tests_sha256` match its sources, test ids are
unique, and every source is still exactly what `code.asserts` accepts for the set's entry point, so
a hand-edited test that imports, or calls anything but the entry point, is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from codelewm.artifacts.verify import verify_artifact
from codelewm.code.asserts import check_assert
from codelewm.errors import ArtifactError, InputError
from codelewm.records import GENERATED_TESTS_FILE, GENERATED_TESTS_KIND, GeneratedTestSet

MAX_TESTS_FILE_BYTES = 64 * 1024 * 1024


def load_generated_tests(path: Path) -> dict[str, GeneratedTestSet]:
    """The checked sets of an artifact directory or a tests.jsonl file, keyed by task id."""
    if path.is_dir():
        report = verify_artifact(path)
        if not report.ok:
            first = report.problems[0]
            raise ArtifactError(
                f"generated tests {str(path)!r} fail verification: {first.path}: {first.detail}",
                remediation="Re-run `codelewm llm tests`; do not edit the artifact's files.",
            )
        if report.artifact_kind != GENERATED_TESTS_KIND:
            raise ArtifactError(
                f"{str(path)!r} is a {report.artifact_kind!r} artifact, not generated tests",
                remediation="Give the --out directory of `codelewm llm tests`.",
            )
        path = path / GENERATED_TESTS_FILE
    if not path.is_file():
        raise InputError(
            f"generated tests {str(path)!r} do not exist",
            remediation="Write them with `codelewm llm tests --out DIR` and give DIR.",
        )
    if path.stat().st_size > MAX_TESTS_FILE_BYTES:
        raise InputError(f"generated tests {str(path)!r} are over {MAX_TESTS_FILE_BYTES:,} bytes")
    sets: dict[str, GeneratedTestSet] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found = check_test_set(GeneratedTestSet.model_validate_json(line))
        except ValidationError as exc:
            raise InputError(
                f"{path}:{number}: not a codelewm.generated_tests.v1 set: {exc.errors()[0]['msg']}"
            ) from None
        if found.task_id in sets:
            raise InputError(f"{path}:{number}: task {found.task_id!r} appears twice")
        sets[found.task_id] = found
    if not sets:
        raise InputError(f"generated tests {str(path)!r} hold no task")
    return sets


def check_test_set(tests: GeneratedTestSet) -> GeneratedTestSet:
    """`tests` when its checksums match and every source is an accepted assert, else an error."""
    where = f"generated tests of {tests.task_id!r}"
    ids = [t.test_id for t in tests.tests]
    if len(set(ids)) != len(ids):
        raise ArtifactError(f"{where}: test ids repeat")
    for test in tests.tests:
        if _sha(test.source) != test.sha256:
            raise ArtifactError(f"{where}: test {test.test_id} does not match its sha256")
        if check_assert(test.source, tests.entry_point) != test.source:
            raise ArtifactError(
                f"{where}: test {test.test_id} is not an `assert {tests.entry_point}(<literals>) "
                "== <literal>` statement",
                remediation="Only asserts that `codelewm llm tests` keeps may run; re-generate.",
            )
    if _sha("\n".join(t.source for t in tests.tests)) != tests.tests_sha256:
        raise ArtifactError(f"{where}: tests_sha256 does not match the tests")
    return tests


def tests_for_before(sets: Mapping[str, GeneratedTestSet], before_sha256: str) -> GeneratedTestSet:
    """The set to run for one rerank: the only one, else the one written for this before."""
    if len(sets) == 1:
        return next(iter(sets.values()))
    matching = [s for s in sets.values() if s.before_sha256 == before_sha256]
    if len(matching) != 1:
        raise InputError(
            f"the generated tests hold {len(sets)} tasks and {len(matching)} were written for "
            "this before",
            remediation="Give an artifact of one task (`codelewm llm tests --before FILE`).",
        )
    return matching[0]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
