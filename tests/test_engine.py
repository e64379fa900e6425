"""The engine's stored analyses: a trimmed track reads its stem's, scaled, without running."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixchat.dsp.processors import insert_gain_db
from mixchat.dsp.state import EqBand, TrackState
from mixchat.tools.engine import Engine
from mixchat.tools.workspace import create_session

RATE = 44100


def test_only_a_trim_and_a_polarity_flip_make_a_pure_gain():
    assert insert_gain_db(TrackState(name="a")) == 0.0
    assert insert_gain_db(TrackState(name="a", trim_db=-4.5, polarity_inverted=True)) == -4.5
    assert insert_gain_db(TrackState(name="a", trim_db=-4.5, hpf_hz=80.0)) is None
    eq = (EqBand(freq_hz=1000.0, gain_db=2.0),)
    assert insert_gain_db(TrackState(name="a", eq=eq)) is None


@pytest.fixture
def session(tmp_path: Path):
    rng = np.random.default_rng(7)
    t = np.arange(8 * RATE) / RATE
    stems = tmp_path / "stems"
    stems.mkdir()
    bass = 0.3 * np.sin(2 * np.pi * 55 * t) + 0.01 * rng.standard_normal(t.size)
    keys = 0.1 * rng.standard_normal((t.size, 2)) + 0.2 * np.sin(2 * np.pi * 440 * t)[:, None]
    sf.write(str(stems / "bass.wav"), bass.astype(np.float32), RATE, subtype="PCM_24")
    sf.write(str(stems / "keys.wav"), keys.astype(np.float32), RATE, subtype="PCM_24")
    made, _ = create_session(stems, tmp_path / "s.mix")
    return made


@pytest.mark.parametrize("name", ["bass", "keys"])
def test_a_trimmed_track_reads_its_stems_analysis_scaled(session, name):
    """A track whose only insert is its trim is not run or measured again: its facts,
    blocks and masking bands come from the stem's analysis ``new`` stored, and equal those
    of the same audio measured through its inserts (a 0 dB EQ band changes no sample)."""
    engine = Engine.for_session(session)
    state = session.load().state.with_track(name, trim_db=-6.0, gain_db=-2.0)
    flat = (EqBand(freq_hz=1000.0, gain_db=0.0),)
    run = state.with_track(name, eq=flat)
    got, expected = engine.track_facts(state)[name], engine.track_facts(run)[name]
    track, ran = state.track(name), run.track(name)
    assert not (engine.tracks_dir / f"track-{engine.insert_key(track)}.npy").exists()
    assert (engine.tracks_dir / f"track-{engine.insert_key(ran)}.npy").exists()
    assert got["lufs"] == pytest.approx(expected["lufs"], abs=0.002)
    assert got["lufs"] == pytest.approx(
        session.load().metrics["tracks"][name]["lufs"] - 6.0 - 2.0, abs=0.002
    )
    for band, level in expected["band_energies_db"].items():
        assert got["band_energies_db"][band] == pytest.approx(level, abs=0.002)
    np.testing.assert_allclose(
        engine.track_blocks(track), engine.track_blocks(ran), rtol=1e-4, atol=1e-12
    )
    bands, ran_bands = engine.track_bands([track])[name], engine.track_bands([ran])[name]
    loud = float(ran_bands.power.max())
    np.testing.assert_allclose(bands.power, ran_bands.power, rtol=1e-3, atol=loud * 1e-6)


def test_a_brief_measures_only_the_track_outputs_it_made(session, monkeypatch):
    """A brief reads the analyses the session stored (``new``, earlier briefs): it runs no
    stem analysis, measures only the one track output its EQ move made, and the same brief
    again from the same parent measures no track at all."""
    from mixchat.assistant.turn.conversation import handle_brief
    from mixchat.dsp import track_meter
    from mixchat.tools import engine as engine_module
    from mixchat.tools.track_store import TrackStore

    def no_ingest(*args, **kwargs):
        raise AssertionError("a brief analysed a raw stem again")

    saved: list[str] = []
    meters: list[int] = []
    real_save, real_init = TrackStore.save, track_meter.TrackMeter.__init__

    def save(self, key, analysis):
        saved.append(key)
        real_save(self, key, analysis)

    def init(self, **kwargs):
        meters.append(kwargs["total"])
        real_init(self, **kwargs)

    monkeypatch.setattr(engine_module, "ingest", no_ingest)
    monkeypatch.setattr(TrackStore, "save", save)
    monkeypatch.setattr(track_meter.TrackMeter, "__init__", init)
    engine = Engine.for_session(session)
    parent = session.load()
    stored = {engine.insert_key(t) for t in parent.state.tracks}
    assert all(engine.store.has(key) for key in stored)

    made = handle_brief(session, "more air on the keys", parent=parent.version)
    moved = {c.args.get("track") for c in made.tool_calls if c.tool != "trim_mix"}
    assert moved == {"keys"}  # its EQ (and the mix trim that keeps the loudness, if it moved)
    new_key = engine.insert_key(session.load(made.version).state.track("keys"))
    assert new_key not in stored
    assert set(saved) == {new_key} and len(meters) == 1

    saved.clear()
    meters.clear()
    again = handle_brief(session, "more air on the keys", parent=parent.version)
    assert session.load(again.version).state == session.load(made.version).state
    assert saved == [] and meters == []
