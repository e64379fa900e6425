"""Perturb-and-restore on the professionally mixed multitracks in ../shared/data/real, one
seeded perturbation per song, through new + automix + render --stems-dir (the fast version
of bench/bench_balance.py). Not tuned on: the balance targets come from published
measurements (prompts/balance.json)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import soundfile as sf
from conftest import shared_path

from mixchat.tools.workspace import create_session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_balance  # noqa: E402

TONE_TOLERANCE_DB = 0.2  # the automix's processing may move the tone at most this much more


@pytest.fixture(scope="module")
def restored() -> list[tuple[bench_balance.Song, bench_balance.Restore]]:
    folders = bench_balance.song_dirs(shared_path("real"))
    if not folders:
        pytest.skip("no songs with truth.json in ../shared/data/real")
    songs = [bench_balance.load_song(folder) for folder in folders]
    return [(song, bench_balance.restore_song(song, [1])[0]) for song in songs]


def test_balance_restores_the_producers_better_than_equal_loudness(restored) -> None:
    """Every song comes back closer to its producer's balance than it arrived, and on
    average closer than setting every stem to the same loudness. (Not on every song: a
    mix whose stems sit at equal loudness, falcon69, is one the published offsets miss.)"""
    for song, result in restored:
        assert result.automix_db < result.exported_db, song.name
    automix = sum(r.automix_db for _, r in restored) / len(restored)
    equal = sum(r.equal_db for _, r in restored) / len(restored)
    assert automix < equal, [(s.name, r.automix_db, r.equal_db) for s, r in restored]


def test_processing_does_not_move_the_tone_away_from_the_producer(restored) -> None:
    """Stems of a finished mix get no EQ, compression, space or width the measurements do
    not justify. (The tolerance is for falcon69, whose stems end in a full-scale decoder
    click that the headroom pass dips: the producer's mix carries that click's energy.)"""
    for song, result in restored:
        assert result.tone_automix_db <= result.tone_level_only_db + TONE_TOLERANCE_DB, (
            song.name,
            result,
        )


def test_stems_of_a_finished_mix_get_no_tone_moves(restored) -> None:
    """Every real song here is an export of a finished mix: levels, measured repairs and
    headroom only; no section rides (the producer's section balance is in the stems)."""
    for song, result in restored:
        assert result.tone_moves == (), (song.name, result.tone_moves)
        assert result.rides == (), (song.name, result.rides)


def test_headroom_holds_on_real_stems(restored) -> None:
    """Pre-master loudness in range and true peak under the ceiling, even where an edit
    click at the cut peaks 14 dB over the music (falcon69)."""
    for song, result in restored:
        assert -24.0 <= result.premaster_lufs <= -15.0, (song.name, result.premaster_lufs)
        assert result.true_peak_dbtp <= -0.5, (song.name, result.true_peak_dbtp)


def test_tempo_and_sections_do_not_depend_on_export_levels(tmp_path: Path) -> None:
    """The section rides and tempo-timed moves read sections and tempo found on the stems
    at one loudness: the same song exported with its stems up to 10 dB apart gets the same
    ones (on the summed export, bearlin_roads' sections moved and its vocal ride by 0.09 dB)."""
    folders = bench_balance.song_dirs(shared_path("real"))
    if not folders:
        pytest.skip("no songs with truth.json in ../shared/data/real")
    song = bench_balance.load_song(max(folders, key=lambda f: len(list(f.glob("*.flac")))))
    found = []
    for seed in (1, 2):
        stems = tmp_path / f"stems-{seed}"
        stems.mkdir()
        for name, offset in bench_balance.perturbed(song, seed).items():
            audio = bench_balance.scaled(song.stems[name], offset)
            sf.write(str(stems / f"{name}.wav"), audio.T, song.rate, subtype="FLOAT")
        session, _ = create_session(stems, tmp_path / f"s{seed}.mix")
        found.append((session.meta.tempo_bpm, session.meta.sections))
    assert found[0] == found[1], song.name
