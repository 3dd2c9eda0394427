"""A transition record in the build, with the normalised-code keys that dedup and pools compare."""

from __future__ import annotations

from dataclasses import dataclass

from codelewm.code.functions import normalised_hash
from codelewm.records import TransitionRecord


@dataclass(frozen=True)
class Row:
    record: TransitionRecord
    before_key: str  # sha256 of normalise(before)
    after_key: str  # sha256 of normalise(after)

    @classmethod
    def of(cls, record: TransitionRecord) -> Row:
        return cls(record, normalised_hash(record.before), normalised_hash(record.after))
