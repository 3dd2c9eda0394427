"""The code tokenizer shared by training and scoring: a byte-level BPE `tokenizers.Tokenizer` + helpers.

Id 0 is `<pad>`, id 1 is `<gap>` (a skipped stretch in a windowed candidate). `tokenizer.json` travels in
every checkpoint; `train_tokenizer` trains it (training calls it on the training split only).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from codelewm.errors import CheckpointError

PAD_TOKEN = "<pad>"
GAP_TOKEN = "<gap>"
SPECIAL_TOKENS = (PAD_TOKEN, GAP_TOKEN)


class CodeTokenizer:
    """encode / encode_batch / pad; knows which ids hold a newline (for changed-line flags)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        for expected_id, token in enumerate(SPECIAL_TOKENS):
            if tokenizer.token_to_id(token) != expected_id:
                raise CheckpointError(
                    f"tokenizer has no {token} at id {expected_id}",
                    remediation="Use a tokenizer.json written by `codelewm train`.",
                )
        self.tokenizer = tokenizer
        self.pad_id = 0
        self.gap_id = 1
        vocab = tokenizer.get_vocab()
        # Byte-level BPE spells "\n" as "Ċ" inside tokens.
        self.newline_ids = frozenset(i for tok, i in vocab.items() if "Ċ" in tok or "\n" in tok)

    @classmethod
    def from_file(cls, path: Path) -> CodeTokenizer:
        try:
            return cls(Tokenizer.from_file(str(path)))
        except Exception as exc:  # tokenizers raises a bare Exception on a bad file
            if isinstance(exc, CheckpointError):
                raise
            raise CheckpointError(f"{path} is not a valid tokenizer.json: {exc}") from exc

    @property
    def vocab_size(self) -> int:
        return int(self.tokenizer.get_vocab_size())

    def save(self, path: Path) -> None:
        self.tokenizer.save(str(path))

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text).ids)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [list(enc.ids) for enc in self.tokenizer.encode_batch(list(texts))]

    def decode(self, ids: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(ids)))

    @staticmethod
    def pad(rows: Sequence[Sequence[int]], length: int, *, value: int = 0) -> list[list[int]]:
        """Truncate or right-pad every row to `length`."""
        return [list(row[:length]) + [value] * max(0, length - len(row)) for row in rows]


def train_tokenizer(
    texts: Iterable[str], *, vocab_size: int, min_frequency: int = 2
) -> CodeTokenizer:
    """A byte-level BPE with `<pad>`=0 and `<gap>`=1; deterministic for the same texts in the same order."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return CodeTokenizer(tokenizer)
