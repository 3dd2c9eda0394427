"""The detect-secrets plugins, run line by line in time linear in the text.

`plugin_hits(text, filename=...)` is what the secret scanner and `redact()` both use, so they agree by
construction. It runs every installed plugin but `EXCLUDED_PLUGINS`, each with the heuristic filters
in `HEURISTIC_FILTERS` (detect-secrets' inline allowlist is not honoured: scanned text is untrusted).

detect-secrets' regexes backtrack: one line of `passwordpassword...` costs seconds per kilobyte, and
its `is_indirect_reference` filter is cubic in the line. So:
- a plugin only sees the pieces of text where an RE2 form of its own regexes matches (lookarounds
  dropped and back-references widened to `.*?`, which only makes the form match more); the keyword
  plugin's form comes from its per-file-type rule table;
- a line over `WINDOW` characters is cut into windows overlapping by `OVERLAP`;
- the keyword plugin skips a piece holding more than `MAX_KEYWORDS` keywords (our own patterns in
  artifacts/redact.py still cover it);
- `is_indirect_reference` runs its own regex compiled by RE2;
- results are memoised per piece, so redacting the same text again (a view, then its page) is cheap.
"""

from __future__ import annotations

import bisect
import functools
import inspect
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import re2

# Base64/Hex high entropy flag every sha256 in a manifest and every base64 blob in a tokenizer; an IP
# address is not a credential.
EXCLUDED_PLUGINS = frozenset(
    {"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"}
)
HEURISTIC_FILTERS = (
    "is_sequential_string",
    "is_potential_uuid",
    "is_likely_id_string",
    "is_templated_secret",
    "is_prefixed_with_dollar_sign",
    "is_indirect_reference",
    "is_lock_file",
    "is_not_alphanumeric_string",
    "is_swagger_file",
)
WINDOW = 500
OVERLAP = 150  # a secret up to this long lies whole inside one window
MAX_KEYWORDS = 2  # the keyword plugin costs ~ keywords x length on a piece
_FILE_FILTERS = frozenset({"is_lock_file", "is_swagger_file"})
# The keyword plugin can capture a piece of one of our redaction markers.
_MARKER_PIECE = re.compile(r"REDACTED|sha256=[0-9a-f]{8}")
_LOOKAROUND = re.compile(r"\(\?<?[=!](?:\\.|[^()\\])*\)")
_BACKREF = re.compile(r"\\([1-9])")
_LONG_REPEAT = re.compile(r"\{(\d+),\d{4,}\}")  # RE2 allows at most {,1000}
_RE2_OPTIONS: Any = re2.Options()  # re2 ships no type stubs
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.max_mem = 64 << 20
_RE2_OPTIONS.never_capture = True  # gates only need where they match


@dataclass(frozen=True)
class PluginHit:
    """One occurrence of a value a plugin flagged: `text[start:end] == secret`, on 1-based `line`."""

    kind: str  # slug of the plugin's secret type: "secret_keyword"
    start: int
    end: int
    secret: str
    line: int


@dataclass(frozen=True, eq=False)  # hashed by identity: one instance per plugin
class _Plugin:
    name: str
    kind: str
    detector: Any
    is_keyword: bool


def plugin_names() -> list[str]:
    return [p.name for p in _plugins()]


def plugin_hits(text: str, *, filename: str | None = None) -> list[PluginHit]:
    """What the plugins flag in `text`, as they would in a file named `filename` (without one: a
    file of unknown type, whose keyword rule wants quoted values, as `scan_line` does)."""
    if filename is not None and any(fn(filename) for fn in _file_filters()):
        return []
    file_type = _file_type(filename)
    anything = _any_gate(file_type)
    if anything is not None and anything.search(text) is None:  # one pass, the common case
        return []
    gates = {p: _Spans(_gate(p, file_type), text) for p in _plugins()}
    keywords = _Spans(_keywords(), text)
    lines = LineIndex(text)
    by_line: dict[int, set[_Plugin]] = {}
    for plugin, spans in gates.items():
        for n in spans.lines(lines):
            by_line.setdefault(n, set()).add(plugin)
    hits: set[PluginHit] = set()
    for line in sorted(by_line):
        start, end = lines.span(line)
        for a, b in _windows(start, len(text[start:end].rstrip())):
            wanted = tuple(
                sorted(
                    p.name
                    for p in by_line[line]
                    if gates[p].count_within(a, b)
                    and not (p.is_keyword and keywords.count_within(a, b) > MAX_KEYWORDS)
                )
            )
            for kind, value in _piece_values(text[a:b], wanted, file_type) if wanted else ():
                hits.update(_occurrences(kind, value, text[a:b], a, line))
    return sorted(hits, key=lambda h: (h.start, h.kind))


