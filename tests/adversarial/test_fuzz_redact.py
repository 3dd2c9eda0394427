"""Fuzzing `redact()`: any text is redacted fast, redacting again changes nothing, the result scans
clean, and text with nothing to find comes back unchanged.

Texts are glued from the pieces credentials are made of (key prefixes, assignment names, quotes,
`Authorization:`/`Bearer`/`Basic`, `scheme://user:pass@`, PEM armour, our own `[REDACTED:` marker,
escaped quotes, newlines, lone surrogates) and random runs of token characters; a second test repeats
such a text to 64 KB. Fake credentials are only ever assembled at run time, so this file scans clean.
(tests/artifacts/test_redact_linear.py times the known worst shapes at 1 MB;
test_redact_matches_scanner.py checks realistic secrets against the scanner.)
"""

from __future__ import annotations

import string

import hypothesis.strategies as st
import pytest
from _adversarial import fuzz, within
from hypothesis import given

from codelewm.artifacts.redact import (
    MAX_REDACT_PASSES,
    detect_secrets_hits,
    find_secrets,
    pattern_hits,
    redact,
)

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(180)]

PIECES = [
    "sk-",
    "sk-or-v1-",
    "sk-ant-",
    "sk-proj-",
    "gh" + "p_",
    "github" + "_pat_",
    "gl" + "pat-",
    "xo" + "xb-",
    "AK" + "IA",
    "hf" + "_",
    "npm" + "_",
    "AI" + "za",
    "SG.",
    "ey" + "J",
    "pypi" + "-AgE",
    "rk" + "_live_",
    "-----BEGIN RSA PRIVATE " + "KEY-----\n",
    "-----END RSA PRIVATE " + "KEY-----",
    "https://",
    "postgres://",
    "user:",
    "@host/db",
    "Bearer ",
    "Basic ",
    "Authorization: ",
    '"authorization": "',
    "password",
    "api_key",
    "client_secret",
    "token",
    "aws_secret_access_key",
    "export ",
    " = ",
    ": ",
    "=",
    '"',
    "'",
    '\\"',
    "\n",
    "\r\n",
    " ",
    "\t",
    "#",
    "[REDACTED:",
    ":sha256=",
    ":len=",
    "]",
    "${X}",
    "<X>",
    "%s",
    ".",
    "/",
    "\u00e9",
    "\u202e",
    "\ud800",
]
KEY_PREFIXES = PIECES[:16]
NAMES = ["password", "api_key", "client_secret", "token", "aws_secret_access_key", "DB_PASS"]
TOKEN_CHARS = string.ascii_letters + string.digits + "-_/+=.~"
RUN = st.text(TOKEN_CHARS, min_size=1, max_size=60)
LONG = st.text(string.ascii_letters + string.digits, min_size=16, max_size=60)
SECRETISH = st.one_of(
    st.builds(str.__add__, st.sampled_from(KEY_PREFIXES), LONG),
    st.builds(
        "{0}{1}{2}{3}{2}".format,
        st.sampled_from(NAMES),
        st.sampled_from([" = ", "=", ": ", '": ', '\\": ']),
        st.sampled_from(['"', "'", '\\"', ""]),
        LONG,
    ),
    st.builds("https://{0}:{1}@host/".format, RUN, RUN),
    st.builds("Authorization: {0} {1}".format, st.sampled_from(["Bearer", "Basic", "token"]), LONG),
)
TEXTS = st.lists(st.one_of(st.sampled_from(PIECES), RUN, SECRETISH), max_size=30).map("".join)


@fuzz(600)
@given(text=st.one_of(TEXTS, st.text(st.characters(codec=None), max_size=300)))
def test_redaction_is_idempotent_and_leaves_nothing_to_find(text: str) -> None:
    once = within(1.0, lambda: redact(text), what="redact")
    assert redact(once) == once
    assert find_secrets(once) == [], "the redacted text still holds a secret"
    if not find_secrets(text):
        assert once == text


