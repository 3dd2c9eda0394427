"""The transition index: build (artifact with parents), verified load, both query kinds, refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from harness_helpers import BEFORE, GOOD, INSTRUCTION, TRANSITIONS, build_tiny_dataset, tamper

from codelewm.artifacts.manifest import load_manifest
from codelewm.errors import CheckpointError, InputError
from codelewm.scoring.index import (
    build_index,
    edit_embeddings,
    load_index,
    predicted_embeddings,
    query_index,
)
from codelewm.scoring.load import load_scorer
from codelewm.scoring.reranker import Reranker
from codelewm.scoring.world_model import WorldModelScorer


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = build_tiny_dataset(tmp_path_factory.mktemp("ds") / "tiny-ds")
    return path


@pytest.fixture(scope="module")
def index_dir(
    reranker: Reranker,
    tiny_checkpoint: Path,
    dataset: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    out = tmp_path_factory.mktemp("idx") / "index"
    assert isinstance(reranker.scorer, WorldModelScorer)
    return build_index(reranker.scorer, checkpoint=tiny_checkpoint, dataset=dataset, out=out)


def _scorer(reranker: Reranker) -> WorldModelScorer:
    assert isinstance(reranker.scorer, WorldModelScorer)
    return reranker.scorer


def test_index_is_an_artifact_with_checkpoint_and_dataset_parents(
    index_dir: Path, tiny_checkpoint: Path, dataset: Path
) -> None:
    manifest = load_manifest(index_dir)
    assert manifest.artifact_kind == "index"
    parents = {p.artifact_kind: p.artifact_id for p in manifest.parent_artifacts}
    assert parents == {
        "checkpoint": load_manifest(tiny_checkpoint).artifact_id,
        "dataset": load_manifest(dataset).artifact_id,
    }
    index = load_index(index_dir)
    assert len(index.entries) == len(TRANSITIONS)
    assert index.embeddings.shape == (len(TRANSITIONS), 32)
    assert np.allclose(np.linalg.norm(index.embeddings, axis=1), 1.0, atol=1e-5)


def test_candidate_query_finds_the_identical_edit_first(
    index_dir: Path, reranker: Reranker
) -> None:
    index = load_index(index_dir)
    record = query_index(
        index, _scorer(reranker), before=BEFORE, instruction=INSTRUCTION, candidate=GOOD, k=3
    )
    assert record.query == "candidate" and record.k == 3 and len(record.hits) == 3
    top = record.hits[0]
    assert top.transition_id == "fix-window" and top.similarity == pytest.approx(1.0, abs=1e-5)
    assert top.instruction == INSTRUCTION
    assert "+    for start in range(len(values) - window + 1):" in top.diff
    sims = [h.similarity for h in record.hits]
    assert sims == sorted(sims, reverse=True)
    assert [h.rank for h in record.hits] == [1, 2, 3]


def test_predicted_query_ranks_by_energy(index_dir: Path, reranker: Reranker) -> None:
    index = load_index(index_dir)
    scorer = _scorer(reranker)
    record = query_index(index, scorer, before=BEFORE, instruction=INSTRUCTION, k=5)
    assert record.query == "predicted"
    pred = predicted_embeddings(scorer, [BEFORE], [INSTRUCTION])[0]
    expected = np.argsort(-(index.embeddings @ pred), kind="stable")
    assert [h.transition_id for h in record.hits] == [
        index.entries[i].transition_id for i in expected
    ]
    # cosine ranking == energy ranking: energy = 2 - 2 cos on unit latents
    direct = edit_embeddings(scorer, [BEFORE], [GOOD])[0]
    assert float(direct @ index.embeddings[0]) == pytest.approx(1.0, abs=1e-5)


def test_no_instruction_uses_the_null_action(index_dir: Path, reranker: Reranker) -> None:
    record = query_index(load_index(index_dir), _scorer(reranker), before=BEFORE, instruction=None)
    assert any("null-action" in w for w in record.warnings)
    assert len(record.hits) == 5


def test_refusals(
    index_dir: Path,
    reranker: Reranker,
    tiny_checkpoint: Path,
    dataset: Path,
    tmp_path: Path,
) -> None:
    index = load_index(index_dir)
    scorer = _scorer(reranker)
    with pytest.raises(InputError, match="between 1 and 100"):
        query_index(index, scorer, before=BEFORE, instruction="x", k=0)
    other = tmp_path / "other-ckpt"
    from harness_helpers import build_tiny_checkpoint

    build_tiny_checkpoint(other, seed=1)
    with pytest.raises(CheckpointError, match="not comparable"):
        query_index(index, _scorer(load_scorer(other)), before=BEFORE, instruction="x")
    copy = tmp_path / "copy"
    shutil.copytree(index_dir, copy)
    tamper(copy, "embeddings.safetensors")
    with pytest.raises(InputError, match="sha256_mismatch"):
        load_index(copy)
    with pytest.raises(InputError, match="not an index"):
        load_index(tmp_path)
    with pytest.raises(InputError, match=r"not an index|'checkpoint' artifact"):
        load_index(tiny_checkpoint)
    with pytest.raises(InputError, match="not a dataset artifact"):
        build_index(scorer, checkpoint=tiny_checkpoint, dataset=tmp_path, out=tmp_path / "i")
    with pytest.raises(InputError, match="at least 1"):
        build_index(
            scorer, checkpoint=tiny_checkpoint, dataset=dataset, out=tmp_path / "i", limit=0
        )
