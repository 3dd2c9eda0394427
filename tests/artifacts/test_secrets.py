"""scan_paths and redact() on real files: every credential kind in json/yaml/html, and what is not scanned."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from artifact_helpers import PLANTERS, PLANTS, secret_of

from codelewm.artifacts import secrets
from codelewm.artifacts.redact import SECRET_PATTERNS, redact
from codelewm.artifacts.secrets import pattern_findings, scan_paths
from codelewm.errors import InputError

REPO = Path(__file__).resolve().parents[2]
# Line of the planted secret in each format (see artifact_helpers.plant_*).
LINE = {"json": 3, "yaml": 2, "html": 2}
PEM_LINE = {"json": 3, "yaml": 3, "html": 3}


def secret_fragments(kind: str) -> list[str]:
    """What must never appear in output: the secret, or each line of a multi-line one."""
    return [part for part in secret_of(kind).split("\n") if part]


def test_plants_cover_every_pattern_kind() -> None:
    assert set(PLANTS) == {p.kind for p in SECRET_PATTERNS}


@pytest.mark.parametrize("fmt", sorted(PLANTERS))
@pytest.mark.parametrize("kind", sorted(PLANTS))
def test_every_kind_is_found_in_every_format(tmp_path: Path, kind: str, fmt: str) -> None:
    path = tmp_path / f"planted.{fmt}"
    path.write_text(PLANTERS[fmt](kind), encoding="utf-8")
    report = scan_paths([path])
    line = PEM_LINE[fmt] if kind == "pem_private_key" else LINE[fmt]
    assert [(f.path, f.line, f.kind, f.detector) for f in report.findings] == [
        (str(path), line, kind, "codelewm")
    ]
    assert (report.ok, report.files_scanned, report.not_scanned) == (False, 1, [])
    finding = report.findings[0]
    if kind != "pem_private_key":  # a PEM key's length depends on how the format escapes newlines
        secret = secret_of(kind)
        assert finding.length == len(secret)
        assert finding.sha256_prefix == hashlib.sha256(secret.encode()).hexdigest()[:8]
    assert (
        finding.redaction
        == f"[REDACTED:{kind}:sha256={finding.sha256_prefix}:len={finding.length}]"
    )
    dumped = report.model_dump_json()
    for fragment in secret_fragments(kind):
        assert fragment not in dumped


@pytest.mark.parametrize("fmt", sorted(PLANTERS))
@pytest.mark.parametrize("kind", sorted(PLANTS))
def test_redact_removes_everything_the_scanner_flags(tmp_path: Path, kind: str, fmt: str) -> None:
    redacted = redact(PLANTERS[fmt](kind))
    for fragment in secret_fragments(kind):
        assert fragment not in redacted
    assert f"[REDACTED:{kind}:sha256=" in redacted
    assert pattern_findings(redacted) == []
    path = tmp_path / f"redacted.{fmt}"
    path.write_text(redacted, encoding="utf-8")
    assert scan_paths([path]).findings == []  # neither our patterns nor detect-secrets


def test_redact_is_idempotent_and_leaves_ordinary_text() -> None:
    text = PLANTERS["yaml"]("openai_key") + PLANTERS["json"]("assigned_secret")
    once = redact(text)
    assert redact(once) == once
    ordinary = 'token = get_token()\nmax_tokens: 1024\napi_key: "${API_KEY}"\n"bos_token": "<s>"\n'
    assert redact(ordinary) == ordinary


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("mc.json", '{"mc": "0123456789abcdef0123456789abcdef-us12"}\n', "mailchimp_access_key"),
        ("tw.txt", 'sid = "SK' + "0123456789abcdef" * 2 + '"\n', "twilio_api_key"),
        ("k.py", 'db_pwd = "Zq8xW2vB7nM4kL1p"\n', "secret_keyword"),
    ],
)
def test_detect_secrets_plugins_add_what_our_patterns_lack(
    tmp_path: Path, name: str, text: str, kind: str
) -> None:
    (tmp_path / name).write_text(text)
    report = scan_paths([tmp_path / name])
    assert [(f.line, f.kind, f.detector) for f in report.findings] == [(1, kind, "detect-secrets")]


def test_our_own_artifacts_scan_clean(make_artifact: Callable[..., Path], tmp_path: Path) -> None:
    blob = base64.b64encode(bytes(range(256)) * 4).decode()
    digests = {f"f{i}": hashlib.sha256(str(i).encode()).hexdigest() for i in range(20)}
    art = make_artifact(
        files={
            "tokenizer.json": json.dumps({"model": {"merges": [blob], "vocab": {"token": 5}}}),
            "digests.json": json.dumps(digests, indent=2),
            "report.md": "# Report\n\nR@1 0.41 (n=1000), ci95 [0.38, 0.44]\n",
        }
    )
    report = scan_paths([art, REPO / "docs" / "schemas"])
    assert report.findings == []
    assert report.not_scanned == []
    # config.json, manifest.json and the three files, then every committed schema
    assert report.files_scanned == 5 + len(list((REPO / "docs" / "schemas").glob("*.json")))
    assert report.ok is True


def test_binary_and_invalid_utf8_are_not_scanned(tmp_path: Path) -> None:
    key = PLANTS["openai_key"][1]
    (tmp_path / "blob.json").write_bytes(b"\x00\x01" + key.encode())
    (tmp_path / "latin.txt").write_bytes(b"caf\xe9 " + key.encode())
    report = scan_paths([tmp_path])
    assert report.findings == []
    assert [(s.path, s.reason, s.detail) for s in report.not_scanned] == [
        (str(tmp_path / "blob.json"), "binary", "contains NUL bytes"),
        (str(tmp_path / "latin.txt"), "not_utf8", "invalid UTF-8 at byte 3"),
    ]
    assert (report.ok, report.files_scanned) == (True, 0)
    assert scan_paths([tmp_path], strict=True).ok is False


def test_symlinks_are_reported_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "k.json").write_text(PLANTERS["json"]("github_token"))
    scanned = tmp_path / "scanned"
    scanned.mkdir()
    (scanned / "file-link.json").symlink_to(outside / "k.json")
    (scanned / "dir-link").symlink_to(outside)
    report = scan_paths([scanned, scanned / "file-link.json"])
    assert report.findings == []
    assert [(s.path, s.reason) for s in report.not_scanned] == [
        (str(scanned / "dir-link"), "symlink"),
        (str(scanned / "file-link.json"), "symlink"),
        (str(scanned / "file-link.json"), "symlink"),
    ]


def test_suffixes_all_files_and_explicit_files(tmp_path: Path) -> None:
    plant = PLANTERS["yaml"]("huggingface_token")
    (tmp_path / "settings.cfg").write_text(plant)
    (tmp_path / ".env.local").write_text(plant)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(plant)
    default = scan_paths([tmp_path])
    assert [Path(f.path).name for f in default.findings] == [".env.local"]
    assert [(Path(s.path).name, s.reason) for s in default.not_scanned] == [
        (".git", "vcs_dir"),
        ("settings.cfg", "extension"),
    ]
    everything = scan_paths([tmp_path], all_files=True)
    assert [Path(f.path).name for f in everything.findings] == [".env.local", "settings.cfg"]
    named = scan_paths([tmp_path / "settings.cfg"])
    assert [Path(f.path).name for f in named.findings] == ["settings.cfg"]


def test_too_large_and_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "big.txt").write_text("x" * 11)
    monkeypatch.setattr(secrets, "MAX_BYTES", 10)
    report = scan_paths([tmp_path / "big.txt"])
    assert [(s.reason, s.detail) for s in report.not_scanned] == [("too_large", "11 bytes > 10")]
    with pytest.raises(InputError, match="does not exist"):
        scan_paths([tmp_path / "nope"])


def test_detectors_are_named_and_noisy_plugins_excluded() -> None:
    names = scan_paths([]).detectors
    assert {p.kind for p in SECRET_PATTERNS} <= set(names)
    assert "detect-secrets:KeywordDetector" in names
    assert "detect-secrets:AWSKeyDetector" in names
    for excluded in ("Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"):
        assert f"detect-secrets:{excluded}" not in names
