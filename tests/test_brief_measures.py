"""What a brief measures, from the engine's per-track caches: the same figures as measuring
the insert outputs and the render directly."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from mixchat.assistant.planning.measures import Overlap, RangeShare
from mixchat.assistant.turn.measures import mix_spectrum, overlap_tracks, shifted_metrics
from mixchat.dsp.dynamics import crest_factor_db
from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.masking import find_masking, stem_bands
from mixchat.dsp.spectrum import band_energies_db, spectral_centroid_hz
from mixchat.dsp.state import EqBand, MixState
from mixchat.dsp.stereo import channel_energies
from mixchat.tools.catalog import ToolContext, apply_call
from mixchat.tools.engine import Engine
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session

RATE = 44100


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    root = tmp_path_factory.mktemp("measures")
    stems = root / "stems"
    stems.mkdir()
    t = np.arange(5 * RATE) / RATE
    rng = np.random.default_rng(5)
    tone = 0.2 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    sf.write(stems / "Keys.wav", tone.astype(np.float32), RATE)
    sf.write(
        stems / "Noise.wav", (0.05 * rng.standard_normal((t.size, 2))).astype(np.float32), RATE
    )
    made, _ = create_session(stems, root / "s.mix")
    return made


def _state(session: Session) -> MixState:
    state = session.load(0).state
    state = state.with_track("Keys", gain_db=-4.0, eq=(EqBand(freq_hz=300.0, gain_db=-6.0),))
    return state.with_track("Noise", gain_db=2.5)


def test_track_bands_are_the_post_fader_stem_bands_and_are_cached(session: Session) -> None:
    engine = Engine.for_session(session)
    state = _state(session)
    engine.render(state)
    tracks = state.audible_tracks()
    bands = engine.track_bands(tracks)
    for track in tracks:
        audio = engine.insert_output(track) * np.float32(10 ** (track.gain_db / 20))
        direct = stem_bands(audio, sample_rate=RATE)
        np.testing.assert_allclose(bands[track.name].power, direct.power, rtol=1e-4, atol=1e-12)
    assert len(list((session.cache_dir / "bands").glob("*.npy"))) >= len(tracks)
    again = Engine.for_session(session).track_bands(tracks)  # read back from the cache
    assert find_masking(again, sample_rate=RATE) == find_masking(bands, sample_rate=RATE)


def test_track_facts_measure_the_insert_outputs(session: Session) -> None:
    engine = Engine.for_session(session)
    state = _state(session)
    facts = engine.track_facts(state)
    stereo = engine.track_stereo(state.audible_tracks())
    for track in state.audible_tracks():
        audio = engine.insert_output(track)
        gain = track.gain_db
        own = facts[track.name]
        assert own["lufs"] == pytest.approx(
            integrated_lufs(audio, sample_rate=RATE) + gain, abs=6e-3
        )
        assert own["spectral_centroid_hz"] == pytest.approx(
            spectral_centroid_hz(audio, sample_rate=RATE), abs=1e-3
        )
        assert own["crest_factor_db"] == pytest.approx(crest_factor_db(audio), abs=1e-3)
        for band, level in band_energies_db(audio, sample_rate=RATE).items():
            assert own["band_energies_db"][band] == pytest.approx(level + gain, abs=6e-3)
        energies = channel_energies(audio)
        assert stereo[track.name]["channels"] == audio.shape[0]
        assert stereo[track.name]["mid"] == pytest.approx(energies.mid, rel=1e-9)
        assert stereo[track.name]["side"] == pytest.approx(energies.side, rel=1e-9, abs=1e-12)


def test_stored_spectrum_is_the_renders_and_shifts_with_the_faders(session: Session) -> None:
    engine = Engine.for_session(session)
    state = _state(session)
    rendered = engine.render(state)
    metrics = engine.metrics_of(rendered, state)
    assert metrics["spectrum"] == mix_spectrum(rendered.audio, RATE)
    quieter = shifted_metrics(metrics, -3.0, metrics["tracks"])
    scaled = mix_spectrum(rendered.audio * np.float32(10 ** (-3.0 / 20)), RATE)
    np.testing.assert_allclose(quieter["spectrum"]["power_db"], scaled["power_db"], atol=2e-3)


def test_overlap_bands_are_measured_again_only_for_changed_tracks(session: Session) -> None:
    parent = session.load(0).state
    state = _state(session)
    measures = [Overlap(a="Keys", b="Noise"), RangeShare(low_hz=200, high_hz=500)]
    assert [t.name for t in overlap_tracks(parent, state, measures)] == ["Keys", "Noise"]
    only_keys = parent.with_track("Keys", gain_db=-1.0)
    assert overlap_tracks(parent, only_keys, measures) == [only_keys.track("Keys")]
    assert overlap_tracks(parent, parent, measures) == []
    assert overlap_tracks(parent, state, [Overlap(a="Keys", b="Nobody")]) == [state.track("Keys")]


def test_a_bus_return_is_measured_as_the_committed_state_renders_it(session: Session) -> None:
    """The reply's "reverb return" figures come from the render cache, shifted by any fader
    compensation applied after the render: the committed state rendered afresh agrees."""
    from mixchat.assistant.turn.conversation import handle_brief

    first = handle_brief(session, "more reverb on the keys", parent=0)
    second = handle_brief(session, "more reverb on the keys", parent=first.version)
    engine = Engine.for_session(session)
    versions = [session.load(r.version) for r in (first, second)]
    levels = [engine.bus_return_db(v.metrics, "reverb") for v in versions]
    assert levels[0] is not None and levels[1] is not None
    assert levels[1] > levels[0] + 3.0  # about +4 dB on the send
    assert "reverb return" in second.reply
    for version, level in zip(versions, levels, strict=True):
        rendered = engine.render(version.state)
        fresh = engine.bus_return_db({"bus_files": rendered.bus_files}, "reverb")
        assert fresh == pytest.approx(level, abs=0.05)
    from mixchat.assistant.turn.measures import loudness_compensation

    compensated = apply_call(versions[1].state, loudness_compensation(3.0), ToolContext()).state
    shifted = shifted_metrics(versions[1].metrics, -3.0, versions[1].metrics["tracks"])
    rendered = engine.render(compensated)
    fresh = engine.bus_return_db(engine.metrics_of(rendered, compensated), "reverb")
    assert engine.bus_return_db(shifted, "reverb") == pytest.approx(fresh, abs=0.05)
    assert fresh == pytest.approx(levels[1] - 3.0, abs=0.05)


def test_a_named_track_move_quotes_that_tracks_own_band_level(session: Session) -> None:
    from mixchat.assistant.turn.conversation import handle_brief

    result = handle_brief(session, "the keys are muddy", parent=0)
    version = session.load(result.version)
    [call] = [c for c in version.tool_calls if c.tool == "apply_eq"]
    assert call.args["track"] == "Keys" and call.args["gain_db"] < 0
    line = next(p for p in result.reply.split("; ") if "Keys 200 Hz–500 Hz level" in p)
    before, after = (float(x.split()[0]) for x in line.split("level ")[1].split(" → "))
    assert after < before - 1.0  # the 220 Hz tone, half an octave under the 315 Hz cut


def test_a_cut_at_the_top_of_the_whole_mix_quotes_the_centroid_it_lowered(
    session: Session,
) -> None:
    from mixchat.assistant.turn.conversation import handle_brief

    result = handle_brief(session, "it's too harsh", parent=0)
    version = session.load(result.version)
    assert any(c.tool == "apply_eq" and c.args["gain_db"] < 0 for c in version.tool_calls)
    line = next(p for p in result.reply.split("; ") if "spectral centroid" in p)
    before, after = (float(x.split()[-2]) for x in line.split(" (")[0].split(" → "))
    assert after < before


def test_a_render_measures_masking_bands_only_for_the_tracks_it_is_asked_about(
    session: Session,
) -> None:
    engine = Engine.for_session(session)
    state = session.load(0).state.with_track("Keys", eq=(EqBand(freq_hz=900.0, gain_db=4.0),))
    state = state.with_track("Noise", eq=(EqBand(freq_hz=5000.0, gain_db=-3.0),))
    engine.render(state, bands_of=["Keys"])
    keys, noise = (engine.insert_key(state.track(n)) for n in ("Keys", "Noise"))
    assert engine.store.has(keys, bands=True) and engine.store.has(noise)
    assert not engine.store.has(noise, bands=True)  # measured when something asks for them
    assert engine.track_bands([state.track("Noise")])["Noise"].power.size
    assert engine.store.has(noise, bands=True)
