from __future__ import annotations

import json
from pathlib import Path

from codelewm.data.sources.jsonl import JsonlConfig, JsonlSource
from codelewm.data.transition import new_transition


def test_import_counts_bad_lines(tmp_path: Path) -> None:
    good = new_transition(
        source="git",
        group="ext",
        path="a.py",
        symbol="f",
        before="def f():\n    return 1\n",
        after="def f():\n    return 2\n",
        instruction="Return two",
        instruction_kind="commit",
        license="MIT",
    )
    wrong_schema = {**good.model_dump(mode="json"), "schema_version": "codelewm.transition.v0"}
    missing = good.model_dump(mode="json")
    del missing["before"]
    lines = [
        good.model_copy(update={"split": "test"}).model_dump_json(),
        "{not json",
        "[1, 2]",
        "",
        json.dumps(wrong_schema),
        json.dumps(missing),
    ]
    path = tmp_path / "external.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = JsonlSource(JsonlConfig(input=path))
    records = [r for unit in source.units() for r in source.iter_transitions(unit)]
    assert records == [
        good.model_copy(update={"meta": {"imported_from": "external.jsonl"}, "split": None})
    ]
    assert dict(source.skipped) == {"invalid_json": 2, "wrong_schema": 1, "invalid_record": 1}
