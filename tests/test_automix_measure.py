"""What the automix reads off a stem before it moves anything: whether its producer already
processed it (its loudness holds phrase to phrase, or a one-microphone source arrives with a
printed stereo image), and whether the whole set is the export of a finished mix."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from mixchat.tools.automix_measure import (
    StemAnalysis,
    analyze_all,
    mixed_export,
    processed_parts,
)

RATE = 44100


def _voice(seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.1 * np.sin(2 * np.pi * 220.0 * t) * (1.0 + 0.5 * np.sin(2 * np.pi * 3.0 * t))).astype(
        np.float32
    )


def _stem(name: str, audio: np.ndarray, range_lu: float) -> StemAnalysis:
    stem = analyze_all({name: audio}, sample_rate=RATE, bands=False)[name]
    return replace(stem, range_lu=range_lu)


def test_side_to_mid() -> None:
    mono = _voice()
    rng = np.random.default_rng(1)
    wet = np.stack([mono + 0.02 * rng.standard_normal(mono.size), mono]).astype(np.float32)
    stems = {"mono": mono[None, :], "dual": np.stack([mono, mono]), "wet": wet}
    measured = analyze_all(stems, sample_rate=RATE, bands=False)
    assert measured["mono"].side_db == -120.0
    assert measured["dual"].side_db == -120.0
    assert -30.0 < measured["wet"].side_db < -10.0


def test_a_voice_with_a_printed_stereo_image_shows_processing() -> None:
    mono = _voice()
    rng = np.random.default_rng(2)
    printed = np.stack([mono + 0.03 * rng.standard_normal(mono.size), mono]).astype(np.float32)
    dry = _stem("vox", mono[None, :], range_lu=6.0)
    wet = _stem("vox", printed, range_lu=6.0)
    assert not dry.shows_processing("vocal")
    assert wet.shows_processing("vocal")
    assert not wet.shows_processing("pad")  # a pad is recorded or made in stereo
    assert _stem("pad", printed, range_lu=1.0).shows_processing("pad")  # even: compressed


def test_a_mixed_export_is_processed_as_a_whole() -> None:
    mono = _voice()
    even = {n: _stem(n, mono[None, :], range_lu=1.0) for n in ("bass", "drums", "other")}
    moving = {"vocals": _stem("vocals", mono[None, :], range_lu=7.0)}
    roles = {"bass": "bass", "drums": "drums", "other": "other", "vocals": "vocal"}
    stems = {**even, **moving}
    assert mixed_export(stems, roles)
    assert processed_parts(stems, roles) == frozenset(stems)
    raw = {n: _stem(n, mono[None, :], range_lu=7.0) for n in ("bass", "drums", "other")}
    session = {**raw, "vocals": even["bass"]}
    assert not mixed_export(session, roles)
    assert processed_parts(session, roles) == frozenset({"vocals"})
