"""Render: unity sum, processors measured on synthetic signals, automation, caches, stems."""

from __future__ import annotations

import math

import numpy as np
import pedalboard as pb
import pytest
import soundfile as sf

from mixchat.dsp.audio_io import load_stems
from mixchat.dsp.automation import gain_envelope_db
from mixchat.dsp.errors import StateError
from mixchat.dsp.panning import pan_and_width
from mixchat.dsp.processors import InsertChain, transient_shape
from mixchat.dsp.render import StemSource, prune_cache, render_mix
from mixchat.dsp.state import (
    Compressor,
    DelayBus,
    EqBand,
    Gate,
    MixState,
    ReverbBus,
    Saturation,
    SectionAutomation,
    TrackState,
    TransientShaper,
    unity_state,
)

RATE = 44100
CENTRE = np.float32(math.sqrt(0.5))


def sine(freq_hz: float, seconds: float, *, channels: int = 2, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.tile((level * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32), (channels, 1))


def noise(seconds: float, *, channels: int, seed: int, level: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((channels, int(seconds * RATE))) * level).astype(np.float32)


def rms_db(audio: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(audio, dtype=np.float64)) + 1e-30)


def sources(**audio: np.ndarray) -> dict[str, StemSource]:
    return {
        name: StemSource(name=name, key=f"{name}-{a.shape}", audio=a) for name, a in audio.items()
    }


def one_track(audio: np.ndarray, **settings) -> tuple[dict[str, StemSource], MixState]:
    return sources(x=audio), MixState(tracks=(TrackState(name="x", **settings),))


def render(stems, state, **kwargs):
    return render_mix(stems=stems, state=state, sample_rate=RATE, **kwargs)


@pytest.fixture
def band():
    """Four synthetic stems (two mono, two stereo, one shorter) and a processed state."""
    stems = sources(
        drums=noise(3.0, channels=2, seed=1),
        bass=sine(55, 3.0, channels=1),
        vocal=noise(2.5, channels=1, seed=2, level=0.05),
        keys=sine(440, 3.0) * np.float32(0.3),
    )
    state = MixState(
        tracks=(
            TrackState(
                name="drums",
                compressor=Compressor(threshold_db=-24, ratio=4),
                transient=TransientShaper(attack_db=4),
            ),
            TrackState(
                name="bass",
                hpf_hz=30,
                eq=(EqBand(kind="low_shelf", freq_hz=100, gain_db=3),),
                pan=-0.2,
            ),
            TrackState(
                name="vocal",
                eq=(EqBand(freq_hz=3000, gain_db=2),),
                reverb_send_db=-6,
                delay_send_db=-12,
                saturation=Saturation(drive_db=6, mix_pct=40),
            ),
            TrackState(
                name="keys", gate=Gate(threshold_db=-40), pan=0.5, width=1.5, reverb_send_db=-10
            ),
        )
    )
    return stems, state


def test_unity_state_is_the_plain_sum_with_mono_at_minus_3_db():
    stems = sources(
        a=noise(2.0, channels=2, seed=4),
        b=noise(2.0, channels=1, seed=5),
        c=noise(1.5, channels=1, seed=6),
    )
    state = unity_state([("a", "drums"), ("b", "bass"), ("c", "vocal")])
    result = render(stems, state, block_s=0.3)
    expected = stems["a"].audio.astype(np.float64).copy()
    expected += stems["b"].audio[0] * CENTRE
    expected[:, : int(1.5 * RATE)] += stems["c"].audio[0] * CENTRE
    assert result.premaster.dtype == np.float32 and result.premaster.shape == (2, 2 * RATE)
    assert np.max(np.abs(result.premaster - expected)) < 1e-6
    assert sorted(result.passthrough) == ["a", "b", "c"] and result.rendered == []


def test_song_1_unity_render_is_the_sum(song_1):
    loaded, rate, _ = load_stems(sorted(song_1.glob("*.flac")))
    stems = {s.path.stem: StemSource(s.path.stem, s.path.stem, s.audio) for s in loaded}
    result = render_mix(
        stems=stems, state=unity_state([(n, "other") for n in stems]), sample_rate=rate
    )
    expected = np.zeros_like(result.premaster, dtype=np.float64)
    for stem in stems.values():
        expected += stem.audio if stem.audio.shape[0] == 2 else stem.audio * CENTRE
    assert np.max(np.abs(result.premaster - expected)) < 1e-6


def test_hpf_200_hz_cuts_50_hz_by_more_than_20_db():
    stems, state = one_track(sine(50, 2.0), hpf_hz=200)
    out = render(stems, state).premaster[:, RATE:]
    assert rms_db(out) - rms_db(stems["x"].audio[:, RATE:]) < -20


