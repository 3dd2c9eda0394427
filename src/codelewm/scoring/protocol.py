"""The one Scorer protocol: the model and every baseline implement it and go through the same eval code.

A scorer sees one query at a time: a before, an instruction (None = no instruction) and the K candidate
after-states of one call (full code, already patched and validated by the caller). It returns one
energy per candidate, lower = more plausible, plus named component scores (also lower = better unless
the component's name says otherwise in its docstring). Ties are legal; evaluation treats tied scores as
the expected value over random tie-breaking, so a constant scorer scores exactly like random.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Query:
    """One scoring call: a before, an instruction and its candidates."""

    before: str
    instruction: str | None
    candidates: tuple[str, ...]
    query_id: str = ""
    #: how many raw samples each candidate stands for (`n_samples` of a pool file); None = each
    #: distinct candidate counts as often as it occurs in `candidates`
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.weights is not None and len(self.weights) != len(self.candidates):
            raise ValueError(f"{len(self.weights)} weights for {len(self.candidates)} candidates")


#: component-name prefix of a calibrator term: `term:energy_z` is energy_z's part of final_score
TERM_PREFIX = "term:"


@dataclass(frozen=True)
class PoolScores:
    """Per-candidate energies (lower = better) and named components, all of length K."""

    energies: tuple[float, ...]
    components: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k = len(self.energies)
        for name, values in self.components.items():
            if len(values) != k:
                raise ValueError(f"component {name!r} has {len(values)} values for {k} candidates")


@runtime_checkable
class Scorer(Protocol):
    """Anything that ranks candidates. `name` appears in reports."""

    @property
    def name(self) -> str: ...

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        """Score a batch of queries; implementations may batch candidates across queries."""
        ...
