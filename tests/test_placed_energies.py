"""The pan and width a reply quotes are measured on the track's insert output as placed, the
output streamed once for every placement asked for: the same sums as placing and measuring
the whole array, whether the output is cached, run now (longer than one read block), mono or
stereo."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from mixchat.assistant.turn.measures import placed_energies
from mixchat.dsp.panning import pan_and_width
from mixchat.dsp.state import EqBand
from mixchat.dsp.stereo import channel_energies
from mixchat.tools.engine import READ_BLOCK, Engine
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session

RATE = 44100
SECONDS = 13  # longer than READ_BLOCK, cut from the render's 5 s blocks


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    root = tmp_path_factory.mktemp("placed")
    stems = root / "stems"
    stems.mkdir()
    t = np.arange(SECONDS * RATE) / RATE
    rng = np.random.default_rng(11)
    tone = 0.2 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    sf.write(stems / "Keys.wav", tone.astype(np.float32), RATE)
    noise = 0.05 * rng.standard_normal((t.size, 2)) + 0.03 * rng.standard_normal((t.size, 1))
    sf.write(stems / "Pad.wav", noise.astype(np.float32), RATE)
    made, _ = create_session(stems, root / "s.mix")
    return made


def _whole(engine: Engine, track) -> tuple[float, ...]:  # noqa: ANN001
    audio = np.asarray(engine.insert_output(track), dtype=np.float32)
    return tuple(channel_energies(pan_and_width(audio, pan=track.pan, width=track.width)))


@pytest.mark.parametrize("cached", [True, False])
def test_placed_energies_are_the_whole_arrays_sums(session: Session, cached: bool) -> None:
    engine = Engine.for_session(session)
    state = session.load(0).state
    cut = -4.0 if cached else -5.0  # a setting no render has cached: the inserts run now
    state = state.with_track("Keys", eq=(EqBand(freq_hz=500.0, gain_db=cut),))
    state = state.with_track("Pad", gain_db=-2.0, eq=(EqBand(freq_hz=2000.0, gain_db=-cut),))
    if cached:
        engine.render(state)
    outputs = [engine.tracks_dir / f"track-{engine.insert_key(t)}.npy" for t in state.tracks]
    assert all(path.exists() == cached for path in outputs)
    assert SECONDS * RATE > READ_BLOCK
    tracks = [
        state.track(name).model_copy(update={"pan": pan, "width": width})
        for name in ("Keys", "Pad")
        for pan, width in ((0.0, 1.0), (-0.7, 1.0), (0.4, 1.6), (0.0, 0.3))
    ]
    found = placed_energies(engine, tracks)
    for track in tracks:
        assert tuple(found[(engine.insert_key(track), track.pan, track.width)]) == _whole(
            engine, track
        )


def test_placements_of_one_output_read_it_once(session: Session, monkeypatch) -> None:
    engine = Engine.for_session(session)
    keys = session.load(0).state.track("Keys").model_copy(update={"gain_db": -3.0})
    before, after = keys, keys.model_copy(update={"pan": -0.8})
    reads = []
    streamed = engine.insert_blocks
    monkeypatch.setattr(engine, "insert_blocks", lambda t: reads.append(t.name) or streamed(t))
    found = placed_energies(engine, [before, after])
    assert reads == ["Keys"]
    left_minus_right = [
        found[(engine.insert_key(t), t.pan, t.width)].left
        - found[(engine.insert_key(t), t.pan, t.width)].right
        for t in (before, after)
    ]
    assert left_minus_right[0] == pytest.approx(0.0, abs=1e-6)
    assert left_minus_right[1] > 0.0
