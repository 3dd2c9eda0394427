"""The scorer says how much of each input the model did not see (issue 12: whole inputs)."""

from __future__ import annotations

from codelewm.scoring.load import load_scorer
from codelewm.scoring.protocol import Query


def test_cut_tokens_are_zero_for_short_inputs_and_counted_for_long_ones() -> None:
    scorer = load_scorer(None).scorer
    max_len = scorer.model.cfg.max_len
    before = "def f(x):\n    return x\n"
    short = "def f(x):\n    return x + 1\n"
    lines = "".join(f"    y{i} = x * {i} + {i}\n" for i in range(max_len))
    long = f"def f(x):\n{lines}    return x\n"
    for _ in range(2):  # the second call is served from the latent cache: same numbers
        scores = scorer.score_queries([Query(before, "add one", (short, long))])[0]
        cut = scores.components["cut_tokens"]
        assert cut[0] == 0.0
        assert cut[1] > 0.0
        assert scores.components["before_cut_tokens"] == (0.0, 0.0)
