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


def drift_track(frames, sample_rate, *, drift_hz, rng):
    """A slow random wander of the mains frequency (Hz offset per sample), within
    +-``drift_hz``: a random walk smoothed over about 2 s, scaled to its largest excursion."""
    if drift_hz <= 0:
        return np.zeros(frames)
    hop = int(0.1 * sample_rate)
    steps = np.cumsum(rng.standard_normal(frames // hop + 3))
    steps = np.convolve(steps - steps.mean(), np.hanning(21) / np.hanning(21).sum(), mode="same")
    steps *= drift_hz / max(np.abs(steps).max(), 1e-12)
    return np.interp(np.arange(frames), np.arange(steps.size) * hop, steps)


def plant_hum(
    audio,
    sample_rate,
    *,
    f0,
    harmonics,
    level_db,
    rng,
    odd_weight=1.0,
    drift_hz=0.0,
    weights=None,
):
    """Hum of ``harmonics`` (k=1..n, falling 0.7^k, odd ones x odd_weight, or ``weights``) at
    ``level_db`` under the part's level; its frequency wanders within +-``drift_hz``."""
    frames = audio.shape[1]
    if weights is None:
        weights = [(0.7**k) * (odd_weight if k % 2 == 0 else 1.0) for k in range(harmonics)]
    phases = rng.uniform(0, 2 * np.pi, harmonics)
    offset = drift_track(frames, sample_rate, drift_hz=drift_hz, rng=rng)
    cycles = np.cumsum(f0 + offset) / sample_rate  # the fundamental's phase, in cycles
    hum = sum(
        w * np.sin(2 * np.pi * (k + 1) * cycles + p)
        for k, (w, p) in enumerate(zip(weights, phases))
    )
    hum *= 10 ** ((part_level_db(audio, sample_rate) + level_db) / 20) / np.sqrt(np.mean(hum**2))
    return (audio + hum[None, :]).astype(np.float32), {
        "f0": f0,
        "harmonics": harmonics,
        "hum": hum,
        "cycles": cycles,
    }


def random_hum(audio, sample_rate, rng, *, level_db=(-50.0, -35.0)):
    """Mains hum with random parameters: 50 or 60 Hz, off nominal by up to 0.15 Hz, wandering
    up to 0.05 Hz, 3-12 harmonics with random weights (a rectifier's buzz: even ones strong,
    or a transformer's: odd ones), at a random level under the part."""
    f0 = float(rng.choice([50.0, 60.0]) + rng.uniform(-0.15, 0.15))
    harmonics = int(rng.integers(3, 13))
    tilt = rng.uniform(0.55, 0.85)
    spread = 10 ** (rng.uniform(-6, 6, harmonics) / 20)
    kind = rng.choice(["plain", "odd", "even"])
    weights = [
        tilt**k
        * spread[k]
        * (2.0 if (kind == "odd" and k % 2 == 0) or (kind == "even" and k % 2 == 1) else 1.0)
        for k in range(harmonics)
    ]
    return plant_hum(
        audio,
        sample_rate,
        f0=f0,
        harmonics=harmonics,
        level_db=float(rng.uniform(*level_db)),
        rng=rng,
        drift_hz=float(rng.uniform(0.0, 0.05)),
        weights=weights,
    )


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
    """The vocal's own esses: frames (1024) within 40 dB of its loud ones whose 5-10 kHz
    band, against the rest of the voice, is in the top 5 % of its frames (a real vocal's
    esses rarely beat the voice's body outright, so the test is relative)."""
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
    active = total > np.percentile(total, 95) - 40
    ratio = 10 * np.log10(band + 1e-20) - 10 * np.log10(rest + 1e-20)
    ess = active & (ratio >= np.percentile(ratio[active], 95))
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
