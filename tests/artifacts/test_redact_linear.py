"""Every secret pattern, detect-secrets gate and `redact()` itself run in linear time on 1 MB inputs.

A backtracking pattern takes minutes on these shapes (the old url_password pattern: 570 s on 300 KB
of `a+a+...`); linear ones take milliseconds. Each shape is timed at 16 KB, 128 KB and 1 MB and must
stay under the bound at every size, so a quadratic pattern fails on the small sizes within seconds
instead of hanging the suite.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from codelewm.artifacts import plugins
from codelewm.artifacts.redact import SECRET_PATTERNS, SecretPattern, redact

SIZES = (16_000, 128_000, 1_000_000)
PATTERN_BOUND_S = 2.0  # per pattern and shape; linear patterns take < 0.1 s on 1 MB
REDACT_BOUND_S = 20.0  # redact() runs every pattern and detect-secrets' plugins too

# Prefixes of each kind and keys that just miss (one character short, no digit, wrong case).
SEEDS: dict[str, list[str]] = {
    "pem_private_key": ["-----BEGIN ", "-----BEGIN PRIVATE KEY-----", "-----BEGIN A ", "-----END "],
    "openrouter_key": ["sk-or-v1-", "xsk-or-v1-" + "a" * 15 + " "],
    "anthropic_key": ["sk-ant-", "sk-ant-" + "a" * 15 + "!"],
    "openai_key": ["sk-", "sk-proj-", "_sk-" + "a" * 19 + " ", "sk-" + "a" * 31 + "-"],
    "stripe_key": ["sk_live_", "rk_test_" + "a" * 15 + " "],
    "huggingface_token": ["hf_", "hf_" + "a" * 29 + " "],
    "github_token": ["ghp_", "github_pat_", "ghp_" + "a" * 35 + " "],
    "gitlab_token": ["glpat-", "glpat-" + "a" * 19 + " "],
    "pypi_token": ["pypi-AgE", "pypi-AgE" + "a" * 49 + " "],
    "npm_token": ["npm_", "npm_" + "a" * 37],
    "google_api_key": ["AIza", "AIza" + "a" * 34 + " "],
    "sendgrid_key": ["SG.", "SG." + "a" * 22 + ".", "SG." + "a" * 22 + "." + "a" * 42 + " "],
    "slack_token": ["xoxb-", "xapp-1-", "xoxb-" + "a" * 9 + " "],
    "slack_webhook": ["https://hooks.slack.com/services/", "https://hooks.slack.com/"],
    "aws_access_key_id": ["AKIA", "AKIA" + "A" * 15 + " ", "ASIA" + "A" * 17],
    "aws_secret_access_key": ["aws_secret_access_key=", "AWS_SECRET_ACCESS_KEY: '" + "a" * 39],
    "jwt": ["eyJ", "eyJaaaaaaaa.", "eyJaaaaaaaa.eyJaaaaaaaa.", "eyJaaaaaaaa.eyJ"],
    "authorization_header": ["authorization: ", "Authorization: Bearer ", "authorization=basic "],
    "bearer_token": ["Bearer ", "Bearer " + "a" * 15 + " ", "Bearer " + "a" * 40 + " "],
    "basic_credentials": ["Basic ", "Basic dXNlcjpwYXNz ", "Basic aaaaaaaa "],
    "url_credentials": ["a://", "a://a:", "a://a:a", "http://u:p", "a+b.c-d://"],
    "assigned_secret": [
        "token=",
        "api_key: '",
        'password = "',
        "secret",
        "x.secret_key=",
        '\\"token\\": \\"',
        'token = "1234567"\n',
        "API_KEY=abcdefgh\n",
        "export TOKEN=",
        "a" * 63 + "token",
    ],
}
SEPARATORS = [*"+.-:/=_@ \"'\\\n\t#[{$<%", "://", "\\n"]


def shapes(pattern: SecretPattern) -> dict[str, Callable[[int], str]]:
    """Adversarial texts of a given size: repeated separators, runs, and the kind's seeds."""
    found: dict[str, Callable[[int], str]] = {}
    for sep in SEPARATORS:
        found[f"a{sep!r}a"] = lambda n, sep=sep: _fill("a" + sep, n)
    for char in "aA0 \n":
        found[f"run {char!r}"] = lambda n, char=char: char * n
    for seed in SEEDS[pattern.kind]:
        found[f"{seed!r} repeated"] = lambda n, seed=seed: _fill(seed, n)
        found[f"{seed!r}+a repeated"] = lambda n, seed=seed: _fill(seed + "a", n)
        found[f"{seed!r} then a run"] = lambda n, seed=seed: (seed + "a" * n)[:n]
        found[f"{seed!r} spaced"] = lambda n, seed=seed: _fill(seed + " ", n)
    return found


