"""Static validity without execution (the `validity` baseline and consensus's filter).

The definition behind the dev pools' "static validity" baseline (shared/data/README.md): the code
parses and pyflakes reports no undefined name. It delegates to `codelewm.code.validity`, the one place
the project defines it; nothing here runs candidate code, and `scoring` never imports the sandbox.
"""

from __future__ import annotations

import functools

from codelewm.code.validity import check_validity


@functools.lru_cache(maxsize=4096)  # the validity and consensus baselines check the same candidates
def is_statically_valid(code: str) -> bool:
    """Parses, and no undefined names."""
    return check_validity(code).ok
