"""configs/data/default.toml validates and pins everything it builds from."""

from __future__ import annotations

from pathlib import Path

from codelewm.data.build import load_build_config
from codelewm.data.sources.git import GitConfig
from codelewm.data.sources.releases import ReleasesConfig

ROOT = Path(__file__).resolve().parents[2]


def test_default_config_validates_and_pins_releases() -> None:
    config = load_build_config(ROOT / "configs/data/default.toml")
    kinds = sorted({s.kind for s in config.sources})
    kinds = sorted({s.kind for s in config.sources})
    assert kinds == [
        "doctests",
        "exercism",
        "git",
        "mutations",
        "quixbugs",
        "releases",
        "ruff",
        "stubs",
    ]
    releases = [s for s in config.sources if isinstance(s, ReleasesConfig)]
    assert [r.package for r in releases] == [
        "sqlparse",
        "more-itertools",
        "idna",
        "pluggy",
        "toolz",
        "jmespath",
    ]
    assert all(len(r.release_versions) >= 4 for r in releases)


def test_default_config_holds_out_whole_repositories() -> None:
    config = load_build_config(ROOT / "configs/data/default.toml")
    gits = [s for s in config.sources if isinstance(s, GitConfig)]
    assert len(gits) == 18
    assert all(g.group is not None and g.group.startswith("site-packages/") for g in gits)
    pins = config.split.groups
    assert all(g.group in pins for g in gits)
    held_out = {s: sorted(g for g, v in pins.items() if v == s) for s in ("val", "test")}
    assert held_out == {
        "val": ["site-packages/attr", "site-packages/attrs", "site-packages/jinja2"],
        "test": ["site-packages/anyio", "site-packages/networkx"],
    }
