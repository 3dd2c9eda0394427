"""Type and size checks of the public Python API's arguments, before any work (`InputError`, exit 2).

`Reranker.rerank` / `score` / `rerank_files` call these first, so a wrong type or text that is not
valid Unicode is refused with a message that names the argument, instead of an `AttributeError` or a
`TypeError` from deep inside the tokenizer. The API's limits (this docstring is their reference):

    before        str, valid Unicode (no lone surrogates), at most MAX_BEFORE_BYTES in UTF-8
                  (the limit of a before file; the work of every candidate grows with the before)
    instruction   str or None, valid Unicode, at most MAX_INSTRUCTION_CHARS characters
    candidates    a sequence of str (or UTF-8 bytes), or a mapping id -> text; a candidate over its
                  own limit (MAX_CANDIDATE_BYTES) is kept with an error, as a file would be
    ids           None, or one str or None per candidate, valid Unicode, at most 200 characters
    before_path   str or None, valid Unicode, at most 4096 characters

The HTTP server has its own, tighter limits (`server.schemas.ServerLimits`, GET /v1/model).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Final

from codelewm.code.candidates import MAX_CANDIDATE_BYTES
from codelewm.errors import InputError

MAX_BEFORE_BYTES: Final = MAX_CANDIDATE_BYTES
MAX_INSTRUCTION_CHARS: Final = 16_384
MAX_ID_CHARS: Final = 200
MAX_PATH_CHARS: Final = 4096


def lone_surrogate(text: str) -> int | None:
    """The position of the first lone surrogate in `text` (not valid Unicode), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def check_text(name: str, value: object, *, max_chars: int | None = None) -> str:
    """`value` when it is a str of valid Unicode within `max_chars`; InputError naming `name` otherwise."""
    if not isinstance(value, str):
        hint = " (decode it first: data.decode('utf-8'))" if isinstance(value, bytes) else ""
        raise InputError(
            f"{name} must be a str, not {type(value).__name__}{hint}",
            remediation=f"Pass {name} as text (str).",
        )
    position = lone_surrogate(value)
    if position is not None:
        raise InputError(
            f"{name} is not valid Unicode: a lone surrogate at character {position}",
            remediation=f"Pass {name} as valid Unicode text (decode files as UTF-8, not surrogateescape).",
        )
    if max_chars is not None and len(value) > max_chars:
        raise InputError(
            f"{name} is {len(value):,} characters, over the limit of {max_chars:,}",
            remediation=f"Shorten {name}.",
        )
    return value


def check_optional_text(name: str, value: object, *, max_chars: int | None = None) -> None:
    if value is not None:
        check_text(name, value, max_chars=max_chars)


def check_before(before: object) -> None:
    text = check_text("before", before)
    size = len(text.encode("utf-8"))
    if size > MAX_BEFORE_BYTES:
        raise InputError(
            f"before is {size:,} bytes (UTF-8), over the limit of {MAX_BEFORE_BYTES:,}",
            remediation="Give the module or function the candidates edit, not a bundle.",
        )


def check_rerank_args(
    before: object,
    instruction: object,
    candidates: object,
    ids: object = None,
    before_path: object = None,
) -> None:
    """The arguments of `Reranker.rerank` (and `score`); raises InputError, returns nothing."""
    check_before(before)
    check_optional_text("instruction", instruction, max_chars=MAX_INSTRUCTION_CHARS)
    check_optional_text("before_path", before_path, max_chars=MAX_PATH_CHARS)
    if isinstance(candidates, Mapping):
        keys: Sequence[object] = list(candidates.keys())
        texts: Sequence[object] = list(candidates.values())
        for key in keys:
            check_text("a candidate id (mapping key)", key, max_chars=MAX_ID_CHARS)
    elif isinstance(candidates, str | bytes) or not isinstance(candidates, Sequence):
        what = "one string" if isinstance(candidates, str | bytes) else type(candidates).__name__
        raise InputError(
            f"candidates must be a sequence of texts or a mapping id -> text, not {what}",
            remediation="Use score() for one candidate, or pass [text].",
        )
    else:
        texts = candidates
    for position, text in enumerate(texts):
        if not isinstance(text, str | bytes):
            raise InputError(
                f"candidate {position} must be a str (or UTF-8 bytes), not {type(text).__name__}",
                remediation="Pass each candidate as its code or a unified diff, as text.",
            )
    if ids is not None:
        if isinstance(ids, str | bytes) or not isinstance(ids, Sequence):
            raise InputError(f"ids must be a sequence of str or None, not {type(ids).__name__}")
        for position, cid in enumerate(ids):
            check_optional_text(f"ids[{position}]", cid, max_chars=MAX_ID_CHARS)


def check_rerank_files_args(before: object, instruction: object, candidates: object) -> None:
    """The arguments of `Reranker.rerank_files` (and `score_files`): paths and text."""
    check_path("before", before)
    check_optional_text("instruction", instruction, max_chars=MAX_INSTRUCTION_CHARS)
    if isinstance(candidates, str | os.PathLike):
        check_path("candidates", candidates)
        return
    if not isinstance(candidates, Sequence):
        raise InputError(
            f"candidates must be a path or a sequence of paths, not {type(candidates).__name__}"
        )
    for position, path in enumerate(candidates):
        check_path(f"candidates[{position}]", path)


def check_path(name: str, value: object) -> None:
    """A str or os.PathLike (a file name may hold surrogate escapes: it is not text to encode)."""
    if not isinstance(value, str | os.PathLike):
        raise InputError(
            f"{name} must be a path (str or pathlib.Path), not {type(value).__name__}",
            remediation=f"Pass {name} as a file path.",
        )
