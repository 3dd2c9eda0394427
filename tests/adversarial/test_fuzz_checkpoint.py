"""Fuzzing the checkpoint trust gate: a re-signed checkpoint with any config, calibrator, tokenizer or
weights file loads or is refused with CheckpointError, in bounded time and memory; a tampered
manifest is refused.

Each example is a tiny real checkpoint copied to a fresh directory, one file replaced by the
attacker's, then re-signed (a fresh manifest over the edited files), so only the content checks stand
between it and the scorer. (tests/scoring/test_checkpoint_hostile.py holds the hand-picked list on the
shipped model: huge dimensions, NaN weights, re-typed tensors.)
"""

from __future__ import annotations

import json
import resource
import shutil
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from _adversarial import fuzz, within
from helper_modules import harness_helpers
from hypothesis import assume, given

from codelewm.artifacts.manifest import begin_artifact, finalize_artifact
from codelewm.checkpoint.read import (
    CALIBRATOR_NAME,
    CHECKPOINT_KIND,
    CONFIG_NAME,
    TOKENIZER_NAME,
    WEIGHTS_NAME,
    load_checkpoint,
)
from codelewm.errors import CheckpointError

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(300)]

BOUND_S = 10.0
BIG = st.sampled_from([10**400, -(10**400), 2**63, 2**31, -1, 0, 1 << 30])
ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | BIG | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
CALIBRATOR = {
    "schema_version": "codelewm.calibrator.v1",
    "feature_names": ["energy_z", "action_gain", "consensus", "parses"],
    "weights": [-4.7, 0.5, 0.17, 0.0],
    "bias": -5.9,
    "mean": [0.0, 0.34, 0.27, 1.0],
    "scale": [1.0, 0.42, 0.25, 1.0],
}
DTYPES = ["F32", "F16", "BF16", "F64", "I32", "U8", "BOOL", "F8_E4M3", "X", ""]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = harness_helpers().build_tiny_checkpoint(tmp_path_factory.mktemp("fz") / "tiny")
    return path


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="codelewm-fz-") as tmp:
        yield Path(tmp)


def resign(tiny: Path, root: Path, files: dict[str, bytes], model: dict[str, Any] | None) -> Path:
    """`tiny` under `root` with `files` replaced and the config's model section swapped for `model`
    (when given), under a fresh manifest over what was written."""
    out = Path(tempfile.mkdtemp(dir=root)) / "ckpt"
    tmp = begin_artifact(out, overwrite=False)
    for name in (WEIGHTS_NAME, TOKENIZER_NAME):
        shutil.copy2(tiny / name, tmp / name)
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    config = json.loads((tiny / CONFIG_NAME).read_text())
    if model is not None:
        config["model"] = model
    finalize_artifact(tmp, out, kind=CHECKPOINT_KIND, config=config, command=["fuzz"])
    return out


