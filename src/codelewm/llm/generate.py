"""One call from a task to a redacted candidate pack: prompt -> provider -> extract/check -> pack."""

from __future__ import annotations

from codelewm.llm.pack import CandidatePack, build_pack
from codelewm.llm.prompt import build_prompt
from codelewm.llm.providers import CandidateProvider
from codelewm.llm.settings import GenerationConfig
from codelewm.llm.task import LlmTask


def generate_pack(
    task: LlmTask, provider: CandidateProvider, config: GenerationConfig
) -> CandidatePack:
    """Ask `provider` for `config.n` candidates for `task`; the pack is redacted, not yet written."""
    prompt = build_prompt(
        task,
        policy=config.output_policy,
        context_tokens=config.context_tokens,
        scrubber=provider.scrubber,
    )
    generation = provider.generate(task, prompt, config)
    return build_pack(task, prompt, generation, config, provider.scrubber)