@fuzz(15, deadline_ms=10_000)
@given(unit=TEXTS.filter(bool))
def test_redaction_of_64_kb_of_repeated_pieces_is_fast(unit: str) -> None:
    """On one 64 KB line our own patterns (which see the whole text) leave nothing; for the
    detect-secrets plugins' windows see the known gap below."""
    text = (unit * (65_536 // len(unit) + 1))[:65_536]
    once = within(3.0, lambda: redact(text), what="redact of 64 KB")
    assert pattern_hits(once) == [], "the redacted text still holds a secret"


# Found by the test above: one unit of glued credentials (assembled here so this file scans clean).
GLUED = "".join(
    [
        "np" + "m_lWih0gMmiV8eKN0URYHLU80pHmgWLwjr4ojnBWNIu6mIZGDFXOfBoLot",
        "sk" + "-ant-MVxNlTIVjuDhJD0hj2kFMx8IYIDSu0tK1Z",
        "Authorization: Bearer " + "bIoPMvixnRzQtJ46l90u",
        "Authorization: token " + "tZkP0dZOPslteildWl0SeWxfz8NIzSu9v8XgyYJiVrc",
        "https://" + "rQZi0y:HBzFS.@host/",
        "https://" + "kHOY:sC@host/",
        "api_key: " + "Ybb6ZqfCJnk464aMW3btnAV2LyENDDCl7WNQgUV4UiU3ZcXo4O1caOFllFqg",
        '"authorization": "Authorization: Bearer '
        + "mMZOayecXkZMDBShm9IGdi2VJ3JF0M8FwoSIXfsfmxQKRGrZLTWVZdi2Ubs7",
        "rk" + "_live_ppFkvtvJU8qSmWLczuuhCtefeHBDgU9WK0fyhtLnF7mddgsUMa2Z2ULGxczC",
        "https://" + "c41+:tsqfQ@host/",
    ]
)


@pytest.mark.xfail(
    strict=True,
    reason="known gap: on a line over 500 characters the detect-secrets plugins see overlapping "
    "windows, so what they flag depends on where the windows fall and each redaction moves them; "
    f"this 64 KB line needs a 4th scan, redact() makes {MAX_REDACT_PASSES}",
)
def test_known_gap_plugin_windows_on_a_64_kb_line() -> None:
    once = redact((GLUED * 128)[:65_536])
    assert pattern_hits(once) == []  # our own patterns are done after the first pass
    assert detect_secrets_hits(once) == []


# Regressions of what this module found (each was a crash or a secret left behind).


def test_a_lone_surrogate_does_not_stop_redaction() -> None:
    secret = "Xq7Lm2Vc" + "9Rt4Wz8K"
    text = f'\ud800 password = "{secret}" \udfff'
    once = redact(text)  # was UnicodeEncodeError from RE2
    assert secret not in once and once.startswith("\ud800") and once.endswith("\udfff")
    assert [h.secret for h in find_secrets(f'token = "ab\ud800{secret}"')] == [f"ab\ud800{secret}"]


def test_a_key_glued_to_a_more_precise_one_is_found_too() -> None:
    generic, precise = "sk" + "-" + "0" * 20, "sk" + "-or-v1-" + "0" * 16
    hits = find_secrets(generic + precise)  # the generic match overlapped the precise one: dropped
    assert [(h.kind, h.secret) for h in hits] == [
        ("openai_key", generic),
        ("openrouter_key", precise),
    ]


def test_a_redaction_that_exposes_another_secret_is_redacted_again() -> None:
    key = "AI" + "za" + "0" * 35
    text = f'rk_live_00000000000000_{key}000password = "{"0" * 16}"'  # a name over 64 characters
    once = redact(text)
    assert "0" * 16 + '"' not in once and redact(once) == once and find_secrets(once) == []
