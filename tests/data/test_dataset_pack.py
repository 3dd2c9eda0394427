from __future__ import annotations

from collections import Counter
from pathlib import Path

import h5py
import pyarrow.parquet as pq

from codelewm.artifacts.verify import verify_artifact
from codelewm.data.build import BuildOptions, build_dataset, parse_build_config
from codelewm.data.layout import SPLITS
from codelewm.data.parquet_hdf5 import pack_dataset


def test_pack_verifies_and_catches_tampering(
    history: tuple[Path, dict[str, str]], excerpt_root: Path, tmp_path: Path
) -> None:
    repo, _ = history
    config = parse_build_config(
        {
            "sources": [
                {"kind": "git", "repo": str(repo)},
                {"kind": "ruff", "code": [str(excerpt_root)], "license": "PSF-2.0"},
            ]
        }
    )
    dataset, pack = tmp_path / "ds", tmp_path / "pack"
    build_dataset(config, BuildOptions(out=dataset))
    stats = pack_dataset(dataset, pack, rows_per_shard=3)
    assert sum(stats.transitions.values()) == 8 and sum(stats.pools.values()) == 1
    report = verify_artifact(pack, [dataset])
    assert report.ok and report.parents_checked
    tables = [pq.read_table(p) for p in sorted((pack / "transitions").glob("*.parquet"))]
    assert all(t.num_rows <= 3 for t in tables)
    sources = Counter(x for t in tables for x in t.column("source").to_pylist())
    assert sources == {"git": 4, "ruff": 4}
    (pools,) = [pq.read_table(p) for p in sorted((pack / "pools").glob("*.parquet"))]
    assert len(pools.column("members").to_pylist()[0]) == 3
    with h5py.File(pack / "arrays.h5") as h5:
        assert sum(len(h5[s]["transition_id"]) for s in SPLITS) == 8
    shard = sorted((pack / "transitions").glob("*.parquet"))[0]
    shard.write_bytes(shard.read_bytes()[:-1] + b"\x00")
    tampered = verify_artifact(pack, [dataset])
    assert not tampered.ok
    assert [p.path for p in tampered.problems] == [shard.relative_to(pack).as_posix()]
