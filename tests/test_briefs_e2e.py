"""End-to-end briefs: each brief, in varied wordings, becomes one fresh version from the same
base (the automix version) on song_1, song_2 and the demo song, and must move the measure it
names by a clearly audible amount, measured on the real render (the checks live in
tests/brief_checks.py, shared with bench/bench_briefs.py). Each brief on each song is its own
test; the pass-rate gate (per song and overall) runs the same briefs, once, and prints the table.

Run: .venv/bin/pytest tests/test_briefs_e2e.py -s   (about 3-4 minutes on 2 cores)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from brief_checks import Case as CorpusCase
from brief_checks import Songs, handle_brief, run_case

PASS_RATE_GOAL = 0.95


@dataclass(frozen=True)
class Case:
    brief: str
    checks: tuple[tuple, ...]
    level: bool = False  # the brief asks for level: the mix loudness may move
    songs: tuple[str, ...] = ("song_1", "song_2", "demo")

    def corpus_case(self) -> CorpusCase:
        return CorpusCase(brief=self.brief, checks=self.checks, level=self.level)


C = Case
CASES: tuple[Case, ...] = (
    # --- tone: centroid
    C("make it darker", (("centroid", -1),)),
    C("can you make the whole mix a bit brighter", (("centroid", 1),)),
    C("warmer please", (("centroid", -1),)),
    C("it sounds kind of dull", (("centroid", 1),)),
    C("brigther", (("centroid", 1),)),
    C("less bright, it's fatiguing", (("centroid", -1),)),
    C("just a touch darker", (("centroid", -1),), songs=("song_1", "demo")),
    C("Not bright enough!", (("centroid", 1),), songs=("song_2", "demo")),
    C("mak it darkr", (("centroid", -1),), songs=("song_1", "song_2")),
    # --- tone: bands
    C("way too muddy", (("band_hz", 200, 500, -1),)),
    C("clean up the mud in the low mids", (("band_hz", 200, 500, -1),)),
    C("the mix is harsh", (("band_hz", 2000, 5000, -1),)),
    C("tame the harshness a bit", (("band_hz", 2000, 5000, -1),), songs=("song_1", "demo")),
    C("less harsh on the vocal please", (("band_hz", 2000, 5000, -1),), songs=("song_2", "demo")),
    C("needs more air", (("band", "air", 1),)),
    C("add some sparkle on top", (("band", "air", 1),), songs=("song_1", "demo")),
    C("way more air", (("band", "air", 1),), songs=("song_2",)),
    C("too boomy", (("band", "low", -1),)),
    C("not so boomy", (("band", "low", -1),), songs=("song_2", "demo")),
    C("more low end", (("low_end", 1),)),
    C("it's thin", (("low_end", 1),)),
    C("less bassy overall", (("low_end", -1),), songs=("song_1", "demo")),
    C("its to muddy", (("band_hz", 200, 500, -1),), songs=("song_2",)),
    # --- balance
    C("bring the vocal up", (("level", "vocal", 1, None),), level=True),
    C("vocals louder by 3 dB", (("level", "vocal", 1, 3.0),), level=True),
    C("turn the guitar down a bit", (("level", "guitar", -1, None),), level=True),
    C("the bass is too loud", (("level", "bass", -1, None),), level=True),
    C("drums need to come up 2dB", (("level", "drums", 1, 2.0),), level=True),
    C("pull the keys back 4 dB", (("level", "keys", -1, 4.0),), level=True),
    C("vocal a tad louder", (("level", "vocal", 1, None),), level=True, songs=("song_1", "demo")),
    C("the vocal is buried", (("level", "vocal", 1, None),), level=True),
    C("the vocals are burried", (("level", "vocal", 1, None),), level=True, songs=("song_2",)),
    C(
        "everything but the vocal down 2 dB",
        (("level", "vocal", 1, 2.0),),
        level=True,
        songs=("song_1", "demo"),
    ),
    C("i can barely hear the keys", (("level", "keys", 1, None),), level=True, songs=("song_2",)),
    # --- explicit EQ on a named track
    C("cut 300 Hz on the keys", (("track_band", "keys", 212, 424, -1),), songs=("song_1", "demo")),
    C(
        "boost 3k on the vocal by 3 dB",
        (("track_band", "vocal", 2500, 3600, 1),),
        songs=("song_2", "demo"),
    ),
    C("high pass the guitar at 150 Hz", (("track_band", "guitar", 20, 120, -1),)),
    # --- width
    C("make it wider", (("width", 1),)),
    C("wider stereo image please", (("width", 1),), songs=("song_1", "demo")),
    C("narrower, more focused", (("width", -1),), songs=("song_2", "demo")),
    # --- sections
    C("push the second chorus 2 dB harder", (("section", "chorus", 2, 2.0),), level=True),
    C("make the choruses louder", (("contrast", "chorus", 1),), level=True),
    C(
        "drop the intro by 3 dB",
        (("section", "intro", 1, -3.0),),
        level=True,
        songs=("song_2", "demo"),
    ),
    C(
        "the vocal gets buried in the chorus",
        (("section_level", "vocal", "chorus", 1),),
        level=True,
    ),
    C(
        "bring the vocal up in the verses",
        (("section_level", "vocal", "verse", 1),),
        level=True,
        songs=("song_1", "demo"),
    ),
    # --- masking
    C("the kick and bass are fighting", (("overlap", "kick", "bass"),)),
    C("vocal gets lost behind the guitars", (("overlap", "vocal", "guitar"),)),
    C("the keys are masking the vocal", (("overlap", "keys", "vocal"),), songs=("song_1", "demo")),
    C("bass and guitar clash", (("overlap", "bass", "guitar"),), songs=("song_2", "demo")),
    # --- master
    C("master it for Spotify", (("master", -14.0, -1.0),), level=True),
    C("master for apple music", (("master", -16.0, -1.0),), level=True, songs=("song_1", "demo")),
    C("get it ready for the club", (("master", -9.0, -1.0),), level=True, songs=("song_2", "demo")),
    C("master to -12 LUFS", (("master", -12.0, -1.0),), level=True),
    C(
        "master it to -10 LUFS with a -0.5 dBTP ceiling",
        (("master", -10.0, -0.5),),
        level=True,
        songs=("song_1",),
    ),
    # --- compound
    C(
        "darker and wider, and bring the vocal up a bit",
        (("centroid", -1), ("width", 1), ("level", "vocal", 1, None)),
        level=True,
    ),
    C("less mud and more air", (("band_hz", 200, 500, -1), ("band", "air", 1))),
    C(
        "make the drums punchier and the bass louder",
        (("level", "bass", 1, None),),  # punch itself: see the report (crest is a poor proxy)
        level=True,
        songs=("song_1", "demo"),
    ),
    C("Brighter. Also wider!", (("centroid", 1), ("width", 1)), songs=("song_2", "demo")),
    # --- nonsense
    C("purple monkey dishwasher", (("nothing",),)),
    C("asdf", (("nothing",),)),
    C("zxcv qwerty", (("nothing",),), songs=("song_1",)),
)


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Songs:
    return Songs(tmp_path_factory.mktemp("briefs"))


# --- one test per brief and song, and the pass-rate gate ------------------------------------
SONGS = ("song_1", "song_2", "demo")
PER_SONG_GOAL = 0.85
# (song, brief) -> why it fails today: a strict xfail, so a fix must remove it.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


class Outcomes:
    """Each brief run once per song (from the song's base version) and kept: the brief's own
    test and the pass-rate gate read the same result, whichever runs first."""

    def __init__(self, songs: Songs) -> None:
        self.songs = songs
        self.done: dict[tuple[str, str], tuple[bool, str] | None] = {}

    def of(self, name: str, case: Case) -> tuple[bool, str] | None:
        """(passed, detail), or None when the song lacks a part or section the brief names
        (skipped if the song itself is not available)."""
        key = (name, case.brief)
        if key not in self.done:
            outcome = run_case(self.songs[name], case.corpus_case())
            self.done[key] = None if outcome.skipped else (outcome.passed, outcome.detail)
        return self.done[key]


@pytest.fixture(scope="module")
def outcomes(songs: Songs) -> Outcomes:
    return Outcomes(songs)


def brief_params() -> list[Any]:
    params = []
    for name in SONGS:
        for case in CASES:
            if name not in case.songs:
                continue
            reason = KNOWN_FAILURES.get((name, case.brief))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            params.append(pytest.param(name, case, id=f"{name}: {case.brief}", marks=marks))
    return params


@pytest.mark.parametrize(("name", "case"), brief_params())
def test_brief(outcomes: Outcomes, name: str, case: Case) -> None:
    outcome = outcomes.of(name, case)
    if outcome is None:
        pytest.skip(f"{name} lacks a part or section {case.brief!r} names")
    passed, detail = outcome
    assert passed, detail


def test_pass_rate(outcomes: Outcomes) -> None:
    """At least 85 % of the briefs pass on each song, and 95 % over all songs."""
    rows: dict[str, list[tuple[str, bool, str]]] = {}
    for name in SONGS:
        try:
            ran = [(case.brief, outcomes.of(name, case)) for case in CASES if name in case.songs]
        except pytest.skip.Exception:
            continue  # the song is not available here
        rows[name] = [(brief, *outcome) for brief, outcome in ran if outcome is not None]
    if not rows:
        pytest.skip("no song ran")
    for name, song_rows in rows.items():
        passed = sum(ok for _, ok, _ in song_rows)
        print(f"\n{name}: {passed}/{len(song_rows)} briefs pass ({passed / len(song_rows):.0%})")
        for brief, ok, detail in song_rows:
            print(f"  {'ok  ' if ok else 'FAIL'} {brief!r}: {detail}")
    everything = [row for song_rows in rows.values() for row in song_rows]
    rate = sum(ok for _, ok, _ in everything) / len(everything)
    print(f"\noverall: {sum(ok for _, ok, _ in everything)}/{len(everything)} ({rate:.1%})")
    failing = [f"{name}: {b!r} ({d})" for name, r in rows.items() for b, ok, d in r if not ok]
    low = {
        name: f"{sum(ok for _, ok, _ in r)}/{len(r)}"
        for name, r in rows.items()
        if sum(ok for _, ok, _ in r) / len(r) < PER_SONG_GOAL
    }
    assert low == {}, "failing briefs:\n" + "\n".join(failing)
    assert rate >= PASS_RATE_GOAL, "failing briefs:\n" + "\n".join(failing)


# --- conversations -------------------------------------------------------------------------------
def centroid(song, version: int) -> float:
    return song.session.load(version).metrics["mix"]["spectral_centroid_hz"]


def test_conversation_more_halfway_undo(songs):
    song = songs["demo"]
    first = handle_brief(song.session, "make it darker", parent=song.base).version
    more = handle_brief(song.session, "a bit more", parent=first).version
    base_c, first_c, more_c = centroid(song, song.base), centroid(song, first), centroid(song, more)
    assert more_c < first_c < base_c
    half = handle_brief(song.session, "too much, go halfway back", parent=more).version
    half_c = centroid(song, half)
    assert more_c < half_c < first_c  # halfway back from "more" towards "make it darker"
    undo = handle_brief(song.session, "undo that", parent=half)
    assert song.session.load(undo.version).state == song.session.load(more).state


def test_conversation_revert_compare_explain_branch(songs):
    song = songs["demo"]
    session = song.session
    wide = handle_brief(session, "make it wider", parent=song.base).version
    count = len(session.versions())
    explained = handle_brief(session, "what did you change?", parent=wide)
    compared = handle_brief(session, f"compare {song.base} and {wide}", parent=wide)
    assert explained.version is None and compared.version is None
    assert len(session.versions()) == count
    assert session.load(wide).reply in explained.reply  # what changed, why, measured
    assert "width" in explained.reply or "pan" in explained.reply
    back = handle_brief(session, f"go back to version {song.base}", parent=wide).version
    assert session.load(back).state == session.load(song.base).state
    branch = handle_brief(session, "brighter", parent=wide)
    assert branch.parent == wide
    again = handle_brief(session, "brighter", parent=song.base)
    assert again.parent == song.base
    assert centroid(song, branch.version) > centroid(song, wide)
    assert session.load(branch.version).metrics["mix"]["side_mid_ratio_db"] > (
        session.load(again.version).metrics["mix"]["side_mid_ratio_db"] + 1.0
    )
