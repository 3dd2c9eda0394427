"""Training examples and batches: one before, its true after first, then hard negatives sharing the before.

Every example is drawn with its own `random.Random` seeded by (seed, epoch, index), so a batch depends
only on its position in the data order — the property exact resume rests on. Negatives, in order:
other pool members' afters (other instructions on the same before: the signal only the instruction can
resolve), the unedited before, a partial edit (a proper subset of the diff's hunks), seeded mutants of
the true after (`code.mutations`, only when the after is in canonical `ast.unparse` form so mutants do
not differ by formatting), then afters of other befores (decoys). Duplicates of the true after are
never negatives.
"""

from __future__ import annotations

import difflib
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from codelewm.checkpoint.features import (
    before_input,
    candidate_input,
    stack_actions,
    stack_sequences,
)
from codelewm.checkpoint.tokenizer import CodeTokenizer
from codelewm.code.mutations import mutants_of
from codelewm.data.labelled import read_labelled_pools
from codelewm.data.layout import read_transitions
from codelewm.errors import SourceUnavailableError
from codelewm.model.batch import Batch
from codelewm.model.edit_input import EditSequence
from codelewm.model.world_model import ModelConfig
from codelewm.records import RerankPool, Split, TransitionRecord
from codelewm.train.config import DataSection


@dataclass(frozen=True)
class Example:
    before: str
    instruction: str | None
    after: str
    siblings: tuple[
        tuple[str | None, str], ...
    ]  # (instruction, after) of other edits of this before
    # Members of the transition's sandbox-labelled pool (data/labelled.py): programs that FAILED the
    # task's checks (the behaviour-grounded negatives, drawn first) and ones that passed (equivalents
    # of the after: never negatives).
    failing: tuple[str, ...] = ()
    passing: tuple[str, ...] = ()
    # Real commits: (message, after) of the same function's neighbouring commits in history. Their
    # afters are negatives (another version of this function, as in the P1 history pools) and their
    # messages are swap actions (another real message about this function must not explain it).
    neighbours: tuple[tuple[str | None, str], ...] = ()


NEIGHBOURS = 4  # neighbouring commits of the same function, each side counted together


def group_examples(records: Iterable[TransitionRecord]) -> list[Example]:
    """One example per transition; siblings = the other edits of the same before (same group);
    for git transitions, neighbours = the nearest other commits of the same function."""
    by_before: dict[tuple[str, str], list[TransitionRecord]] = defaultdict(list)
    by_function: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    order: list[TransitionRecord] = []
    for rec in records:
        if rec.before == rec.after:
            continue
        by_before[(rec.group, rec.before)].append(rec)
        if rec.source == "git":
            by_function[(rec.group, rec.path, rec.symbol)].append(len(order))
        order.append(rec)
    examples = []
    for index, rec in enumerate(order):
        siblings = tuple(
            (other.instruction, other.after)
            for other in by_before[(rec.group, rec.before)]
            if other.after != rec.after
        )
        neighbours: tuple[tuple[str | None, str], ...] = ()
        if rec.source == "git":
            history = by_function[(rec.group, rec.path, rec.symbol)]
            near = sorted((i for i in history if i != index), key=lambda i: abs(i - index))
            neighbours = tuple(
                (order[i].instruction, order[i].after)
                for i in near[:NEIGHBOURS]
                if order[i].after not in (rec.after, rec.before)
            )
        examples.append(
            Example(rec.before, rec.instruction, rec.after, siblings, neighbours=neighbours)
        )
    return examples


