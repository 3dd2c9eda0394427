from __future__ import annotations

from codelewm.model.edit_input import (
    DELETE,
    GAP,
    INSERT,
    KEEP,
    align,
    before_sequence,
    changed_line_flags,
    edit_sequence,
)

NL = 9  # the newline token in these tests
GAP_ID = 1


def test_align_tags_keep_insert_delete() -> None:
    ids, tags = align([5, 6, 7, 8], [5, 7, 8, 10])
    assert ids == [5, 6, 7, 8, 10]
    assert tags == [KEEP, DELETE, KEEP, KEEP, INSERT]


def test_replace_is_delete_then_insert() -> None:
    ids, tags = align([5, 6, 7], [5, 20, 7])
    assert ids == [5, 6, 20, 7]
    assert tags == [KEEP, DELETE, INSERT, KEEP]


def test_changed_line_flags_mark_whole_lines() -> None:
    ids = [5, 6, NL, 7, 8, NL, 10]
    tags = [KEEP, KEEP, KEEP, KEEP, INSERT, KEEP, KEEP]
    assert changed_line_flags(ids, tags, frozenset({NL})) == [0, 0, 0, 1, 1, 1, 0]


def test_identical_candidate_is_the_before_sequence() -> None:
    before = list(range(10, 60))
    seq = edit_sequence(
        before, list(before), max_len=16, newline_ids=frozenset({NL}), gap_id=GAP_ID
    )
    assert seq == before_sequence(before, max_len=16)
    assert set(seq.tags) == {KEEP}


def test_window_keeps_head_and_change_with_gaps() -> None:
    before = list(range(10, 110))  # 100 tokens, no newlines
    cand = [*before[:60], 500, *before[61:]]
    seq = edit_sequence(
        before, cand, max_len=14, newline_ids=frozenset(), gap_id=GAP_ID, head=4, radius=3
    )
    # head, gap, 3 tokens of left radius, the delete and the insert, 3 tokens of right radius, gap
    assert seq.ids == (10, 11, 12, 13, GAP_ID, 67, 68, 69, 70, 500, 71, 72, 73, GAP_ID)
    assert seq.tags == (KEEP,) * 4 + (GAP,) + (KEEP,) * 3 + (DELETE, INSERT) + (KEEP,) * 3 + (GAP,)
    assert seq.cut == 101 - 12  # the merged sequence has 101 tokens; 12 of them are shown


def test_window_widens_to_fill_max_len() -> None:
    before = list(range(10, 110))
    cand = [*before[:60], 500, *before[61:]]
    seq = edit_sequence(
        before, cand, max_len=64, newline_ids=frozenset(), gap_id=GAP_ID, head=4, radius=3
    )
    assert len(seq) <= 64
    assert len(seq) >= 62  # the radius grew until the window nearly fills max_len
    assert 500 in seq.ids and seq.ids[:4] == (10, 11, 12, 13)
    assert seq.cut == 101 - sum(1 for tag in seq.tags if tag != GAP)


def test_whole_input_is_not_cut() -> None:
    before = list(range(10, 110))
    cand = [*before[:60], 500, *before[61:]]
    seq = edit_sequence(before, cand, max_len=512, newline_ids=frozenset(), gap_id=GAP_ID)
    assert len(seq) == 101 and seq.cut == 0 and GAP not in seq.tags


def test_short_edit_is_not_windowed_and_is_capped() -> None:
    before = [5, 6, 7]
    seq = edit_sequence(before, [5, 8, 7], max_len=3, newline_ids=frozenset(), gap_id=GAP_ID)
    assert len(seq) == 3
    assert seq.tags == (KEEP, DELETE, INSERT)
