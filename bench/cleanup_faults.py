"""Planted faults for the clean-up evaluation and tests: each returns the faulty audio and
what was planted (for the measures). Seeded; reads nothing but the audio it is given."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt


def part_level_db(audio: np.ndarray, sample_rate: int) -> float:
    """RMS level (dBFS) of the playing part: 50 ms blocks within 30 dB of the loud ones."""
    hop = int(0.05 * sample_rate)
    count = audio.shape[1] // hop
    power = np.mean(audio[:, : count * hop].reshape(audio.shape[0], count, hop) ** 2, axis=(0, 2))
    level = 10 * np.log10(power + 1e-20)
    loud = np.percentile(level, 95)
    return float(10 * np.log10(np.mean(power[level > loud - 30]) + 1e-20))


def plant_hum(audio, sample_rate, *, f0, harmonics, level_db, rng, odd_weight=1.0):
    """Hum of ``harmonics`` (k=1..n, falling 0.7^k, odd ones x odd_weight) at ``level_db``
    under the part's level."""
    t = np.arange(audio.shape[1]) / sample_rate
    weights = [(0.7**k) * (odd_weight if k % 2 == 0 else 1.0) for k in range(harmonics)]
    phases = rng.uniform(0, 2 * np.pi, harmonics)
    hum = sum(
        w * np.sin(2 * np.pi * f0 * (k + 1) * t + p)
        for k, (w, p) in enumerate(zip(weights, phases))
    )
    hum *= 10 ** ((part_level_db(audio, sample_rate) + level_db) / 20) / np.sqrt(np.mean(hum**2))
    return (audio + hum[None, :]).astype(np.float32), {"f0": f0, "harmonics": harmonics, "hum": hum}


def plant_noise(audio, sample_rate, *, level_db, rng, colour="white"):
    noise = rng.standard_normal(audio.shape)
    if colour == "pink":
        spectrum = np.fft.rfft(noise, axis=1)
        freqs = np.fft.rfftfreq(audio.shape[1], 1 / sample_rate)
        spectrum /= np.sqrt(np.maximum(freqs, 20.0))
        noise = np.fft.irfft(spectrum, n=audio.shape[1], axis=1)
    noise *= 10 ** ((part_level_db(audio, sample_rate) + level_db) / 20) / np.sqrt(
        np.mean(noise**2)
    )
    return (audio + noise).astype(np.float32), {"noise": noise.astype(np.float32)}


def plant_clicks(audio, sample_rate, *, count, rng, low, high, shape="short"):
    out = audio.copy()
    edge = int(0.2 * sample_rate)
    positions = np.sort(rng.choice(np.arange(edge, audio.shape[1] - edge), count, replace=False))
    peak = float(np.abs(audio).max())
    amps = []
    for p in positions:
        amp = peak * rng.uniform(low, high) * rng.choice([-1, 1])
        if shape == "short":
            pulse = np.array([1.0, -0.6, 0.3])
        elif shape == "impulse":
            pulse = np.array([1.0])
        else:  # a 1 ms damped burst
            n = int(0.001 * sample_rate)
            pulse = np.sin(np.arange(n) * 2.1) * np.exp(-np.arange(n) / (n / 4))
        out[:, p : p + pulse.size] += amp * pulse
        amps.append(abs(amp))
    return out, {"positions": positions, "amplitudes": np.array(amps)}


def plant_dc(audio, sample_rate, *, offset):
    return (audio + np.float32(offset)).astype(np.float32), {"offset": offset}


def plant_plosives(audio, sample_rate, *, count, freq_hz, length_s, rng, gain=0.8):
    out = audio.copy()
    active = np.flatnonzero(np.abs(audio).max(axis=0) > 0.05 * np.abs(audio).max())
    active = active[(active > sample_rate) & (active < audio.shape[1] - sample_rate)]
    positions = np.sort(rng.choice(active, count, replace=False)) if active.size else []
    n = int(length_s * sample_rate)
    t = np.arange(n) / sample_rate
    thump = (
        np.sin(2 * np.pi * freq_hz * t) * np.exp(-t / (length_s / 3)) * np.abs(audio).max() * gain
    )
    for p in positions:
        out[:, p : p + n] += thump[: out.shape[1] - p]
    return out.astype(np.float32), {"positions": np.array(positions), "length": n}


def _ess_mask(audio, sample_rate):
    size = 1024
    mono = audio.mean(axis=0)
    count = mono.size // size
    spec = (
        np.abs(np.fft.rfft(mono[: count * size].reshape(count, size) * np.hanning(size), axis=1))
        ** 2
    )
    freqs = np.fft.rfftfreq(size, 1 / sample_rate)
    band = spec[:, (freqs >= 5000) & (freqs < 10000)].sum(1)
    rest = spec[:, (freqs >= 80) & (freqs < 5000)].sum(1)
    total = 10 * np.log10(band + rest + 1e-20)
    ess = (band > rest) & (total > np.percentile(total, 95) - 40)
    mask = np.pad(np.repeat(ess, size).astype(np.float32), (0, audio.shape[1] - count * size))
    return mask


def plant_sibilance(audio, sample_rate, *, boost_db, rng, mode="boost", bursts=12):
    """``boost``: the 5-10 kHz band of the vocal's own esses raised ``boost_db``; ``bursts``:
    band-passed noise bursts (60-140 ms) at ``boost_db`` against the part, where it sings."""
    sos = butter(4, [5000, 10000], btype="band", fs=sample_rate, output="sos")
    if mode == "boost":
        mask = _ess_mask(audio, sample_rate)
        from scipy.ndimage import uniform_filter1d

        mask = uniform_filter1d(mask, int(0.005 * sample_rate))
        band = sosfilt(sos, audio, axis=-1)
        out = audio + band * (10 ** (boost_db / 20) - 1) * mask
        return out.astype(np.float32), {"mask": mask > 0.5}
    out = audio.copy()
    mask = np.zeros(audio.shape[1], dtype=bool)
    active = np.flatnonzero(np.abs(audio).max(axis=0) > 0.1 * np.abs(audio).max())
    active = active[(active > sample_rate) & (active < audio.shape[1] - sample_rate)]
    level = 10 ** ((part_level_db(audio, sample_rate) + boost_db) / 20)
    for p in np.sort(rng.choice(active, min(bursts, active.size), replace=False)):
        n = int(rng.uniform(0.06, 0.14) * sample_rate)
        noise = sosfilt(sos, rng.standard_normal(n)) * np.hanning(n)
        noise *= level / np.sqrt(np.mean(noise**2) + 1e-20)
        out[:, p : p + n] += noise[: out.shape[1] - p]
        mask[p : p + n] = True
    return out.astype(np.float32), {"mask": mask}
