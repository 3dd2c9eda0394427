"""`[split.groups]` pins whole groups (e.g. held-out repositories) to a split before any hashing."""

from __future__ import annotations

import tomllib

import pytest
from pydantic import ValidationError

from codelewm.data.split import SplitConfig, split_of


def test_pinned_groups_ignore_the_hash_and_others_keep_it() -> None:
    hashed = SplitConfig(train=0.8, val=0.1, test=0.1)
    groups = [f"g{i}" for i in range(40)]
    by_hash = {g: split_of(g, seed=0, config=hashed) for g in groups}
    pinned = SplitConfig(train=0.8, val=0.1, test=0.1, groups={"g0": "test", "g1": "val"})
    assert split_of("g0", seed=0, config=pinned) == "test"
    assert split_of("g1", seed=0, config=pinned) == "val"
    assert split_of("g1", seed=99, config=pinned) == "val"
    assert {g: split_of(g, seed=0, config=pinned) for g in groups[2:]} == {
        g: by_hash[g] for g in groups[2:]
    }


def test_pins_parse_from_a_table_after_the_sources_and_refuse_unknown_splits() -> None:
    text = '[split]\ntrain = 0.8\nval = 0.1\ntest = 0.1\n\n[[sources]]\nkind = "git"\n\n'
    text += '[split.groups]\n"site-packages/toolz" = "test"\n'
    config = SplitConfig.model_validate(tomllib.loads(text)["split"])
    assert config.groups == {"site-packages/toolz": "test"}
    with pytest.raises(ValidationError):
        SplitConfig(groups={"x": "holdout"})  # type: ignore[dict-item]
