"""Prompt templates and the context budget; extraction and function splicing; backoff; scrubbing."""

from __future__ import annotations

import hashlib
import random
from importlib import resources

import pytest
from llm_keys import PLANTED_LOCAL_KEY, PLANTED_OPENROUTER_KEY

from codelewm.errors import InputError, ParseFailureError
from codelewm.llm import RetryPolicy, Scrubber, approx_tokens, build_prompt, load_template
from codelewm.llm.extract import OffTargetError, answer_text, extract, splice_function
from codelewm.llm.retry import Backoff, RetriesExhaustedError, RetryableError
from codelewm.llm.task import ContextFile, LlmTask, fixture_task


def _task(**extra: object) -> LlmTask:
    fields: dict[str, object] = {
        "task_id": "t1",
        "path": "mod.py",
        "before": "def f(x):\n    return x\n",
        "instruction": "Return x + 1.",
    }
    return LlmTask.model_validate(fields | extra)


def test_template_id_and_sha_are_the_file() -> None:
    for policy, name in (("diff", "rerank_diff.v1"), ("function", "rerank_function.v1")):
        data = resources.files("codelewm.llm").joinpath("prompts", f"{name}.txt").read_bytes()
        template = load_template(policy)  # type: ignore[arg-type]
        assert template.template_id == name
        assert template.sha256 == hashlib.sha256(data).hexdigest()


def test_prompt_carries_task_before_and_context() -> None:
    task = fixture_task()
    prompt = build_prompt(task, policy="diff", context_tokens=6000, scrubber=Scrubber())
    assert prompt.messages[0]["role"] == "system" and "unified diff" in prompt.system
    assert task.instruction in prompt.user
    assert task.before in prompt.user
    assert '<file path="report.py">' in prompt.user
    assert "--- a/stats.py" in prompt.user and "$" not in prompt.user.replace("$$", "")
    assert [(e.path, e.role, e.included) for e in prompt.context] == [
        ("stats.py", "before", "full"),
        ("report.py", "nearby", "full"),
    ]
    function = build_prompt(task, policy="function", context_tokens=6000, scrubber=Scrubber())
    assert "the function `moving_average`" in function.user


def test_approx_tokens_is_chars_over_four() -> None:
    assert [approx_tokens("x" * n) for n in (0, 1, 4, 5, 400)] == [0, 1, 1, 2, 100]


def test_context_budget_truncates_then_omits() -> None:
    before = "def f(x):\n    return x\n"  # 6 tokens
    line = "# " + "y" * 37 + "\n"  # 40 chars = 10 tokens
    files = [ContextFile(path=f"n{i}.py", text=line * 30) for i in range(3)]  # 300 tokens each
    task = _task(before=before, context_files=files)
    prompt = build_prompt(task, policy="diff", context_tokens=400, scrubber=Scrubber())
    entries = {e.path: e for e in prompt.context}
    assert entries["n0.py"].included == "full" and entries["n0.py"].included_chars == 1200
    assert entries["n1.py"].included == "truncated"
    assert entries["n1.py"].included_chars == 360  # 94 tokens left -> 376 chars -> 9 whole lines
    assert entries["n2.py"].included == "omitted" and entries["n2.py"].included_chars == 0
    assert "truncated to fit the context budget" in prompt.user
    assert '<file path="n2.py">' not in prompt.user


def test_before_over_the_budget_is_an_error() -> None:
    task = _task(before="x = 1\n" * 400)
    with pytest.raises(InputError, match="over the context budget"):
        build_prompt(task, policy="diff", context_tokens=256, scrubber=Scrubber())


def test_credentials_in_the_repository_never_reach_the_prompt() -> None:
    before = f'API_KEY = "{PLANTED_OPENROUTER_KEY}"\n\ndef f(x):\n    return x\n'
    task = _task(
        before=before, context_files=[ContextFile(path="c.py", text=f"K = '{PLANTED_LOCAL_KEY}'\n")]
    )
    prompt = build_prompt(
        task, policy="diff", context_tokens=6000, scrubber=Scrubber([PLANTED_LOCAL_KEY])
    )
    assert PLANTED_OPENROUTER_KEY not in prompt.user and PLANTED_LOCAL_KEY not in prompt.user
    assert "[REDACTED:openrouter_key:" in prompt.user and "[REDACTED:api_key:" in prompt.user


