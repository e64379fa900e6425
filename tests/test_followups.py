"""Follow-ups after every kind of move, on the demo song: each brief of FOLLOWUP_BRIEFS
(tests/brief_checks.py) from the automix version, then "too much, go halfway back" and
"undo that" from it. Halfway lands within 15 % of the midpoint of the brief's measure in at
least 90 % of the cases, undo gives the exact state back every time, and section labels
survive the halfway (bench/bench_followups.py prints the table for more songs)."""

from __future__ import annotations

import pytest
from brief_checks import FOLLOWUP_BRIEFS, Songs, run_followups, skip_reason

HALFWAY_GOAL = 0.9


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    song = Songs(tmp_path_factory.mktemp("followups"))["demo"]
    out = []
    for brief, spec in FOLLOWUP_BRIEFS:
        if spec[0] != "room" and skip_reason(song, spec):
            continue
        result = run_followups(song, brief, spec)
        assert result is not None, f"{brief!r} made no version"
        out.append(result)
    return out


def test_halfway_lands_near_the_midpoint(results) -> None:
    table = "\n".join(
        f"{r.brief!r}: {r.start:.3f} → {r.moved:.3f}, halfway {r.half:.3f} ({r.error:.0%} off)"
        for r in results
    )
    print("\n" + table)
    good = sum(r.halfway_ok for r in results)
    assert good >= HALFWAY_GOAL * len(results), table


def test_undo_is_exact_and_labels_survive(results) -> None:
    assert [r.brief for r in results if not r.undo_exact] == []
    assert [r.brief for r in results if not r.labels_kept] == []