def _windows(start: int, length: int) -> Iterator[tuple[int, int]]:
    if length <= WINDOW:
        yield start, start + length
        return
    for offset in range(0, length - OVERLAP, WINDOW - OVERLAP):
        yield start + offset, start + min(offset + WINDOW, length)


def _occurrences(kind: str, value: str, piece: str, offset: int, line: int) -> list[PluginHit]:
    """Where `value` stands on its own in the piece (else everywhere): the plugin gives no offset."""
    found: list[int] = []
    at = piece.find(value)
    while at != -1:
        found.append(at)
        at = piece.find(value, at + len(value))
    alone = [a for a in found if not _glued(piece, a, a + len(value))]
    return [
        PluginHit(kind, offset + a, offset + a + len(value), value, line) for a in alone or found
    ]


def _glued(piece: str, start: int, end: int) -> bool:
    return (start > 0 and piece[start - 1].isalnum()) or (end < len(piece) and piece[end].isalnum())


@functools.lru_cache(maxsize=16384)
def _piece_values(
    piece: str, plugins: tuple[str, ...], file_type: Any
) -> tuple[tuple[str, str], ...]:
    """(kind, value) for each value the named plugins flag in `piece` that the filters keep."""
    found: set[tuple[str, str]] = set()
    for plugin in _plugins():
        if plugin.name not in plugins:
            continue
        if plugin.is_keyword:
            table = _keyword_table(file_type)
            raw = plugin.detector.analyze_string(piece, denylist_regex_to_group=table)
        else:
            raw = plugin.detector.analyze_string(piece)
        for value in {v.strip() for v in raw if v and v.strip()}:
            if not _MARKER_PIECE.search(value) and not _filtered(value, piece, plugin):
                found.add((plugin.kind, value))
    return tuple(sorted(found))


def _filtered(secret: str, line: str, plugin: _Plugin) -> bool:
    given = {"secret": secret, "line": line, "plugin": plugin.detector}
    return any(fn(**{name: given[name] for name in names}) for fn, names in _secret_filters())


class _Spans:
    """The sorted, disjoint spans where `regex` matches in `text` (None: everywhere)."""

    def __init__(self, regex: Any | None, text: str) -> None:
        spans = [m.span() for m in regex.finditer(text)] if regex is not None else [(0, len(text))]
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def count_within(self, a: int, b: int) -> int:
        """How many spans intersect [a, b)."""
        return max(0, bisect.bisect_left(self.starts, b) - bisect.bisect_right(self.ends, a))

    def lines(self, lines: LineIndex) -> Iterator[int]:
        for start, end in zip(self.starts, self.ends, strict=True):
            yield from range(lines.line(start), lines.line(max(start, end - 1)) + 1)


class LineIndex:
    """Where each line of a text starts: offset -> 1-based line, and line -> (start, end)."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self.length = len(text)

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def span(self, line: int) -> tuple[int, int]:
        end = self.starts[line] - 1 if line < len(self.starts) else self.length
        return self.starts[line - 1], end


# --- what is built once: plugins, gates, filters ------------------------------------------------------


def _file_type(filename: str | None) -> Any:
    """detect-secrets' FileType for `filename`; None: unknown."""
    from detect_secrets.util.filetype import determine_file_type

    return None if filename is None else determine_file_type(filename)


def _keyword_table(file_type: Any) -> Any:
    from detect_secrets.plugins import keyword

    default = keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP
    return default if file_type is None else keyword.REGEX_BY_FILETYPE.get(file_type, default)


@functools.cache
def _plugins() -> tuple[_Plugin, ...]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.keyword import KeywordDetector

    classes: dict[str, Any] = get_mapping_from_secret_type_to_class()  # abstract BasePlugin types
    plugins = [
        _Plugin(cls.__name__, _slug(secret_type), cls(), issubclass(cls, KeywordDetector))
        for secret_type, cls in classes.items()
        if cls.__name__ not in EXCLUDED_PLUGINS
    ]
    return tuple(sorted(plugins, key=lambda p: p.name))


