from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_git_source import EXPECTED_SKIPS

from codelewm.artifacts.verify import verify_artifact
from codelewm.data.build import (
    BuildConfig,
    BuildOptions,
    build_dataset,
    load_build_config,
    parse_build_config,
)
from codelewm.data.layout import SPLITS, read_pools, read_transitions
from codelewm.data.runner import Shard
from codelewm.data.split import SplitConfig, split_of
from codelewm.errors import ConfigError


def _config(repo: Path, code: Path) -> BuildConfig:
    return parse_build_config(
        {
            "sources": [
                {"kind": "git", "repo": str(repo)},
                {"kind": "ruff", "code": [str(code)], "license": "PSF-2.0"},
            ]
        }
    )


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.jsonl"))}


def test_build_writes_the_layout_with_reports(
    history: tuple[Path, dict[str, str]], excerpt_root: Path, tmp_path: Path
) -> None:
    repo, _ = history
    out = tmp_path / "ds"
    stats = build_dataset(_config(repo, excerpt_root), BuildOptions(out=out))
    split_git = split_of("proj", seed=0, config=SplitConfig())
    split_ruff = split_of("code/excerpt", seed=0, config=SplitConfig())
    by_split = {s: 0 for s in SPLITS}
    by_split[split_git] += 4
    by_split[split_ruff] += 4
    assert stats.transitions == by_split
    assert stats.pools[split_ruff] == 1 and sum(stats.pools.values()) == 1
    assert stats.pools_by_source == {"ruff": {s: int(s == split_ruff) for s in SPLITS}}
    (pool,) = read_pools(out, split_ruff)
    assert pool.symbol == "py_encode_basestring_ascii"
    assert [m.instruction.split(":")[0] for m in pool.members if m.instruction] == [
        "RET505",
        "UP030",
        "UP032",
    ]
    records = [r for s in SPLITS for r in read_transitions(out, s)]
    assert len(records) == 8 and all(r.split is not None for r in records)
    report = json.loads((out / "filter_report.json").read_text())
    assert report["sources"]["git"]["skipped"] == EXPECTED_SKIPS
    assert report["sources"]["git"]["kept"] == 4 and report["sources"]["ruff"]["kept"] == 4
    assert json.loads((out / "leakage_report.json").read_text())["method"] == "minhash_lsh"
    assert verify_artifact(out).ok


def test_rerun_reuses_units_and_shards_fill_one_cache(
    history: tuple[Path, dict[str, str]], excerpt_root: Path, tmp_path: Path
) -> None:
    repo, _ = history
    config = _config(repo, excerpt_root)
    cache = tmp_path / "cache"
    fresh = build_dataset(config, BuildOptions(out=tmp_path / "fresh"))
    assert fresh.units_cached == 0
    again = build_dataset(config, BuildOptions(out=tmp_path / "fresh", overwrite=True))
    assert again.units_cached == again.units_total == 2
    shards = [
        build_dataset(
            config, BuildOptions(out=tmp_path / f"s{i}", shard=Shard(i, 2), cache_dir=cache)
        )
        for i in range(2)
    ]
    assert sum(s.units_total for s in shards) == 2
    merged = build_dataset(config, BuildOptions(out=tmp_path / "merged", cache_dir=cache))
    assert merged.units_cached == 2
    assert _files(tmp_path / "merged") == _files(tmp_path / "fresh")


def test_license_gate_excludes_and_counts(
    history: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, _ = history
    config = parse_build_config(
        {"sources": [{"kind": "git", "repo": str(repo)}], "license_allowlist": ["Apache-2.0"]}
    )
    stats = build_dataset(config, BuildOptions(out=tmp_path / "ds"))
    assert sum(stats.transitions.values()) == 0
    report = json.loads((tmp_path / "ds" / "filter_report.json").read_text())
    assert report["sources"]["git"]["filtered"] == {"license_excluded": 4}
    assert report["sources"]["git"]["licenses_excluded"] == {"MIT": 4}


def test_toml_config_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        'seed = 3\n[split]\ntrain = 0.8\nval = 0.1\ntest = 0.1\n[[sources]]\nkind = "ruff"\n'
    )
    config = load_build_config(good)
    assert config.seed == 3 and config.sources[0].kind == "ruff"
    assert config.model_dump()["sources"][0]["unsafe_fixes"] is True
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nkind = "ruff"\nfrobnicate = 1\n')
    with pytest.raises(ConfigError):
        load_build_config(bad)
    with pytest.raises(ConfigError):
        parse_build_config({"sources": [{"kind": "nope"}]})


@pytest.mark.slow
def test_workers_give_the_same_dataset(
    history: tuple[Path, dict[str, str]], excerpt_root: Path, tmp_path: Path
) -> None:
    repo, _ = history
    config = _config(repo, excerpt_root)
    build_dataset(config, BuildOptions(out=tmp_path / "one"))
    build_dataset(config, BuildOptions(out=tmp_path / "two", workers=2))
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_manifest_records_what_each_source_read(
    history: tuple[Path, dict[str, str]], excerpt_root: Path, tmp_path: Path
) -> None:
    repo, _ = history
    build_dataset(_config(repo, excerpt_root), BuildOptions(out=tmp_path / "ds"))
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    git, ruff = manifest["metadata"]["sources"]
    assert git["commits"] == 14 and git["license"] == "MIT" and git["repo"] == "proj"
    assert ruff["files"] == 1 and ruff["ruff"].startswith("ruff ")
