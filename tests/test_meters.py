"""Streaming meters equal the whole-array measures, wherever the blocks are cut."""

from __future__ import annotations

import numpy as np
import pytest

from mixchat.dsp import loudness
from mixchat.dsp.masking import stem_bands
from mixchat.dsp.meters import (
    BandMeter,
    BlockPowers,
    EnergyMeter,
    LoudnessMeter,
    PeakMeter,
    SpectrumMeter,
)
from mixchat.dsp.spectrum import mid_side_power_spectra, mono_power_spectrum
from mixchat.dsp.stereo import channel_energies

RATE = 44100


def signal(seconds: float, channels: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    tone = np.sin(2 * np.pi * 220 * t) * (0.3 + 0.2 * np.sin(2 * np.pi * 0.5 * t))
    audio = rng.standard_normal((channels, t.size)) * 0.05 + tone
    audio[:, t.size // 3 : t.size // 3 + 5] = 0.97  # a peak between samples
    return audio.astype(np.float32)


def feed(meter, audio: np.ndarray, cuts: list[int]) -> None:
    edges = [0, *cuts, audio.shape[1]]
    for lo, hi in zip(edges, edges[1:]):
        meter.feed(audio[:, lo:hi])


CUTS = [[], [1], [4410, 4411, 100000], [12345, 77777, 200001]]


@pytest.mark.parametrize("cuts", CUTS)
@pytest.mark.parametrize("channels", [1, 2])
def test_loudness_blocks_match_the_whole_array_meter(cuts, channels):
    audio = signal(6.1, channels)
    meter = LoudnessMeter(channels=channels, sample_rate=RATE, ranges=((22050, 200000),))
    feed(meter, audio, cuts)
    power = loudness.weighted_power(audio, sample_rate=RATE)
    np.testing.assert_allclose(
        meter.momentary(), loudness.momentary_block_powers(power, sample_rate=RATE), rtol=1e-9
    )
    np.testing.assert_allclose(
        meter.short_term(), loudness.short_term_block_powers(power, sample_rate=RATE), rtol=1e-9
    )
    section = loudness.window_means(power[22050:200000], window=17640, hop=4410)
    np.testing.assert_allclose(meter.range_blocks()[0], section, rtol=1e-9)
    assert meter.integrated_lufs() == pytest.approx(
        loudness.integrated_lufs(audio, sample_rate=RATE), abs=1e-9
    )


@pytest.mark.parametrize("cuts", CUTS)
def test_true_peak_matches(cuts):
    audio = signal(3.0, 2)
    meter = PeakMeter(channels=2)
    feed(meter, audio, cuts)
    assert meter.finish() == pytest.approx(loudness.sample_and_true_peak(audio), rel=1e-6)


@pytest.mark.parametrize("cuts", CUTS)
@pytest.mark.parametrize("seconds", [0.05, 2.0, 31.0])
def test_spectra_match(cuts, seconds):
    audio = signal(seconds, 2)
    cuts = [c for c in cuts if c < audio.shape[1]]
    mono = SpectrumMeter(channels=2, sample_rate=RATE, total=audio.shape[1], rows="mono")
    mid_side = SpectrumMeter(channels=2, sample_rate=RATE, total=audio.shape[1], rows="mid_side")
    feed(mono, audio, cuts)
    feed(mid_side, audio, cuts)
    freqs, psd = mono_power_spectrum(audio, sample_rate=RATE)
    got_freqs, got = mono.result()
    np.testing.assert_array_equal(got_freqs, freqs)
    np.testing.assert_allclose(got[0], psd, rtol=1e-6)
    _, mid, side = mid_side_power_spectra(audio, sample_rate=RATE)
    np.testing.assert_allclose(mid_side.result()[1], [mid, side], rtol=1e-6, atol=1e-20)


def test_energies_and_block_powers_match():
    audio = signal(2.0, 2)
    energies, blocks, mono = (
        EnergyMeter(),
        BlockPowers(size=4410),
        BlockPowers(size=2205, mono=True),
    )
    for meter in (energies, blocks, mono):
        feed(meter, audio, [1000, 50000])
    np.testing.assert_allclose(energies.totals, channel_energies(audio), rtol=1e-6)
    framed = audio[:, : 20 * 4410].reshape(2, 20, 4410)
    np.testing.assert_allclose(blocks.result(), (framed**2).sum(axis=(0, 2)) / 4410, rtol=1e-5)
    mono_sum = (audio[0] + audio[1]) * np.float32(0.5)
    expected = (mono_sum[: 40 * 2205].reshape(40, 2205).astype(np.float64) ** 2).mean(axis=1)
    np.testing.assert_allclose(mono.result(), expected, rtol=1e-5)


@pytest.mark.parametrize("cuts", CUTS)
@pytest.mark.parametrize("seconds", [0.01, 0.3, 7.0])
def test_bands_match_stem_bands(cuts, seconds):
    audio = signal(seconds, 2)
    cuts = [c for c in cuts if c < audio.shape[1]]
    meter = BandMeter(sample_rate=RATE, total=audio.shape[1])
    feed(meter, audio, cuts)
    got = meter.finish()
    expected = stem_bands(audio, sample_rate=RATE).power
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-12)


def test_bands_written_through_put_match():
    audio = signal(3.0, 1)
    out = np.zeros_like(stem_bands(audio, sample_rate=RATE).power)

    def put(frame: int, powers: np.ndarray) -> None:
        out[:, frame : frame + powers.shape[1]] = powers

    meter = BandMeter(sample_rate=RATE, total=audio.shape[1], put=put)
    feed(meter, audio, [7000, 90000])
    assert meter.finish() is None
    np.testing.assert_allclose(
        out, stem_bands(audio, sample_rate=RATE).power, rtol=2e-4, atol=1e-12
    )


@pytest.mark.parametrize("spill", [False, True])
@pytest.mark.parametrize("cuts", CUTS)
def test_section_features_stream_like_the_whole_spectrogram(cuts, spill):
    import soxr

    from mixchat.dsp.section_features import (
        ANALYSIS_RATE,
        SpectralFeatureMeter,
        spectral_features,
    )

    audio = signal(6.0, 1)
    meter = SpectralFeatureMeter(sample_rate=RATE, spill=spill)
    feed(meter, audio[0][np.newaxis], cuts)
    expected = spectral_features(soxr.resample(audio[0], RATE, ANALYSIS_RATE).astype(np.float32))
    got = meter.result()
    for name in ("bands", "chroma", "broad"):
        assert getattr(got, name).shape == getattr(expected, name).shape
        np.testing.assert_allclose(
            getattr(got, name), getattr(expected, name), rtol=1e-4, atol=1e-6
        )


@pytest.mark.parametrize("gain_db", [-7.5, 6.0])
def test_a_trimmed_signal_measures_as_its_analysis_scaled(gain_db):
    """A track whose inserts are only a trim is not measured again: its stem's analysis,
    scaled by the trim, reads as the trimmed signal measured (loudness, bands, centroid,
    crest, mid and side, loudness blocks, masking bands)."""
    from mixchat.dsp.track_meter import TrackMeter, gained

    audio = signal(6.0, 2)
    audio[:, : RATE // 2] = 0.0  # a silent start: the gate must read the scaled blocks

    def measured(x: np.ndarray):
        meter = TrackMeter(channels=2, sample_rate=RATE, total=x.shape[1], bands=True)
        feed(meter, x, [77777])
        return meter.result()

    expected = measured(audio * np.float32(10 ** (gain_db / 20)))
    got = gained(measured(audio), gain_db=gain_db)
    assert got is not None
    assert abs(got.facts["lufs"] - expected.facts["lufs"]) <= 0.002
    for name, level in expected.facts["band_energies_db"].items():
        assert abs(got.facts["band_energies_db"][name] - level) <= 0.002, name
    for name in ("spectral_centroid_hz", "crest_factor_db", "channels"):
        assert got.facts[name] == pytest.approx(expected.facts[name], abs=0.002), name
    for name in ("mid", "side"):
        assert got.facts[name] == pytest.approx(expected.facts[name], rel=1e-5), name
    np.testing.assert_allclose(got.blocks, expected.blocks, rtol=1e-4)
    loud = float(expected.bands.max())
    np.testing.assert_allclose(got.bands, expected.bands, rtol=1e-3, atol=loud * 1e-6)


def test_a_band_under_the_floor_is_not_raised_by_a_trim():
    """A band energy floored at FLOOR_DB hides how far under it the stem is: a trim up
    cannot say where it lands (the track is measured instead); a trim down keeps it there."""
    from mixchat.dsp.spectrum import FLOOR_DB
    from mixchat.dsp.track_meter import TrackAnalysis, gained

    facts = {
        "lufs": -30.0,
        "band_energies_db": {"sub": FLOOR_DB, "mid": -35.0},
        "spectral_centroid_hz": 900.0,
        "crest_factor_db": 12.0,
        "channels": 1.0,
        "mid": 1.0,
        "side": 0.0,
    }
    analysis = TrackAnalysis(facts=facts, blocks=np.full(50, 1e-3))
    assert gained(analysis, gain_db=3.0) is None
    lowered = gained(analysis, gain_db=-3.0)
    assert lowered is not None
    assert lowered.facts["band_energies_db"] == {"sub": FLOOR_DB, "mid": -38.0}
    assert lowered.facts["mid"] == pytest.approx(10**-0.3)
