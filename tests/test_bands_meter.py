"""A track output whose facts a render stored, asked later for its masking bands (a brief
quoting a range of the track the last brief changed), is measured for its bands only: the
same band powers a full track meter gives, and the stored facts and blocks kept."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from mixchat.dsp.render import block_frames
from mixchat.dsp.state import EqBand
from mixchat.dsp.track_meter import TrackMeter
from mixchat.tools.engine import BandsMeter, Engine
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session

RATE = 44100


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    root = tmp_path_factory.mktemp("bands")
    stems = root / "stems"
    stems.mkdir()
    t = np.arange(12 * RATE) / RATE
    rng = np.random.default_rng(3)
    chord = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (196.0, 247.0, 294.0, 3100.0))
    sf.write(stems / "Keys.wav", (chord + 0.01 * rng.standard_normal(t.size)), RATE)
    sf.write(stems / "Pad.wav", 0.05 * rng.standard_normal((t.size, 2)), RATE)
    made, _ = create_session(stems, root / "s.mix")
    return made


def test_bands_of_a_measured_output_are_measured_alone(session: Session, monkeypatch) -> None:
    engine = Engine.for_session(session)
    state = session.load(0).state.with_track(
        "Keys", gain_db=-2.0, eq=(EqBand(freq_hz=3000.0, gain_db=5.0),)
    )
    engine.render(state)  # measures the new output's facts, not its bands
    track = state.track("Keys")
    key = engine.insert_key(track)
    assert engine.store.has(key) and not engine.store.has(key, bands=True)
    facts, blocks = engine.store.facts(key), engine.store.blocks(key)

    full = TrackMeter(channels=1, sample_rate=RATE, total=12 * RATE, bands=True)
    block = block_frames(sample_rate=RATE)
    output = engine.insert_output(track)
    for start in range(0, output.shape[1], block):
        full.feed(output[:, start : start + block])
    expected = full.result()

    made: list[type] = []
    original = engine._track_meter
    monkeypatch.setattr(
        engine, "_track_meter", lambda *a, **k: made.append(type(m := original(*a, **k))) or m
    )
    bands = engine.track_bands([track])["Keys"]
    assert made == [BandsMeter]
    stored = engine.store.bands(key)
    assert stored is not None and np.array_equal(stored, expected.bands)
    assert bands.power.shape == expected.bands.shape
    assert engine.store.facts(key) == facts == expected.facts
    assert np.array_equal(engine.store.blocks(key), blocks)
