"""Prompt templates (versioned files in `llm/prompts/`) and the bounded repository context.

A template is `prompts/<id>.txt`: a `[system]` section and a `[user]` section with `string.Template`
placeholders (`$instruction`, `$path`, `$before`, `$context`, `$target`). Its id is the file stem
(`rerank_diff.v1`) and its sha256 is over the file's bytes; both go into every candidate pack, so a
pack says exactly which words produced it. Changing a template means a new file (`.v2`), never an edit.

Token budget: tokens are approximated as `ceil(chars / 4)` (no tokenizer download; for English and
code this is within ~20% of common BPE tokenizers, and the budget is a guard, not a bill). The before
file always goes in whole (a diff must be made against all of it): a before over the budget is an
error. Nearby files follow in the given order while they fit; the first that does not fit is cut at a
line boundary to what is left (when at least `MIN_PARTIAL_TOKENS` remain), the rest are omitted.
Everything that goes to the model is redacted first: credentials in the repository never leave it.
"""

from __future__ import annotations

import hashlib
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Final, Literal

from pydantic import Field

from codelewm.errors import InputError
from codelewm.llm.scrub import Scrubber
from codelewm.llm.settings import OutputPolicy
from codelewm.llm.task import LlmTask
from codelewm.records import Record

TEMPLATES: Final[dict[str, str]] = {"diff": "rerank_diff.v1", "function": "rerank_function.v1"}
TESTS_TEMPLATE: Final = "generate_tests.v1"
MIN_PARTIAL_TOKENS: Final = 64
CHARS_PER_TOKEN: Final = 4
PREVIEW_CHARS: Final = 1500


def approx_tokens(text: str) -> int:
    """`ceil(len(text) / 4)`: the budget's unit (see the module doc)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True)
class PromptTemplate:
    template_id: str
    sha256: str
    system: string.Template
    user: string.Template


class ContextEntry(Record):
    """One file offered as context and what the budget let through."""

    path: str
    role: Literal["before", "nearby"]
    sha256: str = Field(description="sha256 of the file text as given (before redaction)")
    chars: int
    approx_tokens: int
    included: Literal["full", "truncated", "omitted"]
    included_chars: int


@dataclass(frozen=True)
class Prompt:
    """The messages sent to the model and how they were assembled."""

    template: PromptTemplate
    system: str
    user: str
    context: tuple[ContextEntry, ...]
    context_sha256: str  # over the exact context text sent (the before and the nearby files)
    budget_tokens: int

    @property
    def messages(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]

    @property
    def sha256(self) -> str:
        return hashlib.sha256((self.system + "\0" + self.user).encode("utf-8")).hexdigest()

    @property
    def approx_tokens(self) -> int:
        return approx_tokens(self.system) + approx_tokens(self.user)

    def preview(self, limit: int = PREVIEW_CHARS) -> str:
        text = self.user
        return (
            text if len(text) <= limit else text[:limit] + f"\n... [{len(text) - limit} more chars]"
        )


def load_template(policy: OutputPolicy) -> PromptTemplate:
    """The template of an output policy, with its id and sha256."""
    return load_template_id(TEMPLATES[policy])


def load_template_id(template_id: str) -> PromptTemplate:
    """The template `prompts/<template_id>.txt`, with its id and sha256."""
    data = resources.files("codelewm.llm").joinpath("prompts", f"{template_id}.txt").read_bytes()
    text = data.decode("utf-8")
    head, sep, user = text.partition("\n[user]\n")
    if not sep or not head.startswith("[system]\n"):
        raise InputError(f"prompt template {template_id} lacks its [system]/[user] sections")
    system = head.removeprefix("[system]\n").strip()
    return PromptTemplate(
        template_id=template_id,
        sha256=hashlib.sha256(data).hexdigest(),
        system=string.Template(system),
        user=string.Template(user),
    )


def build_prompt(
    task: LlmTask,
    *,
    policy: OutputPolicy,
    context_tokens: int,
    scrubber: Scrubber,
    template: PromptTemplate | None = None,
    extra_fields: Mapping[str, str] | None = None,
) -> Prompt:
    """The prompt for `task`, its context bounded by `context_tokens` (see the module doc).

    `template` replaces the output policy's template (the generated-tests prompt), `extra_fields`
    fills its own placeholders (they are redacted like the rest)."""
    template = template or load_template(policy)
    before = scrubber.scrub(task.before)
    used = approx_tokens(before)
    if used > context_tokens:
        raise InputError(
            f"the before file {task.path!r} is ~{used} tokens, over the context budget of "
            f"{context_tokens}",
            remediation="Raise --context-tokens, or give a smaller before file.",
        )
    entries = [_entry(task.path, "before", task.before, "full", len(before))]
    blocks: list[str] = []
    for item in task.context_files:
        text = scrubber.scrub(item.text)
        shown, included = _fit(text, context_tokens - used)
        entries.append(_entry(item.path, "nearby", item.text, included, len(shown)))
        if shown:
            used += approx_tokens(shown)
            cut = "" if included == "full" else "\n# [truncated to fit the context budget]"
            blocks.append(f'<file path="{item.path}">\n{shown}{cut}\n</file>')
    context = "\n".join(blocks) if blocks else "(none)"
    target = f"the function `{task.symbol}`" if task.symbol else "the one function the task names"
    fields = {
        "instruction": scrubber.scrub(task.instruction),
        "path": task.path,
        "before": before if before.endswith("\n") or not before else before + "\n",
        "context": context,
        "target": target,
        **{name: scrubber.scrub(value) for name, value in (extra_fields or {}).items()},
    }
    digest = hashlib.sha256((before + "\0" + context).encode("utf-8")).hexdigest()
    return Prompt(
        template=template,
        system=template.system.substitute(fields),
        user=template.user.substitute(fields),
        context=tuple(entries),
        context_sha256=digest,
        budget_tokens=context_tokens,
    )


def _fit(text: str, tokens_left: int) -> tuple[str, Literal["full", "truncated", "omitted"]]:
    if approx_tokens(text) <= tokens_left:
        return text, "full"
    if tokens_left < MIN_PARTIAL_TOKENS:
        return "", "omitted"
    cut = text[: tokens_left * CHARS_PER_TOKEN]
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else cut
    return (cut, "truncated") if cut else ("", "omitted")


def _entry(
    path: str,
    role: Literal["before", "nearby"],
    text: str,
    included: Literal["full", "truncated", "omitted"],
    included_chars: int,
) -> ContextEntry:
    return ContextEntry(
        path=path,
        role=role,
        sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
        chars=len(text),
        approx_tokens=approx_tokens(text),
        included=included,
        included_chars=included_chars,
    )
