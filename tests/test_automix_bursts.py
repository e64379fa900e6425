"""Edit clicks at the cuts: a spike in the first or last moments of a mix that peaks over all
the music is found, and the headroom pass gives up loudness (down to the genre's floor) and
then dips it just under the ceiling, instead of letting it bring every fader down."""

from __future__ import annotations

import numpy as np

from mixchat.dsp.loudness import integrated_lufs, true_peak_dbtp
from mixchat.tools.automix_bursts import (
    EdgeMeter,
    dipped_peak_dbtp,
    edge_dips,
    edge_spikes,
    measure_edges,
    spared_shift,
)

RATE = 44100


def _music(seconds: float = 4.0, level: float = 0.05) -> np.ndarray:
    """A steady, band-limited stand-in for music: a few partials with a slow tremolo."""
    t = np.arange(int(seconds * RATE)) / RATE
    tone = sum(np.sin(2 * np.pi * f * t + f) for f in (110.0, 220.0, 330.0, 550.0, 880.0))
    tone *= 1.0 + 0.3 * np.sin(2 * np.pi * 0.5 * t)
    mono = (level * tone / 5.0).astype(np.float32)
    return np.stack([mono, 0.9 * mono])


def _with_spike(
    audio: np.ndarray, at_s: float, *, ms: float = 2.0, value: float = 0.98
) -> np.ndarray:
    out = audio.copy()
    start = int(at_s * RATE)
    out[:, start : start + int(ms * RATE / 1000)] = value
    return out


def test_a_spike_at_the_end_is_found_and_a_spike_in_the_body_is_not() -> None:
    music = _music()
    end = _with_spike(music, 4.0 - 0.03)
    spikes = edge_spikes(measure_edges(end, sample_rate=RATE))
    assert len(spikes) == 1
    assert 3.96 <= spikes[0].start_s <= 3.975
    assert spikes[0].peak_dbtp > spikes[0].body_dbtp + 20.0
    body = _with_spike(music, 2.0)
    assert edge_spikes(measure_edges(body, sample_rate=RATE)) == []  # the de-click's
    assert edge_spikes(measure_edges(music, sample_rate=RATE)) == []


def test_the_edge_meter_streams_as_the_whole_array_measures() -> None:
    audio = _with_spike(_music(), 0.05)
    streamed = EdgeMeter(frames=audio.shape[1], sample_rate=RATE)
    for start in range(0, audio.shape[1], 4096):
        streamed.feed(start, audio[:, start : start + 4096])
    whole = measure_edges(audio, sample_rate=RATE)
    assert np.array_equal(streamed.head, whole.head)
    assert np.array_equal(streamed.tail, whole.tail)
    assert abs(streamed.body_dbtp() - whole.body_dbtp()) < 1e-6
    assert edge_spikes(streamed) == edge_spikes(whole)


def test_headroom_spares_loudness_first_then_dips_only_what_the_ceiling_needs() -> None:
    audio = _with_spike(_music(), 0.05)
    edges = measure_edges(audio, sample_rate=RATE)
    spikes = edge_spikes(edges)
    lufs = integrated_lufs(audio, sample_rate=RATE)
    ceiling, target, floor = -1.5, -18.0, -23.0
    shift = min(target - lufs, ceiling - spikes[0].body_dbtp)
    shift = spared_shift(
        spikes, shift_db=shift, spare_db=lufs + shift - floor, ceiling_dbtp=ceiling
    )
    assert abs(lufs + shift - floor) < 0.01  # loudness given up down to the floor, not further
    dips = edge_dips(spikes, shift_db=shift, ceiling_dbtp=ceiling)
    assert len(dips) == 1
    peak = dipped_peak_dbtp(edges, dips) + shift
    assert ceiling - 0.5 <= peak <= ceiling + 0.05  # just under the ceiling, no deeper
    assert peak < true_peak_dbtp(audio, sample_rate=RATE) + shift - 10.0


def test_a_spike_the_floor_absorbs_gets_no_dip() -> None:
    audio = _with_spike(_music(), 0.05, value=0.12)
    spikes = edge_spikes(measure_edges(audio, sample_rate=RATE))
    assert spikes
    lufs = integrated_lufs(audio, sample_rate=RATE)
    shift = spared_shift(spikes, shift_db=-18.0 - lufs, spare_db=5.0, ceiling_dbtp=-1.5)
    assert edge_dips(spikes, shift_db=shift, ceiling_dbtp=-1.5) == []
