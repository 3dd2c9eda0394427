"""`codelewm llm candidates` / `llm tests`: candidates or assert-style tests (CodeT) from an LLM.

Each writes an artifact: a candidate pack, or a generated-tests artifact (`llm/generated_tests.py`).

Dry-run is the default (see cli/llm_env.py): fixture candidates for the fixture task, no key read,
no network. Live: `--live` or `CODELEWM_LLM_DRY_RUN=0`, OpenRouter unless `--base-url` names another
OpenAI-compatible endpoint.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.table import Table
from rich.text import Text

from codelewm.cli._common import JsonOpt, console, err_console, handle_errors, print_json
from codelewm.cli.llm_env import check_env_name, dry_run_mode, enable_debug_logging, read_secret
from codelewm.errors import InputError
from codelewm.llm.errors import LiveModeRefusedError, MissingApiKeyError
from codelewm.llm.generate import generate_pack
from codelewm.llm.generated_tests import (
    GeneratedTests,
    generate_tests,
    tasks_from_pools,
    write_generated_tests,
)
from codelewm.llm.pack import CandidatePack, write_pack
from codelewm.llm.providers import (
    FIXTURE_CANDIDATES,
    FIXTURE_TESTS,
    CandidateProvider,
    is_loopback,
    make_provider,
)
from codelewm.llm.settings import (
    DEFAULT_API_KEY_ENV,
    DEFAULT_MODEL,
    OPENROUTER_BASE_URL,
    GenerationConfig,
    OutputPolicy,
    ProviderConfig,
    ProviderKind,
    RetryPolicy,
    provider_kind_for,
)
from codelewm.llm.task import LlmTask, fixture_task, load_task, task_from_files

app = typer.Typer(
    help="LLM candidate and test generation (dry-run fixtures by default).", no_args_is_help=True
)

TaskOpt = Annotated[
    Path | None, typer.Option("--task", help="A codelewm.llm_task.v1 JSON file (default: fixture).")
]
BeforeOpt = Annotated[
    Path | None, typer.Option("--before", help="The file to change (instead of --task).")
]
InstructionOpt = Annotated[
    str | None, typer.Option("--instruction", help="What to change (with --before).")
]
ContextOpt = Annotated[
    list[Path] | None,
    typer.Option("--context", help="A nearby file for context (repeatable; with --before)."),
]
SymbolOpt = Annotated[
    str | None, typer.Option("--symbol", help="The function the task is about (with --before).")
]
LiveOpt = Annotated[
    bool, typer.Option("--live", help="Call the endpoint (else CODELEWM_LLM_DRY_RUN decides).")
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Fixture candidates: no key, no network (the default).")
]
ModelOpt = Annotated[str, typer.Option("--model", help="Model name at the endpoint.")]
NOpt = Annotated[int, typer.Option("--n", "-n", min=1, max=32, help="Candidates to ask for.")]
TemperatureOpt = Annotated[
    float, typer.Option("--temperature", min=0.0, max=2.0, help="Sampling temperature.")
]
MaxTokensOpt = Annotated[
    int, typer.Option("--max-tokens", min=16, max=32768, help="Completion token limit.")
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds per request.")]
RetriesOpt = Annotated[
    int, typer.Option("--retries", min=0, max=10, help="Retries on 429/5xx/timeouts.")
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Sent to the endpoint; seeds jitter.")]
PolicyOpt = Annotated[
    str, typer.Option("--output-policy", help="'diff' (unified diff) or 'function' (replacement).")
]
ContextTokensOpt = Annotated[
    int, typer.Option("--context-tokens", help="Token budget of the context (chars/4).")
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--base-url", help="An OpenAI-compatible endpoint (default: OpenRouter)."),
]
ProviderOpt = Annotated[
    str,
    typer.Option(
        "--provider",
        help="auto (OpenRouter for its URL, else openai-compatible), openrouter (adds OpenRouter's "
        "attribution headers) or openai-compatible.",
    ),
]
ProxyOpt = Annotated[
    str | None, typer.Option("--proxy", help="HTTP(S) proxy URL (proxy env vars are ignored).")
]
ApiKeyEnvOpt = Annotated[
    str, typer.Option("--api-key-env", help="NAME of the variable holding the key (live mode).")
]
EnvFileOpt = Annotated[
    Path, typer.Option("--env-file", help="Optional .env read for the key in live mode.")
]
DebugOpt = Annotated[
    bool,
    typer.Option(
        "--debug-log-bodies",
        help="Log scrubbed request/response bodies to stderr; refused unless the endpoint is "
        "on loopback (a local fake server).",
    ),
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Write a pack that held a credential (it is redacted).")
]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output.")]


def resolve_task(
    task: Path | None,
    before: Path | None,
    instruction: str | None,
    context: list[Path] | None,
    symbol: str | None,
) -> LlmTask:
    """--task FILE, or --before FILE --instruction TEXT, or the fixture task."""
    if task is not None and before is not None:
        raise InputError("give --task or --before, not both")
    if task is not None:
        return load_task(task)
    if before is not None:
        if not instruction:
            raise InputError("--before needs --instruction", remediation="Say what to change.")
        return task_from_files(before, instruction, context=context, symbol=symbol)
    if instruction or context or symbol:
        raise InputError("--instruction, --context and --symbol go with --before")
    return fixture_task()


def generation_config(
    *,
    model: str,
    n: int,
    temperature: float,
    max_tokens: int,
    timeout: float,
    retries: int,
    seed: int | None,
    output_policy: str,
    context_tokens: int,
) -> GenerationConfig:
    if output_policy not in ("diff", "function"):
        raise InputError(f"--output-policy {output_policy!r}: use 'diff' or 'function'")
    policy: OutputPolicy = "diff" if output_policy == "diff" else "function"
    try:
        return GenerationConfig(
            model=model,
            n=n,
            temperature=temperature,
            max_tokens=max_tokens,
            timeout_s=timeout,
            retry=RetryPolicy(max_retries=retries),
            seed=seed,
            output_policy=policy,
            context_tokens=context_tokens,
        )
    except ValueError as exc:
        raise InputError(f"invalid generation settings: {exc}") from None


def provider_for(
    *,
    dry_run: bool,
    base_url: str | None,
    api_key_env: str,
    env_file: Path,
    debug_log_bodies: bool,
    provider: str = "auto",
    proxy: str | None = None,
    fixtures: str = FIXTURE_CANDIDATES,
) -> CandidateProvider:
    """The provider; in live mode the key is read here, and only here. Dry-run answers from the
    `fixtures` file."""
    check_env_name(api_key_env)
    kind = _provider_kind(provider, base_url)
    if debug_log_bodies:
        enable_debug_logging()
    if dry_run:
        return make_provider(None, fixtures=fixtures)
    if debug_log_bodies and not is_loopback(base_url or OPENROUTER_BASE_URL):
        raise LiveModeRefusedError(
            f"--debug-log-bodies is refused in live mode against {base_url or OPENROUTER_BASE_URL}"
        )
    key = read_secret(api_key_env, env_file=env_file)
    if key is None:
        raise MissingApiKeyError(
            f"live mode needs a key; {api_key_env} is not set (nor in {env_file})"
        )
    try:
        config = ProviderConfig(
            kind=kind,
            **({} if base_url is None else {"base_url": base_url}),
            api_key=key,
            api_key_env=api_key_env,
            debug_log_bodies=debug_log_bodies,
            proxy=proxy,
        )
    except ValidationError as exc:
        raise InputError(f"invalid endpoint settings: {exc.errors()[0]['msg']}") from None
    return make_provider(config)


def _request_options(
    task: TaskOpt = None,
    before: BeforeOpt = None,
    instruction: InstructionOpt = None,
    context: ContextOpt = None,
    symbol: SymbolOpt = None,
    live: LiveOpt = False,
    dry_run: DryRunOpt = False,
    model: ModelOpt = DEFAULT_MODEL,
    n: NOpt = 5,
    temperature: TemperatureOpt = 0.8,
    max_tokens: MaxTokensOpt = 1024,
    timeout: TimeoutOpt = 60.0,
    retries: RetriesOpt = 3,
    seed: SeedOpt = None,
    output_policy: PolicyOpt = "diff",
    context_tokens: ContextTokensOpt = 6000,
    base_url: BaseUrlOpt = None,
    provider: ProviderOpt = "auto",
    proxy: ProxyOpt = None,
    api_key_env: ApiKeyEnvOpt = DEFAULT_API_KEY_ENV,
    env_file: EnvFileOpt = Path(".env"),
    debug_log_bodies: DebugOpt = False,
) -> None:
    """The options `llm candidates` and `llm-demo` share, declared once (only the signature is used)."""


_REQUEST_PARAMS: tuple[inspect.Parameter, ...] = tuple(
    p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
    for p in inspect.signature(_request_options, eval_str=True).parameters.values()
)


@dataclass(frozen=True)
class LlmRequest:
    """The values of the shared options (field names = the parameter names of `_request_options`)."""

    task: Path | None
    before: Path | None
    instruction: str | None
    context: list[Path] | None
    symbol: str | None
    live: bool
    dry_run: bool
    model: str
    n: int
    temperature: float
    max_tokens: int
    timeout: float
    retries: int
    seed: int | None
    output_policy: str
    context_tokens: int
    base_url: str | None
    provider: str
    proxy: str | None
    api_key_env: str
    env_file: Path
    debug_log_bodies: bool

    def build(
        self, *, fixtures: str = FIXTURE_CANDIDATES
    ) -> tuple[LlmTask, GenerationConfig, CandidateProvider]:
        """The task, the generation settings and the provider (live mode reads the key here)."""
        the_task = resolve_task(self.task, self.before, self.instruction, self.context, self.symbol)
        config = generation_config(
            model=self.model,
            n=self.n,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            timeout=self.timeout,
            retries=self.retries,
            seed=self.seed,
            output_policy=self.output_policy,
            context_tokens=self.context_tokens,
        )
        source = provider_for(
            dry_run=dry_run_mode(live=self.live, dry_run=self.dry_run),
            base_url=self.base_url,
            api_key_env=self.api_key_env,
            env_file=self.env_file,
            debug_log_bodies=self.debug_log_bodies,
            provider=self.provider,
            proxy=self.proxy,
            fixtures=fixtures,
        )
        return the_task, config, source


R = TypeVar("R")


def with_request_options(fn: Callable[..., R]) -> Callable[..., R]:
    """Give a command the shared options in place of its `request: LlmRequest` parameter.

    Typer reads the rewritten signature, so `--help` lists the shared options where `request`
    stands; the command receives them gathered into one `LlmRequest`.
    """
    own = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for p in inspect.signature(fn, eval_str=True).parameters.values()
    ]
    at = [p.name for p in own].index("request")
    params = [*own[:at], *_REQUEST_PARAMS, *own[at + 1 :]]
    names = [p.name for p in _REQUEST_PARAMS]

    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> R:
        request = LlmRequest(**{name: kwargs.pop(name) for name in names})
        return fn(request=request, **kwargs)

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


def _provider_kind(provider: str, base_url: str | None) -> ProviderKind:
    if provider == "auto":
        return provider_kind_for(base_url)
    if provider == "openrouter":
        return "openrouter"
    if provider == "openai-compatible":
        return "openai-compatible"
    raise InputError(f"--provider {provider!r}: use auto, openrouter or openai-compatible")


def pack_table(pack: CandidatePack) -> Table:
    table = Table(title=f"candidates for {pack.task_id} ({pack.generator.provider})")
    for column in ("id", "parse", "apply", "rankable", "finish", "error"):
        table.add_column(column, overflow="fold")
    for cand in pack.candidates:
        error = cand.errors[0].error_type if cand.errors else ""
        table.add_row(
            Text(cand.candidate_id),
            Text(cand.parse_status),
            Text(cand.apply_status),
            Text("yes" if cand.rankable else "no", style="green" if cand.rankable else "red"),
            Text(cand.finish_reason or "-"),
            Text(error),
        )
    return table


@app.command("candidates")
@handle_errors
@with_request_options
def candidates(
    out: Annotated[Path, typer.Option("--out", help="Pack artifact directory to write.")],
    request: LlmRequest,
    force: ForceOpt = False,
    overwrite: OverwriteOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Generate candidate patches for a task and write a codelewm.llm_candidate_pack.v1 artifact."""
    the_task, config, source = request.build()
    pack = generate_pack(the_task, source, config)
    write_pack(pack, the_task, out, scrubber=source.scrubber, force=force, overwrite=overwrite)
    if json_output:
        print_json(pack)
        return
    console.print(pack_table(pack))
    err_console.print(
        f"wrote {out} ({pack.summary.rankable}/{pack.summary.candidates} rankable)", markup=False
    )


