"""Replies that say what changed, why, and what was measured before and after."""

from __future__ import annotations

import math
import re
from typing import Any

from mixchat.assistant.planning.measures import (
    BandShare,
    BusReturn,
    Centroid,
    Crest,
    GroupLevel,
    Loudness,
    Measure,
    Overlap,
    RangeShare,
    SectionContrast,
    SectionLevel,
    TrackLevel,
    TrackPan,
    TrackRange,
    TrackWidth,
    TruePeak,
    Width,
)
from mixchat.tools.base import Change
from mixchat.tools.settings_text import db, hz, hz_span


def _power_sum_db(values: list[float]) -> float:
    total = sum(10 ** (v / 10) for v in values if v > -119)
    return 10 * math.log10(total) if total > 0 else -120.0


def track_vs_rest_db(metrics: dict[str, Any], track: str) -> float | None:
    return group_vs_rest_db(metrics, (track,))


def group_vs_rest_db(metrics: dict[str, Any], names: tuple[str, ...]) -> float | None:
    """The named tracks' summed loudness against the summed rest (None without either)."""
    tracks = metrics.get("tracks", {})
    inside = [t["lufs"] for name, t in tracks.items() if name in names]
    rest = [t["lufs"] for name, t in tracks.items() if name not in names]
    if not inside or not rest:
        return None
    return _power_sum_db(inside) - _power_sum_db(rest)


def _group_label(names: tuple[str, ...]) -> str:
    if len(names) <= 3:
        return " + ".join(names)
    return f"{', '.join(names[:2])} and {len(names) - 2} more"


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")


def _section_words(label: str, occurrence: int | None) -> str:
    name = label.replace("_", "-")
    if occurrence is None:
        return f"the {name}es" if name.endswith("s") else f"the {name}s"
    if occurrence > len(ORDINALS):
        return f"{name} {occurrence}"
    return f"the {ORDINALS[occurrence - 1]} {name}"


def section_contrast_db(
    metrics: dict[str, Any], label: str, occurrence: int | None = None
) -> float | None:
    """The mean loudness of the sections labelled ``label`` (or of its ``occurrence``-th
    one) against the mean of the rest."""
    sections = metrics.get("sections", [])
    same = [i for i, s in enumerate(sections) if s.get("label") == label]
    if occurrence is not None:
        same = same[occurrence - 1 : occurrence] if 0 < occurrence <= len(same) else []
    heard = [
        (i, s["lufs"])
        for i, s in enumerate(sections)
        if s.get("lufs") is not None and s["lufs"] > -70
    ]
    inside = [lufs for i, lufs in heard if i in same]
    outside = [lufs for i, lufs in heard if i not in same]
    if not inside or not outside:
        return None
    return sum(inside) / len(inside) - sum(outside) / len(outside)


def band_hz_share_db(metrics: dict[str, Any], low_hz: float, high_hz: float) -> float | None:
    """Share (dB) of the mix's power between low_hz and high_hz, from the stored
    third-octave spectrum (``spectrum``: centres_hz, power_db)."""
    spectrum = metrics.get("spectrum")
    if not spectrum:
        return None
    centres, levels = spectrum["centres_hz"], spectrum["power_db"]
    total = sum(10 ** (v / 10) for v in levels)
    inside = sum(10 ** (v / 10) for c, v in zip(centres, levels) if low_hz <= c < high_hz)
    if total <= 0 or inside <= 0:
        return None
    return 10 * math.log10(inside / total)


def _range_label(low_hz: float, high_hz: float) -> str:
    return f"{hz_span(low_hz, high_hz)} share"


