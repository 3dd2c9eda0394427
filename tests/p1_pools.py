"""A tiny hand-built P1 world shared by the evaluation tests: one before, three instructed afters."""

from __future__ import annotations

from codelewm.records import PoolMember, SameBeforePool, TransitionSource

BEFORE = "def f(x):\n    y = x\n    return y\n"
AFTERS = {
    "add one": "def f(x):\n    y = x + 1\n    return y\n",
    "double it": "def f(x):\n    y = x * 2\n    return y\n",
    "negate it": "def f(x):\n    y = -x\n    return y\n",
}


def same_before_pool(n: int, source: TransitionSource = "mutations") -> SameBeforePool:
    """Pool `n`: the before renamed f -> f<n>, one member per instruction of AFTERS."""
    members = [
        PoolMember(
            transition_id=f"t{n}-{i}", instruction=text, instruction_kind="template", after=after
        )
        for i, (text, after) in enumerate(AFTERS.items())
    ]
    return SameBeforePool(
        pool_id=f"p{n}" if source == "mutations" else f"{source}{n}",
        source=source,
        group=f"g{n}",
        path="a.py",
        symbol="f",
        before=BEFORE.replace("f", f"f{n}"),
        members=members,
    )