PoolsOpt = Annotated[
    Path | None,
    typer.Option(
        "--pools",
        help="A codelewm.rerank_pool.v1 JSONL file: tests for every pool (keyed by pool id; "
        "instead of --task/--before; live mode).",
    ),
]


def tests_table(items: list[GeneratedTests]) -> Table:
    table = Table(title="generated tests (untrusted: nothing was run)")
    for column in ("task", "entry point", "tests", "discarded", "generator"):
        table.add_column(column, overflow="fold")
    for item in items:
        found = item.tests
        discarded = ", ".join(f"{k} {v}" for k, v in found.discarded.items()) or "-"
        table.add_row(
            Text(found.task_id),
            Text(found.entry_point),
            Text(str(len(found.tests))),
            Text(discarded),
            Text(found.generator),
        )
    return table


@app.command("tests")
@handle_errors
@with_request_options
def tests(
    out: Annotated[Path, typer.Option("--out", help="Generated-tests artifact directory.")],
    request: LlmRequest,
    pools: PoolsOpt = None,
    force: ForceOpt = False,
    overwrite: OverwriteOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Ask the LLM for assert-style tests of a task (CodeT) and write a codelewm.generated_tests.v1
    artifact; `rerank --execute generated --generated-tests DIR` runs candidates against them."""
    if pools is not None and (request.task is not None or request.before is not None):
        raise InputError("give --pools or --task/--before, not both")
    the_task, config, source = request.build(fixtures=FIXTURE_TESTS)
    tasks = [the_task]
    if pools is not None:
        from codelewm.eval.pools import read_pool_file

        tasks = tasks_from_pools(read_pool_file(pools))
    items = [generate_tests(t, source, config) for t in tasks]
    write_generated_tests(items, out, scrubber=source.scrubber, force=force, overwrite=overwrite)
    if json_output:
        print_json([item.tests.model_dump(mode="json") for item in items])
        return
    console.print(tests_table(items))
    total = sum(len(i.tests.tests) for i in items)
    err_console.print(f"wrote {out} ({total} tests for {len(items)} task(s))", markup=False)
