"""The one view model (`codelewm.view_model.v1`) that the terminal, HTML and TUI renderers draw.

`build_view_model` turns a `RerankRecord` (plus the before text it was computed on) into rows in the
model's order, with everything a reader needs beside each row: a score bar, each baseline's rank,
validity and errors, the diff against the before (unified and side by side), execution results.
Views never look at the model or the checkpoint; they render whatever record they are given.

Conventions:
- `final_score`: higher is better (as in `codelewm.score.v1`). Bars normalise it over the candidates
  that have one: `(s - min) / (max - min)`, 1.0 for all when they tie, 0.0 without a score.
- `baseline_scores`: each baseline's score, HIGHER = better by default. A caller whose records hold
  baseline energies instead passes `baseline_higher_is_better=False`; the view model records which
  convention it used in `baseline_convention`. Ties keep the model's order.
- Every string is passed through `artifacts.redact.redact` before diffs are computed, so no
  credential reaches a renderer or the JSON.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from codelewm.artifacts.redact import redact
from codelewm.errors import InputError
from codelewm.records import (
    ErrorRecord,
    ExecutionSummary,
    ModelTrust,
    Recommendation,
    RerankRecord,
    ScoreRecord,
    Validity,
)
from codelewm.views.diffs import (
    DiffLine,
    SideBySideRow,
    line_counts,
    side_by_side,
    unified_diff,
    unified_lines,
)

# C0 controls but tab and newline, DEL, C1 controls, and the bidi embedding/override/isolate marks
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

BaselineConvention = Literal["higher_is_better", "lower_is_better"]
MODEL_ORDER = "model"

M = TypeVar("M", bound=BaseModel)


class _ViewRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CandidateView(_ViewRecord):
    """One candidate as the views show it, in the model's order."""

    position: int = Field(description="1-based place in the model's order (valid before invalid)")
    rank: int | None = Field(description="the rank the record gave; None when it gave none")
    candidate_id: str
    origin: str
    valid: bool
    status: str = Field(description="'valid', or why not (error type, parse, apply, names)")
    final_score: float | None
    bar: float = Field(ge=0.0, le=1.0, description="final_score normalised to 0..1 over the call")
    energy: float | None
    no_action_energy: float | None
    action_gain: float | None
    consensus: float | None
    baseline_scores: dict[str, float]
    baseline_ranks: dict[str, int] = Field(description="1 = that baseline's best candidate")
    validity: Validity
    error: ErrorRecord | None
    execution: ExecutionSummary | None
    warnings: list[str]
    after_code: str | None
    changed: bool = Field(description="False for a candidate identical to the before (a no-op)")
    lines_added: int
    lines_removed: int
    unified_diff: str
    diff_lines: list[DiffLine]
    side_by_side: list[SideBySideRow]


class RankerOrder(_ViewRecord):
    """One ranker's order of the candidate ids, best first (`model` or a baseline's name)."""

    name: str
    candidate_ids: list[str]


class ViewModel(_ViewRecord):
    """Everything the three renderers draw (`codelewm.view_model.v1`)."""

    schema_version: Literal["codelewm.view_model.v1"] = "codelewm.view_model.v1"
    command: Literal["rerank", "score"] = Field(
        default="rerank", description="`score`: one candidate, so consensus is n/a"
    )
    title: str | None
    instruction: str | None
    before: str
    facts: dict[str, str] = Field(description="checkpoint and input facts, then caller extras")
    executed: bool = Field(description="True when candidates were run against tests")
    isolation: list[str] = Field(description="sandbox isolation layers used, when executed")
    baseline_convention: BaselineConvention
    baselines: list[str]
    orders: list[RankerOrder] = Field(description="the model's order first, then each baseline's")
    candidates: list[CandidateView]
    recommendation: Recommendation | None = None
    trust: ModelTrust | None = None
    pool_relative: list[str] = Field(
        default_factory=list, description="numbers that depend on the other candidates of the call"
    )
    warnings: list[str]


def build_view_model(
    rerank: RerankRecord,
    *,
    before: str,
    title: str | None = None,
    extra_facts: dict[str, str] | None = None,
    baseline_orders: Mapping[str, Sequence[str]] | None = None,
    baseline_higher_is_better: bool = True,
    command: Literal["rerank", "score"] = "rerank",
) -> ViewModel:
    """The view model of one rerank call; `baseline_orders` overrides orders derived from scores."""
    clean_before = redact(before)
    ordered = _model_order(rerank.results)
    bars = _bars([result.final_score for result in ordered])
    rows = [
        _candidate(result, position=index + 1, bar=bar, before=clean_before)
        for index, (result, bar) in enumerate(zip(ordered, bars, strict=True))
    ]
    names = _baseline_names(rows, baseline_orders)
    orders = [RankerOrder(name=MODEL_ORDER, candidate_ids=[row.candidate_id for row in rows])]
    orders += [
        RankerOrder(
            name=name,
            candidate_ids=_baseline_order(
                rows, name, baseline_orders, higher=baseline_higher_is_better
            ),
        )
        for name in names
    ]
    rows = [
        row.model_copy(update={"baseline_ranks": _ranks(row.candidate_id, orders[1:])})
        for row in rows
    ]
    view = ViewModel(
        command=command,
        title=title,
        instruction=rerank.instruction,
        before=clean_before,
        facts=_facts(rerank, extra_facts),
        executed=rerank.executed,
        isolation=_isolation(rerank.results),
        baseline_convention="higher_is_better" if baseline_higher_is_better else "lower_is_better",
        baselines=names,
        orders=orders,
        candidates=rows,
        recommendation=rerank.recommendation,
        trust=rerank.trust,
        pool_relative=list(rerank.pool_relative),
        warnings=list(rerank.warnings),
    )
    return redact_view_model(view)


