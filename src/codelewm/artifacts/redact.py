"""What counts as a credential, found the same way for the secret scanner and for `redact()`.

`find_secrets` runs two detectors:
- `SECRET_PATTERNS`, our own table, over the whole text (so multi-line PEM keys are found);
- the detect-secrets plugins with their heuristic filters, line by line (artifacts/plugins.py).
`scan_paths` (artifacts/secrets.py) reports what `find_secrets` returns and `redact` replaces it, so
whatever the scanner flags, `redact` removes. A redaction keeps no part of the secret:
`[REDACTED:<kind>:sha256=<8 hex>:len=<n>]`.

Time is linear in the text: our patterns are RE2 expressions (`google-re2`: no backtracking and no
lookaround; a `check` on the match stands in for a lookahead), and plugins.py keeps detect-secrets'
backtracking regexes to bounded pieces.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import re2

from codelewm.artifacts.plugins import EXCLUDED_PLUGINS, LineIndex, plugin_hits, plugin_names

__all__ = [
    "EXCLUDED_PLUGINS",
    "MAX_REDACT_PASSES",
    "SECRET_PATTERNS",
    "LinearRegex",
    "SecretHit",
    "SecretPattern",
    "detect_secrets_hits",
    "detector_names",
    "find_secrets",
    "pattern_hits",
    "redact",
    "redaction",
]


class Match(Protocol):
    """What a match of `LinearRegex` offers (the subset of `re.Match` we use)."""

    def group(self, group: int = 0, /) -> str: ...
    def span(self, group: int = 0, /) -> tuple[int, int]: ...
    def start(self, group: int = 0, /) -> int: ...
    def end(self, group: int = 0, /) -> int: ...


class LinearRegex:
    """An RE2 pattern whose matches must also pass `check(match.group(group))`."""

    def __init__(
        self, pattern: str, *, group: int = 0, check: Callable[[str], bool] | None = None
    ) -> None:
        self.pattern = pattern
        self._regex: Any = re2.compile(pattern, _RE2_OPTIONS)  # re2 ships no type stubs
        self._group = group
        self._check = check

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[Match]:
        for match in self._regex.finditer(text, pos, len(text) if endpos is None else endpos):
            if self._check is None or self._check(match.group(self._group)):
                yield match

    def search(self, text: str) -> Match | None:
        return next(self.finditer(text), None)


_RE2_OPTIONS: Any = re2.Options()
_RE2_OPTIONS.log_errors = False  # a pattern RE2 rejects raises re2.error; no stderr noise
_RE2_OPTIONS.max_mem = 64 << 20  # room for the DFA of the bounded repeats below
_ANY_OPTIONS: Any = re2.Options()  # for "does anything match at all": no groups needed
_ANY_OPTIONS.log_errors = False
_ANY_OPTIONS.max_mem = 64 << 20
_ANY_OPTIONS.never_capture = True


@dataclass(frozen=True)
class SecretPattern:
    kind: str
    regex: LinearRegex
    group: int = 0  # which group holds the secret itself


def _p(
    kind: str, pattern: str, group: int = 0, check: Callable[[str], bool] | None = None
) -> SecretPattern:
    return SecretPattern(kind, LinearRegex(pattern, group=group, check=check), group)


def _has_digit_and_letter(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _has_digit(value: str) -> bool:
    return any(c.isdigit() for c in value)


def _is_basic_credential(value: str) -> bool:
    """`Basic <base64 of user:password>`, not the word after "Basic" in prose."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded and decoded.isprintable()


# Names whose assigned value is a credential: `client_secret = "..."`, `API_KEY=...`, `"token": "..."`.
_SECRET_NAMES = (
    r"[\w.\-]{0,64}(?:password|passwd|api[_\-]?key|secret|secret[_\-]?key|private[_\-]?key"
    r"|access[_\-]?token|auth[_\-]?token|token)"
)
_TOKEN_CHARS = r"[A-Za-z0-9\-._~+/]"  # RFC 6750 b64token

