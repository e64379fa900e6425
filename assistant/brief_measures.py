"""Measuring a brief's result: metrics shifted for fader-only changes, and the extra measures a
reply quotes (frequency ranges, spectral overlap, crest factor).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.planning import PlanContext
from dsp.state import MixState
from tools.engine import Engine
from tools.session import Version

Progress = Callable[[str, float], None]


MIX_LEVEL_FIELDS = (
    "integrated_lufs",
    "short_term_max_lufs",
    "momentary_max_lufs",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "rms_dbfs",
)


def shifted_metrics(
    metrics: dict[str, Any], delta_db: float, tracks: dict[str, Any]
) -> dict[str, Any]:
    """The metrics of the same render scaled by delta_db: with the master off, moving every
    fader by the same amount scales the pre-master mix exactly (sends, returns and automation
    follow the faders), so no second render is needed; shares, centroid, width, crest and
    LRA do not change."""
    mix = dict(metrics["mix"])
    for key in MIX_LEVEL_FIELDS:
        mix[key] = round(mix[key] + delta_db, 3)
    mix["band_energies_db"] = {k: v + delta_db for k, v in mix["band_energies_db"].items()}
    out = {**metrics, "mix": mix, "tracks": tracks}
    out["sections"] = [
        {**row, "lufs": row["lufs"] + delta_db if row["lufs"] > -70 else row["lufs"]}
        for row in metrics.get("sections", [])
    ]
    return out


def mix_spectrum(audio: np.ndarray, sample_rate: int) -> dict[str, list[float]]:
    """Third-octave band powers (dB) of the mix, 20 Hz-20 kHz: what band_hz measures read."""
    from dsp.spectrum import mono_sum, power_spectrum

    freqs, psd = power_spectrum(mono_sum(audio), sample_rate=sample_rate)
    centres = 20.0 * 2.0 ** (np.arange(31) / 3)
    lo, hi = centres * 2 ** (-1 / 6), centres * 2 ** (1 / 6)
    step = freqs[1] - freqs[0]
    cumulative = np.concatenate(([0.0], np.cumsum(psd)))
    a, b = np.searchsorted(freqs, lo), np.searchsorted(freqs, hi)
    power = (cumulative[b] - cumulative[a]) * step
    return {
        "centres_hz": [round(float(c), 1) for c in centres],
        "power_db": [round(float(10 * np.log10(max(p, 1e-30))), 3) for p in power],
    }


def extra_measures(
    engine: Engine,
    context: PlanContext,
    parent: Version,
    state: MixState,
    rendered: Any,
    before: dict[str, Any],
    after: dict[str, Any],
    measures: list[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Measures the stored metrics do not hold, computed from the renders only when the plan
    names them: band ranges (third-octave spectrum) and the spectral overlap of two stems."""
    rate = engine.meta.sample_rate
    before, after = dict(before), dict(after)
    if any(m.startswith("band_hz:") for m in measures):
        if "spectrum" not in before:
            before["spectrum"] = parent_spectrum(engine, parent)
        after["spectrum"] = mix_spectrum(rendered.audio, rate)
    pairs = [m for m in measures if m.startswith("overlap:")]
    if pairs:
        from dsp.masking import spectral_overlap

        getter = getattr(context, "stem_bands", None)
        before_extra, after_extra = dict(before.get("extra", {})), {}
        for measure in pairs:
            a, b = measure.split(":", 1)[1].split(",")
            if a not in context.tracks or b not in context.tracks:
                continue
            old_a, old_b = (getter(a), getter(b)) if getter else (None, None)
            if old_a is None or old_b is None:
                continue
            old = [old_a, old_b]
            new = [
                old[i]
                if state.track(n) == parent.state.track(n)
                else post_fader_audio(engine, state, n)
                for i, n in enumerate((a, b))
            ]
            before_extra[measure] = round(spectral_overlap(*old, sample_rate=rate), 4)
            after_extra[measure] = round(spectral_overlap(*new, sample_rate=rate), 4)
        before["extra"], after["extra"] = before_extra, after_extra
    return before, after


def parent_spectrum(engine: Engine, parent: Version) -> dict[str, list[float]]:
    """The parent's third-octave spectrum: from its metrics, else rendered once and kept in
    the session cache (versions are immutable, so the file never goes stale)."""
    import json

    path = engine.cache_dir / "spectra" / f"v{parent.version:04d}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    spectrum = mix_spectrum(engine.render(parent.state).audio, engine.meta.sample_rate)
    from tools.atomic import write_json_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, spectrum)
    return spectrum


def post_fader_audio(engine: Engine, state: MixState, name: str) -> np.ndarray:
    track = state.track(name)
    return engine.insert_output(track) * np.float32(10 ** (track.gain_db / 20))


def compensate_loudness(state: MixState, drift_lu: float) -> tuple[MixState, str]:
    """Shift every fader by -drift so before and after compare at the same loudness."""
    for track in state.tracks:
        state = state.with_track(
            track.name, gain_db=max(-60.0, min(24.0, track.gain_db - drift_lu))
        )
    return (
        state,
        f"all faders {-drift_lu:+.1f} dB to keep the mix loudness where it was (fair comparison)",
    )
