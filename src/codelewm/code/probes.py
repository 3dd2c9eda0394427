"""Probe inputs for behaviour clusters: the calls of a task's examples with their literal arguments
perturbed (no expected output: only what each candidate returns is compared).

Candidates that pass every example agree on the examples' inputs by construction, so clusters over
those inputs cannot separate them; over inputs near the examples' they can (MBR-exec, Shi et al.
2022, clusters candidates by their outputs on test inputs). `probe_calls` takes each example's probed
call (`code.examples.probe_of`: `f(x)` of `assert f(x) == y`, a doctest's expression) and replaces one
literal argument at a time by a nearby value of the same type:

    int     0, n + 1, -n, n - 1          float   2x, x + 1.5        bool  not b
    str     reversed, without its first character, with its first character repeated, ""
    list / tuple   reversed, without the first item, with the first item repeated, sorted

and, inside a list, tuple or dict argument, one scalar item at a time (up to `MAX_LEAVES` per
argument, depth first; a dict's values, never its keys) by its own nearby values above: a bug that
only a changed element shows (an interval inside another, a zero in a list of counts) is reached by
boundary values of the elements, not by reordering the container. Zero comes first among an int's
values because it is the classic boundary (boundary-value analysis).

Only arguments that `ast.literal_eval` reads are changed (a name or a call stays as written), every
probe is a single call of the example's own function, at most `MAX_PROBES`, in a fixed order (no
randomness): the first value of every argument and of every item, then the second ...; none
longer than `MAX_PROBE_CHARS`. Pure text: nothing here runs code.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator, Sequence
from typing import Final

from codelewm.code.examples import Example, probe_of

MAX_PROBES: Final = 12
MAX_LEAVES: Final = 8
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
    variants = [(where, key, list(_variants(value))) for where, key, value in slots]
    for where, key, value in slots:  # then one item inside a container argument at a time
        for path, leaf in _leaves(value):
            items = [_replaced(value, path, v) for v in _variants(leaf)]
            variants.append((where, key, items))
    depth = max((len(v) for _, _, v in variants), default=0)
    for k in range(depth):  # first variant of every argument and item, then the second ...
        for where, key, values in variants:
            if k >= len(values):
                continue
            replaced = _with(call, where, key, values[k])
            if replaced is not None:
                yield replaced


def _leaves(value: object, limit: int = MAX_LEAVES) -> list[tuple[tuple[object, ...], object]]:
    """The scalar items inside a list, tuple or dict (at any depth, depth first, a dict's values):
    their paths and values, the first `limit`; none for a scalar."""
    out: list[tuple[tuple[object, ...], object]] = []

    def walk(node: object, path: tuple[object, ...]) -> None:
        if len(out) >= limit:
            return
        if isinstance(node, list | tuple):
            children: list[tuple[object, object]] = list(enumerate(node))
        elif isinstance(node, dict):
            children = list(node.items())
        else:
            if path:
                out.append((path, node))
            return
        for key, child in children:
            walk(child, (*path, key))

    walk(value, ())
    return out


def _replaced(value: object, path: tuple[object, ...], new: object) -> object:
    """A copy of `value` with the item at `path` (from `_leaves`) replaced by `new`."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replaced(v, rest, new) if k == head else v) for k, v in value.items()}
    assert isinstance(value, list | tuple) and isinstance(head, int)
    items = [(_replaced(v, rest, new) if i == head else v) for i, v in enumerate(value)]
    return type(value)(items)


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
            yield from (v for v in (0, value + 1, -value, value - 1) if v != value)
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
