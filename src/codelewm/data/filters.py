"""Record and file filters with reason codes; the build counts every code in `filter_report.json`.

File-level checks (`path_skip_reason`, `text_skip_reason`) run in the sources before parsing;
`record_skip_reason` runs in the build on every record a source yields. A dataset must be safe to
publish, so a record in which the secret scanner finds a credential is dropped (`secret_found`).
"""

from __future__ import annotations

import ast
import difflib
import functools
import re
import textwrap

from pydantic import BaseModel, ConfigDict

from codelewm.artifacts.redact import SECRET_PATTERNS
from codelewm.data.pairs import same_code
from codelewm.records import TransitionRecord

_VENDORED = re.compile(r"(^|/)(_vendor|vendor|vendored|third_party|thirdparty|_vendored)(/|$)")
_GENERATED = re.compile(r"(_pb2(_grpc)?\.py$|(^|/)(generated|_generated)(/|$)|_generated\.py$)")


class FilterConfig(BaseModel):
    """Caps and switches of the record filters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_file_bytes: int = 1_000_000
    max_function_chars: int = 8_000
    max_changed_lines: int = 150
    max_edit_ratio: float = 0.95
    drop_secrets: bool = True


def path_skip_reason(path: str) -> str | None:
    """`vendored_path` / `generated_path` for code that is not the project's own, else None."""
    lowered = path.lower()
    if _VENDORED.search(lowered):
        return "vendored_path"
    if _GENERATED.search(lowered):
        return "generated_path"
    return None


def text_skip_reason(data: bytes, *, max_bytes: int) -> str | None:
    """`file_too_large`, `binary_file` (a NUL byte) or `non_utf8`, else None."""
    if len(data) > max_bytes:
        return "file_too_large"
    if b"\x00" in data:
        return "binary_file"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "non_utf8"
    return None


@functools.lru_cache(maxsize=8192)
def contains_secret(text: str) -> bool:
    """Whether any credential pattern (artifacts/redact.py, the scanner's own) matches `text`.

    Memoised: a before, its context and its after recur across many records (every mutant, every
    rule of one function), and the patterns cost about 2 µs per character."""
    return any(pattern.regex.search(text) for pattern in SECRET_PATTERNS)


def _line_matcher(before: str, after: str) -> difflib.SequenceMatcher[str]:
    return difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)


def _changed(matcher: difflib.SequenceMatcher[str]) -> int:
    return sum(
        (i2 - i1) + (j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )


def changed_lines(before: str, after: str) -> int:
    """Lines deleted plus lines inserted by a line diff."""
    return _changed(_line_matcher(before, after))


def edit_ratio(before: str, after: str) -> float:
    """0 for identical line lists, 1 for a complete rewrite."""
    return 1.0 - _line_matcher(before, after).ratio()


@functools.lru_cache(maxsize=4096)
def parse_code(code: str) -> ast.Module | None:
    """`code` dedented and parsed, None when it does not parse. Memoised and shared: callers must
    not modify the tree (one before recurs across many records)."""
    try:
        return ast.parse(textwrap.dedent(code))
    except (SyntaxError, ValueError):
        return None


#: sources whose transition writes a whole body from a stub (the edit ratio is ~1 by design; their
#: labelled pools ride on the transition, so dropping it would drop the pool)
WRITE_FROM_STUB = frozenset({"exercism", "doctests"})


def record_skip_reason(record: TransitionRecord, config: FilterConfig) -> str | None:
    """The first reason code that rejects `record`, or None to keep it."""
    reason = path_skip_reason(record.path)
    if reason is not None:
        return reason
    if not _encodable(record):
        return "non_utf8"
    if max(len(record.before), len(record.after)) > config.max_function_chars:
        return "function_too_long"
    if "body" not in record.truncated:  # a trimmed body need not parse; its source checked it
        reason = _code_reason(record)
        if reason is not None:
            return reason
    matcher = _line_matcher(record.before, record.after)
    if _changed(matcher) > config.max_changed_lines:
        return "too_many_changed_lines"
    if record.source not in WRITE_FROM_STUB and 1.0 - matcher.ratio() > config.max_edit_ratio:
        return "edit_ratio_too_high"
    if config.drop_secrets and _has_secret(record):
        return "secret_found"
    return None


def _code_reason(record: TransitionRecord) -> str | None:
    before, after = parse_code(record.before), parse_code(record.after)
    if before is None:
        return "unparseable_before"
    if after is None:
        return "unparseable_after"
    if same_code(before, after):
        return "no_change"
    return None


def _encodable(record: TransitionRecord) -> bool:
    try:
        for text in (record.before, record.after, record.instruction or "", record.context):
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _has_secret(record: TransitionRecord) -> bool:
    return any(
        contains_secret(text)
        for text in (record.before, record.after, record.instruction or "", record.context)
    )
