"""Perturb-and-restore on the professionally mixed multitracks in ../shared/data/real, one
seeded perturbation per song, through new + automix + render --stems-dir (the fast version
of bench/bench_balance.py). Not tuned on: the balance targets come from published
measurements (prompts/balance.json)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import shared_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_balance  # noqa: E402

TONE_TOLERANCE_DB = 0.5  # the automix's processing may move the tone at most this much more


@pytest.fixture(scope="module")
def restored() -> list[tuple[bench_balance.Song, bench_balance.Restore]]:
    folders = bench_balance.song_dirs(shared_path("real"))
    if not folders:
        pytest.skip("no songs with truth.json in ../shared/data/real")
    songs = [bench_balance.load_song(folder) for folder in folders]
    return [(song, bench_balance.restore_song(song, [1])[0]) for song in songs]


def test_balance_beats_equal_loudness_on_producer_mixes(restored) -> None:
    for song, result in restored:
        assert result.automix_db < result.exported_db, song.name
        if song.peak_normalised:
            continue  # its stem levels are not a producer's balance
        assert result.automix_db < result.equal_db, (song.name, result)


def test_processing_does_not_move_the_tone_away_from_the_producer(restored) -> None:
    for song, result in restored:
        assert result.tone_automix_db <= result.tone_level_only_db + TONE_TOLERANCE_DB, (
            song.name,
            result,
        )
