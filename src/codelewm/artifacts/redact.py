"""Credential patterns and the one `redact()` helper every report writer and logger uses.

The secret scanner (`artifacts/secrets.py`) uses the same patterns, so whatever it would flag, `redact`
removes. A redaction keeps no part of the secret: `[REDACTED:<kind>:sha256=<8 hex>:len=<n>]`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SecretPattern:
    kind: str
    regex: re.Pattern[str]
    group: int = 0  # which group holds the secret itself


def _p(kind: str, pattern: str, group: int = 0, flags: int = 0) -> SecretPattern:
    return SecretPattern(kind, re.compile(pattern, flags), group)


# Order matters: the more specific key formats come before the generic `sk-` one.
SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    _p(
        "pem_private_key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)",
    ),
    _p("openrouter_key", r"\bsk-or-v1-[A-Za-z0-9]{16,}"),
    _p("anthropic_key", r"\bsk-ant-[A-Za-z0-9_\-]{16,}"),
    _p("openai_key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    _p("huggingface_token", r"\bhf_[A-Za-z0-9]{30,}"),
    _p("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})"),
    _p("slack_token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    _p("slack_webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]{20,}"),
    _p("aws_access_key_id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    _p(
        "aws_secret_access_key",
        r"(?i)aws_secret_access_key\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})",
        group=1,
    ),
    _p("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    _p(
        "assigned_secret",
        r"(?i)\b[\w\-]*(?:password|passwd|api[_\-]?key|secret[_\-]?key|access[_\-]?token|auth[_\-]?token|token)"
        r"[\"']?\s*[:=]\s*[\"']([^\"'\s]{8,})[\"']",
        group=1,
    ),
)


def redaction(kind: str, secret: str) -> str:
    """A stable stand-in for `secret` that reveals only a hash prefix and its length."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"[REDACTED:{kind}:sha256={digest}:len={len(secret)}]"


def redact(text: str) -> str:
    """Replace every credential that SECRET_PATTERNS recognises in `text`."""
    for pattern in SECRET_PATTERNS:
        text = pattern.regex.sub(functools.partial(_replace, pattern=pattern), text)
    return text


def _replace(match: re.Match[str], pattern: SecretPattern) -> str:
    secret = match.group(pattern.group)
    if secret.startswith("[REDACTED:"):
        return match.group(0)
    start, end = match.span(pattern.group)
    whole_start = match.start(0)
    whole = match.group(0)
    return (
        whole[: start - whole_start] + redaction(pattern.kind, secret) + whole[end - whole_start :]
    )
