"""`codelewm serve`: the HTTP API on uvicorn. The model loads once, before the server starts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from codelewm.cli._common import JsonOpt, err_console, handle_errors
from codelewm.extras import require_extra


@handle_errors
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="Checkpoint directory (default: the shipped model)."),
    ] = None,
    index: Annotated[
        Path | None, typer.Option("--index", help="Also serve /v1/index/query from this index.")
    ] = None,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda.")] = "cpu",
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, help="Torch CPU threads per request.")
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Requests scored at the same time.")
    ] = 2,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Per-request timeout in seconds.")
    ] = 30.0,
    max_candidates: Annotated[int, typer.Option("--max-candidates", min=1)] = 64,
    max_body_mb: Annotated[float, typer.Option("--max-body-mb", min=0.01)] = 4.0,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
    allow_execution: Annotated[
        bool,
        typer.Option(
            "--allow-execution",
            help="Let requests that ask (`execute` of /v1/rerank) run candidates in the sandbox; "
            "without it such a request gets 403.",
        ),
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Serve POST /v1/score, /v1/rerank, /v1/index/query, GET /healthz, /v1/model, /openapi.json.

    Nothing is executed: the server never runs candidate code. It has no authentication, so keep it
    on loopback (the default) or behind an authenticating proxy. With --json, an error that stops
    it from starting is a `codelewm.error.v1` object on stdout (it serves no other output)."""
    for module in ("fastapi", "uvicorn"):
        require_extra(module, "server", feature="codelewm serve")
    from codelewm.scoring.index import load_index
    from codelewm.scoring.load import load_scorer
    from codelewm.server import ServerLimits, is_loopback
    from codelewm.server import serve as run_server

    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    reranker = load_scorer(checkpoint, device=device)
    loaded_index = load_index(index) if index is not None else None
    limits = ServerLimits(
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        max_candidates=max_candidates,
        request_timeout_s=timeout,
        max_concurrency=concurrency,
    )
    if not is_loopback(host):
        err_console.print(
            f"[yellow]warning:[/] listening on {escape(host)}: the API has no authentication; "
            "anyone who can reach it can use the model."
        )
    err_console.print(
        f"codelewm serve: {reranker.checkpoint_id} on http://{host}:{port}", markup=False
    )
    if allow_execution:
        err_console.print(
            "[yellow]warning:[/] --allow-execution: requests that ask will run candidate code "
            "in the sandbox"
        )
    run_server(
        reranker,
        host=host,
        port=port,
        index=loaded_index,
        limits=limits,
        log_level=log_level,
        allow_execution=allow_execution,
    )
