"""`codelewm eval downstream-pack`: build execution-labelled pool files (thin: eval/packs/ does the work)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from codelewm.cli._common import JsonOpt, console, handle_errors, print_json
from codelewm.cli._eval_common import (
    OverwriteOpt,
    progress_bar,
)
from codelewm.errors import InputError
from codelewm.eval.packs import (
    DEVSET_FILE,
    PACK_KINDS,
    devset_pools,
    external_pools,
    label_tasks,
    pack_tasks,
    write_pack,
)

DEVSET = DEVSET_FILE
MBPP = Path("../shared/data/mbpp.jsonl")


@handle_errors
def downstream_pack(
    kind: Annotated[
        str, typer.Option("--kind", help="humaneval | mbpp | dataframebench | devset | external")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Pool file to write (JSONL); stats go to OUT.stats.json.")
    ],
    seed: Annotated[int, typer.Option("--seed", help="Mutation seed.")] = 17,
    workers: Annotated[int, typer.Option("--workers", help="Sandbox processes in parallel.")] = 2,
    mbpp: Annotated[Path, typer.Option("--mbpp", help="mbpp.jsonl (for --kind mbpp).")] = MBPP,
    wheel: Annotated[
        Path | None,
        typer.Option("--wheel", help="dataframebench wheel (for --kind dataframebench)."),
    ] = None,
    devset: Annotated[
        Path, typer.Option("--devset", help="Labelled pool file (for --kind devset).")
    ] = DEVSET,
    pools_file: Annotated[
        Path | None, typer.Option("--pools", help="Pool file (for --kind external).")
    ] = None,
    tests: Annotated[
        Path | None,
        typer.Option("--tests", help="JSONL of {pool_id, tests, kind, entry_point} to label with."),
    ] = None,
    append_examples: Annotated[
        Path | None,
        typer.Option(
            "--append-examples",
            help="With --kind devset: append to each pool's instruction the first test_list "
            "assert of this mbpp.jsonl for its task (when it calls the pool's function).",
        ),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            "--split",
            help="With --kind dataframebench: omit for val + test (evaluation), or 'train' "
            "(calibration only; tasks that match evaluation data by normalised hash are dropped).",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Only the first N tasks (smoke runs).")
    ] = None,
    overwrite: OverwriteOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Build execution-labelled WS-D pools (reference + failing single-point mutants, all ast.unparse'd)."""
    if split is not None and kind != "dataframebench":
        raise InputError(f"--split applies to --kind dataframebench, not {kind!r}")
    if kind not in PACK_KINDS:
        raise InputError(
            f"unknown --kind {kind!r}", remediation=f"Use one of: {', '.join(PACK_KINDS)}."
        )
    if out.exists() and not overwrite:
        raise InputError(f"{out} exists", remediation="Pass --overwrite to replace it.")
    if kind == "devset":
        pools, stats = devset_pools(devset)
        if append_examples is not None:
            from codelewm.eval.examples_exec import append_mbpp_examples

            pools, added = append_mbpp_examples(pools, append_examples)
            stats.examples_appended = added
    elif kind == "external":
        if pools_file is None:
            raise InputError(
                "--kind external needs --pools FILE",
                remediation="Give a codelewm.rerank_pool.v1 file.",
            )
        pools, stats = external_pools(pools_file, tests, workers=workers)
    else:
        tasks, overlapping = pack_tasks(kind, mbpp=mbpp, wheel=wheel, split=split)
        tasks = tasks[:limit]
        with progress_bar(len(tasks), f"downstream-pack {kind}", quiet=json_output) as advance:
            pools, stats = label_tasks(kind, tasks, seed=seed, workers=workers, progress=advance)
        if overlapping:
            stats.dropped["matches_evaluation_data"] = overlapping
    summary = write_pack(out, pools, stats, kind=kind, seed=seed, command=sys.argv)
    if json_output:
        print_json(summary)
        return
    console.print(
        f"wrote {summary['pools']} pools to {out} (stats: {out}.stats.json)", markup=False
    )
    console.print(summary["stats"], highlight=False)
