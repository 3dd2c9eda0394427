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
    def of(cls, record: TransitionRecord, memo: dict[str, str] | None = None) -> Row:
        """The row of `record`; `memo` (code -> key) saves re-normalising a shared before."""
        memo = {} if memo is None else memo
        keys = []
        for code in (record.before, record.after):
            if code not in memo:
                memo[code] = normalised_hash(code)
            keys.append(memo[code])
        return cls(record, keys[0], keys[1])