# Order matters: the more specific key formats come before the generic `sk-` one, and all before the
# assigned-value patterns, so each secret is reported once under its most precise kind. Key formats
# with a distinctive prefix match even when glued to a preceding letter or `_` (`xsk-or-v1-...`).
SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    _p(
        "pem_private_key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\z)",
    ),
    _p("openrouter_key", r"sk-or-v1-[A-Za-z0-9]{16,}"),
    _p("anthropic_key", r"sk-ant-[A-Za-z0-9_\-]{16,}"),
    _p(
        "openai_key",
        r"sk-(?:proj-|svcacct-|admin-)[A-Za-z0-9_\-]{20,}|\bsk-[A-Za-z0-9_\-]{20,}"
        r"|sk-[A-Za-z0-9]{32,}",
    ),
    _p("stripe_key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
    _p("huggingface_token", r"\bhf_[A-Za-z0-9]{30,}"),
    _p("github_token", r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}"),
    _p("gitlab_token", r"glpat-[A-Za-z0-9_\-]{20,}"),
    _p("pypi_token", r"pypi-AgE[A-Za-z0-9_\-]{50,}"),
    _p("npm_token", r"npm_[A-Za-z0-9]{36}\b"),
    _p("google_api_key", r"AIza[0-9A-Za-z_\-]{35}"),
    _p("sendgrid_key", r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"),
    _p("slack_token", r"xox[abposr]-[A-Za-z0-9\-]{10,}|xapp-\d-[A-Za-z0-9\-]{10,}"),
    _p("slack_webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]{20,}"),
    _p("aws_access_key_id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    _p(
        "aws_secret_access_key",
        r"(?i)aws_secret_access_key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})",
        group=1,
    ),
    _p("jwt", r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    # `Authorization: Bearer ...` / `"authorization": "Basic ..."` (what httpx makes of `user:pass@`).
    _p(
        "authorization_header",
        r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token|bot|digest)\s+("
        + _TOKEN_CHARS
        + r"{8,}=*)",
        group=1,
    ),
    _p("bearer_token", r"\bBearer\s+(" + _TOKEN_CHARS + r"{16,}=*)", group=1, check=_has_digit),
    _p(
        "basic_credentials",
        r"\bBasic\s+([A-Za-z0-9+/]{8,}={0,2})",
        group=1,
        check=_is_basic_credential,
    ),
    # The `user:password` of `scheme://user:password@host` (the password may hold `:`), however short.
    _p(
        "url_credentials",
        r"(?i)\b[a-z][a-z0-9+.\-]*://([^\s:/@\"'<>]+:[^\s/@\"'<>]+)@",
        group=1,
    ),
    # Quoted values (code, JSON, TOML, YAML; also quotes escaped inside a JSON string).
    # Templates (`${X}`, `<X>`, `{x}`, `%s`) are not secrets.
    _p(
        "assigned_secret",
        r"(?i)\b"
        + _SECRET_NAMES
        + r"\\?[\"']?\s*[:=]\s*\\?[\"']([^\"'\s\\$<{%][^\"'\s\\]{7,})\\?[\"']",
        group=1,
    ),
    # Unquoted values (.env, YAML, shell): a whole-line `NAME=value` whose value mixes letters and
    # digits and has no dots or brackets, so `token = get_token()` or `key: self.key` do not match.
    _p(
        "assigned_secret",
        r"(?im)^[ \t]*(?:export[ \t]+)?[\"']?" + _SECRET_NAMES + r"[\"']?[ \t]*[:=][ \t]*"
        r"([A-Za-z0-9_\-+/~][A-Za-z0-9_\-+/=~]{7,})[ \t]*(?:#.*)?$",
        group=1,
        check=_has_digit_and_letter,
    ),
)


@dataclass(frozen=True)
class SecretHit:
    """One credential in a text: `text[start:end] == secret`."""

    kind: str
    detector: Literal["codelewm", "detect-secrets"]
    start: int
    end: int
    secret: str
    line: int  # 1-based line of `start`


def redaction(kind: str, secret: str) -> str:
    """A stable stand-in for `secret` that reveals only a hash prefix and its length."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"[REDACTED:{kind}:sha256={digest}:len={len(secret)}]"


MAX_REDACT_PASSES = 3


def redact(text: str, *, filename: str | None = None) -> str:
    """`text` with every credential `find_secrets` reports replaced by its `redaction`.

    A redaction can expose what the first scan could not see (a name over 64 characters cut short,
    a value whose line now falls into other windows), so a redacted text is scanned again, until
    nothing is found or after `MAX_REDACT_PASSES` scans. `filename` (a YAML or TOML file, say)
    applies detect-secrets' rules for that file type, as `secret-scan` does; without it, those of a
    file of unknown type (code, logs, JSON)."""
    for _ in range(MAX_REDACT_PASSES):
        hits = find_secrets(text, filename=filename)
        if not hits:
            break
        text = _replaced(text, hits)
    return text


def _replaced(text: str, hits: Sequence[SecretHit]) -> str:
    pieces: list[str] = []
    done = 0
    for kind, start, end in _merged_spans(hits):
        pieces += [text[done:start], redaction(kind, text[start:end])]
        done = end
    return "".join([*pieces, text[done:]])


def _merged_spans(hits: Sequence[SecretHit]) -> list[tuple[str, int, int]]:
    """Overlapping hits become one span (named for the first), so no part of either survives."""
    spans: list[tuple[str, int, int]] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if spans and hit.start < spans[-1][2]:
            kind, start, end = spans[-1]
            spans[-1] = (kind, start, max(end, hit.end))
        else:
            spans.append((hit.kind, hit.start, hit.end))
    return spans


def find_secrets(text: str, *, filename: str | None = None) -> list[SecretHit]:
    """Our patterns' hits, then detect-secrets' (which may overlap them), each sorted by offset.

    `filename` picks detect-secrets' per-file-type keyword rule and file filters (lock files)."""
    return pattern_hits(text) + detect_secrets_hits(text, filename=filename)


def pattern_hits(text: str) -> list[SecretHit]:
    """What SECRET_PATTERNS flag: each secret once, under the first (most precise) kind."""
    scanned = _encodable(text)
    if _any_pattern().search(scanned) is None:  # one pass, the common case for short strings
        return []
    lines = LineIndex(text)
    claimed: list[tuple[int, int]] = []  # sorted and disjoint
    hits: list[SecretHit] = []
    for pattern in SECRET_PATTERNS:
        fresh = [
            SecretHit(pattern.kind, "codelewm", start, end, text[start:end], lines.line(start))
            for start, end in _unclaimed_spans(pattern, scanned, claimed)
            if not text.startswith("[REDACTED:", start)
        ]
        hits += fresh
        claimed = sorted([*claimed, *((h.start, h.end) for h in fresh)])
    return sorted(hits, key=lambda h: (h.start, h.kind))


def _unclaimed_spans(
    pattern: SecretPattern, text: str, claimed: list[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    """The secret spans of `pattern`'s matches that overlap no claimed span. A match that does is
    searched again in its parts outside the claims, so a key glued to a more precise one
    (`sk-...` + `sk-or-v1-...`) is still found; each such part is shorter than the match."""
    ends = [end for _, end in claimed]
    todo = [(0, len(text))]
    while todo:
        lo, hi = todo.pop()
        for match in pattern.regex.finditer(text, lo, hi):
            start, end = match.span(pattern.group)
            first = last = bisect.bisect_right(ends, start)  # claims ending after the start
            while last < len(claimed) and claimed[last][0] < end:
                last += 1
            if first == last:
                yield start, end
                continue
            cuts = [match.start(), *(c for span in claimed[first:last] for c in span), match.end()]
            todo += [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=True) if a < b]


@functools.cache
def _any_pattern() -> Any:
    return re2.compile("|".join(f"(?:{p.regex.pattern})" for p in SECRET_PATTERNS), _ANY_OPTIONS)


def detector_names() -> list[str]:
    own = sorted({p.kind for p in SECRET_PATTERNS})
    return own + [f"detect-secrets:{name}" for name in plugin_names()]


def detect_secrets_hits(text: str, *, filename: str | None = None) -> list[SecretHit]:
    """What the detect-secrets plugins flag (artifacts/plugins.py), as `SecretHit`s."""
    return [
        SecretHit(h.kind, "detect-secrets", h.start, h.end, text[h.start : h.end], h.line)
        for h in plugin_hits(_encodable(text), filename=filename)
    ]


_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(text: str) -> str:
    """`text` with each lone surrogate (not UTF-8, which RE2 needs) as U+FFFD: one code point for
    one, so offsets into it are offsets into `text` (a secret is still cut from `text` itself)."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)