def measure_value(metrics: dict[str, Any], measure: Measure) -> tuple[str, float | None, str]:
    """(label, value, unit) of one measure in a version's metrics (plus the measures
    computed from renders for this reply, under ``extra``)."""
    mix = metrics.get("mix", {})
    extra = metrics.get("extra", {})
    match measure:
        case RangeShare(low_hz=low, high_hz=high):
            return _range_label(low, high), band_hz_share_db(metrics, low, high), "dB"
        case Overlap(a=a, b=b):
            value = extra.get(measure.key)
            return f"{a}/{b} spectral overlap", None if value is None else 100 * value, "%"
        case TrackPan(track=name):
            return f"{name} pan (left − right level)", extra.get(measure.key), "dB"
        case TrackWidth(track=name):
            return f"{name} side/mid ratio", extra.get(measure.key), "dB"
        case TrackRange(track=name, low_hz=low, high_hz=high):
            return f"{name} {hz_span(low, high)} level", extra.get(measure.key), "dB"
        case Crest(track=None):
            return "mix crest factor", mix.get("crest_factor_db"), "dB"
        case Crest(track=str(name)):
            track = metrics.get("tracks", {}).get(name)
            return f"{name} crest factor", track.get("crest_factor_db") if track else None, "dB"
        case Centroid():
            return "spectral centroid", mix.get("spectral_centroid_hz"), "Hz"
        case BandShare(band=band):
            return (
                f"{band.replace('_', '-')} band share",
                mix.get("band_shares_db", {}).get(band),
                "dB",
            )
        case Width():
            return "side/mid ratio", mix.get("side_mid_ratio_db"), "dB"
        case TrackLevel(track=name):
            return f"{name} vs the rest", track_vs_rest_db(metrics, name), "LU"
        case GroupLevel(names=names):
            return f"{_group_label(names)} vs the rest", group_vs_rest_db(metrics, names), "LU"
        case SectionLevel(names=names, label=label, occurrence=occurrence):
            where = _section_words(label, occurrence)
            return f"{_group_label(names)} vs the rest in {where}", extra.get(measure.key), "LU"
        case SectionContrast(label=label, occurrence=occurrence):
            where = label if occurrence is None else _section_words(label, occurrence)
            contrast = section_contrast_db(metrics, label, occurrence)
            return f"{where} vs the rest of the song", contrast, "LU"
        case BusReturn(bus=bus):
            return f"{bus} return (RMS)", extra.get(measure.key), "dBFS"
        case TruePeak():
            return "true peak", mix.get("true_peak_dbtp"), "dBTP"
        case Loudness():
            return "loudness", mix.get("integrated_lufs"), "LUFS"
    return measure.key, None, ""


def _format(value: float, unit: str) -> str:
    if unit == "dBFS" and value <= -119.0:
        return "off"
    if unit == "Hz":
        return hz(value)
    if unit == "%":
        return f"{value:.0f}%"
    return db(value, unit) if unit in ("dB", "LU") else f"{value:.1f} {unit}"


def measured_lines(
    before: dict[str, Any], after: dict[str, Any], measures: list[Measure]
) -> list[str]:
    lines = []
    seen = set()
    for measure in [*dict.fromkeys(measures), Loudness()]:
        label, old, unit = measure_value(before, measure)
        _, new, _ = measure_value(after, measure)
        if old is None or new is None or label in seen:
            continue
        seen.add(label)
        if unit == "Hz" and old > 0:
            lines.append(
                f"{label} {_format(old, unit)} → {_format(new, unit)} ({100 * (new / old - 1):+.0f}%)"
            )
        else:
            lines.append(f"{label} {_format(old, unit)} → {_format(new, unit)}")
    return lines


def reply_header(*, version: int, parent: int | None, planner: str) -> str:
    origin = f"from v{parent}, " if parent is not None else ""
    return f"**Version {version}** ({origin}{planner})"


def compose_reply(
    *,
    changes: list[Change],
    before: dict[str, Any],
    after: dict[str, Any],
    measures: list[Measure],
    message: str = "",
    notes: list[str] | None = None,
) -> str:
    lines = []
    for change in changes:  # the plan's message repeats the reasons listed below
        if change.reason:  # as said, or opening a sentence there ("vocals carries ...")
            for said in (change.reason, change.reason[0].upper() + change.reason[1:]):
                message = message.replace(said, "")
    message = " ".join(message.split())
    message = re.sub(r"^[\s.;:,]+", "", re.sub(r"\.(?:\s*\.)+", ".", message))  # reasons gone
    if message:
        lines.append(message)
    for change in changes:
        why = f" — {change.reason}" if change.reason else ""
        lines.append(f"- {change.summary}{why}")
    for note in notes or []:
        lines.append(f"- {note}")
    measured = measured_lines(before, after, measures)
    if measured:
        lines.append("Measured on the render, before → after: " + "; ".join(measured) + ".")
    return "\n".join(lines)


def summarise(changes: list[Change], limit: int = 3) -> str:
    parts = [c.summary for c in changes[:limit]]
    more = f" (+{len(changes) - limit} more)" if len(changes) > limit else ""
    return "; ".join(parts) + more if parts else "no change"
