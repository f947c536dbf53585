from __future__ import annotations

from authtuna_grpc.services.audit_watch import (
    MISSING_MAX_AGE_SECONDS,
    MISSING_MAX_COUNT,
    START_WINDOW,
    SequenceGaps,
)


def test_a_new_watch_starts_at_the_newest_id_and_awaits_holes_below_it() -> None:
    gaps = SequenceGaps.starting([5, 6, 8, 10], after_id=None, now=0.0)
    assert (gaps.frontier, gaps.missing) == (10, [1, 2, 3, 4, 7, 9])
    far = SequenceGaps.starting([5000, 5002], after_id=None, now=0.0)
    assert far.missing[0] == 5002 - START_WINDOW + 1 and far.missing[-1] == 5001
    assert len(far.missing) == START_WINDOW - 2


def test_holes_at_or_below_the_cursor_are_not_wanted() -> None:
    gaps = SequenceGaps.starting([5, 6, 8, 10], after_id=6, now=0.0)
    assert (gaps.frontier, gaps.missing, gaps.resume_after_id) == (10, [7, 9], 6)
    ahead = SequenceGaps.starting([5, 6], after_id=50, now=0.0)
    assert (ahead.frontier, ahead.missing) == (50, [])
    empty = SequenceGaps.starting([], after_id=None, now=0.0)
    assert (empty.frontier, empty.missing, empty.resume_after_id) == (0, [], 0)


def test_skipped_ids_are_awaited_and_delivered_once_when_they_appear() -> None:
    gaps = SequenceGaps(frontier=10, missing=[], now=0.0)
    assert gaps.note([11, 13], now=1.0) == {11, 13}
    assert (gaps.missing, gaps.resume_after_id) == ([12], 11)
    assert gaps.note([12, 14], now=2.0) == {12, 14}
    assert (gaps.missing, gaps.resume_after_id) == ([], 14)
    assert gaps.note([12, 13], now=3.0) == set()


def test_holes_are_given_up_after_a_while() -> None:
    gaps = SequenceGaps(frontier=10, missing=[], now=0.0)
    gaps.note([12], now=1.0)
    gaps.note([13], now=1.0 + MISSING_MAX_AGE_SECONDS - 1)
    assert gaps.missing == [11]
    gaps.note([], now=1.0 + MISSING_MAX_AGE_SECONDS + 1)
    assert (gaps.missing, gaps.resume_after_id) == ([], 13)


def test_a_huge_jump_keeps_only_the_nearest_holes() -> None:
    gaps = SequenceGaps(frontier=0, missing=[], now=0.0)
    gaps.note([1_000_000], now=1.0)
    assert len(gaps.missing) == MISSING_MAX_COUNT
    assert gaps.missing[0] == 1_000_000 - MISSING_MAX_COUNT
