"""Whatever `secret-scan` flags in a text, `redact(text)` removes (issue 13, section 7).

Each example writes a text to a file, scans it with `scan_paths`, recovers the flagged values (a
finding carries only a hash and a length, so they are matched against the scanner's detector output),
and checks that none survives `redact` and that the redacted file scans clean. Fake credentials are
assembled from pieces so that this file itself scans clean.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codelewm.artifacts import plugins
from codelewm.artifacts.redact import find_secrets, redact
from codelewm.artifacts.secrets import pattern_findings, scan_paths


def _j(*parts: str) -> str:
    return "".join(parts)


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


# name -> (the value, names it is typically assigned to)
SHAPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "aws_key_id": (_j("AK", "IA", "Z7XQ4M2P9L6K3J8H"), ("aws_access_key_id", "value")),
    "aws_secret": (
        _j("wJalrXUtnFEMI", "/K7MDENG/bPxRfiCYzQ8x9Lw2Vn"),
        ("AWS_SECRET_VALUE", "aws_secret_access_key", "AWS_SECRET"),
    ),
    "openrouter": (_j("sk", "-or-v1-", "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c"), ("OPENROUTER_KEY",)),
    "openai_project": (_j("sk", "-proj-", "Qm4Xr8Tz2Vb6Nw1Ky5Lp9Hd3Fs7"), ("client", "value")),
    "openai_legacy": (_j("sk", "-", "T4nQ8wE2rY6uI0oP3aS7dF1gH5jK9lZ2xC6v"), ("OPENAI",)),
    "github": (_j("gh", "p_", "Zr4Kd8Wq2Mn6Tx1Vb5Yh9Lc3Pf7Js0Ga4Ue8R"), ("GH", "value")),
    "slack": (_j("xo", "xb-", "918273645012-5647382910-QaZwSxEdCrFvTgBy"), ("slack",)),
    "high_entropy_secret": (_j("Vq7", "Lm2Xc9Rt4Wz8Kp3N"), ("MY_SECRET", "client_secret")),
    "high_entropy_token": (_j("Hs5", "Jd8Qw2Ez7Rn4Tb1Y"), ("GITHUB_TOKEN", "refresh_token")),
    "high_entropy_key": (_j("Pd3", "Kx9Lw2Qm7Zt4Vr8B"), ("API_KEY", "stripe_secret_key")),
    "high_entropy_password": (_j("Tr0", "ub4dor3xQ7"), ("db_password", "PASSWORD", "pwd")),
    "short_password": (_j("hu", "nter2"), ("password", "db_pass")),
}
GLUED = {"openrouter", "openai_project", "openai_legacy", "github", "slack"}
PEM = _j(
    "-----BEGIN RSA ",
    "PRIVATE KEY-----\n",
    "MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF\n",
    "q8kRfyb7vTMgK0x2Ff5sPW3hB0Qp1f3vn0kqYw==\n-----END RSA ",
    "PRIVATE KEY-----",
)

# How a value appears: assignments in code and config, a call, a log line, an escaped JSON string.
CONTEXTS = (
    '{name} = "{value}"\n',
    "{name}: {value}\n",
    '{{"{name}": "{value}"}}\n',
    "{name}={value}\n",
    "export {name}='{value}'\n",
    'client = make_client({name}="{value}")\n',
    "INFO connecting with {value} now\n",
    '{{"log": "{name}=\\"{value}\\""}}\n',
    "const {name} = '{value}';\n",
)
FILENAMES = ("c.py", "c.json", "c.txt", "c.md", "c.html", "c.yaml", ".env", "c.toml", "c.ini")

# Shapes that are whole lines, not values.
LINES = {
    "bearer_header": _j("Authorization: Bea", "rer ", "Zr4Kd8Wq2Mn6Tx1Vb5Yh9Lc3"),
    "bearer_header_json": _j('{"headers": {"authorization": "Bea', 'rer Hs5Jd8Qw2Ez7Rn4Tb1Y"}}'),
    "bearer_in_log": _j("sending Bea", "rer eyJhbGciOiJIUzI1NiJ9x7Lm2Xc9Rt4"),
    "basic_header": "Authorization: Basic " + _basic("bob", _j("Tr0", "ub4dor")),
    "basic_alone": "retrying with Basic " + _basic("alice", "pw"),
    "url_password": _j("DATABASE_URL=postgres://bob:", "Tr0ub4dor3xQ", "@db.internal:5432/app"),
    "url_short_password": _j("base_url = 'https://bob:", "pw", "@api.example.com/v1'"),
    "url_password_with_colon": _j("see http://svc:", "a:b:c9", "@10.0.0.2/x"),
    "pem": "key = '''\n" + PEM + "\n'''",
}


def _redact_like_the_scanner(text: str, name: str) -> str:
    """`redact(text)` alone where detect-secrets treats `name` as a file of unknown type (code,
    JSON, logs); with `filename` where its rules differ (YAML, TOML, INI)."""
    default = plugins._keyword_table(None)
    same_rules = plugins._keyword_table(plugins._file_type(name)) is default
    return redact(text) if same_rules else redact(text, filename=name)


def _assert_flagged_values_are_removed(text: str, name: str) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        report = scan_paths([path])
        by_hash = {
            (hashlib.sha256(h.secret.encode()).hexdigest()[:8], len(h.secret)): h.secret
            for h in find_secrets(text, filename=str(path))
        }
        flagged = [by_hash[(f.sha256_prefix, f.length)] for f in report.findings]
        redacted = _redact_like_the_scanner(text, name)
        for secret in flagged:
            for part in filter(None, (p.strip() for p in secret.split("\n"))):
                assert part not in redacted, (name, secret, redacted)
        path.write_text(redacted, encoding="utf-8")
        assert scan_paths([path]).findings == [], redacted
    return flagged


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from(sorted(SHAPES)),
    context=st.sampled_from(CONTEXTS),
    filename=st.sampled_from(FILENAMES),
    glue=st.sampled_from(["", "x", "_"]),
    name_index=st.integers(min_value=0, max_value=2),
)
def test_redact_removes_whatever_the_scanner_flags(
    shape: str, context: str, filename: str, glue: str, name_index: int
) -> None:
    value, names = SHAPES[shape]
    value = (glue if shape in GLUED else "") + value
    text = "import os\n" + context.format(name=names[name_index % len(names)], value=value)
    _assert_flagged_values_are_removed(text, filename)


@pytest.mark.parametrize("filename", FILENAMES)
@pytest.mark.parametrize("shape", sorted(LINES))
def test_header_url_and_pem_lines(shape: str, filename: str) -> None:
    flagged = _assert_flagged_values_are_removed("x = 1\n" + LINES[shape] + "\ny = 2\n", filename)
    assert flagged  # every one of these is a credential the scanner sees


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ('AWS_SECRET_VALUE = "' + SHAPES["aws_secret"][0] + '"\n', SHAPES["aws_secret"][0]),
        ("x" + SHAPES["openrouter"][0] + "\n", SHAPES["openrouter"][0]),
        ("key_" + SHAPES["openai_project"][0] + "\n", SHAPES["openai_project"][0]),
        (LINES["bearer_header"] + "\n", LINES["bearer_header"].split()[-1]),
        ("url = 'https://bob:" + "pw@host/v1'\n", "pw"),
    ],
    ids=["aws-secret-value", "glued-openrouter", "glued-openai", "bearer", "url-short-password"],
)
def test_issue_cases(tmp_path: Path, text: str, flagged: str) -> None:
    (tmp_path / "c.py").write_text(text)
    assert scan_paths([tmp_path / "c.py"]).findings
    assert flagged not in redact(text)


def test_base_url_credentials_are_never_echoed() -> None:
    url = _j("https://deploy:", "s3cr", "et-pass@llm.internal:8443/v1")
    basic = _basic("deploy", _j("s3cr", "et-pass"))
    for text in (
        f"POST {url}/chat/completions failed",
        f"{{'authorization': 'Basic {basic}'}}",
        f"Authorization: Basic {basic}",
        f"auth=Basic {basic}",
    ):
        redacted = redact(text)
        assert _j("s3cr", "et-pass") not in redacted
        assert "deploy:" not in redacted
        assert basic not in redacted
    userinfo = _j("deploy:", "s3cr", "et-pass")
    assert redact(url) == _j(
        "https://[REDACTED:url_credentials:sha256=",
        hashlib.sha256(userinfo.encode()).hexdigest()[:8],
        f":len={len(userinfo)}]@llm.internal:8443/v1",
    )


def test_ordinary_code_is_left_alone() -> None:
    code = (
        "def check(password: str, token: str | None = None) -> bool:\n"
        "    secret = get_secret()\n"
        '    headers = {"Authorization": f"Bearer {token}"}\n'
        '    logger.info("Basic usage: see the docs")\n'
        "    risk_assessment_framework_version = 2\n"
        '    return password == confirm and url == "https://example.com:8080/x@y"\n'
    )
    assert redact(code) == code
    assert pattern_findings(code) == []
