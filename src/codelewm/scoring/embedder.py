"""Optional protocol for scorers that expose their latent: `embed(texts) -> (N, D) array`.

The world-model scorer implements it (its code-state encoder's embeddings); the latent-health report
(P5, `codelewm eval latent`) needs it. Baselines have no latent and do not implement it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray


@runtime_checkable
class Embedder(Protocol):
    """Anything that maps code texts to fixed-size embeddings, one row per text."""

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...
