"""configs/data/default.toml validates and pins everything it builds from."""

from __future__ import annotations

from pathlib import Path

from codelewm.data.build import load_build_config
from codelewm.data.sources.releases import ReleasesConfig

ROOT = Path(__file__).resolve().parents[2]


def test_default_config_validates_and_pins_releases() -> None:
    config = load_build_config(ROOT / "configs/data/default.toml")
    kinds = sorted({s.kind for s in config.sources})
    assert kinds == ["mutations", "releases", "ruff", "stubs"]
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
