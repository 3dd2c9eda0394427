"""Candidate packs: statuses of the fixture candidates, a completion that is not a diff, planted keys
(redacted in the pack, the task and the files; the write refused unless forced), the artifact."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from llm_fake_server import FakeServer, chat
from llm_keys import PLANTED_LOCAL_KEY, PLANTED_OPENROUTER_KEY
from pydantic import SecretStr

from codelewm.artifacts.secrets import scan_paths
from codelewm.artifacts.verify import verify_artifact
from codelewm.errors import SecretFoundError
from codelewm.llm import (
    FixtureProvider,
    GenerationConfig,
    OpenAICompatibleProvider,
    ProviderConfig,
    Scrubber,
    fixture_task,
    generate_pack,
    load_pack,
    load_template,
    loaded_candidates,
    write_pack,
)
from codelewm.llm.pack import CandidatePack


def _statuses(pack: CandidatePack) -> list[tuple[str, str, str, bool]]:
    return [(c.candidate_id, c.parse_status, c.apply_status, c.rankable) for c in pack.candidates]


def test_fixture_diff_candidates_have_the_statuses_they_are_meant_to_show() -> None:
    pack = generate_pack(fixture_task(), FixtureProvider(), GenerationConfig())
    assert _statuses(pack) == [
        ("c01-good", "parsed", "applied", True),
        ("c02-subtly-wrong", "parsed", "applied", True),
        ("c03-malformed-diff", "malformed", "not_attempted", False),
        ("c04-off-target", "parsed", "off_target", False),
        ("c05-empty", "empty", "not_attempted", False),
    ]
    errors = [c.errors[0].error_type if c.errors else None for c in pack.candidates]
    assert errors == [
        None,
        None,
        "MalformedPatchError",
        "PatchRefusedError",
        "EmptyCompletionError",
    ]
    good = pack.candidates[0]
    assert good.fenced is True and good.text.startswith("--- a/stats.py\n")
    assert good.validity.parses and good.validity.applies
    assert good.after_sha256 is not None and pack.candidates[2].after_sha256 is None
    assert pack.summary.rankable == 2 and pack.summary.candidates == 5
    assert pack.summary.apply_status == {"applied": 2, "not_attempted": 2, "off_target": 1}
    assert pack.candidates[4].finish_reason == "length"
    template = load_template("diff")
    assert pack.prompt.template_id == "rerank_diff.v1"
    assert pack.prompt.template_sha256 == template.sha256
    assert pack.generator.provider == "fixture" and pack.generator.dry_run is True
    assert pack.secret_findings == []


def test_fixture_function_candidates() -> None:
    pack = generate_pack(
        fixture_task(), FixtureProvider(), GenerationConfig(output_policy="function")
    )
    assert _statuses(pack) == [
        ("c01-good", "parsed", "applied", True),
        ("c02-subtly-wrong", "parsed", "applied", True),
        ("c03-malformed-function", "does_not_parse", "not_attempted", False),
        ("c04-off-target", "parsed", "off_target", False),
        ("c05-empty", "empty", "not_attempted", False),
    ]
    good = pack.candidates[0]
    assert good.kind == "full"
    assert "range(len(values) - window + 1)" in good.text
    assert "def median(values" in good.text  # the rest of the before is kept
    assert pack.prompt.template_id == "rerank_function.v1"


def test_n_limits_the_fixture_candidates() -> None:
    pack = generate_pack(fixture_task(), FixtureProvider(), GenerationConfig(n=2))
    assert [c.candidate_id for c in pack.candidates] == ["c01-good", "c02-subtly-wrong"]


def test_loaded_candidates_keep_unrankable_ones_with_their_error() -> None:
    task = fixture_task()
    pack = generate_pack(task, FixtureProvider(), GenerationConfig())
    loaded = loaded_candidates(pack, task)
    assert [c.candidate_id for c in loaded] == [c.candidate_id for c in pack.candidates]
    assert [c.after is not None for c in loaded] == [True, True, False, False, False]
    assert loaded[4].error is not None and loaded[4].error.error_type == "EmptyCompletionError"


def _live_pack(server: FakeServer, key: SecretStr) -> tuple[CandidatePack, Scrubber]:
    config = ProviderConfig(kind="openai-compatible", base_url=server.base_url, api_key=key)
    provider = OpenAICompatibleProvider(config, sleep=lambda s: None, rng=random.Random(0))
    pack = generate_pack(fixture_task(), provider, GenerationConfig(model="fake/model-1", n=2))
    return pack, provider.scrubber


def test_a_completion_that_is_not_a_diff(local_key: SecretStr) -> None:
    prose = "You should make the loop bound inclusive by adding one to it."
    code = "def moving_average(values, window):\n    return []\n"
    with FakeServer([chat(prose, code)]) as server:
        pack, _ = _live_pack(server, local_key)
    assert _statuses(pack) == [
        ("c01", "malformed", "not_attempted", False),
        ("c02", "malformed", "not_attempted", False),
    ]
    assert pack.candidates[0].completion == prose
    assert pack.candidates[0].errors[0].error_type == "MalformedPatchError"
    assert pack.generator.provider == "openai-compatible"
    assert pack.requests[0].prompt_tokens == 321


def test_planted_keys_are_redacted_and_the_write_refused(
    tmp_path: Path, local_key: SecretStr
) -> None:
    task = fixture_task()
    leak = f"Here is the fix. My keys: {PLANTED_OPENROUTER_KEY} and {PLANTED_LOCAL_KEY}\n"
    diff = (
        "--- a/stats.py\n+++ b/stats.py\n@@ -10,1 +10,2 @@\n     averages = []\n"
        f'+    token = "{PLANTED_OPENROUTER_KEY}"\n'
    )
    with FakeServer([chat(leak, diff)]) as server:
        pack, scrubber = _live_pack(server, local_key)
    text = pack.model_dump_json()
    assert PLANTED_OPENROUTER_KEY not in text and PLANTED_LOCAL_KEY not in text
    kinds = sorted({f.kind for f in pack.secret_findings})
    assert kinds == ["api_key", "openrouter_key"]
    assert all(f.path == "pack.json" for f in pack.secret_findings)
    assert "[REDACTED:openrouter_key:" in pack.candidates[0].completion
    assert "[REDACTED:api_key:" in pack.candidates[0].completion
    # the diff still applies once redacted: the added line holds the marker, not the key
    assert pack.candidates[1].apply_status == "applied"
    assert "[REDACTED:openrouter_key:" in pack.candidates[1].text

    with pytest.raises(SecretFoundError) as info:
        write_pack(pack, task, tmp_path / "refused", scrubber=scrubber)
    assert PLANTED_OPENROUTER_KEY not in info.value.message
    assert not (tmp_path / "refused").exists()

    out = write_pack(pack, task, tmp_path / "forced", scrubber=scrubber, force=True)
    for path in out.iterdir():
        content = path.read_text(encoding="utf-8")
        assert PLANTED_OPENROUTER_KEY not in content and PLANTED_LOCAL_KEY not in content
    assert scan_paths([out]).ok
    loaded, _ = load_pack(out)
    assert len(loaded.secret_findings) == len(pack.secret_findings)


def test_written_pack_is_a_verified_artifact(tmp_path: Path) -> None:
    task = fixture_task()
    provider = FixtureProvider()
    pack = generate_pack(task, provider, GenerationConfig())
    out = write_pack(pack, task, tmp_path / "pack", scrubber=provider.scrubber)
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "manifest.json",
        "pack.json",
        "task.json",
    ]
    report = verify_artifact(out)
    assert report.ok, report.problems
    assert report.artifact_kind == "llm-candidate-pack"
    data = json.loads((out / "pack.json").read_text())
    assert data["schema_version"] == "codelewm.llm_candidate_pack.v1"
    assert data["generation_config"]["n"] == 5
    loaded, loaded_task = load_pack(out)
    assert loaded == pack and loaded_task == task