def attach_labelled(
    examples: Sequence[Example], pools: Iterable[RerankPool], *, repeat: int
) -> list[Example]:
    """Examples whose (before, after) is a labelled pool's (before, reference) get its failing and
    passing members, and appear `repeat` times (they are few beside the mutation transitions and
    carry the only execution-grounded signal)."""
    members: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for pool in pools:
        reference = next(
            (c.code for c in pool.candidates if getattr(c, "origin", None) == "reference"), None
        )
        if reference is None:
            continue
        failing = tuple(c.code for c in pool.candidates if c.passed is False)
        passing = tuple(c.code for c in pool.candidates if c.passed and c.code != reference)
        members[(pool.before, reference)] = (failing, passing)
    out: list[Example] = []
    extra: list[Example] = []
    for ex in examples:
        found = members.get((ex.before, ex.after))
        if found is None:
            out.append(ex)
            continue
        labelled = replace(ex, failing=found[0], passing=found[1])
        out.append(labelled)
        extra += [labelled] * max(0, repeat - 1)
    return out + extra


def load_examples(
    dataset: Path, split: Split, *, limit: int | None = None, labelled_repeat: int = 1
) -> list[Example]:
    """The split's examples; the sandbox-labelled ones carry their pool's members."""
    examples = group_examples(read_transitions(dataset, split))
    examples = attach_labelled(
        examples, read_labelled_pools(dataset, split), repeat=labelled_repeat
    )
    if not examples:
        raise SourceUnavailableError(
            f"{dataset}: the {split} split holds no usable transitions",
            remediation="Build a dataset with a non-empty split: `codelewm dataset build ...`.",
        )
    return examples[:limit] if limit is not None else examples


