"""A hand-built rerank of four candidates for one before: good, subtly wrong, invalid patch, no-op.

A uniquely named module (not conftest) so test modules can import it without clashing with other
test directories.
"""

from __future__ import annotations

from codelewm.records import (
    ErrorRecord,
    ExecutionSummary,
    RerankRecord,
    ScoreRecord,
    Validity,
)

PLANTED_KEY = "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef"

BEFORE = '''def moving_average(values: list[float], window: int) -> list[float]:
    """Return the mean of every run of `window` consecutive values."""
    if window <= 0:
        raise ValueError("window must be positive")
    averages = []
    for start in range(len(values) - window):
        chunk = values[start : start + window]
        averages.append(sum(chunk) / window)
    return averages
'''

GOOD = BEFORE.replace("range(len(values) - window)", "range(len(values) - window + 1)")

SUBTLY_WRONG = BEFORE.replace(
    "range(len(values) - window)", "range(1, len(values) - window + 1)"
).replace(
    "    averages = []\n",
    f'    averages = []  # debug: OPENROUTER_API_KEY="{PLANTED_KEY}"\n',
)

INSTRUCTION = "Fix the off-by-one: the last full window is missing from the result."


def _score(candidate_id: str, **fields: object) -> ScoreRecord:
    base: dict[str, object] = {
        "candidate_id": candidate_id,
        "origin": f"candidates/{candidate_id}.py",
        "validity": Validity(parses=True, applies=True),
        "checkpoint_id": "codelewm-default-0.1",
        "checkpoint_sha256": "ab" * 32,
        "input_digest": "cd" * 32,
    }
    base.update(fields)
    return ScoreRecord.model_validate(base)


def make_rerank(*, executed: bool = False) -> RerankRecord:
    """The four-candidate rerank; with `executed`, each valid candidate carries a test result."""
    run = (
        (
            lambda status: ExecutionSummary(
                status=status, isolation=["subprocess", "rlimits"], duration_s=0.2
            )
        )
        if executed
        else (lambda status: None)
    )
    results = [
        _score(
            "noop",
            rank=3,
            final_score=-4.1,
            energy=4.1,
            no_action_energy=3.9,
            action_gain=-0.2,
            consensus=0.61,
            baseline_scores={"lexical": 1.0, "bm25": 7.5},
            after_code=BEFORE,
            execution=run("failed"),
            warnings=["candidate is identical to the before"],
        ),
        _score(
            "good-fix",
            rank=1,
            final_score=-1.2,
            energy=1.2,
            no_action_energy=3.3,
            action_gain=2.1,
            consensus=0.82,
            baseline_scores={"lexical": 0.97, "bm25": 6.1},
            after_code=GOOD,
            execution=run("passed"),
        ),
        _score(
            "broken-patch",
            rank=4,
            validity=Validity(parses=False, applies=False),
            baseline_scores={},
            error=ErrorRecord(
                error_type="PatchError",
                message="hunk 1 does not apply at line 6: expected '    for i in range(n):'",
                remediation="Give a unified diff against the before file only.",
            ),
        ),
        _score(
            "subtle-bug",
            rank=2,
            final_score=-2.0,
            energy=2.0,
            no_action_energy=3.1,
            action_gain=1.1,
            consensus=0.74,
            baseline_scores={"lexical": 0.93, "bm25": 6.8},
            after_code=SUBTLY_WRONG,
            execution=run("failed"),
        ),
    ]
    return RerankRecord(
        instruction=INSTRUCTION,
        before_sha256="ef" * 32,
        input_digest="cd" * 32,
        checkpoint_id="codelewm-default-0.1",
        checkpoint_sha256="ab" * 32,
        executed=executed,
        results=results,
        warnings=["calibrator missing: final_score = -energy"],
    )
