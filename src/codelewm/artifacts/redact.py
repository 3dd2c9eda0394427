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


# Names whose assigned value is a credential: `client_secret = "..."`, `API_KEY=...`, `"token": "..."`.
_SECRET_NAMES = (
    r"[\w.\-]{0,64}(?:password|passwd|api[_\-]?key|secret|secret[_\-]?key|private[_\-]?key"
    r"|access[_\-]?token|auth[_\-]?token|token)"
)

# Order matters: the more specific key formats come before the generic `sk-` one, and both before the
# assigned-value patterns, so each secret is reported once under its most precise kind.
SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    _p(
        "pem_private_key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    ),
    _p("openrouter_key", r"\bsk-or-v1-[A-Za-z0-9]{16,}"),
    _p("anthropic_key", r"\bsk-ant-[A-Za-z0-9_\-]{16,}"),
    _p("openai_key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    _p("stripe_key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
    _p("huggingface_token", r"\bhf_[A-Za-z0-9]{30,}"),
    _p("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})"),
    _p("gitlab_token", r"\bglpat-[A-Za-z0-9_\-]{20,}"),
    _p("pypi_token", r"\bpypi-AgE[A-Za-z0-9_\-]{50,}"),
    _p("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    _p("google_api_key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    _p("sendgrid_key", r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"),
    _p("slack_token", r"\b(?:xox[abposr]-[A-Za-z0-9\-]{10,}|xapp-\d-[A-Za-z0-9\-]{10,})"),
    _p("slack_webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]{20,}"),
    _p("aws_access_key_id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    _p(
        "aws_secret_access_key",
        r"(?i)aws_secret_access_key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})",
        group=1,
    ),
    _p("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    _p("url_password", r"\b[a-z][a-z0-9+.\-]*://[^\s:/@\"'<>]+:([^\s:/@\"'<>]{3,})@", group=1),
    # Quoted values (code, JSON, TOML, YAML; also quotes escaped inside a JSON string).
    # Templates (`${X}`, `<X>`, `{x}`, `%s`) are not secrets.
    _p(
        "assigned_secret",
        r"(?i)\b"
        + _SECRET_NAMES
        + r"\\?[\"']?\s*[:=]\s*\\?[\"'](?![$<{%])([^\"'\s\\]{8,})\\?[\"']",
        group=1,
    ),
    # Unquoted values (.env, YAML, shell): a whole-line `NAME=value` whose value mixes letters and
    # digits and has no dots or brackets, so `token = get_token()` or `key: self.key` do not match.
    _p(
        "assigned_secret",
        r"(?im)^[ \t]*(?:export[ \t]+)?[\"']?" + _SECRET_NAMES + r"[\"']?[ \t]*[:=][ \t]*"
        r"(?=[A-Za-z0-9_\-+/=~]*[0-9])(?=[A-Za-z0-9_\-+/=~]*[A-Za-z])"
        r"([A-Za-z0-9_\-+/~][A-Za-z0-9_\-+/=~]{7,})[ \t]*(?:#.*)?$",
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