def partial_edit(before: str, after: str, rng: random.Random) -> str | None:
    """Apply a random proper, non-empty subset of the line-level hunks of before -> after."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    hunks = [i for i, op in enumerate(opcodes) if op[0] != "equal"]
    if len(hunks) < 2:
        return None
    chosen = set(rng.sample(hunks, rng.randint(1, len(hunks) - 1)))
    out: list[str] = []
    for i, (op, i1, i2, j1, j2) in enumerate(opcodes):
        out += b[j1:j2] if (op == "equal" or i in chosen) else a[i1:i2]
    return "".join(out)


class BatchBuilder:
    """Turns example indices into a `Batch`; caches the token ids of every dataset text."""

    def __init__(
        self,
        examples: Sequence[Example],
        tokenizer: CodeTokenizer,
        data: DataSection,
        model: ModelConfig,
        *,
        seed: int,
        action_dropout: float,
    ) -> None:
        self.examples = examples
        self.tokenizer = tokenizer
        self.data = data
        self.model = model
        self.seed = seed
        self.action_dropout = action_dropout
        texts = sorted({t for ex in examples for t in _texts(ex)})
        self._ids = dict(zip(texts, tokenizer.encode_batch(texts), strict=True))

    def ids(self, text: str) -> list[int]:
        cached = self._ids.get(text)
        return cached if cached is not None else self.tokenizer.encode(text)

    def candidates(self, index: int, rng: random.Random) -> list[str]:
        ex = self.examples[index]
        failing = list(ex.failing)
        rng.shuffle(failing)
        pool = [after for _, after in ex.siblings]
        rng.shuffle(pool)
        history = [after for _, after in ex.neighbours]
        rng.shuffle(history)
        pool = failing + pool + history
        if self.data.negatives_before:
            pool.append(ex.before)
        if self.data.negatives_partial:
            partial = partial_edit(ex.before, ex.after, rng)
            if partial is not None:
                pool.append(partial)
        pool += mutants_of(ex.after, self.data.negatives_mutants, rng)
        for _ in range(self.data.negatives_decoys):
            pool.append(self.examples[rng.randrange(len(self.examples))].after)
        out = [ex.after]
        room = self.data.candidates - min(self.data.passing_members, len(ex.passing))
        for text in pool:
            if text in ex.passing:  # an equivalent of the after is never a negative
                continue
            if text not in out and len(out) < room:
                out.append(text)
        return out

    def labelled_candidates(self, index: int, rng: random.Random) -> tuple[list[str], list[int]]:
        """`candidates` plus up to `passing_members` passing members, and each one's label: 1 passed
        (an equivalent), -1 failed the task's checks, 0 not labelled (the after, other negatives)."""
        ex = self.examples[index]
        texts = self.candidates(index, rng)
        failing = set(ex.failing)
        labels = [-1 if i and text in failing else 0 for i, text in enumerate(texts)]
        equivalents = [t for t in ex.passing if t not in texts]
        rng.shuffle(equivalents)
        for text in equivalents[: self.data.passing_members]:
            texts.append(text)
            labels.append(1)
        return texts, labels

    def example_rng(self, index: int, epoch: int) -> random.Random:
        return random.Random(f"{self.seed}:{epoch}:{index}")

    def build(self, indices: Sequence[int], epoch: int) -> Batch:
        cfg, k = self.model, self.data.candidates
        n_actions = 1 + self.data.swap_actions
        befores: list[EditSequence] = []
        cands: list[EditSequence] = []
        valid = torch.zeros(len(indices), k, dtype=torch.bool)
        labels = torch.zeros(len(indices), k, dtype=torch.long)
        actions: list[list[int] | None] = []
        action_valid = torch.zeros(len(indices), n_actions, dtype=torch.bool)
        drop = torch.zeros(len(indices), dtype=torch.bool)
        empty = EditSequence((), (), ())
        for row, index in enumerate(indices):
            ex, rng = self.examples[index], self.example_rng(index, epoch)
            before_ids = self.ids(ex.before)
            befores.append(before_input(before_ids, cfg))
            texts, row_labels = self.labelled_candidates(index, rng)
            for col in range(k):
                if col < len(texts):
                    cands.append(
                        candidate_input(before_ids, self.ids(texts[col]), cfg, self.tokenizer)
                    )
                    valid[row, col] = True
                    labels[row, col] = row_labels[col]
                else:
                    cands.append(empty)
            related = (*ex.siblings, *ex.neighbours)
            others = sorted({i for i, _ in related if i and i != ex.instruction})
            rng.shuffle(others)
            row_actions = [ex.instruction, *others[: self.data.swap_actions]]
            for col in range(n_actions):
                text = row_actions[col] if col < len(row_actions) else None
                actions.append(self.ids(text) if text else None)
                action_valid[row, col] = bool(text)
            drop[row] = ex.instruction is not None and rng.random() < self.action_dropout
        b_ids, b_tags, b_changed = stack_sequences(befores, cfg.max_len)
        c_ids, c_tags, c_changed = stack_sequences(cands, cfg.max_len)
        a_ids, a_mask = stack_actions(actions, cfg.action_max_len)
        b = len(indices)
        return Batch(
            before_ids=b_ids,
            before_tags=b_tags,
            before_changed=b_changed,
            cand_ids=c_ids.view(b, k, -1),  # (B, K, T)
            cand_tags=c_tags.view(b, k, -1),
            cand_changed=c_changed.view(b, k, -1),
            cand_valid=valid,
            action_ids=a_ids.view(b, n_actions, -1),  # (B, A, L)
            action_mask=a_mask.view(b, n_actions, -1),
            action_valid=action_valid,
            drop_action=drop,
            cand_label=labels,
        )


def epoch_order(n: int, *, seed: int, epoch: int, rank: int, world: int) -> list[int]:
    """This rank's share of a seeded permutation of range(n) (every rank gets the same count)."""
    order = list(range(n))
    random.Random(f"{seed}:order:{epoch}").shuffle(order)
    per_rank = n // world
    return order[rank * per_rank : (rank + 1) * per_rank]


def _texts(ex: Example) -> list[str]:
    texts = [ex.before, ex.after, *ex.failing]
    texts += [t for pair in ex.neighbours for t in pair if t]
    texts += [after for _, after in ex.siblings]
    texts += [i for i, _ in ex.siblings if i]
    if ex.instruction:
        texts.append(ex.instruction)
    return texts


def tokenizer_corpus(examples: Sequence[Example], *, limit: int) -> list[str]:
    """Befores, afters and instructions of the training split, deduplicated, in a stable order."""
    seen: dict[str, None] = {}
    for ex in examples:
        for text in (ex.before, ex.after, ex.instruction):
            if text and text not in seen:
                seen[text] = None
                if len(seen) >= limit:
                    return list(seen)
    return list(seen)
