"""Run the HTTP API with uvicorn (the `server` extra)."""

from __future__ import annotations

import ipaddress

from codelewm.scoring.index import TransitionIndex
from codelewm.scoring.reranker import Reranker
from codelewm.server.app import create_app
from codelewm.server.schemas import ServerLimits


def is_loopback(host: str) -> bool:
    """Whether `host` only listens on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    reranker: Reranker,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    index: TransitionIndex | None = None,
    limits: ServerLimits | None = None,
    log_level: str = "info",
    allow_execution: bool = False,
) -> None:
    """Serve until interrupted (blocks). The model is already loaded: it loads once, here."""
    import uvicorn

    app = create_app(reranker, index=index, limits=limits, allow_execution=allow_execution)
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_keep_alive=5)
