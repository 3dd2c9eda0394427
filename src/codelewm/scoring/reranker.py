"""`Reranker`: score and rerank untrusted candidates with a checkpoint scorer, producing typed records.

One call = one before, one instruction (None = no instruction) and K candidates (full after-states or
unified diffs against the before). Each candidate is loaded without execution (`code.candidates`:
patches applied in memory, pyflakes for names); every candidate that yields an after-state that parses
goes through the model in ONE `score_queries` call, and through the baselines beside it.

Order of the result (`rank` 1 = best):
1. scored candidates without new undefined names (names pyflakes finds undefined in the candidate but
   not in the before), by `final_score`, highest first;
2. scored candidates that add undefined names (a likely NameError), by `final_score`;
3. invalid candidates (refused, patch does not apply, does not parse): `final_score` None, their
   `error` says why and how to fix it; input order.
Ties keep the input order.

`ScoreRecord.baseline_scores` hold each baseline's score HIGHER = better (the negated baseline energy),
as the views expect (`baseline_higher_is_better=True`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from codelewm.artifacts.digest import canonical_json
from codelewm.checkpoint.calibrator import Calibrator
from codelewm.code.candidates import (
    MAX_CANDIDATE_BYTES,
    LoadedCandidate,
    candidate_from_text,
    dedent_call,
    load_candidates,
    skipped_files,
    unique_ids,
)
from codelewm.code.validity import static_check
from codelewm.errors import InputError
from codelewm.records import RerankRecord, ScoreRecord
from codelewm.scoring.baselines import (
    BM25Scorer,
    ConsensusScorer,
    LexicalScorer,
    NoActionScorer,
    ValidityScorer,
)
from codelewm.scoring.inputs import check_rerank_args, check_rerank_files_args
from codelewm.scoring.protocol import TERM_PREFIX, PoolScores, Query, Scorer
from codelewm.scoring.recommend import recommend
from codelewm.scoring.trust import model_trust

MAX_BEFORE_BYTES: Final = MAX_CANDIDATE_BYTES
NOOP_WARNING: Final = "no-op: the candidate is identical to the before"


class CheckpointScorer(Scorer, Protocol):
    """A Scorer that names the checkpoint it runs (the world model)."""

    checkpoint_id: str
    checkpoint_sha256: str


def default_baselines() -> dict[str, Scorer]:
    """The baselines shown beside the model in every record."""
    return {
        "lexical": LexicalScorer(),
        "bm25": BM25Scorer(),
        "no-action": NoActionScorer(),
        "consensus": ConsensusScorer(),
        "validity": ValidityScorer(),
    }


@dataclass(frozen=True)
class _Scored:
    """Model and baseline numbers of one scored candidate."""

    components: dict[str, float]
    final_score: float
    baselines: dict[str, float]


class Reranker:
    """Scores candidates with `scorer` (a checkpoint's world model) and the baselines beside it."""

    def __init__(
        self,
        scorer: CheckpointScorer,
        *,
        baselines: Mapping[str, Scorer] | None = None,
        warnings: Sequence[str] = (),
        info: Mapping[str, Any] | None = None,
        before_checks: Sequence[Callable[[str], str | None]] = (),
    ) -> None:
        self.scorer = scorer
        self.baselines = dict(default_baselines() if baselines is None else baselines)
        self.load_warnings = tuple(warnings)
        self.info: dict[str, Any] = dict(info or {})  # facts about the checkpoint, for /v1/model
        self.before_checks = tuple(before_checks)  # each returns a call warning about the before

    @property
    def checkpoint_id(self) -> str:
        return self.scorer.checkpoint_id

    @property
    def checkpoint_sha256(self) -> str:
        return self.scorer.checkpoint_sha256

    @property
    def execution_calibrator(self) -> Calibrator | None:
        """The checkpoint's execution-aware calibrator (`calibrator_execution.json`), for the opt-in
        `--execute examples` step above scoring; None when the checkpoint has none."""
        found = getattr(self.scorer, "execution_calibrator", None)
        return found if isinstance(found, Calibrator) else None

    # --- text API ---------------------------------------------------------------------------------

    def score(
        self,
        before: str,
        instruction: str | None,
        candidate: str,
        *,
        candidate_id: str | None = None,
        before_path: str | None = None,
    ) -> ScoreRecord:
        """One candidate (full code or a unified diff against `before`) -> `codelewm.score.v1`."""
        ids = None if candidate_id is None else [candidate_id]
        rerank = self.rerank(before, instruction, [candidate], ids=ids, before_path=before_path)
        return rerank.results[0].model_copy(update={"warnings": _merged(rerank)})

    def rerank(
        self,
        before: str,
        instruction: str | None,
        candidates: Sequence[str] | Mapping[str, str],
        *,
        ids: Sequence[str | None] | None = None,
        before_path: str | None = None,
    ) -> RerankRecord:
        """K candidates (texts, or a mapping id -> text) -> `codelewm.rerank.v1`, best first.

        `ids` names the texts (None entries get `cand-<sha256[:12]>`); repeats become `-2`, `-3`...
        Wrong types, invalid Unicode and a before over its limit raise InputError (`scoring.inputs`).
        """
        check_rerank_args(before, instruction, candidates, ids, before_path)
        texts, given = _texts_and_ids(candidates, ids)
        loaded = []
        for text, cid in zip(texts, given, strict=True):
            loaded.append(
                candidate_from_text(text, before=before, candidate_id=cid, before_path=before_path)
            )
        final_ids = unique_ids([c.candidate_id for c in loaded])
        loaded = [_with_id(c, cid) for c, cid in zip(loaded, final_ids, strict=True)]
        return self.rerank_loaded(before, instruction, loaded)

    # --- file API ---------------------------------------------------------------------------------

    def score_files(
        self, *, before: Path | str, instruction: str | None, candidate: Path | str
    ) -> ScoreRecord:
        """`score` with the before and the candidate read from files."""
        rerank = self.rerank_files(before=before, instruction=instruction, candidates=[candidate])
        if len(rerank.results) != 1:
            raise InputError(
                f"score takes one candidate; {str(candidate)!r} holds {len(rerank.results)}",
                remediation="Use rerank for a directory of candidates.",
            )
        return rerank.results[0].model_copy(update={"warnings": _merged(rerank)})

    def rerank_files(
        self,
        *,
        before: Path | str,
        instruction: str | None,
        candidates: Sequence[Path | str] | Path | str,
    ) -> RerankRecord:
        """`rerank` with the before and candidates read from files, .patch/.diff or directories."""
        check_rerank_files_args(before, instruction, candidates)
        before_file = Path(before)
        before_text = read_before(before_file)
        paths = (
            [Path(candidates)]
            if isinstance(candidates, str | Path)
            else list(map(Path, candidates))
        )
        loaded = load_candidates(paths, before=before_text, before_path=str(before_file))
        record = self.rerank_loaded(before_text, instruction, loaded)
        skipped = skipped_files(paths)
        if not skipped:
            return record
        note = (
            f"skipped {len(skipped)} file(s) that are not candidates (only .py, .patch and .diff "
            f"are read; rename them to rank them): {', '.join(skipped)}"
        )
        return record.model_copy(update={"warnings": [note, *record.warnings]})

    # --- core -------------------------------------------------------------------------------------

    def rerank_loaded(
        self, before: str, instruction: str | None, loaded: Sequence[LoadedCandidate]
    ) -> RerankRecord:
        """Rank already loaded candidates: all scoreable ones go through the model in one call."""
        if not loaded:
            raise InputError("no candidates given", remediation="Give at least one candidate.")
        before_sha = hashlib.sha256(before.encode("utf-8", "surrogatepass")).hexdigest()  # as given
        before, loaded, dedent_width = dedent_call(before, loaded)
        action = instruction if instruction and instruction.strip() else None
        scoreable = [i for i, c in enumerate(loaded) if c.error is None and c.after is not None]
        scored = self._score_pool(before, action, [loaded[i].after or "" for i in scoreable])
        by_index = dict(zip(scoreable, scored, strict=True))
        before_names = set(undefined_in_before(before))
        records = [
            self._record(
                c, by_index.get(i), before, before_names, before_sha, action, len(scoreable)
            )
            for i, c in enumerate(loaded)
        ]
        ranked = rank_records(records, before_names)
        return RerankRecord(
            instruction=action,
            before_sha256=before_sha,
            input_digest=input_digest(before_sha, action, [c.record.sha256 for c in loaded]),
            checkpoint_id=self.checkpoint_id,
            checkpoint_sha256=self.checkpoint_sha256,
            results=ranked,
            recommendation=recommend(ranked, usable=lambda r: _tier(r, before_names) == 0),
            dedented_columns=dedent_width,
            trust=model_trust(self.checkpoint_id),
            warnings=[
                *([dedent_note(dedent_width)] if dedent_width else []),
                *self._call_warnings(instruction, action, len(scoreable), len(loaded)),
                *(note for check in self.before_checks if (note := check(before)) is not None),
            ],
        )

    def _score_pool(
        self, before: str, instruction: str | None, afters: Sequence[str]
    ) -> list[_Scored]:
        if not afters:
            return []
        query = Query(before=before, instruction=instruction, candidates=tuple(afters))
        model = self.scorer.score_queries([query])[0]
        baselines = {name: s.score_queries([query])[0] for name, s in self.baselines.items()}
        return [
            _Scored(
                components=_components(model, k),
                final_score=_final(model, k),
                baselines={name: _higher_is_better(p.energies[k]) for name, p in baselines.items()},
            )
            for k in range(len(afters))
        ]

    def _record(
        self,
        candidate: LoadedCandidate,
        scored: _Scored | None,
        before: str,
        before_names: set[str],
        before_sha: str,
        instruction: str | None,
        n_scored: int,
    ) -> ScoreRecord:
        warnings = list(candidate.warnings)
        if candidate.after is not None and candidate.after == before:
            warnings.append(NOOP_WARNING)
        new_names = [n for n in candidate.validity.undefined_names if n not in before_names]
        if scored is not None and new_names:
            warnings.append(
                "undefined names not undefined in the before: "
                + ", ".join(new_names)
                + " (ranked after candidates without)"
            )
        comp = scored.components if scored is not None else {}
        baselines = dict(scored.baselines) if scored is not None else {}
        if n_scored == 1:  # consensus among one candidate means nothing: n/a, not a number
            baselines.pop("consensus", None)
        return ScoreRecord(
            candidate_id=candidate.candidate_id,
            origin=candidate.record.origin,
            final_score=scored.final_score if scored is not None else None,
            energy=comp.get("energy"),
            no_action_energy=comp.get("no_action_energy"),
            action_gain=comp.get("action_gain"),
            consensus=comp.get("consensus") if n_scored > 1 else None,
            signal_terms={
                name[len(TERM_PREFIX) :]: value
                for name, value in comp.items()
                if name.startswith(TERM_PREFIX)
            },
            baseline_scores=baselines,
            validity=candidate.validity,
            after_code=candidate.after,
            error=candidate.error,
            checkpoint_id=self.checkpoint_id,
            checkpoint_sha256=self.checkpoint_sha256,
            input_digest=input_digest(before_sha, instruction, [candidate.record.sha256]),
            warnings=warnings,
        )

    def _call_warnings(
        self, given: str | None, action: str | None, n_scored: int, n_total: int
    ) -> list[str]:
        warnings = list(self.load_warnings)
        if action is None:
            kind = "empty" if given is not None else "none"
            warnings.append(
                f"no instruction ({kind}): energies use the learned null action, action_gain is 0"
            )
        if n_scored == 0:
            warnings.append(f"none of the {n_total} candidates could be scored: all are invalid")
        elif n_scored == 1 and n_total > 1:
            warnings.append("only one candidate could be scored: the ranking is trivial")
        return warnings


def dedent_note(columns: int) -> str:
    return (
        f"dedented: the before and candidates are indented by {columns} columns (code cut from a "
        "class or function); they were scored with that indent removed"
    )


@functools.lru_cache(maxsize=256)  # a server sees the same before with many candidate sets
def undefined_in_before(before: str) -> tuple[str, ...]:
    """Names pyflakes finds undefined in the before itself (not the candidates' fault)."""
    return tuple(static_check(before).validity.undefined_names)


def rank_records(records: Sequence[ScoreRecord], before_names: set[str]) -> list[ScoreRecord]:
    """The records with `rank` set, in rank order (see the module docstring)."""

    def key(item: tuple[int, ScoreRecord]) -> tuple[int, float, int]:
        index, record = item
        return (_tier(record, before_names), -(record.final_score or 0.0), index)

    ordered = sorted(enumerate(records), key=key)
    return [r.model_copy(update={"rank": n}) for n, (_, r) in enumerate(ordered, start=1)]


def _tier(record: ScoreRecord, before_names: set[str]) -> int:
    if record.final_score is None:
        return 2
    if any(n not in before_names for n in record.validity.undefined_names):
        return 1
    return 0


def input_digest(before_sha256: str, instruction: str | None, candidate_shas: Sequence[str]) -> str:
    """sha256 of the canonical JSON of the before's sha, the instruction and the candidates' shas."""
    payload = {
        "before_sha256": before_sha256,
        "instruction": instruction,
        "candidate_sha256": list(candidate_shas),
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def read_before(path: Path) -> str:
    """The before file as text: a regular UTF-8 file under `MAX_BEFORE_BYTES`."""
    if not path.exists():
        raise InputError(
            f"before file {str(path)!r} does not exist",
            remediation="Pass --before with the file the candidates edit.",
        )
    if path.is_symlink() or not path.is_file():
        raise InputError(f"before {str(path)!r} is not a regular file (symlinks are refused)")
    data = path.read_bytes()
    if len(data) > MAX_BEFORE_BYTES:
        raise InputError(
            f"before file {str(path)!r} is {len(data):,} bytes, over {MAX_BEFORE_BYTES:,}",
            remediation="Give the module or function the candidates edit, not a bundle.",
        )
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"before file {str(path)!r} is not valid UTF-8: {exc.reason} at byte {exc.start}",
            remediation="Save the before file as UTF-8.",
        ) from exc


def _texts_and_ids(
    candidates: Sequence[str] | Mapping[str, str], ids: Sequence[str | None] | None
) -> tuple[list[str], list[str | None]]:
    if isinstance(candidates, str):
        raise InputError(
            "candidates must be a sequence of texts, not one string",
            remediation="Use score() for one candidate, or pass [text].",
        )
    if isinstance(candidates, Mapping):
        if ids is not None:
            raise InputError("give candidate ids either as mapping keys or as ids=, not both")
        return list(candidates.values()), list(candidates.keys())
    texts = list(candidates)
    if ids is not None and len(ids) != len(texts):
        raise InputError(f"{len(ids)} ids for {len(texts)} candidates")
    return texts, list(ids) if ids is not None else [None] * len(texts)


def _with_id(candidate: LoadedCandidate, cid: str) -> LoadedCandidate:
    if cid == candidate.candidate_id:
        return candidate
    record = candidate.record.model_copy(update={"candidate_id": cid})
    return LoadedCandidate(
        record, candidate.after, candidate.validity, candidate.error, candidate.warnings
    )


def _components(scores: PoolScores, k: int) -> dict[str, float]:
    out = {name: float(values[k]) for name, values in scores.components.items()}
    out.setdefault("energy", float(scores.energies[k]))
    return out


def _final(scores: PoolScores, k: int) -> float:
    values = scores.components.get("final_score")
    return float(values[k]) if values is not None else -float(scores.energies[k])


def _higher_is_better(energy: float) -> float:
    return -float(energy) + 0.0  # + 0.0 turns -0.0 into 0.0


def _merged(rerank: RerankRecord) -> list[str]:
    return [*rerank.warnings, *rerank.results[0].warnings]