def test_answer_text_takes_the_first_fence() -> None:
    assert answer_text("Sure!\n```diff\n--- a\n+++ b\n```\nmore\n```x\ny\n```") == (
        "--- a\n+++ b\n",
        True,
    )
    assert answer_text("\n\n--- a\n+++ b\n\n") == ("--- a\n+++ b\n", False)
    assert answer_text("```\n\n```") == ("", True)


def test_splice_replaces_a_method_with_its_indentation() -> None:
    before = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n"
    after = splice_function(before, "def f(self):\n    return 10\n")
    assert (
        after
        == "class A:\n    def f(self):\n        return 10\n\n    def g(self):\n        return 2\n"
    )


def test_splice_refusals() -> None:
    before = "def f():\n    return 1\n"
    with pytest.raises(OffTargetError):
        splice_function(before, "def h():\n    return 1\n")
    with pytest.raises(ParseFailureError, match="exactly one function"):
        splice_function(before, "def f():\n    return 1\n\ndef g():\n    return 2\n")
    with pytest.raises(ParseFailureError, match="does not parse"):
        splice_function(before, "def f(:\n")


def test_extract_function_policy() -> None:
    before = "import os\n\ndef f():\n    return 1\n"
    found = extract("```python\ndef f():\n    return 2\n```", policy="function", before=before)
    assert (found.kind, found.text, found.error) == (
        "full",
        "import os\n\ndef f():\n    return 2\n",
        None,
    )
    off = extract("def g():\n    pass\n", policy="function", before=before)
    assert isinstance(off.error, OffTargetError)
    diff = extract("not a diff", policy="diff", before=before)
    assert (diff.kind, diff.text, diff.error) == ("patch", "not a diff\n", None)


def test_backoff_schedule_is_exact() -> None:
    waits: list[float] = []
    backoff = Backoff(
        RetryPolicy(max_retries=3, base_s=1.0, cap_s=3.0, jitter=0.0), sleep=waits.append
    )
    calls: list[int] = []

    def attempt(n: int) -> str:
        calls.append(n)
        if n < 3:
            raise RetryableError("busy", status=503)
        return "ok"

    assert backoff.run(attempt) == ("ok", 4)
    assert calls == [0, 1, 2, 3]
    assert waits == [1.0, 2.0, 3.0]  # the third is capped


def test_backoff_gives_up_with_the_last_error() -> None:
    backoff = Backoff(RetryPolicy(max_retries=1, base_s=0.0, jitter=0.0), sleep=lambda s: None)

    def attempt(n: int) -> str:
        raise RetryableError(f"fail {n}", status=500 + n)

    with pytest.raises(RetriesExhaustedError) as info:
        backoff.run(attempt)
    assert info.value.attempts == 2 and info.value.last.reason == "fail 1"


def test_jitter_draws_from_the_injected_rng() -> None:
    policy = RetryPolicy(base_s=2.0, cap_s=100.0, jitter=1.0)
    rng = random.Random(5)
    backoff = Backoff(policy, rng=rng)
    check = random.Random(5)
    assert backoff.delay(0) == pytest.approx(2.0 * (1 - check.random()))
    assert backoff.delay(2) == pytest.approx(8.0 * (1 - check.random()))


def test_scrubber_removes_exact_values_and_patterns() -> None:
    scrubber = Scrubber([PLANTED_LOCAL_KEY, None, "short"])
    text = f"a {PLANTED_LOCAL_KEY} b {PLANTED_OPENROUTER_KEY} short"
    clean = scrubber.scrub(text)
    assert PLANTED_LOCAL_KEY not in clean and PLANTED_OPENROUTER_KEY not in clean
    assert clean.endswith(" short")  # values under 6 chars are not treated as secrets
    assert scrubber.leaks(text) and not scrubber.leaks(clean)
    assert scrubber.scrub_any({PLANTED_LOCAL_KEY: [PLANTED_LOCAL_KEY, 3]}) == {
        scrubber.scrub(PLANTED_LOCAL_KEY): [scrubber.scrub(PLANTED_LOCAL_KEY), 3]
    }
