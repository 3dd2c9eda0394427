"""Property tests: any text or bytes becomes a kept candidate; nothing escapes the static check."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given, settings

from codelewm.code.candidates import KindChoice, candidate_from_text
from codelewm.code.validity import static_check

BEFORE = "def f(x):\n    return x + 1\n"
LINES = [
    "--- a/m.py\n",
    "+++ b/m.py\n",
    "@@ -1,2 +1,2 @@\n",
    " def f(x):\n",
    "-    return x + 1\n",
    "+    return x + 2\n",
    "+    return y\n",
    "\\ No newline at end of file\n",
    "def g(:\n",
]
DIFFY = st.lists(st.sampled_from(LINES), max_size=12).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    text=st.one_of(st.text(max_size=300), st.binary(max_size=300), DIFFY),
    kind=st.sampled_from(["auto", "full", "patch"]),
)
def test_any_input_becomes_a_kept_candidate(text: str | bytes, kind: KindChoice) -> None:
    loaded = candidate_from_text(text, before=BEFORE, candidate_id="c", kind=kind)
    assert loaded.candidate_id == "c"
    if loaded.error is None:
        assert loaded.after is not None and loaded.validity.parses
    else:
        assert loaded.error.error_type.endswith("Error") and loaded.error.remediation
        assert loaded.validity.parses is False
    assert (loaded.after is None) == (loaded.validity.applies is False)


@settings(max_examples=150, deadline=None)
@given(code=st.text(max_size=400))
def test_static_check_never_raises(code: str) -> None:
    check = static_check(code)
    assert check.validity.parses or check.reason
