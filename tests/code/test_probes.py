"""Probe inputs near a task's examples: the examples' own calls with one literal argument nudged."""

from __future__ import annotations

import ast

from codelewm.code.examples import check_program, mine_examples
from codelewm.code.probes import MAX_PROBES, probe_calls, probe_examples


def test_each_literal_argument_is_nudged_and_the_examples_own_calls_are_left_out() -> None:
    examples = mine_examples('assert remove_occ("hello", "l") == "heo"', "remove_occ")
    probes = probe_calls(examples)
    assert "remove_occ('olleh', 'l')" in probes and "remove_occ('hello', '')" in probes
    assert "remove_occ('hello', 'l')" not in probes
    assert all(ast.parse(p, mode="eval") for p in probes)


def test_probes_take_turns_over_the_examples_and_stop_at_the_limit() -> None:
    text = ">>> f([3, 1, 2], 4)\n[1]\n>>> g(2)\n4\n"
    probes = probe_calls(mine_examples(text))
    assert len(probes) == MAX_PROBES
    assert probes[0].startswith("f(") and probes[1].startswith("g(")
    assert "f([2, 1, 3], 4)" in probes and "g(3)" in probes


def test_names_calls_and_huge_numbers_are_never_changed() -> None:
    examples = mine_examples("assert f(xs, len(xs), 10**12) == 3", "f")
    assert probe_calls(examples) == []  # xs and len(xs) are not literals; 10**12 is an expression
    assert probe_calls(mine_examples("assert f(10000000000) == 1", "f")) == []


def test_a_probe_program_passes_whatever_the_candidate_returns() -> None:
    program = check_program(probe_examples(["f(3)"]))
    namespace: dict[str, object] = {}
    exec(compile("def f(x):\n    return x\n" + program, "<t>", "exec"), namespace)
    case = namespace["CodelewmExamples"]("test_example_000")  # type: ignore[operator]
    case.test_example_000()  # no assertion: a probe only prints its output


def test_items_inside_a_container_argument_are_nudged_one_at_a_time() -> None:
    # an interval inside another, e.g. (2, 0) after (1, 3), is what a merge that drops max() gets
    # wrong; reordering the list never shows it, a zeroed element does
    text = ">>> merge_intervals([(1, 3), (2, 6), (8, 10)])\n[(1, 6), (8, 10)]\n"
    probes = probe_calls(mine_examples(text))
    assert "merge_intervals([(8, 10), (2, 6), (1, 3)])" in probes  # the whole list first
    assert "merge_intervals([(1, 3), (2, 0), (8, 10)])" in probes  # then one item: zero first
    assert "merge_intervals([(1, 3), (2, 7), (8, 10)])" in probes  # then n + 1
    dict_probes = probe_calls(mine_examples(">>> f({'a': 1}, n=3)\n1\n", "f"))
    assert "f({'a': 0}, n=3)" in dict_probes  # a dict's value, never its key
    assert not any("'b'" in p for p in dict_probes)


def test_items_beyond_the_leaf_limit_are_left_alone() -> None:
    from codelewm.code.probes import MAX_LEAVES

    values = list(range(1, 40))
    probes = probe_calls(mine_examples(f"assert total({values}) == 780", "total"), limit=200)
    args = [ast.literal_eval(p[len("total(") : -1]) for p in probes]
    one_item = [
        [i for i, (v, w) in enumerate(zip(a, values, strict=True)) if v != w]
        for a in args
        if len(a) == len(values)
    ]
    changed = {d[0] for d in one_item if len(d) == 1}  # the item probes (not the whole list's)
    assert changed == set(range(MAX_LEAVES))