def _fill(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _timed(fn: Callable[[str], object], text: str) -> float:
    start = time.perf_counter()
    fn(text)
    return time.perf_counter() - start


def test_every_kind_has_seeds() -> None:
    assert set(SEEDS) == {p.kind for p in SECRET_PATTERNS}


@pytest.mark.parametrize(
    "index", range(len(SECRET_PATTERNS)), ids=[p.kind for p in SECRET_PATTERNS]
)
def test_pattern_is_linear_on_adversarial_megabytes(index: int) -> None:
    pattern = SECRET_PATTERNS[index]
    for name, make in shapes(pattern).items():
        for size in SIZES:
            elapsed = _timed(lambda t: list(pattern.regex.finditer(t)), make(size))
            assert elapsed < PATTERN_BOUND_S, (pattern.kind, name, size, elapsed)


@pytest.mark.slow
def test_detect_secrets_gates_are_linear() -> None:
    """The RE2 forms that decide where each plugin runs, over the plugins' own prefixes."""
    gates = {p.name: plugins._gate(p, None) for p in plugins._plugins()}
    assert all(gate is not None for gate in gates.values())  # every plugin has an RE2 form
    texts = {
        "keywords": "password",
        "keyword assignments": 'password="a ',
        "quote-comparisons": '"x"==',
        "jwt prefixes": "eyJaaaaaaaaa.",
        "urls": "http://a:",
        "npm": "//a/:_authToken=",
        "keys": "-----BEGIN PRIVATE KEY-----",
    }
    for name, unit in texts.items():
        for size in SIZES:
            text = _fill(unit, size)
            for plugin, gate in gates.items():
                elapsed = _timed(lambda t, gate=gate: list(gate.finditer(t)), text)
                assert elapsed < PATTERN_BOUND_S, (plugin, name, size, elapsed)


REDACT_SHAPES: dict[str, Callable[[int], str]] = {
    "a+a (issue 13)": lambda n: "x = " + _fill("a+", n),
    "a.a": lambda n: 'v = "' + _fill("a.", n) + '"\n',
    "keywords glued": lambda n: _fill("password", n),
    "pwd_ glued": lambda n: _fill("pwd_", n),
    "keyword assignments on one line": lambda n: _fill('password="a ', n),
    "keyword lines": lambda n: _fill("password = a\n", n),
    "quoted keyword lines": lambda n: _fill('api_key = "x1"\n', n),
    "two keywords per 200 characters": lambda n: _fill("a" * 200 + 'secret="x"', n),
    "jwt-like": lambda n: _fill("eyJaaaaaaaaa.", n),
    "pem headers": lambda n: _fill("-----BEGIN PRIVATE KEY-----", n),
    "pem header lines": lambda n: _fill("-----BEGIN RSA PRIVATE KEY-----\n", n),
    "urls": lambda n: _fill("a://a:", n),
    "npm registry lines": lambda n: _fill("//a/:_authToken=npm_x " + "//" * 200, n),
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(REDACT_SHAPES))
def test_redact_is_linear_on_adversarial_megabytes(shape: str) -> None:
    for size in SIZES:
        elapsed = _timed(redact, REDACT_SHAPES[shape](size))
        assert elapsed < REDACT_BOUND_S, (shape, size, elapsed)
