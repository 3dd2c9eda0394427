"""Decoy pools: building one from a transition and reading them back from a dataset layout."""

from __future__ import annotations

from pathlib import Path

from codelewm.data.decoys import decoy_pool
from codelewm.data.fetch import PinnedWheel, load_pins
from codelewm.data.layout import decoy_pools_path, read_decoy_pools
from codelewm.data.transition import new_transition


def test_decoy_pool_round_trip(tmp_path: Path) -> None:
    record = new_transition(
        source="stubs",
        group="pkg/mod",
        path="mod.py",
        symbol="f",
        before='def f(a):\n    """Add one to a."""\n    ...',
        after='def f(a):\n    """Add one to a."""\n    return a + 1',
        instruction="Implement `f`: Add one to a.",
        instruction_kind="docstring",
    )
    pool = decoy_pool(
        record,
        [
            ("mutant", 'def f(a):\n    """Add one to a."""\n    return a - 1'),
            ("mutant", 'def f(a):\n    """Add one to a."""\n    return a - 1'),  # duplicate
            ("other_body", 'def f(a):\n    """Add one to a."""\n    return str(a)'),
        ],
    )
    assert [c.passed for c in pool.candidates].count(True) == 1
    assert len(pool.candidates) == 3
    assert (
        pool.model_extra is not None and pool.model_extra["transition_id"] == record.transition_id
    )
    path = decoy_pools_path(tmp_path, "val")
    path.parent.mkdir(parents=True)
    path.write_text(pool.model_dump_json() + "\n", encoding="utf-8")
    (back,) = read_decoy_pools(tmp_path, "val")
    assert back == pool
    assert list(read_decoy_pools(tmp_path, "test")) == []


def test_load_pins(tmp_path: Path) -> None:
    lock = tmp_path / "pins.toml"
    lock.write_text(
        '[[wheels]]\nname = "six"\nversion = "1.16.0"\nsha256 = "ab"\n', encoding="utf-8"
    )
    assert load_pins(lock) == [PinnedWheel(name="six", version="1.16.0", sha256="ab")]


def test_default_pins_are_exact() -> None:
    pins = load_pins(Path(__file__).resolve().parents[2] / "configs/data/default-packages.toml")
    assert len(pins) == 42
    assert all(p.sha256 is not None and len(p.sha256) == 64 for p in pins)
