# Tests for the opt-in `--tests` step (run in the sandbox, never without the flag). They run in the
# candidate's namespace, so `merge_intervals` is the candidate's function.
# ruff: noqa: F821
assert merge_intervals([]) == []
assert merge_intervals([(1, 3), (2, 6), (8, 10)]) == [(1, 6), (8, 10)]
assert merge_intervals([(1, 3), (3, 5)]) == [(1, 5)]
assert merge_intervals([(1, 10), (2, 3)]) == [(1, 10)]
assert merge_intervals([(5, 7), (1, 2)]) == [(1, 2), (5, 7)]