def _gate(plugin: _Plugin, file_type: Any) -> Any | None:
    if plugin.is_keyword:
        return _keyword_gate(file_type)
    return _plugin_gate(plugin.name)


@functools.cache
def _any_gate(file_type: Any) -> Any | None:
    """Whether any plugin can match at all; None when one has no RE2 form."""
    gates = [_gate(p, file_type) for p in _plugins()]
    patterns = [gate.pattern for gate in gates if gate is not None]
    if len(patterns) < len(gates):
        return None
    return re2.compile("|".join(f"(?:{pattern})" for pattern in patterns), _RE2_OPTIONS)


@functools.cache
def _keyword_gate(file_type: Any) -> Any | None:
    return _widened(list(_keyword_table(file_type)))


@functools.cache
def _plugin_gate(name: str) -> Any | None:
    plugin = next(p for p in _plugins() if p.name == name)
    return _widened(getattr(plugin.detector, "denylist", None))


@functools.cache
def _keywords() -> Any | None:
    from detect_secrets.plugins.keyword import DENYLIST

    return _widened([re.compile("|".join(DENYLIST), re.IGNORECASE)])


def _widened(regexes: Sequence[re.Pattern[str]] | None) -> Any | None:
    """One RE2 expression that matches wherever any of `regexes` does, or None (match anywhere)."""
    if not regexes:
        return None
    parts = []
    for regex in regexes:
        pattern = _LONG_REPEAT.sub(r"{\1,}", _LOOKAROUND.sub("", _without_backrefs(regex.pattern)))
        parts.append(f"(?{'mi' if regex.flags & re.IGNORECASE else 'm'}:{pattern})")
    try:
        return re2.compile("|".join(parts), _RE2_OPTIONS)
    except re2.error:
        return None


def _without_backrefs(pattern: str) -> str:
    return _BACKREF.sub(lambda m: _group_source(pattern, int(m[1])), pattern)


def _group_source(pattern: str, number: int) -> str:
    """The source of capturing group `number`, which is all a back-reference to it can match."""
    count, opened, in_class, i = 0, list[tuple[int, int]](), False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 2 if pattern[i + 1 : i + 2] in ("]", "^") else 1  # a leading ] or ^ is literal
            continue
        elif c == "(":
            capturing = not pattern.startswith("(?", i) or pattern.startswith("(?P<", i)
            count += capturing
            opened.append((i, count if capturing else 0))
        elif c == ")" and opened:
            start, group = opened.pop()
            if group == number:
                return pattern[start : i + 1]
        i += 1
    return ".*?"  # no such group: anything


@functools.cache
def _file_filters() -> tuple[Callable[[str], bool], ...]:
    from detect_secrets.filters import heuristic

    return tuple(getattr(heuristic, name) for name in HEURISTIC_FILTERS if name in _FILE_FILTERS)


_FILTER_ARGUMENTS = frozenset({"secret", "line", "plugin"})


@functools.cache
def _secret_filters() -> tuple[tuple[Callable[..., bool], tuple[str, ...]], ...]:
    """The other filters, each with the arguments to give it; one needing an argument we lack
    (`context`) is left out, as detect-secrets skips it."""
    from detect_secrets.filters import heuristic

    filters = []
    for name in HEURISTIC_FILTERS:
        if name in _FILE_FILTERS:
            continue
        fn = _is_indirect_reference if name == "is_indirect_reference" else getattr(heuristic, name)
        params = inspect.signature(fn).parameters
        required = {k for k, p in params.items() if p.default is inspect.Parameter.empty}
        if required <= _FILTER_ARGUMENTS:
            filters.append((fn, tuple(k for k in params if k in _FILTER_ARGUMENTS)))
    return tuple(filters)


def _is_indirect_reference(line: str) -> bool:
    """detect-secrets' `is_indirect_reference` (`secret = get_secret()`), its regex run by RE2."""
    from detect_secrets.filters import heuristic

    regex = _indirect_reference_regex()
    if regex is None:
        return bool(heuristic.is_indirect_reference(line))
    return len(line) <= 1000 and regex.search(line) is not None  # its own length limit


@functools.cache
def _indirect_reference_regex() -> Any | None:
    from detect_secrets.filters import heuristic

    try:
        return re2.compile(heuristic._get_indirect_reference_regex().pattern, _RE2_OPTIONS)
    except (re2.error, AttributeError):
        return None


def _slug(secret_type: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", secret_type.lower()).strip("_")
