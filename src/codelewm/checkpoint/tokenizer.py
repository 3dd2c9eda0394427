"""The code tokenizer shared by training and scoring: a byte-level BPE `tokenizers.Tokenizer` + helpers.

Id 0 is `<pad>`, id 1 is `<gap>` (a skipped stretch in a windowed candidate). `tokenizer.json` travels in
every checkpoint; `train/tokenizer.py` trains it on the training split only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer

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
