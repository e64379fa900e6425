"""A version's output from any position (playback), and a cached version written to a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixchat.assistant.turn.comparison import render_version
from mixchat.dsp.state import Compressor, EqBand
from mixchat.tools.cached_render import render_cached
from mixchat.tools.engine import Engine
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session

RATE = 44100


@pytest.fixture
def session(tmp_path: Path) -> Session:
    stems = tmp_path / "stems"
    stems.mkdir()
    rng = np.random.default_rng(5)
    t = np.arange(6 * RATE) / RATE
    sf.write(stems / "Bass.wav", (0.3 * np.sin(2 * np.pi * 55 * t)).astype(np.float32), RATE)
    kit = rng.standard_normal((t.size, 2)) * 0.05 * (np.sin(2 * np.pi * 2 * t) > 0)[:, None]
    sf.write(stems / "Drums.wav", kit.astype(np.float32), RATE)
    vox = 0.2 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 0.5 * t) > 0)
    sf.write(stems / "Lead_Vocal.wav", vox.astype(np.float32), RATE)
    created, _ = create_session(stems, tmp_path / "s.mix")
    state = created.load().state.with_track(
        "Lead_Vocal", reverb_send_db=-10.0, eq=(EqBand(freq_hz=3000, gain_db=3),)
    )
    engine = Engine.for_session(created)
    created.commit(state, parent=0, brief="test", metrics=engine.measure(state))
    return created


def collect(stream) -> tuple[int, np.ndarray]:
    frames = list(stream)
    return frames[0][0], np.concatenate([block for _, block in frames], axis=1)


def test_a_cached_version_streams_its_render_from_any_position(session: Session) -> None:
    engine = Engine.for_session(session)
    state = session.load().state
    full = engine.render(state).audio
    first, played = collect(engine.stream(state, start_s=2.5))
    assert first == int(2.5 * RATE)
    np.testing.assert_array_equal(played, full[:, first:])


def test_an_uncached_version_streams_from_its_position_and_settles(session: Session) -> None:
    engine = Engine.for_session(session)
    state = session.load().state.with_track(
        "Drums", compressor=Compressor(threshold_db=-30, ratio=4)
    )
    with engine.stream(state, start_s=3.0) as stream:
        first, played = collect(stream)
    reference = engine.render(state).audio[:, first:]
    assert played.shape == reference.shape
    assert np.max(np.abs(played - reference)) < 1e-3


def test_closing_a_stream_stops_its_render(session: Session) -> None:
    engine = Engine.for_session(session)
    stream = engine.stream(session.load().state.with_track("Bass", gain_db=-3.0))
    next(stream)
    stream.close()
    assert not stream._thread.is_alive()


def test_a_cached_version_is_written_without_rendering(session: Session, tmp_path: Path) -> None:
    version = session.load()
    cached = render_cached(session, output=tmp_path / "fast.wav", version=version)
    assert cached is not None and cached["version"] == version.version
    full = render_version(session, output=tmp_path / "full.wav", stems_dir=tmp_path / "st")
    ours = sf.read(tmp_path / "fast.wav", dtype="float32")[0]
    theirs = sf.read(tmp_path / "full.wav", dtype="float32")[0]
    np.testing.assert_array_equal(ours, theirs)
    assert cached["integrated_lufs"] == full["integrated_lufs"]
    other = version.model_copy(update={"state": version.state.with_track("Bass", gain_db=-9.0)})
    assert render_cached(session, output=tmp_path / "no.wav", version=other) is None


def test_a_version_whose_mix_was_made_another_way_is_rendered_anew(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version measured before the engine changed how mixes are made (MIX_VERSION, e.g.
    the reverb's send taken pre-pan) names a mix file of the old kind: it is not written."""
    import mixchat.tools.cached_render as cached_render

    version = session.load()
    assert render_cached(session, output=tmp_path / "now.wav", version=version) is not None
    monkeypatch.setattr(cached_render, "MIX_VERSION", cached_render.MIX_VERSION + 1)
    assert render_cached(session, output=tmp_path / "later.wav", version=version) is None
