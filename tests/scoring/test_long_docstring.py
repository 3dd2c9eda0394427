"""Issue 12's whole-input target: a long docstring does not push the code out of the model's view.

A case of our own: a before whose docstring alone is ~100 tokens, and four candidate fixes. The
shipped model sees the before and every candidate whole and must rank them the same way with the
docstring as without it (the v1 model saw 96 tokens: the docstring pushed the code out of its view).
"""

from __future__ import annotations

import numpy as np
import pytest

from codelewm.scoring.load import load_scorer
from codelewm.scoring.protocol import Query

DOC = '''    """Return the running balance of an account after each transaction.

    Every transaction is a (kind, amount) pair where kind is "deposit", "withdrawal" or "fee".
    Deposits add the amount. A withdrawal that would take the balance below zero is refused and
    leaves it unchanged, but still produces an entry. Fees are always charged. Unknown kinds raise
    ValueError. The result has one balance per transaction, in order.
    """
'''
BODY = """    balance = start
    out = []
    for kind, amount in transactions:
        if kind == "deposit":
            balance += amount
        elif kind == "withdrawal":
            if balance - amount >= 0:
                balance -= amount
        elif kind == "fee":
            balance -= amount
        else:
            raise ValueError(kind)
        out.append(balance)
    return out
"""
SIGNATURE = "def running_balance(transactions, start=0):\n"
BUGGY = BODY.replace("if balance - amount >= 0:", "if balance - amount > 0:")
FIXES = (
    BODY,
    BODY.replace("if balance - amount >= 0:", "if balance >= 0:"),
    BODY.replace("            balance -= amount\n        else:", "            pass\n        else:"),
    BODY.replace("        out.append(balance)\n", ""),
)


def _scores(with_doc: bool):  # type: ignore[no-untyped-def]
    head = SIGNATURE + (DOC if with_doc else "")
    query = Query(
        head + BUGGY,
        "A withdrawal that leaves the balance at exactly zero must be allowed.",
        tuple(head + body for body in FIXES),
    )
    return load_scorer(None).scorer.score_queries([query])[0]


def _order(with_doc: bool) -> list[int]:
    return [int(i) for i in np.argsort(_scores(with_doc).energies, kind="stable")]


def test_the_model_sees_the_long_docstring_before_and_candidates_whole() -> None:
    scorer = load_scorer(None).scorer
    assert len(scorer.tokenizer.encode(DOC)) >= 90
    scores = _scores(with_doc=True)
    assert set(scores.components["before_cut_tokens"]) == {0.0}
    assert set(scores.components["cut_tokens"]) == {0.0}


@pytest.mark.xfail(
    strict=True,
    reason="issue 12 target missed by the v3 model: with the docstring it ranks the wrong "
    "condition (`balance >= 0`) first, without it the dropped withdrawal first, and the fix last "
    "in both (v2: the fix first without the docstring; docs/benchmarks/MODEL.md)",
)
def test_a_long_docstring_does_not_change_the_ranking() -> None:
    scorer = load_scorer(None).scorer
    doc_tokens = len(scorer.tokenizer.encode(DOC))
    assert doc_tokens >= 90
    scores = _scores(with_doc=True)
    # the model sees the before and every candidate whole, docstring included
    assert set(scores.components["before_cut_tokens"]) == {0.0}
    assert set(scores.components["cut_tokens"]) == {0.0}
    assert _order(with_doc=True) == _order(with_doc=False)
