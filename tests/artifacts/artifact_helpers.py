"""Helpers shared by tests/artifacts and tests/cli: real artifact directories and fake credentials."""

from __future__ import annotations

import json
from pathlib import Path

from codelewm.artifacts.manifest import ArtifactWriter


def write_artifact(
    out: Path,
    files: dict[str, str],
    *,
    kind: str = "dataset",
    config: dict[str, object] | None = None,
    parents: tuple[Path, ...] = (),
) -> Path:
    with ArtifactWriter(
        out, kind=kind, config=config or {"seed": 17}, command=["codelewm", "test"], parents=parents
    ) as art:
        for rel, text in files.items():
            (art.path / rel).parent.mkdir(parents=True, exist_ok=True)
            (art.path / rel).write_text(text, encoding="utf-8")
    return out


def _j(*parts: str) -> str:
    """Fake credentials are assembled from pieces so that this file itself scans clean."""
    return "".join(parts)


_PEM_BODY = (
    "MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF\n"
    "q8kRfyb7vTMgK0x2Ff5sPW3hB0Qp1f3vn0kqYw=="
)

# kind -> (name it is assigned to, the fake secret). Every kind in SECRET_PATTERNS appears.
PLANTS: dict[str, tuple[str, str]] = {
    "pem_private_key": (
        "key",
        _j(
            "-----BEGIN RSA ",
            "PRIVATE KEY-----\n",
            _PEM_BODY,
            "\n-----END RSA ",
            "PRIVATE KEY-----",
        ),
    ),
    "openrouter_key": ("value", _j("sk", "-or-v1-", "0a1b2c3d4e5f60718293a4b5c6d7e8f9")),
    "anthropic_key": ("value", _j("sk", "-ant-", "api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2")),
    "openai_key": ("value", _j("sk", "-proj-", "Ab3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gH")),
    "stripe_key": ("value", _j("sk", "_live_", "4eC39HqLyjWDarjtT1zdp7dc")),
    "huggingface_token": ("value", _j("hf", "_", "AbCdEfGhIjKlMnOpQrStUvWxYz01234567")),
    "github_token": ("value", _j("gh", "p_", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8")),
    "gitlab_token": ("value", _j("gl", "pat-", "xY7zW3vU1tS9rQ5pO2nM")),
    "pypi_token": (
        "value",
        _j("pypi-", "AgE", "IcHlwaS5vcmcCJGU3ZTRkZWQ5LWJlMGUtNGU0Yi1hZjQ5LTk4YzY1"),
    ),
    "npm_token": ("value", _j("npm", "_", "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gH2kL4")),
    "google_api_key": ("value", _j("AI", "za", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q")),
    "sendgrid_key": (
        "value",
        _j("SG", ".", "aB3dE5gH7jK9mN1pQ3sT5v", ".", "xY7zW3vU1tS9rQ5pO2nM4lK6jH8gF0dS1aP3oI5uY7t"),
    ),
    "slack_token": ("value", _j("xo", "xb-", "123456789012-abcdefGHIJKL")),
    "slack_webhook": (
        "value",
        _j("https://hooks.slack.com/", "services/", "T0123ABCD/B0123ABCD/aBcDeFgHiJkLmNoPqRsTuVwX"),
    ),
    "aws_access_key_id": ("value", _j("AK", "IA", "QWERTYUIOPASDFGH")),
    "aws_secret_access_key": (
        "aws_secret_access_key",
        _j("wJalrXUtnFEMI", "/K7MDENG/bPxRfiCYzQ8x9Lw2Vn"),
    ),
    "jwt": (
        "value",
        _j(
            "ey",
            "JhbGciOiJIUzI1NiJ9.",
            "ey",
            "JzdWIiOiIxMjM0NTY3ODkwIn0.",
            "dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        ),
    ),
    "authorization_header": ("Authorization", _j("Bea", "rer ", "q7Lm2Xv9Rt4Wz8Kp3Nd6")),
    "bearer_token": ("value", _j("Bea", "rer ", "Hs5Jd8Qw2Ez7Rn4Tb1Ym6Uk")),
    "basic_credentials": ("value", _j("Bas", "ic ", "dXNlcjpodW50", "ZXIy")),
    "url_credentials": ("value", _j("postgres://bob:", "Tr0ub4dor3xQ", "@db.internal:5432/app")),
    "assigned_secret": ("api_key", _j("Zq8xW2vB", "7nM4kL1p")),
}


def secret_of(kind: str) -> str:
    """The part of the plant that is the credential itself (a URL's user:password, not the URL)."""
    value = PLANTS[kind][1]
    if kind == "url_credentials":
        return value.split("//")[1].split("@")[0]
    if kind in _AFTER_SCHEME:
        return value.split(" ", 1)[1]
    return value


_AFTER_SCHEME = frozenset({"authorization_header", "bearer_token", "basic_credentials"})


def plant_json(kind: str) -> str:
    name, value = PLANTS[kind]
    return json.dumps({"note": "demo", name: value}, indent=2) + "\n"


def plant_yaml(kind: str) -> str:
    name, value = PLANTS[kind]
    if "\n" in value:
        return f"note: demo\n{name}: |\n  " + value.replace("\n", "\n  ") + "\n"
    return f"note: demo\n{name}: {value}\n"


def plant_html(kind: str) -> str:
    name, value = PLANTS[kind]
    if "\n" in value:
        return f"<html><body>\n<pre>\n{value}\n</pre>\n</body></html>\n"
    return f'<html><body>\n<script>const {name} = "{value}";</script>\n</body></html>\n'


PLANTERS = {"json": plant_json, "yaml": plant_yaml, "html": plant_html}
