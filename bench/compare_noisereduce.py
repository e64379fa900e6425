"""The noise stage against the ``noisereduce`` library's stationary spectral gating, on the
DEV noise cases of eval_cleanup only (never the held-out ones).

Both gate against the profile the detector learned on the stem's quiet passages:
noisereduce wants noise audio, so it is given 4 s of Gaussian noise shaped to that profile
(seeded), with the same FFT size as our gate. Prints, per case, the noise left in the quiet
passages (down, dB), the harm (largest third-octave change outside the fault, dB) and the
CPU seconds, for our gate and for noisereduce at a few of its thresholds and depths.

Run: .venv/bin/pip install noisereduce && .venv/bin/python bench/compare_noisereduce.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from eval_cleanup import DATA, cases, load, measure  # noqa: E402

from mixchat.dsp.cleanup.chain import clean_audio  # noqa: E402
from mixchat.dsp.cleanup.detect import detect_faults  # noqa: E402
from mixchat.dsp.cleanup.noise import frame_size  # noqa: E402
from mixchat.dsp.cleanup.spec import NoiseProfile  # noqa: E402
from mixchat.dsp.state import MixState, TrackState  # noqa: E402
from mixchat.tools.catalog import ToolContext, apply_calls  # noqa: E402
from mixchat.tools.cleanup_moves import noise_call  # noqa: E402

SETTINGS = [(1.5, 1.0), (1.5, 0.875), (2.0, 0.875), (1.0, 0.875)]  # (n_std, prop_decrease)


def profile_noise(profile: NoiseProfile, rate: int, *, seconds: float = 4.0) -> np.ndarray:
    """Gaussian noise whose power density follows ``profile`` (seeded)."""
    n = int(seconds * rate)
    spectrum = np.fft.rfft(np.random.default_rng(0).standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    density_db = np.interp(
        np.log(np.maximum(freqs, 1.0)), np.log(profile.freqs_hz), profile.density_db
    )
    spectrum *= np.sqrt(10.0 ** (density_db / 10.0) * rate / 2.0)
    return np.fft.irfft(spectrum, n=n).astype(np.float32)


def main() -> None:
    try:
        import noisereduce
    except ImportError:
        sys.exit("needs noisereduce: .venv/bin/pip install noisereduce")
    if not DATA.exists():
        sys.exit(f"needs {DATA}")
    for n, (label, folder, stem, role, kind, planter) in enumerate(cases(held_out=False)):
        if kind != "noise":
            continue
        clean, rate = load(folder, stem)
        faulty, info = planter(clean, rate, np.random.default_rng(n))
        faults = detect_faults(faulty, sample_rate=rate, role=role)
        if not faults.noise.found or faults.noise.profile is None:
            print(f"{label}: no noise found")
            continue
        track = TrackState(name="stem", role=role)
        context = ToolContext(sample_rate=rate, faults=lambda name, found=faults: found)
        state, _ = apply_calls(MixState(tracks=(track,)), [noise_call(track, faults)], context)
        cleanup = state.track("stem").cleanup
        start = time.process_time()
        cleaned = clean_audio(faulty, cleanup, sample_rate=rate)
        cpu = time.process_time() - start
        down, harm = measure("noise", clean, faulty, cleaned, rate, info)
        print(
            f"{label}\n    mixchat gate             down {down:5.1f} dB  harm {harm:.2f} dB  {cpu:.2f} s"
        )
        assert cleanup.denoise is not None
        noise = profile_noise(cleanup.denoise.profile, rate)
        for n_std, prop in SETTINGS:
            start = time.process_time()
            out = noisereduce.reduce_noise(
                y=faulty,
                sr=rate,
                y_noise=noise,
                stationary=True,
                n_std_thresh_stationary=n_std,
                prop_decrease=prop,
                n_fft=frame_size(rate),
                n_jobs=1,
            )
            cpu = time.process_time() - start
            down, harm = measure("noise", clean, faulty, out.astype(np.float32), rate, info)
            print(
                f"    noisereduce std {n_std:g} p {prop:g}  down {down:5.1f} dB  harm {harm:.2f} dB  "
                f"{cpu:.2f} s"
            )


if __name__ == "__main__":
    main()
