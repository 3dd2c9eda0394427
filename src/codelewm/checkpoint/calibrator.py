"""The world-model scorer's optional calibrator: logistic regression weights stored as JSON (no pickle).

`final_score = w · standardise(features) + b` (a logit: higher = more likely correct). Features are
computed per candidate by the scorer within its own call (see `WorldModelScorer`); `feature_names`
says which, so a checkpoint can never be used with a silently different feature order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from codelewm.errors import CheckpointError

CALIBRATOR_SCHEMA = "codelewm.calibrator.v1"
#: the v1 features (energy z-scored in the pool, raw action gain, raw latent consensus, parses)
LEGACY_FEATURES = ("energy_z", "action_gain", "consensus", "parses")
#: the fused score's features (`scoring/fusion.py`): model signals and static signals, z-scored
#: within the pool where they are continuous
FUSED_MODEL_FEATURES = ("energy_z", "action_gain_z", "latent_consensus_z")
FUSED_STATIC_FEATURES = ("valid", "parses", "token_consensus_z", "log_count_z")
#: the execution-aware score's within-tier features (`eval/execution_fusion.py`, opt-in execution
#: only; the examples passed are its hard first key): the static final score z-scored among the
#: candidates that ran, the share of samples that behaved alike on the example inputs (MBR-exec) and
#: the share of the tier's samples that behaved alike on probe inputs near the examples'
EXECUTION_FEATURES = ("static_z", "cluster_share", "probe_share")
KNOWN_FEATURES = tuple(
    dict.fromkeys(
        LEGACY_FEATURES + FUSED_MODEL_FEATURES + FUSED_STATIC_FEATURES + EXECUTION_FEATURES
    )
)


@dataclass(frozen=True)
class Calibrator:
    feature_names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    fitted_on: str = ""

    def __post_init__(self) -> None:
        n = len(self.feature_names)
        if not (len(self.weights) == len(self.mean) == len(self.scale) == n):
            raise CheckpointError("calibrator.json: feature, weight, mean and scale lengths differ")
        unknown = set(self.feature_names) - set(KNOWN_FEATURES)
        if unknown:
            raise CheckpointError(f"calibrator.json uses unknown features {sorted(unknown)}")

    def score(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """features (N, F) in `feature_names` order -> logits (N,)."""
        return np.asarray(self.terms(features).sum(axis=1) + self.bias, dtype=np.float64)

    def terms(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each feature's term of the logit (N, F): weight * standardised feature (logit = bias + sum)."""
        z = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        return np.asarray(z * np.asarray(self.weights), dtype=np.float64)

    def to_json(self) -> str:
        payload = {
            "schema_version": CALIBRATOR_SCHEMA,
            "feature_names": list(self.feature_names),
            "weights": list(self.weights),
            "bias": self.bias,
            "mean": list(self.mean),
            "scale": list(self.scale),
            "fitted_on": self.fitted_on,
        }
        return json.dumps(payload, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Calibrator:
        try:
            data = json.loads(text)
            if data.get("schema_version") != CALIBRATOR_SCHEMA:
                raise CheckpointError(
                    f"calibrator.json has schema {data.get('schema_version')!r}, expected {CALIBRATOR_SCHEMA}"
                )
            return cls(
                feature_names=tuple(str(x) for x in data["feature_names"]),
                weights=tuple(float(x) for x in data["weights"]),
                bias=float(data["bias"]),
                mean=tuple(float(x) for x in data["mean"]),
                scale=tuple(float(x) for x in data["scale"]),
                fitted_on=str(data.get("fitted_on", "")),
            )
        # OverflowError: an integer too large for a float (JSON integers have no size limit)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise CheckpointError(f"calibrator.json is malformed: {exc}") from exc


def fit_calibrator(
    features: NDArray[np.float64],
    labels: Sequence[bool],
    feature_names: Sequence[str],
    *,
    fitted_on: str,
    l2: float = 1.0,
) -> Calibrator:
    """Plain L2-regularised logistic regression by Newton steps (deterministic, no sklearn pickle)."""
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    mean = x.mean(0)
    scale = x.std(0)
    scale[scale < 1e-8] = 1.0
    xs = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])  # (N, F+1)
    w = np.zeros(xs.shape[1])
    reg = np.full(xs.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(xs @ w)))
        grad = xs.T @ (p - y) + reg * w
        hess = (xs * (p * (1 - p))[:, None]).T @ xs + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return Calibrator(
        feature_names=tuple(feature_names),
        weights=tuple(float(v) for v in w[:-1]),
        bias=float(w[-1]),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        fitted_on=fitted_on,
    )
