"""Token views of code and prose shared by the lexical baselines.

Code tokens come from `tokenize` without comments or layout tokens (NEWLINE, NL, INDENT, DEDENT,
ENDMARKER), so reformatting does not change them. Truncated or broken candidates (common in real LLM
samples) fall back to a regex split from the first token error on, instead of being dropped.
"""

from __future__ import annotations

import functools
import io
import re
import tokenize
from collections import Counter
from collections.abc import Set as AbstractSet
from typing import Any

_SKIP = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}
_FALLBACK = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\S")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def code_tokens(code: str) -> list[str]:
    """Python tokens of `code` (strings and numbers as written)."""
    return list(_tokens(code))


@functools.lru_cache(maxsize=8192)  # retrieval scores the same 1,000 afters for every query
def _tokens(code: str) -> tuple[str, ...]:
    read: list[tuple[int, str]] = []  # (line, token)
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type not in _SKIP and token.string.strip():
                read.append((token.start[0], token.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        # keep whole lines tokenized so far; split the rest (from the last line reached) by regex
        last = read[-1][0] if read else 1
        rest = "\n".join(code.splitlines()[last - 1 :])
        read = [item for item in read if item[0] < last]
        return (*(t for _, t in read), *_FALLBACK.findall(_strip_comments(rest)))
    return tuple(t for _, t in read)


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def words(text: str) -> list[str]:
    """Lower-case sub-words of prose or identifiers: `maxValue_in` -> max, value, in."""
    return [w.lower() for w in _WORD.findall(text)]


def code_words(code: str) -> list[str]:
    """Sub-words of the code's tokens (identifiers split on `_` and case), for matching prose."""
    out: list[str] = []
    for token in code_tokens(code):
        out.extend(words(token))
    return out


@functools.lru_cache(maxsize=8192)
def token_set(code: str) -> frozenset[str]:
    """The distinct tokens of `code` (cached: retrieval reuses candidates across queries)."""
    return frozenset(_tokens(code))


@functools.lru_cache(maxsize=8192)
def token_and_word_set(code: str) -> frozenset[str]:
    """Tokens plus their lower-case sub-words, so prose words can match identifiers."""
    return token_set(code) | frozenset(code_words(code))


def added_tokens(before: str, candidate: str) -> list[str]:
    """The candidate's tokens minus the before's, as multisets (what the edit added)."""
    added = Counter(code_tokens(candidate)) - Counter(code_tokens(before))
    return list(added.elements())


def jaccard(a: AbstractSet[Any], b: AbstractSet[Any]) -> float:
    """|a & b| / |a | b|; two empty sets are identical (1.0)."""
    union = len(a | b)
    return 1.0 if union == 0 else len(a & b) / union


def trigrams(tokens: list[str]) -> set[tuple[str, ...]]:
    """Token trigrams; a sequence shorter than 3 is one n-gram of itself."""
    if len(tokens) < 3:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}
