"""A transition record in the build, with the normalised-code keys that dedup and pools compare."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass

from codelewm.code.functions import normalised_hash
from codelewm.data.filters import parse_code
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
                memo[code] = code_key(code)
            keys.append(memo[code])
        return cls(record, keys[0], keys[1])


def code_key(code: str) -> str:
    """`normalised_hash(code)`, reusing the filters' memoised parse."""
    tree = parse_code(code)
    if tree is None:
        return normalised_hash(code)
    return hashlib.sha256(ast.unparse(tree).encode("utf-8", "surrogatepass")).hexdigest()