def _loads_or_refuses(path: Path) -> None:
    """The gate's contract: a loaded checkpoint or CheckpointError; anything else escapes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    try:
        within(BOUND_S, lambda: load_checkpoint(path), what="load_checkpoint")
    except CheckpointError as exc:
        assert exc.exit_code == 5 and exc.message
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024
    assert grown_mib < 300, f"loading grew the process by {grown_mib:.0f} MiB"


def _tiny_model(tiny: Path) -> dict[str, Any]:
    model: dict[str, Any] = json.loads((tiny / CONFIG_NAME).read_text())["model"]
    return model


@fuzz(60, deadline_ms=20_000)
@given(data=st.data())
def test_any_model_config_loads_or_is_refused(
    tiny: Path, workdir: Path, data: st.DataObject
) -> None:
    model = _tiny_model(tiny)
    for name in data.draw(st.lists(st.sampled_from(sorted(model)), min_size=1, max_size=4)):
        model[name] = data.draw(ANY | st.integers(-10, 1 << 14), label=name)
    if data.draw(st.booleans(), label="drop a key"):
        model.pop(data.draw(st.sampled_from(sorted(model))))
    if data.draw(st.booleans(), label="add a key"):
        model[data.draw(st.text(max_size=10))] = data.draw(ANY)
    _loads_or_refuses(resign(tiny, workdir, {}, model))


@fuzz(80, deadline_ms=20_000)
@given(data=st.data())
def test_any_calibrator_loads_or_is_refused(tiny: Path, workdir: Path, data: st.DataObject) -> None:
    calibrator: Any = dict(CALIBRATOR)
    for name in data.draw(st.lists(st.sampled_from(sorted(CALIBRATOR)), max_size=3)):
        calibrator[name] = data.draw(ANY | st.lists(ANY | BIG, max_size=6), label=name)
    text = json.dumps(calibrator)  # NaN and Infinity are written as such
    raw = data.draw(st.one_of(st.just(text.encode()), st.binary(max_size=64)), label="file")
    _loads_or_refuses(resign(tiny, workdir, {CALIBRATOR_NAME: raw}, None))


@fuzz(40, deadline_ms=20_000)
@given(raw=st.one_of(st.binary(max_size=200), ANY.map(lambda v: json.dumps(v).encode())))
def test_any_tokenizer_file_loads_or_is_refused(tiny: Path, workdir: Path, raw: bytes) -> None:
    _loads_or_refuses(resign(tiny, workdir, {TOKENIZER_NAME: raw}, None))


@st.composite
def safetensors_files(draw: st.DrawFn) -> bytes:
    """A safetensors-shaped file: an 8-byte header length (true or lying), a JSON header naming
    tensors with any dtype, shape and offsets, and a payload of any size."""
    tensors = draw(
        st.dictionaries(
            st.sampled_from(["predictor.out.bias", "log_temperature", "x", "__metadata__"]),
            st.fixed_dictionaries(
                {
                    "dtype": st.sampled_from(DTYPES),
                    "shape": st.lists(st.integers(-1, 1 << 40) | BIG, max_size=3),
                    "data_offsets": st.lists(st.integers(-1, 1 << 40), min_size=2, max_size=2),
                }
            ),
            max_size=3,
        )
    )
    header = json.dumps(tensors).encode()
    length = draw(st.sampled_from([len(header), len(header) + 7, 0, 2**63, 2**64 - 1]))
    return struct.pack("<Q", length) + header + draw(st.binary(max_size=64))


@fuzz(60, deadline_ms=20_000)
@given(raw=st.one_of(safetensors_files(), st.binary(max_size=64)))
def test_any_weights_file_loads_or_is_refused(tiny: Path, workdir: Path, raw: bytes) -> None:
    _loads_or_refuses(resign(tiny, workdir, {WEIGHTS_NAME: raw}, None))


@fuzz(60, deadline_ms=20_000)
@given(data=st.data())
def test_a_tampered_manifest_is_refused(tiny: Path, workdir: Path, data: st.DataObject) -> None:
    path = Path(tempfile.mkdtemp(dir=workdir)) / "ckpt"
    shutil.copytree(tiny, path)
    original = (path / "manifest.json").read_text()
    manifest = json.loads(original)
    entry = data.draw(st.sampled_from(manifest["files"]), label="entry")
    field = data.draw(st.sampled_from(["path", "sha256", "bytes", "(the whole manifest)"]))
    if field == "(the whole manifest)":
        manifest = data.draw(ANY, label="manifest")
    else:
        hostile = ["../config.json", "/etc/passwd", "config.json/..", "", "a" * 300]
        entry[field] = data.draw(ANY | st.sampled_from(hostile), label=field)
    assume(manifest != json.loads(original))
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError):
        within(BOUND_S, lambda: load_checkpoint(path), what="load_checkpoint")


# Regressions of what this module found: each escaped the gate as a crash (exit 70), not exit 5.


@pytest.mark.parametrize("field", ["dropout", "init_temperature"])
def test_an_integer_too_large_for_a_float_is_refused_in_the_model_config(
    tiny: Path, workdir: Path, field: str
) -> None:
    model = {**_tiny_model(tiny), field: 10**400}  # was OverflowError from math.isfinite
    with pytest.raises(CheckpointError, match=f"{field} = 1000"):
        load_checkpoint(resign(tiny, workdir, {}, model))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"bias": 10**400}, "int too large to convert to float"),  # was OverflowError
        ({"weights": [10**400, 0, 0, 0]}, "int too large to convert to float"),
    ],
)
def test_an_integer_too_large_for_a_float_is_refused_in_the_calibrator(
    tiny: Path, workdir: Path, edit: dict[str, Any], message: str
) -> None:
    raw = json.dumps({**CALIBRATOR, **edit}).encode()
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(resign(tiny, workdir, {CALIBRATOR_NAME: raw}, None))


def test_a_calibrator_that_is_not_utf8_is_refused(tiny: Path, workdir: Path) -> None:
    path = resign(tiny, workdir, {CALIBRATOR_NAME: b"A\x94"}, None)  # was UnicodeDecodeError
    with pytest.raises(CheckpointError, match="not readable UTF-8"):
        load_checkpoint(path)


def test_the_resigned_tiny_checkpoint_itself_loads(tiny: Path, workdir: Path) -> None:
    raw = json.dumps(CALIBRATOR).encode()
    loaded = load_checkpoint(resign(tiny, workdir, {CALIBRATOR_NAME: raw}, None))
    assert loaded.calibrator is not None and loaded.model.cfg.d_model == 32  # the control
