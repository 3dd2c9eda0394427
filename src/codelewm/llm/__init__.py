"""The LLM harness: candidate patches from an LLM, captured as untrusted input before scoring.

    task = fixture_task()                                   # or load_task(path) / task_from_files(...)
    provider = make_provider(None)                          # dry-run fixtures; ProviderConfig(...) for live
    pack = generate_pack(task, provider, GenerationConfig(n=5))
    write_pack(pack, task, Path("out/pack"), scrubber=provider.scrubber)
    # CodeT: assert-style tests of the task (fixture answers in dry-run: FixtureProvider(FIXTURE_TESTS))
    tests = generate_tests(task, provider, GenerationConfig(n=5))
    write_generated_tests([tests], Path("out/tests"), scrubber=provider.scrubber)

`codelewm.llm.demo` (rerank a pack with a checkpoint) imports the scoring stack; it is not re-exported
here so that `import codelewm.llm` stays light.
"""

from __future__ import annotations

from codelewm.llm.byok import ByokRecord, ByokRequest, register_byok
from codelewm.llm.errors import (
    LiveModeRefusedError,
    MissingApiKeyError,
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
)
from codelewm.llm.generate import generate_pack
from codelewm.llm.generated_tests import (
    GeneratedTests,
    TestsGeneration,
    generate_tests,
    tasks_from_pools,
    write_generated_tests,
)
from codelewm.llm.pack import CandidatePack, PackCandidate, load_pack, loaded_candidates, write_pack
from codelewm.llm.prompt import Prompt, approx_tokens, build_prompt, load_template
from codelewm.llm.providers import (
    CandidateProvider,
    Completion,
    FixtureProvider,
    Generation,
    GeneratorInfo,
    OpenAICompatibleProvider,
    make_provider,
)
from codelewm.llm.scrub import Scrubber
from codelewm.llm.settings import (
    OPENROUTER_BASE_URL,
    GenerationConfig,
    OutputPolicy,
    ProviderConfig,
    RetryPolicy,
)
from codelewm.llm.task import ContextFile, LlmTask, fixture_task, load_task, task_from_files

__all__ = [
    "OPENROUTER_BASE_URL",
    "ByokRecord",
    "ByokRequest",
    "CandidatePack",
    "CandidateProvider",
    "Completion",
    "ContextFile",
    "FixtureProvider",
    "GeneratedTests",
    "Generation",
    "GenerationConfig",
    "GeneratorInfo",
    "LiveModeRefusedError",
    "LlmTask",
    "MissingApiKeyError",
    "OpenAICompatibleProvider",
    "OutputPolicy",
    "PackCandidate",
    "Prompt",
    "ProviderAuthError",
    "ProviderConfig",
    "ProviderError",
    "ProviderResponseError",
    "RetryPolicy",
    "Scrubber",
    "TestsGeneration",
    "approx_tokens",
    "build_prompt",
    "fixture_task",
    "generate_pack",
    "generate_tests",
    "load_pack",
    "load_task",
    "load_template",
    "loaded_candidates",
    "make_provider",
    "register_byok",
    "task_from_files",
    "tasks_from_pools",
    "write_generated_tests",
    "write_pack",
]
