"""codelewm: a world model of Python code edits that scores and reranks candidate patches."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("codelewm")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = [
    "Reranker",
    "__version__",
    "execute_examples",
    "execute_generated",
    "execute_rerank",
    "load_generated_tests",
    "load_scorer",
]

# Imported on first use so `import codelewm` stays light (no torch until a model is loaded);
# `__init__.pyi` gives type checkers the real signatures.
_LAZY = {
    "load_scorer": "codelewm.scoring.load",
    "Reranker": "codelewm.scoring.reranker",
    # opt-in execution over a finished rerank record (the sandbox; scoring itself never executes)
    "execute_examples": "codelewm.eval.executed",
    "execute_rerank": "codelewm.eval.executed",
    # CodeT: the tests `codelewm llm tests` wrote, run on request, ranked by dual agreement
    "execute_generated": "codelewm.eval.codet",
    "load_generated_tests": "codelewm.eval.generated_io",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'codelewm' has no attribute {name!r}")
