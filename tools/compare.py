"""Differences between two versions: settings, measured metrics, and level-matched audio."""

from __future__ import annotations

from typing import Any

import numpy as np

from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.state import MixState
from mixchat.tools.settings_text import compressor, eq_band

KEY_METRICS = (
    ("integrated_lufs", "LUFS"),
    ("true_peak_dbtp", "dBTP"),
    ("loudness_range_lu", "LU"),
    ("plr_db", "dB"),
    ("spectral_centroid_hz", "Hz"),
    ("spectral_tilt_db_per_octave", "dB/oct"),
    ("stereo_width", ""),
    ("correlation", ""),
)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, float):
        return {prefix: round(value, 2)}
    return {prefix: value}


def _automation_key(item: dict[str, Any]) -> str:
    where = item["label"] or "range"
    return f"{item['track'] or 'mix'} {where} {item['start_s']:.1f}-{item['end_s']:.1f}s"


def _state_dict(state: MixState) -> dict[str, Any]:
    """Settings keyed by what a producer would name them; EQ bands and compressors read as one
    line each (``bell -3.0 dB at 2.2 kHz (Q 1.2)``) so a new band is one row, not four."""
    data = state.model_dump(mode="json")
    tracks = {}
    for track, raw in zip(state.tracks, data["tracks"]):
        settings = {k: v for k, v in raw.items() if k not in ("name", "eq", "compressor")}
        settings["eq"] = {f"band {i + 1}": eq_band(band) for i, band in enumerate(track.eq)}
        settings["compressor"] = compressor(track.compressor) if track.compressor else None
        tracks[track.name] = settings
    data["tracks"] = tracks
    data["master"]["trim_db"] = state.master.trim_db  # left out of a dump when 0
    data["master"]["eq"] = {
        f"band {i + 1}": eq_band(band) for i, band in enumerate(state.master.eq)
    }
    automation = {}
    for item in data["automation"]:
        automation[_automation_key(item)] = {
            k: item[k] for k in ("gain_db", "reverb_send_db", "delay_send_db")
        }
    data["automation"] = automation
    return data


def state_diff(a: MixState, b: MixState) -> list[tuple[str, Any, Any]]:
    """(setting path, value in a, value in b) for every setting that differs."""
    flat_a, flat_b = _flatten(_state_dict(a)), _flatten(_state_dict(b))
    rows = []
    for key in sorted(set(flat_a) | set(flat_b)):
        old, new = flat_a.get(key), flat_b.get(key)
        if old != new:
            rows.append((key, old, new))
    return rows


def metric_rows(metrics_a: dict[str, Any], metrics_b: dict[str, Any]) -> list[dict[str, Any]]:
    """Key mix metrics and band shares for two versions, with their differences."""
    mix_a, mix_b = metrics_a.get("mix", {}), metrics_b.get("mix", {})
    rows = []
    for key, unit in KEY_METRICS:
        if key in mix_a and key in mix_b:
            rows.append(
                {
                    "metric": key,
                    "unit": unit,
                    "a": mix_a[key],
                    "b": mix_b[key],
                    "delta": mix_b[key] - mix_a[key],
                }
            )
    shares_a, shares_b = mix_a.get("band_shares_db", {}), mix_b.get("band_shares_db", {})
    for band in shares_a:
        if band in shares_b:
            rows.append(
                {
                    "metric": f"band {band}",
                    "unit": "dB",
                    "a": shares_a[band],
                    "b": shares_b[band],
                    "delta": shares_b[band] - shares_a[band],
                }
            )
    return rows


def level_match(
    a: np.ndarray, b: np.ndarray, *, sample_rate: int
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Both renders brought to the quieter one's integrated loudness (never louder)."""
    lufs_a = integrated_lufs(a, sample_rate=sample_rate)
    lufs_b = integrated_lufs(b, sample_rate=sample_rate)
    if not (np.isfinite(lufs_a) and np.isfinite(lufs_b)):
        return a, b, 0.0, 0.0
    target = min(lufs_a, lufs_b)
    gain_a, gain_b = target - lufs_a, target - lufs_b
    scale = lambda x, g: (x * np.float32(10 ** (g / 20))).astype(np.float32)  # noqa: E731
    return scale(a, gain_a), scale(b, gain_b), gain_a, gain_b
