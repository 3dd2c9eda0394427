"""The HTTP API (`codelewm serve`, the `server` extra): FastAPI over a model loaded once."""

from __future__ import annotations

from codelewm.server.app import create_app
from codelewm.server.run import is_loopback, serve
from codelewm.server.schemas import ServerLimits

__all__ = ["ServerLimits", "create_app", "is_loopback", "serve"]
