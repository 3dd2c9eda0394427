"""What every data source provides: an iterator of transition records plus skip reasons."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Protocol

from codelewm.records import TransitionRecord


class Source(Protocol):
    """A data source. `skipped` counts reason codes for everything it passed over."""

    name: str
    skipped: Counter[str]

    def iter_transitions(self) -> Iterator[TransitionRecord]: ...
