"""Probe inputs for behaviour clusters: the calls of a task's examples with their literal arguments
perturbed (no expected output: only what each candidate returns is compared).

Candidates that pass every example agree on the examples' inputs by construction, so clusters over
those inputs cannot separate them; over inputs near the examples' they can (MBR-exec, Shi et al.
2022, clusters candidates by their outputs on test inputs). `probe_calls` takes each example's probed
call (`code.examples.probe_of`: `f(x)` of `assert f(x) == y`, a doctest's expression) and replaces one
literal argument at a time by a nearby value of the same type:

    int     n + 1, n - 1, 0, -n          float   2x, x + 1.5        bool  not b
    str     reversed, without its first character, with its first character repeated, ""
    list / tuple   reversed, without the first item, with the first item repeated, sorted

Only arguments that `ast.literal_eval` reads are changed (a name or a call stays as written), every
probe is a single call of the example's own function, at most `MAX_PROBES`, in a fixed order (no
randomness), none longer than `MAX_PROBE_CHARS`. Pure text: nothing here runs code.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator, Sequence
from typing import Final

from codelewm.code.examples import Example, probe_of

MAX_PROBES: Final = 8
MAX_PROBE_CHARS: Final = 300
_BIG: Final = 10**9


def probe_calls(examples: Sequence[Example], *, limit: int = MAX_PROBES) -> list[str]:
    """Up to `limit` perturbed calls of the examples' probed calls (see the module docstring),
    taken round-robin over the examples so that every example contributes; never one of the
    examples' own probes."""
    own = own_in_order(examples)
    streams = [_perturbed(p) for p in own]
    out: list[str] = []
    while streams and len(out) < limit:
        alive = []
        for stream in streams:
            probe = next(stream, None)
            if probe is None:
                continue
            alive.append(stream)
            if probe not in own and probe not in out and len(probe) <= MAX_PROBE_CHARS:
                out.append(probe)
                if len(out) >= limit:
                    break
        streams = alive
    return out


def own_in_order(examples: Sequence[Example]) -> list[str]:
    """The examples' probed calls, first occurrence order, each once."""
    seen: dict[str, None] = {}
    for example in examples:
        probe = probe_of(example)
        if probe is not None:
            seen.setdefault(probe, None)
    return list(seen)


def _perturbed(probe: str) -> Iterator[str]:
    try:
        tree = ast.parse(probe, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    call = tree.body
    if not isinstance(call, ast.Call):
        return
    slots: list[tuple[str, int | str, object]] = []
    for i, arg in enumerate(call.args):
        value = _literal(arg)
        if value is not _NOT_LITERAL:
            slots.append(("arg", i, value))
    for keyword in call.keywords:
        if keyword.arg is not None:
            value = _literal(keyword.value)
            if value is not _NOT_LITERAL:
                slots.append(("kw", keyword.arg, value))
    variants = [(slot, list(_variants(slot[2]))) for slot in slots]
    depth = max((len(v) for _, v in variants), default=0)
    for k in range(depth):  # first variant of every argument, then the second ...
        for (where, key, _), values in variants:
            if k >= len(values):
                continue
            replaced = _with(call, where, key, values[k])
            if replaced is not None:
                yield replaced


_NOT_LITERAL = object()


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL


def _variants(value: object) -> Iterator[object]:
    if isinstance(value, bool):
        yield not value
    elif isinstance(value, int):
        if abs(value) < _BIG:
            yield from (value + 1, value - 1, 0, -value)
    elif isinstance(value, float):
        yield from (value * 2, value + 1.5)
    elif isinstance(value, str):
        yield from (value[::-1], value[1:], value[:1] + value, "")
    elif isinstance(value, list | tuple) and value:
        kind = type(value)
        yield from (kind(reversed(value)), kind(value[1:]), kind([value[0], *value]))
        try:
            ordered = sorted(value)
        except TypeError:  # items that do not compare
            return
        yield kind(ordered)


def _with(call: ast.Call, where: str, key: int | str, value: object) -> str | None:
    try:
        node = ast.parse(repr(value), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    new = copy.deepcopy(call)
    if where == "arg" and isinstance(key, int):
        new.args[key] = node
    else:
        for keyword in new.keywords:
            if keyword.arg == key:
                keyword.value = node
    return ast.unparse(new)


def probe_examples(probes: Sequence[str]) -> list[Example]:
    """The probes as `check_program` examples of kind `probe`: each prints what the candidate
    returned (or the exception it raised) and passes whatever that is."""
    return [Example(kind="probe", source=p) for p in probes]


__all__ = ["MAX_PROBES", "probe_calls", "probe_examples"]