def test_lpf_cuts_high_frequencies_and_keeps_lows():
    stems, state = one_track(sine(12000, 1.0) + sine(100, 1.0), lpf_hz=1000)
    out = render(stems, state).premaster[0, RATE // 2 :]
    spectrum = np.abs(np.fft.rfft(out))
    hz = np.fft.rfftfreq(out.size, 1 / RATE)
    high, low = spectrum[np.argmin(abs(hz - 12000))], spectrum[np.argmin(abs(hz - 100))]
    assert 20 * np.log10(high / low) < -30


@pytest.mark.parametrize(
    "kind,freq_hz", [("bell", 1000), ("high_shelf", 1000), ("low_shelf", 1000)]
)
def test_eq_plus_6_db_raises_the_band_by_6_db(kind, freq_hz):
    probe = 1000 if kind == "bell" else (10000 if kind == "high_shelf" else 60)
    stems, state = one_track(
        sine(probe, 1.0, level=0.1), eq=(EqBand(kind=kind, freq_hz=freq_hz, gain_db=6.0, q=1.0),)
    )
    gain = rms_db(render(stems, state).premaster[:, RATE // 4 :]) - rms_db(
        stems["x"].audio[:, RATE // 4 :]
    )
    assert gain == pytest.approx(6.0, abs=0.5)


def test_notch_cuts_deep_at_its_frequency():
    stems, state = one_track(
        sine(1000, 1.0, level=0.1), eq=(EqBand(kind="notch", freq_hz=1000, q=8.0),)
    )
    out = render(stems, state).premaster[:, RATE // 2 :]
    assert rms_db(out) - rms_db(stems["x"].audio[:, RATE // 2 :]) < -20


def test_compressor_reduces_a_loud_sine_and_makeup_adds_back():
    loud = sine(200, 1.5, level=0.9)
    stems, plain = one_track(loud, compressor=Compressor(threshold_db=-20, ratio=4))
    reduced = rms_db(render(stems, plain).premaster[:, RATE:]) - rms_db(loud[:, RATE:])
    assert reduced < -6
    _, made_up = one_track(loud, compressor=Compressor(threshold_db=-20, ratio=4, makeup_db=6))
    more = rms_db(render(stems, made_up).premaster[:, RATE:]) - rms_db(loud[:, RATE:])
    assert more - reduced == pytest.approx(6.0, abs=0.1)


def test_gate_silences_a_quiet_floor_and_passes_loud_parts():
    audio = sine(300, 2.0, level=0.002)
    audio[:, :RATE] = sine(300, 1.0, level=0.5)
    stems, state = one_track(audio, gate=Gate(threshold_db=-40, ratio=50, release_ms=20))
    out = render(stems, state).premaster
    assert rms_db(out[:, RATE // 4 : RATE - 2000]) - rms_db(audio[:, RATE // 4 : RATE - 2000]) > -1
    assert rms_db(out[:, int(1.5 * RATE) :]) - rms_db(audio[:, int(1.5 * RATE) :]) < -20


def test_saturation_adds_odd_harmonics():
    tone = sine(200, 1.0, level=0.8)
    stems, state = one_track(tone, saturation=Saturation(drive_db=12, mix_pct=100))
    out = render(stems, state).premaster[0]
    spectrum = np.abs(np.fft.rfft(out)) / out.size
    dry = np.abs(np.fft.rfft(tone[0])) / out.size
    third = 600  # 1 s of signal: bin index == Hz
    assert spectrum[third] / spectrum[200] > 100 * dry[third] / dry[200]
    assert spectrum[third] / spectrum[200] > 0.05


def test_trim_and_polarity():
    audio = noise(1.0, channels=2, seed=9)
    stems, state = one_track(audio, trim_db=-6.0, polarity_inverted=True)
    out = render(stems, state).premaster
    np.testing.assert_allclose(out, -audio * np.float32(10 ** (-6 / 20)), atol=1e-6)


def test_transient_shaper_lifts_attacks_and_streams_exactly():
    hits = np.zeros((1, 2 * RATE), np.float32)
    decay = np.exp(-np.arange(RATE // 4) / (0.05 * RATE)).astype(np.float32)
    tone = np.sin(2 * np.pi * 150 * np.arange(RATE // 4) / RATE).astype(np.float32)
    for start in range(0, 2 * RATE - RATE // 4, RATE // 2):
        hits[0, start : start + RATE // 4] = 0.5 * decay * tone
    shaped = transient_shape(hits, sample_rate=RATE, attack_db=6.0, sustain_db=-6.0)
    attack = slice(RATE // 2, RATE // 2 + int(0.01 * RATE))
    tail = slice(RATE // 2 + int(0.12 * RATE), RATE // 2 + int(0.24 * RATE))
    attack_gain = rms_db(shaped[:, attack]) - rms_db(hits[:, attack])
    tail_gain = rms_db(shaped[:, tail]) - rms_db(hits[:, tail])
    assert attack_gain > 2.0 and tail_gain < -2.0
    chain = InsertChain(
        TrackState(name="d", transient=TransientShaper(attack_db=6, sustain_db=-6)),
        sample_rate=RATE,
    )
    streamed = np.concatenate(
        [chain.process(hits[:, :30000], reset=True), chain.process(hits[:, 30000:], reset=False)],
        axis=1,
    )
    np.testing.assert_allclose(streamed, shaped, atol=1e-6)


def test_transient_shaper_moves_the_hits_own_peak_and_leaves_a_held_note_clean():
    """A hit's peak comes in its first milliseconds: attack gain must reach it, or the part's
    crest factor falls while its body rises (more 'punch' measuring less punchy)."""
    rng = np.random.default_rng(7)
    hits = np.zeros((2, 2 * RATE), np.float32)
    decay = np.exp(-np.arange(RATE // 5) / (0.03 * RATE)).astype(np.float32)
    for start in range(0, 2 * RATE - RATE // 5, RATE // 4):
        hits[:, start : start + RATE // 5] = 0.4 * decay * rng.standard_normal(RATE // 5)
    for attack_db, direction in ((6.0, 1), (-6.0, -1)):
        shaped = transient_shape(hits, sample_rate=RATE, attack_db=attack_db, sustain_db=0.0)
        peak_gain = 20 * math.log10(np.abs(shaped).max() / np.abs(hits).max())
        crest = (rms_db(hits) - 20 * math.log10(np.abs(hits).max())) - (
            rms_db(shaped) - 20 * math.log10(np.abs(shaped).max())
        )
        assert peak_gain * direction > 4.5, peak_gain
        assert crest * direction > 0.5, crest
    t = np.arange(2 * RATE) / RATE
    held = np.tile((0.5 * np.sin(2 * np.pi * 50 * t)).astype(np.float32), (2, 1))
    shaped = transient_shape(held, sample_rate=RATE, attack_db=6.0, sustain_db=-3.0)
    steady = slice(RATE // 2, 2 * RATE)
    np.testing.assert_allclose(shaped[:, steady], held[:, steady], atol=1e-4)


def test_pan_hard_left_and_width():
    mono = noise(1.0, channels=1, seed=1)
    left = pan_and_width(mono, pan=-1.0, width=1.0)
    assert rms_db(left[1]) < rms_db(left[0]) - 60
    centre = pan_and_width(mono, pan=0.0, width=1.0)
    np.testing.assert_allclose(centre, np.vstack([mono, mono]) * CENTRE, atol=1e-7)
    stereo = noise(1.0, channels=2, seed=2)
    assert np.array_equal(pan_and_width(stereo, pan=0.0, width=1.0), stereo)
    folded = pan_and_width(stereo, pan=0.0, width=0.0)
    np.testing.assert_allclose(folded[0], folded[1], atol=1e-7)
    hard = pan_and_width(stereo, pan=-1.0, width=1.0)
    assert rms_db(hard[1]) < rms_db(hard[0]) - 60
    stems, state = one_track(mono, pan=-1.0)
    out = render(stems, state).premaster
    assert rms_db(out[1]) < rms_db(out[0]) - 60


def test_section_gain_automation_minus_6_db_without_clicks():
    dc = np.full((2, 3 * RATE), 0.5, np.float32)
    automation = (SectionAutomation(track="x", start_s=1.0, end_s=2.0, gain_db=-6.0),)
    stems, state = one_track(dc)
    state = state.model_copy(update={"automation": automation})
    out = render(stems, state, block_s=0.37).premaster
    inside = slice(int(1.05 * RATE), int(1.95 * RATE))
    assert rms_db(out[:, inside]) - rms_db(dc[:, inside]) == pytest.approx(-6.0, abs=0.3)
    assert rms_db(out[:, : int(0.9 * RATE)]) == pytest.approx(rms_db(dc[:, :100]), abs=1e-3)
    steps = np.abs(np.diff(out[0]))
    assert steps.max() < 1e-3  # an 80 ms ramp, no step
    assert steps[int(0.95 * RATE) : int(1.05 * RATE)].max() > 0  # but it does move


def test_overlapping_automation_adds_and_mix_bus_applies_to_all():
    items = (
        SectionAutomation(track="x", start_s=0.0, end_s=2.0, gain_db=-3.0),
        SectionAutomation(track="x", start_s=1.0, end_s=2.0, gain_db=-3.0),
        SectionAutomation(track=None, start_s=1.0, end_s=2.0, gain_db=-4.0),
    )
    env = gain_envelope_db(items, track="x", frames=2 * RATE, sample_rate=RATE)
    assert env[0] == pytest.approx(-3.0) and env[int(1.5 * RATE)] == pytest.approx(-6.0)
    assert gain_envelope_db(items, track="y", frames=10, sample_rate=RATE) is None
    part = gain_envelope_db(items, track="x", frames=100, sample_rate=RATE, start=RATE + 9000)
    np.testing.assert_array_equal(part, env[RATE + 9000 : RATE + 9100])
    dc = np.full((2, 3 * RATE), 0.5, np.float32)
    stems = sources(x=dc, y=dc.copy())
    state = unity_state([("x", "a"), ("y", "b")]).model_copy(update={"automation": items[2:]})
    out = render(stems, state).premaster
    assert 20 * np.log10(out[0, int(1.5 * RATE)] / 1.0) == pytest.approx(-4.0, abs=0.01)


def test_cache_hits_identical_and_only_changed_tracks_rerender(band, tmp_path):
    stems, state = band
    cache = tmp_path / "cache"
    first = render(stems, state, cache_dir=cache, block_s=0.7)
    assert sorted(first.rendered) == ["bass", "drums", "keys", "vocal"] and first.cached == []
    again = render(stems, state, cache_dir=cache, block_s=0.7)
    assert again.rendered == [] and sorted(again.cached) == sorted(first.rendered)
    assert sorted(again.buses_cached) == ["delay", "reverb"]
    assert np.array_equal(again.premaster, first.premaster)
    eq_changed = state.with_track("bass", eq=(EqBand(freq_hz=80, gain_db=-4),))
    changed = render(stems, eq_changed, cache_dir=cache, block_s=0.7)
    assert changed.rendered == ["bass"] and sorted(changed.buses_cached) == ["delay", "reverb"]
    assert not np.array_equal(changed.premaster, first.premaster)
    moved = state.with_track("vocal", gain_db=-3.0, pan=0.3).with_track("keys", mute=True)
    mixed = render(stems, moved, cache_dir=cache, block_s=0.7)
    assert mixed.rendered == [] and mixed.buses_cached == []
    fresh = render(stems, moved, block_s=0.7)
    assert np.array_equal(mixed.premaster, fresh.premaster)
    assert not [p for p in cache.iterdir() if "tmp" in p.name]


def test_the_reverb_send_is_taken_before_pan_and_width(band, tmp_path):
    """A console's mono aux send: panning or widening a track moves it on the stereo bus
    only. The reverb return keeps its samples and its level while the dry track moves."""
    stems, state = band
    moved = state.with_track("vocal", pan=-1.0).with_track("keys", pan=0.8, width=0.3)
    returns, dry = {}, {}
    for name, which in (("still", state), ("moved", moved)):
        out = tmp_path / name
        render(stems, which, stems_out=out, block_s=0.7)
        returns[name] = sf.read(str(out / "reverb_return.wav"), dtype="float32")[0]
        dry[name] = sf.read(str(out / "vocal.wav"), dtype="float32")[0].T
    assert rms_db(returns["still"]) > -60
    assert np.array_equal(returns["moved"], returns["still"])
    assert rms_db(dry["moved"][1]) < rms_db(dry["moved"][0]) - 60  # the vocal is hard left
    assert abs(rms_db(dry["still"][1]) - rms_db(dry["still"][0])) < 0.01


def test_a_pan_or_width_brief_does_not_run_the_reverb_again(band, tmp_path, monkeypatch):
    """The revision takes the moved tracks out of the mix and puts them back placed anew; the
    reverb's send sum, its key and its return stay as cached. The delay, a stereo bus, gets
    the placed output, so it follows the pan of the track that sends to it (the vocal)."""
    import mixchat.dsp.render as render_module

    stems, state = band
    cache = tmp_path / "cache"
    first = render(stems, state, cache_dir=cache, block_s=0.7)
    lanes: list[int] = []

    class CountedLane(render_module.BusLane):
        def __init__(self, chain, **kwargs) -> None:  # noqa: ANN001
            lanes.append(chain.send_channels)
            super().__init__(chain, **kwargs)

    monkeypatch.setattr(render_module, "BusLane", CountedLane)
    wider = state.with_track("keys", pan=-0.7, width=1.9)
    revised = render(stems, wider, cache_dir=cache, block_s=0.7)
    assert lanes == [] and sorted(revised.buses_cached) == ["delay", "reverb"]
    assert revised.rendered == [] and revised.base is not None
    assert revised.bus_files["reverb"] == first.bus_files["reverb"]
    assert not np.array_equal(revised.premaster, first.premaster)
    np.testing.assert_array_equal(revised.premaster, render(stems, wider, block_s=0.45).premaster)
    panned = state.with_track("vocal", pan=0.6)
    lanes.clear()
    moved = render(stems, panned, cache_dir=cache, block_s=0.7)
    assert lanes == [2] and moved.buses_cached == ["reverb"]  # the delay's 2 channels
    np.testing.assert_array_equal(moved.premaster, render(stems, panned, block_s=0.45).premaster)


def test_the_last_send_to_a_bus_taken_away_renders_from_the_cache(band, tmp_path):
    """No track sends to the reverb any more: the bus is gone from the new mix, and the old
    sends' contributions are taken out without a bus to take them from."""
    stems, state = band
    cache = tmp_path / "cache"
    render(stems, state, cache_dir=cache, block_s=0.7)
    dry = state.with_track("vocal", reverb_send_db=None).with_track(
        "keys", reverb_send_db=None, gain_db=-2.0
    )
    cached = render(stems, dry, cache_dir=cache, block_s=0.7)
    assert "reverb" not in cached.buses
    np.testing.assert_allclose(cached.premaster, render(stems, dry).premaster, atol=1e-5)


def test_a_failing_bus_stops_the_render_and_leaves_no_partial_cache(band, tmp_path, monkeypatch):
    stems, state = band
    cache = tmp_path / "cache"

    class BrokenBoard:
        send_channels = 2

        def process(self, *args, **kwargs):
            raise OSError("No space left on device")

    monkeypatch.setattr(
        "mixchat.dsp.render.bus_chain", lambda state, bus, sample_rate: BrokenBoard()
    )
    with pytest.raises(OSError, match="No space"):
        render(stems, state, cache_dir=cache, block_s=0.2)
    assert not [p for p in cache.iterdir() if "tmp" in p.name]
    assert not list(cache.glob("bus-*.npy")) and not list(cache.glob("track-*.npy"))


def test_a_failing_insert_chain_stops_the_render_and_leaves_no_partial_cache(
    band, tmp_path, monkeypatch
):
    stems, state = band
    cache = tmp_path / "cache"
    real_chain = InsertChain.process
    calls = {"n": 0}

    def failing(self, block, *, reset):
        calls["n"] += 1
        if calls["n"] == 5:  # a worker thread, some blocks in, while other tracks render
            raise OSError("No space left on device")
        return real_chain(self, block, reset=reset)

    monkeypatch.setattr(InsertChain, "process", failing)
    with pytest.raises(OSError, match="No space"):
        render(stems, state, cache_dir=cache, block_s=0.2)
    assert not [p for p in cache.iterdir() if "tmp" in p.name]
    assert not list(cache.glob("track-*.npy"))


def test_tracks_rendered_together_equal_tracks_rendered_one_at_a_time(band, tmp_path):
    stems, state = band
    together = render(stems, state, cache_dir=tmp_path / "together", block_s=0.3)
    assert len(together.rendered) >= 3
    alone = tmp_path / "alone"
    for track in state.tracks:  # fill the cache one track at a time
        render(stems, MixState(tracks=(track,)), cache_dir=alone, block_s=0.3)
    cached = render(stems, state, cache_dir=alone, block_s=0.3)
    assert cached.rendered == [] and np.array_equal(cached.premaster, together.premaster)


def test_deterministic_and_block_size_independent(band):
    stems, state = band
    a = render(stems, state, block_s=1.0)
    b = render(stems, state, block_s=1.0)
    c = render(stems, state, block_s=0.25)
    assert np.array_equal(a.premaster, b.premaster)
    assert np.max(np.abs(a.premaster - c.premaster)) < 1e-6
    assert np.all(np.isfinite(a.premaster)) and rms_db(a.premaster) > -40


def test_stems_out_sum_to_the_premaster(band, tmp_path):
    stems, state = band
    state = state.with_track("drums", mute=True).model_copy(
        update={
            "automation": (
                SectionAutomation(track=None, start_s=0.5, end_s=1.5, gain_db=-5.0),
                SectionAutomation(track="vocal", start_s=1.0, end_s=2.0, reverb_send_db=6.0),
            )
        }
    )
    out = tmp_path / "stems"
    result = render(stems, state, stems_out=out, block_s=0.8)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["bass.wav", "delay_return.wav", "keys.wav", "reverb_return.wav", "vocal.wav"]
    total = np.zeros(result.premaster.shape, np.float64)
    for path in out.iterdir():
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
        assert rate == RATE and sf.info(str(path)).subtype == "FLOAT"
        total += audio.T
    assert np.max(np.abs(total - result.premaster)) < 1e-6
    assert rms_db(sf.read(str(out / "reverb_return.wav"))[0]) > -60


def test_solo_renders_only_the_soloed_track(band):
    stems, state = band
    solo = render(stems, state.with_track("keys", solo=True)).premaster
    alone = render({"keys": stems["keys"]}, MixState(tracks=(state.track("keys"),))).premaster
    np.testing.assert_array_equal(solo, alone)


def test_progress_reaches_one(band):
    stems, state = band
    seen: list[tuple[str, float]] = []
    render(
        stems, state, block_s=0.5, progress=lambda label, fraction: seen.append((label, fraction))
    )
    fractions = [f for _, f in seen]
    assert fractions[-1] == 1.0 and fractions == sorted(fractions) and len(seen) > 8


def test_missing_stem_and_bad_block_size(band):
    stems, state = band
    with pytest.raises(StateError, match="drums"):
        render({k: v for k, v in stems.items() if k != "drums"}, state)
    with pytest.raises(StateError, match="block_s"):
        render(stems, state, block_s=0)


def test_prune_cache_keeps_the_newest(band, tmp_path):
    stems, state = band
    cache = tmp_path / "cache"
    render(stems, state, cache_dir=cache)
    sizes = sorted(p.stat().st_size for p in cache.glob("*.npy"))
    removed = prune_cache(cache, max_bytes=sum(sizes) - 1)
    assert len(removed) >= 1 and sum(p.stat().st_size for p in cache.glob("*.npy")) < sum(sizes)


def test_prune_cache_removes_what_killed_renders_left_and_spares_live_writes(tmp_path):
    import subprocess
    import sys

    from mixchat.dsp.audio_io import temp_npy_path

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    orphan = tmp_path / f".track-abc.{gone.stdout.strip()}.{'0' * 32}.tmp.npy"
    live = temp_npy_path(tmp_path / "track-def.npy")  # this process: still writing it
    kept = tmp_path / "track-ghi.npy"
    for path in (orphan, live, kept):
        np.save(path, np.zeros((1, 1000), dtype=np.float32))
    assert prune_cache(tmp_path, max_bytes=10**9) == [orphan]
    assert prune_cache(tmp_path, max_bytes=0) == [kept]
    assert live.exists()


def test_reverb_return_is_the_wet_reverb_after_the_pre_delay():
    dry = noise(2.0, channels=2, seed=11)
    bus = ReverbBus(pre_delay_ms=30.0, return_db=-3.0)
    state = MixState(tracks=(TrackState(name="x", reverb_send_db=-6.0),), reverb=bus)
    wet = render(sources(x=dry), state, block_s=0.5).premaster - dry
    shift = round(0.030 * RATE)
    assert np.max(np.abs(wet[:, :shift])) < 1e-7
    send = dry * np.float32(10 ** (-6 / 20))
    pedalboard_chain = pb.Pedalboard(
        [
            pb.Reverb(room_size=bus.room_size, damping=bus.damping, wet_level=1.0, dry_level=0.0),
            pb.HighpassFilter(bus.hpf_hz),
            pb.HighpassFilter(bus.hpf_hz),
            pb.LowpassFilter(bus.lpf_hz),
            pb.LowpassFilter(bus.lpf_hz),
            pb.Gain(bus.return_db),
        ]
    )
    expected = pedalboard_chain.process(send, RATE)
    np.testing.assert_allclose(wet[:, shift:], expected[:, :-shift], atol=1e-6)
    assert rms_db(wet) > rms_db(dry) - 30


def test_delay_bus_repeats_at_the_delay_time_decaying_by_the_feedback():
    click = np.zeros((1, 2 * RATE), np.float32)
    click[0, 1000] = 1.0
    bus = DelayBus(delay_ms=250.0, feedback=0.5, hpf_hz=20.0, lpf_hz=20000.0)
    state = MixState(tracks=(TrackState(name="x", delay_send_db=0.0),), delay=bus)
    wet = render(sources(x=click), state).premaster[0] - click[0] * CENTRE
    step = round(0.25 * RATE)
    echoes = [np.max(np.abs(wet[1000 + k * step - 50 : 1000 + k * step + 50])) for k in (1, 2, 3)]
    assert echoes[0] > 0.5 * CENTRE
    assert echoes[1] / echoes[0] == pytest.approx(0.5, abs=0.05)
    assert echoes[2] / echoes[1] == pytest.approx(0.5, abs=0.05)
    assert np.max(np.abs(wet[: 1000 + step - 50])) < 1e-4


def test_stems_out_rerender_drops_files_of_now_silent_tracks(band, tmp_path):
    stems, state = band
    out = tmp_path / "stems"
    render(stems, state, stems_out=out)
    (out / "notes.txt").write_text("mine")
    quiet = state.with_track("vocal", mute=True).with_track("keys", reverb_send_db=None)
    result = render(stems, quiet, stems_out=out)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["bass.wav", "drums.wav", "keys.wav", "notes.txt"]
    total = sum(
        sf.read(str(out / n), dtype="float32")[0].T.astype(np.float64)
        for n in names
        if n.endswith(".wav")
    )
    assert np.max(np.abs(total - result.premaster)) < 1e-6


def test_a_revision_from_the_cached_mix_equals_a_full_render_sample_for_sample(band, tmp_path):
    """Each step starts from the previous step's cached mix (only the changed contributions
    are taken out and put in); a render from scratch of the same state gives the same bits."""
    stems, state = band
    cache = tmp_path / "cache"
    steps = [
        state,
        state.with_track("vocal", eq=(EqBand(freq_hz=8000, gain_db=4),)),  # a sender's inserts
        state.with_track("vocal", gain_db=-2.0),  # a sender's fader
        state.with_track("keys", reverb_send_db=-4.0),  # a send level
        state.with_track("keys", pan=-0.9, width=0.5),  # a reverb sender moves, bus as it was
        state.with_track("vocal", pan=0.4),  # a mono sender of both buses moves
        state.with_track("bass", mute=True),  # leaves the mix
        state.with_track("keys", reverb_send_db=None),  # stops sending
        state.with_track("keys", reverb_send_db=None).with_track(  # both buses go silent
            "vocal", reverb_send_db=None, delay_send_db=None
        ),
        state,  # and come back
        state.model_copy(update={"reverb": state.reverb.model_copy(update={"room_size": 0.8})}),
        state.model_copy(
            update={
                "automation": (
                    SectionAutomation(track=None, start_s=0.5, end_s=1.5, gain_db=-5.0),
                    SectionAutomation(track="vocal", start_s=1.0, end_s=2.0, gain_db=3.0),
                )
            }
        ),
        state.model_copy(  # a ride moved: only the blocks it touches are mixed again
            update={
                "automation": (
                    SectionAutomation(track=None, start_s=0.5, end_s=1.5, gain_db=-5.0),
                    SectionAutomation(track="vocal", start_s=1.2, end_s=2.2, gain_db=1.5),
                    SectionAutomation(track="keys", start_s=0.2, end_s=0.6, reverb_send_db=-3),
                )
            }
        ),
        state,
    ]
    for step in steps:
        revised = render(stems, step, cache_dir=cache, block_s=0.7)
        fresh = render(stems, step, block_s=0.45)
        np.testing.assert_array_equal(revised.premaster, fresh.premaster)
    eq_only = render(stems, steps[1], cache_dir=cache, block_s=0.7)
    assert eq_only.rendered == [] and eq_only.base is not None


def test_a_section_ride_mixes_again_only_the_blocks_it_moves(band, tmp_path, monkeypatch):
    """A ride on the vocal from 1.0 to 1.5 s: its old and new contributions are the same
    outside the ride's blocks, so only those are placed (out and in); the result is the full
    render's, bit for bit."""
    stems, state = band
    cache = tmp_path / "cache"
    import mixchat.dsp.render as render_module

    render(stems, state, cache_dir=cache, block_s=0.5)
    ride = state.model_copy(
        update={
            "automation": (SectionAutomation(track="vocal", start_s=1.0, end_s=1.5, gain_db=3),)
        }
    )
    placed: list[tuple[str, int, int]] = []
    real_add = render_module.MixPlacer.add

    def add(self, job, block, start, *args, **kwargs):
        placed.append((job.track.name, job.sign, start))
        return real_add(self, job, block, start, *args, **kwargs)

    monkeypatch.setattr(render_module.MixPlacer, "add", add)
    revised = render(stems, ride, cache_dir=cache, block_s=0.5)
    assert revised.base is not None
    starts = sorted({start for name, _, start in placed if name == "vocal"})
    assert RATE in starts and len(starts) <= 3  # the ride's block and its ramps' neighbours
    assert 0 not in starts and int(2.5 * RATE) not in starts  # of the song's six blocks
    signs = sorted(sign for name, sign, _ in placed if name == "vocal")
    assert signs == [-1] * len(starts) + [1] * len(starts)
    monkeypatch.undo()
    np.testing.assert_array_equal(revised.premaster, render(stems, ride).premaster)


def test_a_render_from_a_position_plays_the_same_samples(band, tmp_path):
    stems, state = band
    cache = tmp_path / "cache"
    full = render(stems, state, cache_dir=cache).premaster
    start = int(1.3 * RATE)
    got: list[tuple[int, np.ndarray]] = []
    render_mix(
        stems=stems,
        state=state,
        sample_rate=RATE,
        cache_dir=cache,
        start_frame=start,
        sinks=[lambda at, audio: got.append((at, audio.copy()))],
    )
    assert got[0][0] == start
    np.testing.assert_array_equal(np.concatenate([a for _, a in got], axis=1), full[:, start:])
    changed = state.with_track("drums", compressor=Compressor(threshold_db=-30, ratio=6))
    reference = render(stems, changed).premaster
    tail: list[np.ndarray] = []
    render_mix(
        stems=stems,
        state=changed,
        sample_rate=RATE,
        cache_dir=cache,
        start_frame=start,
        preroll_s=1.0,
        sinks=[lambda at, audio: tail.append(audio.copy())],
    )
    played = np.concatenate(tail, axis=1)
    assert played.shape == reference[:, start:].shape
    assert np.max(np.abs(played - reference[:, start:])) < 1e-3  # inserts and buses settled


def test_the_cache_stays_within_its_limit_and_the_render_stays_right(band, tmp_path):
    from mixchat.dsp.cache import CacheBudget

    stems, state = band
    cache = tmp_path / "cache"
    limit = 2_000_000  # holds a few of this session's files, not all
    budget = CacheBudget(cache, limit_bytes=limit)
    seen = []
    for gain in (-1.0, -2.0, -3.0):
        step = state.with_track("vocal", gain_db=gain)
        result = render_mix(
            stems=stems,
            state=step,
            sample_rate=RATE,
            cache_dir=cache,
            budget=budget,
            sinks=[lambda at, audio: seen.append(budget.used_bytes())],
        )
        assert budget.used_bytes() <= limit and max(seen) <= limit
        np.testing.assert_array_equal(result.premaster, render(stems, step).premaster)


def test_a_track_with_a_transient_shaper_is_keyed_on_the_shapers_version(monkeypatch):
    """The shaper's detector changed (issue 16, round 4): outputs cached with the old one
    must not be reused; tracks without a shaper keep their keys."""
    import mixchat.dsp.render_plan as render_plan

    shaped = TrackState(name="drums", transient=TransientShaper(attack_db=4))
    plain = TrackState(name="bass", hpf_hz=30)
    before = [
        render_plan.track_cache_key(t, stem_key="k", sample_rate=RATE) for t in (shaped, plain)
    ]
    monkeypatch.setattr(render_plan, "TRANSIENT_VERSION", render_plan.TRANSIENT_VERSION + 1)
    after = [
        render_plan.track_cache_key(t, stem_key="k", sample_rate=RATE) for t in (shaped, plain)
    ]
    assert before[0] != after[0] and before[1] == after[1]


def without_sends(state: MixState) -> MixState:
    """The state's tracks with no reverb or delay send (and so no bus)."""
    return MixState(
        tracks=tuple(
            t.model_copy(update={"reverb_send_db": None, "delay_send_db": None})
            for t in state.tracks
        )
    )


def test_a_render_only_measured_runs_the_tracks_and_mixes_nothing(band, tmp_path, monkeypatch):
    """The automix's dry pass wants the tracks' outputs (cache files, meters), not the mix:
    nothing is placed or summed, and the tracks come out as a full render gives them."""
    from mixchat.dsp import render as render_module
    from mixchat.dsp.track_meter import TrackMeter

    stems, state = band
    dry = without_sends(state)

    def meter(key: str, channels: int, frames: int) -> TrackMeter:
        return TrackMeter(channels=channels, sample_rate=RATE, total=frames)

    full = render(stems, dry, cache_dir=tmp_path / "full", meter_for=meter, block_s=0.7)

    def placed(*args, **kwargs):
        raise AssertionError("a render nobody listens to placed a block")

    monkeypatch.setattr(render_module.MixPlacer, "add", placed)
    only = render(
        stems,
        dry,
        cache_dir=tmp_path / "only",
        meter_for=meter,
        block_s=0.7,
        keep_mix=False,
        collect=False,
    )
    assert only.premaster is None and sorted(only.rendered) == sorted(full.rendered)
    assert sorted(only.analyses) == sorted(full.analyses) and len(only.analyses) == 4
    for key, analysis in full.analyses.items():
        assert analysis.facts == only.analyses[key].facts
        assert np.array_equal(analysis.blocks, only.analyses[key].blocks)
    tracks = sorted(p.name for p in (tmp_path / "only").glob("track-*"))
    assert tracks and tracks == sorted(p.name for p in (tmp_path / "full").glob("track-*"))
    for name in tracks:
        assert (tmp_path / "only" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()


def test_a_cached_file_evicted_while_a_render_reads_it_does_not_stop_the_render(tmp_path):
    """Another process sharing the cache (the chat and a ``render`` command) may evict a
    cleaned stem this render has opened; the render still reads it to the end."""
    from mixchat.dsp.cleanup.spec import Cleanup, DcRemoval

    stems = sources(vox=noise(12.0, channels=1, seed=3) + np.float32(0.05))
    cleaned = TrackState(name="vox", cleanup=Cleanup(dc=DcRemoval()))
    cache = tmp_path / "cache"
    render(stems, MixState(tracks=(cleaned.model_copy(update={"gain_db": -1.0}),)), cache_dir=cache)
    assert list(cache.glob("cleaned-*.npy"))
    state = MixState(
        tracks=(cleaned.model_copy(update={"eq": (EqBand(freq_hz=1000, gain_db=3),)}),)
    )

    def evict(start, audio):
        for path in cache.glob("cleaned-*.npy"):
            path.unlink()

    result = render(stems, state, cache_dir=cache, sinks=[evict], block_s=2.0)
    np.testing.assert_array_equal(result.premaster, render(stems, state).premaster)


class CountingStem:
    """An in-memory stem that counts the blocks read from it."""

    def __init__(self, audio: np.ndarray) -> None:
        self.audio, self.channels, self.frames = audio, audio.shape[0], audio.shape[1]
        self.reads: list[tuple[int, int]] = []

    def read(self, start: int, stop: int) -> np.ndarray:
        self.reads.append((start, stop))
        out = np.zeros((self.channels, stop - start), dtype=np.float32)
        out[:, : max(0, min(stop, self.frames) - start)] = self.audio[:, start:stop]
        return out


def test_a_track_rendered_old_and_new_in_one_revision_decodes_its_stem_once(band, tmp_path):
    """The changed track's old output is not in the cache: its old and new insert chains
    both run, on one read of each block of the stem, and the mix is a full render's."""
    stems, state = band
    cache = tmp_path / "cache"
    render(stems, state, cache_dir=cache, block_s=0.7)
    for path in cache.glob("track-*.npy"):
        path.unlink()
    counted = CountingStem(stems["vocal"].audio)
    stems = {**stems, "vocal": StemSource("vocal", stems["vocal"].key, counted)}
    changed = state.with_track("vocal", eq=(EqBand(freq_hz=8000, gain_db=4),))
    revised = render(stems, changed, cache_dir=cache, block_s=0.7)
    assert revised.base is not None and revised.rendered == ["vocal"]
    assert counted.reads and len(counted.reads) == len(set(counted.reads))
    np.testing.assert_array_equal(revised.premaster, render(stems, changed).premaster)


def test_a_revision_reads_the_cached_old_output_and_caches_the_new_one_in_a_full_cache(
    band, tmp_path
):
    """With the cache nearly full, the room for the revision's mix is made from the outputs
    of tracks the brief did not touch (least recently used first), never from the changed
    track's old output it is about to read; and the changed track's new output is kept."""
    import os

    from mixchat.dsp.cache import CacheBudget
    from mixchat.dsp.render_plan import track_cache_key

    stems, state = band
    state = without_sends(state)
    cache = tmp_path / "cache"
    render(stems, state, cache_dir=cache)
    old = (
        cache
        / f"track-{track_cache_key(state.track('vocal'), stem_key=stems['vocal'].key, sample_rate=RATE)}.npy"
    )
    os.utime(old, (1.0, 1.0))  # the least recently used file
    budget = CacheBudget(
        cache, limit_bytes=CacheBudget(cache, limit_bytes=0).used_bytes() + 300_000
    )
    counted = CountingStem(stems["vocal"].audio)
    stems = {**stems, "vocal": StemSource("vocal", stems["vocal"].key, counted)}
    changed = state.with_track("vocal", eq=(EqBand(freq_hz=8000, gain_db=4),))
    revised = render_mix(
        stems=stems, state=changed, sample_rate=RATE, cache_dir=cache, budget=budget
    )
    assert revised.base is not None and revised.mix_file is not None
    assert len(counted.reads) == len(set(counted.reads))  # the old output came from the cache
    new = track_cache_key(changed.track("vocal"), stem_key=stems["vocal"].key, sample_rate=RATE)
    assert (cache / f"track-{new}.npy").exists()
    assert budget.used_bytes() <= budget.limit_bytes
    np.testing.assert_array_equal(revised.premaster, render(stems, changed).premaster)


def test_an_old_output_run_again_takes_free_room_only_and_evicts_no_other_track(band, tmp_path):
    """The changed track's old output (not in the cache, run again to take it out of the mix)
    is kept only where there is free room: the outputs of the tracks the change left alone
    stay, and the changed track's new output is kept."""
    from mixchat.dsp.audio_io import npy_nbytes
    from mixchat.dsp.cache import CacheBudget
    from mixchat.dsp.render_plan import track_cache_key

    stems, state = band
    state = without_sends(state)
    cache = tmp_path / "cache"
    render(stems, state, cache_dir=cache)

    def output(step: MixState, name: str):
        key = track_cache_key(step.track(name), stem_key=stems[name].key, sample_rate=RATE)
        return cache / f"track-{key}.npy"

    output(state, "vocal").unlink()
    others = [output(state, name) for name in ("drums", "bass", "keys")]
    vocal = npy_nbytes(stems["vocal"].audio.shape)
    mix = npy_nbytes((2, stems["drums"].audio.shape[1]), "<f8")
    room = mix + vocal + vocal // 2  # the new mix and the new vocal, not the old vocal too
    budget = CacheBudget(cache, limit_bytes=CacheBudget(cache, limit_bytes=0).used_bytes() + room)
    changed = state.with_track("vocal", eq=(EqBand(freq_hz=8000, gain_db=4),))
    revised = render_mix(
        stems=stems, state=changed, sample_rate=RATE, cache_dir=cache, budget=budget
    )
    assert revised.base is not None and revised.mix_file is not None
    assert all(path.exists() for path in others)
    assert output(changed, "vocal").exists() and not output(state, "vocal").exists()
    np.testing.assert_array_equal(revised.premaster, render(stems, changed).premaster)


def test_a_mix_set_gets_its_room_from_the_track_outputs_it_reads(band, tmp_path):
    """A render whose track outputs are all cached, into a cache with no room left for its
    mix: the mix set is worth more than any track output, so it is kept (the outputs go)."""
    from mixchat.dsp.audio_io import npy_nbytes
    from mixchat.dsp.cache import CacheBudget

    stems, state = band
    cache = tmp_path / "cache"
    render(stems, state, cache_dir=cache)
    for pattern in ("mix-*", "send-*", "bus-*"):
        for path in cache.glob(pattern):
            path.unlink()
    frames = stems["drums"].audio.shape[1]
    mix_set = (
        2 * npy_nbytes((2, frames))  # the returns
        + npy_nbytes((1, frames), "<f8")  # the reverb's send
        + 2 * npy_nbytes((2, frames), "<f8")  # the delay's send and the mix
        + 4096  # the manifest
    )
    outputs = sum(p.stat().st_size for p in cache.glob("track-*.npy"))
    used = CacheBudget(cache, limit_bytes=0).used_bytes()
    budget = CacheBudget(cache, limit_bytes=used + mix_set - outputs // 2)
    again = render_mix(stems=stems, state=state, sample_rate=RATE, cache_dir=cache, budget=budget)
    assert again.mix_file is not None and again.mix_file.exists()
    assert budget.used_bytes() <= budget.limit_bytes
    np.testing.assert_array_equal(again.premaster, render(stems, state).premaster)


def test_a_trimmed_only_output_is_not_cached_and_renders_the_same(band, tmp_path):
    """A track whose inserts are only a trim (and a polarity flip) is its stem times a gain:
    it is run again from the stem instead of written to the track cache, and the mix is the
    same samples, rendered fresh or from a cache without it."""
    from mixchat.dsp.render_plan import track_cache_key

    stems, state = band
    state = state.with_track("keys", trim_db=-4.5, polarity_inverted=True, gate=None)
    state = state.with_track("vocal", trim_db=3.0)  # beside its EQ: cached as before
    cache = tmp_path / "cache"
    first = render(stems, state, cache_dir=cache)

    def output(name: str):
        key = track_cache_key(state.track(name), stem_key=stems[name].key, sample_rate=RATE)
        return cache / f"track-{key}.npy"

    assert not output("keys").exists()
    assert output("vocal").exists() and output("drums").exists()
    np.testing.assert_array_equal(first.premaster, render(stems, state).premaster)
    for path in cache.glob("mix-*"):
        path.unlink()  # the next render mixes the tracks again, from the cache where it can
    again = render(stems, state, cache_dir=cache)
    np.testing.assert_array_equal(again.premaster, first.premaster)
    assert "keys" in again.rendered and "vocal" in again.cached


def test_a_brief_from_the_parents_send_sums_keeps_none_and_the_next_ones_rebuild_them(
    band, tmp_path
):
    """A revision whose buses start from its base's send sums writes its mix and returns,
    not its send sums: a brief from the same parent starts from the parent's again, and a
    brief from the revision rebuilds them from the parent's (and keeps them, having moved
    senders its own change did not). Every mix is a full render's, bit for bit."""
    stems, state = band
    cache = tmp_path / "cache"

    def sends() -> set[str]:
        return {p.name for p in cache.glob("send-*.npy")}

    render(stems, state, cache_dir=cache)
    first = sends()
    assert len(first) == 2  # a render from scratch keeps both
    vocal = state.with_track("vocal", eq=(EqBand(freq_hz=8000, gain_db=4),))
    returns = {p.name for p in cache.glob("bus-*.npy")}
    revised = render(stems, vocal, cache_dir=cache)
    assert revised.base is not None and revised.mix_file is not None
    assert sends() == first  # the vocal's send sums are the parent's with the vocal moved
    import json

    listed = json.loads(revised.mix_file.with_suffix(".json").read_text())["buses"]
    assert {entry["from"] for entry in listed.values()} == {revised.base}  # kept while newest
    assert len({p.name for p in cache.glob("bus-*.npy")} - returns) == 2  # its returns kept
    np.testing.assert_array_equal(revised.premaster, render(stems, vocal).premaster)

    follow_up = vocal.with_track("keys", reverb_send_db=-3.0)  # from the revision
    again = render(stems, follow_up, cache_dir=cache)
    assert again.base == revised.mix_file.stem.removeprefix("mix-")
    assert len(sends() - first) == 1  # the reverb's, rebuilt with the vocal moved too: kept
    np.testing.assert_array_equal(again.premaster, render(stems, follow_up).premaster)

    sibling = state.with_track("vocal", gain_db=-3.0)  # from the parent again
    before = sends()
    other = render(stems, sibling, cache_dir=cache)
    assert sends() == before
    np.testing.assert_array_equal(other.premaster, render(stems, sibling).premaster)


@pytest.mark.parametrize("evicted", ["first", "second"])
def test_of_two_bases_that_cost_the_same_the_one_whose_outputs_are_cached_is_chosen(
    band, tmp_path, monkeypatch, evicted
):
    """Two cached mixes differ only in the vocal; a third vocal setting can start from
    either (its old vocal out, the new one in). Whichever's old vocal output is no longer in
    the cache, the render starts from the other: only the new vocal's chain runs, and the
    mix is a full render's."""
    import mixchat.dsp.render as render_module
    from mixchat.dsp.render_plan import mix_key, track_cache_key

    stems, state = band
    state = without_sends(state)
    cache = tmp_path / "cache"
    steps = [state.with_track("vocal", eq=(EqBand(freq_hz=f, gain_db=4),)) for f in (2e3, 5e3)]
    for step in steps:
        render(stems, step, cache_dir=cache)
    gone, kept = steps if evicted == "first" else steps[::-1]
    key = track_cache_key(gone.track("vocal"), stem_key=stems["vocal"].key, sample_rate=RATE)
    (cache / f"track-{key}.npy").unlink()
    chains: list[str] = []
    real = render_module.insert_chain

    def counted(track, **kwargs):
        chains.append(track.name)
        return real(track, **kwargs)

    monkeypatch.setattr(render_module, "insert_chain", counted)
    target = state.with_track("vocal", eq=(EqBand(freq_hz=9e3, gain_db=4),))
    revised = render(stems, target, cache_dir=cache)
    frames = stems["drums"].audio.shape[1]
    stem_keys = {name: stem.key for name, stem in stems.items()}
    assert revised.base == mix_key(kept, stem_keys=stem_keys, sample_rate=RATE, frames=frames)
    assert chains == ["vocal"]
    np.testing.assert_array_equal(revised.premaster, render(stems, target).premaster)
