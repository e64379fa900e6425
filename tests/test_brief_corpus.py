"""The dev brief corpus (tests/briefs/dev.jsonl: wordings in five voices) as a gate, on short
material: the 30 s demo song and the shortest real excerpt, each on its own third of the
corpus (every third brief, from a different start), so the gate stays about a minute. Each
brief runs as one fresh version from the automix version and is judged by its checks
(tests/briefs/README.md). bench/bench_briefs.py runs the whole corpus on every song; the
held-out corpus is never run here: bench/bench_briefs.py --corpus heldout reports it.

Run: .venv/bin/pytest tests/test_brief_corpus.py -s   (prints the failing briefs)
"""

from __future__ import annotations

import pytest
from brief_checks import Songs, load_corpus, run_case

GATED_SONGS = {"demo": 0, "mu_too_bright": 1}  # song -> first brief of its third
SAMPLE_STEP = 3
PASS_RATE_GOAL = 0.9  # of the brief runs that apply to the song
QUOTE_GOAL = 0.95  # replies that changed the mix and quote a measured before → after
LOUDNESS_BOUND_LU = 2.0


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Songs:
    return Songs(tmp_path_factory.mktemp("corpus"))


@pytest.mark.parametrize("name", GATED_SONGS)
def test_dev_corpus(songs: Songs, name: str) -> None:
    song = songs[name]
    cases = load_corpus("dev")[GATED_SONGS[name] :: SAMPLE_STEP]
    ran = [(case, run_case(song, case)) for case in cases]
    ran = [(case, outcome) for case, outcome in ran if not outcome.skipped]
    failing = [f"{c.brief!r} ({c.voice}): {o.detail}" for c, o in ran if not o.passed]
    rate = 1 - len(failing) / len(ran)
    print(f"\n{name}: {len(ran) - len(failing)}/{len(ran)} dev briefs pass ({rate:.0%})")
    print("\n".join(failing))
    drifts = [o for c, o in ran if not c.level and o.drift_lu is not None]
    loud = [
        f"{c.brief!r}: {o.drift_lu:+.1f} LU"
        for c, o in ran
        if o in drifts and abs(o.drift_lu) > LOUDNESS_BOUND_LU
    ]
    quoted = [o.quoted for _, o in ran if o.quoted is not None]
    assert rate >= PASS_RATE_GOAL, "failing briefs:\n" + "\n".join(failing)
    assert loud == [], loud
    assert sum(quoted) >= QUOTE_GOAL * len(quoted), f"{sum(quoted)}/{len(quoted)} replies quote"