def redact_view_model(view: M) -> M:
    """A copy of `view` with every string (keys included) passed through `redact`."""
    return type(view).model_validate(_redact_any(view.model_dump()))


def status_of(result: ScoreRecord) -> str:
    """'valid', or the first reason the candidate is not."""
    if result.error is not None:
        return result.error.error_type
    if not result.validity.applies:
        return "patch does not apply"
    if not result.validity.parses:
        return "does not parse"
    if result.validity.undefined_names:
        return "undefined: " + ", ".join(result.validity.undefined_names)
    return "valid"


def _model_order(results: Sequence[ScoreRecord]) -> list[ScoreRecord]:
    """Ranked results first by rank, unranked after them; input order breaks ties."""
    indexed = list(enumerate(results))
    indexed.sort(key=lambda item: (item[1].rank is None, item[1].rank or 0, item[0]))
    return [result for _, result in indexed]


def _bars(scores: Sequence[float | None]) -> list[float]:
    finite = [s for s in scores if s is not None and math.isfinite(s)]
    if not finite:
        return [0.0 for _ in scores]
    low, high = min(finite), max(finite)
    span = high - low
    bars: list[float] = []
    for score in scores:
        if score is None or not math.isfinite(score):
            bars.append(0.0)
        else:
            bars.append(1.0 if span == 0 else (score - low) / span)
    return bars


def _candidate(result: ScoreRecord, *, position: int, bar: float, before: str) -> CandidateView:
    after = redact(result.after_code) if result.after_code is not None else None
    diff = (
        unified_diff(before, after, name=redact(result.candidate_id)) if after is not None else ""
    )
    added, removed = line_counts(diff)
    return CandidateView(
        position=position,
        rank=result.rank,
        candidate_id=result.candidate_id,
        origin=result.origin,
        valid=result.error is None and result.validity.ok,
        status=status_of(result),
        final_score=result.final_score,
        bar=bar,
        energy=result.energy,
        no_action_energy=result.no_action_energy,
        action_gain=result.action_gain,
        consensus=result.consensus,
        baseline_scores=dict(result.baseline_scores),
        baseline_ranks={},
        validity=result.validity,
        error=result.error,
        execution=result.execution,
        warnings=list(result.warnings),
        after_code=after,
        changed=after is not None and after != before,
        lines_added=added,
        lines_removed=removed,
        unified_diff=diff,
        diff_lines=unified_lines(diff),
        side_by_side=side_by_side(before, after) if after is not None else [],
    )


def _baseline_names(
    rows: Sequence[CandidateView], explicit: Mapping[str, Sequence[str]] | None
) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row.baseline_scores))
    names.update(dict.fromkeys(explicit or {}))
    names.pop(MODEL_ORDER, None)
    return list(names)


def _baseline_order(
    rows: Sequence[CandidateView],
    name: str,
    explicit: Mapping[str, Sequence[str]] | None,
    *,
    higher: bool,
) -> list[str]:
    if explicit is not None and name in explicit:
        known = {row.candidate_id for row in rows}
        unknown = [cid for cid in explicit[name] if cid not in known]
        if unknown:
            raise InputError(
                f"baseline order {name!r} names unknown candidates: {', '.join(unknown)}",
                remediation="Pass orders that use the candidate ids of the rerank record.",
            )
        return list(dict.fromkeys(explicit[name]))
    scored = [row for row in rows if name in row.baseline_scores]
    sign = -1.0 if higher else 1.0
    scored.sort(key=lambda row: (sign * row.baseline_scores[name], row.position))
    return [row.candidate_id for row in scored]


def _ranks(candidate_id: str, orders: Sequence[RankerOrder]) -> dict[str, int]:
    """This candidate's 1-based place in each order that contains it."""
    return {
        order.name: order.candidate_ids.index(candidate_id) + 1
        for order in orders
        if candidate_id in order.candidate_ids
    }


def _facts(rerank: RerankRecord, extra: dict[str, str] | None) -> dict[str, str]:
    facts = {
        "checkpoint": rerank.checkpoint_id,
        "checkpoint sha256": rerank.checkpoint_sha256,
        "input digest": rerank.input_digest,
        "before sha256": rerank.before_sha256,
        "candidates": str(len(rerank.results)),
        "executed": "yes" if rerank.executed else "no",
    }
    facts.update(extra or {})
    return facts


def _isolation(results: Sequence[ScoreRecord]) -> list[str]:
    layers: dict[str, None] = {}
    for result in results:
        if result.execution is not None:
            layers.update(dict.fromkeys(result.execution.isolation))
    return list(layers)


def printable(text: str) -> str:
    """`text` with control characters (but newline and tab), ANSI/OSC escape sequences' ESC and
    bidirectional-override characters replaced by visible escapes, so untrusted text cannot drive
    a terminal (set its title, clear it, recolour it) or reorder what a reader sees."""
    if text.isprintable() or not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _redact_any(value: Any) -> Any:
    if isinstance(value, str):
        return printable(redact(value))
    if isinstance(value, dict):
        return {_redact_any(key): _redact_any(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_any(item) for item in value]
    return value
