"""Build `TransitionRecord`s with their content-derived ids (what every source calls)."""

from __future__ import annotations

import hashlib

from codelewm.records import InstructionKind, JsonScalar, TransitionRecord, TransitionSource


def transition_id(
    source: str,
    group: str,
    path: str,
    symbol: str,
    before: str,
    instruction: str | None,
    after: str,
) -> str:
    """sha256 prefix (24 hex) of the fields that identify a transition."""
    digest = hashlib.sha256()
    for part in (source, group, path, symbol, before, instruction or "\x00none", after):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:24]


def new_transition(
    *,
    source: TransitionSource,
    group: str,
    path: str,
    symbol: str,
    before: str,
    after: str,
    instruction: str | None,
    instruction_kind: InstructionKind,
    context: str = "",
    truncated: list[str] | None = None,
    license: str | None = None,
    meta: dict[str, JsonScalar] | None = None,
) -> TransitionRecord:
    """A record with `transition_id` filled in and `split` left for the build."""
    return TransitionRecord(
        transition_id=transition_id(source, group, path, symbol, before, instruction, after),
        source=source,
        group=group,
        path=path,
        symbol=symbol,
        before=before,
        after=after,
        instruction=instruction,
        instruction_kind=instruction_kind,
        context=context,
        truncated=truncated or [],
        license=license,
        meta=meta or {},
    )
