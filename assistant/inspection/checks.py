"""The checks behind `mixchat feedback`: each returns items with numbers and one action.

An item is ``{severity, title, detail, action, measured, key}``; ``key`` names the problem
(e.g. ``clipping``, ``buried_vocal``, ``kick_bass_masking``, ``wide_low_end``) so scripts and
tests can rely on it while the wording stays free.
"""

from __future__ import annotations

import math
import re
from typing import Any

from mixchat.dsp.spectrum import BANDS_HZ

Item = dict[str, Any]
TRUE_PEAK_LIMIT_DBTP = -1.0
PLR_SQUASHED_DB = 7.0
LRA_WIDE_LU = 15.0
PREMASTER_HOT_LUFS = -14.0
PREMASTER_QUIET_LUFS = -28.0
LOW_END_WIDE = 0.25  # side/mid energy ratio under 150 Hz (-6 dB)
LOW_END_LOOSE = 0.1
BURIED_VOCAL_LU = -6.0
MASKING_MIN_SEVERITY = 0.25
MASKING_MIN_OVERLAP_PCT = 20.0
KICK_BASS_MIN_SEVERITY = 0.12  # kick hits are short: their conflicts average low over time
UNHELPFUL_NAME = re.compile(
    r"^(audio|track|trk|untitled|stem|bounce|ch|channel|inst|new)[\s_\-]*\d*$", re.I
)
BAND_ACTION_HZ = {
    "sub": 45,
    "low": 120,
    "low_mid": 350,
    "mid": 1000,
    "presence": 3500,
    "air": 10000,
}
KICK_SOURCES = {"kick", "drums"}
VOCALS = {"vocal", "lead_vocal"}


def item(key: str, severity: str, title: str, detail: str, action: str, **measured: Any) -> Item:
    clean = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in measured.items()}
    return {
        "key": key,
        "severity": severity,
        "title": title,
        "detail": detail,
        "action": action,
        "measured": clean,
    }


# --- loudness and dynamics ---------------------------------------------------------------
def loudness_items(mix: dict[str, Any], *, kind: str) -> list[Item]:
    items = []
    peak, lufs = mix["true_peak_dbtp"], mix["integrated_lufs"]
    if peak > TRUE_PEAK_LIMIT_DBTP:
        items.append(
            item(
                "true_peak",
                "high" if peak > 0.0 else "medium",
                "True peak over -1 dBTP",
                f"The mix peaks at {peak:+.1f} dBTP; encoders and converters will clip it.",
                f"Pull every fader down {peak - TRUE_PEAK_LIMIT_DBTP + 0.5:.1f} dB (or limit at -1 dBTP when mastering).",
                true_peak_dbtp=peak,
                limit_dbtp=TRUE_PEAK_LIMIT_DBTP,
            )
        )
    plr = mix["plr_db"]
    if plr < PLR_SQUASHED_DB and lufs > -20.0:
        items.append(
            item(
                "over_compressed",
                "medium",
                "Over-compressed",
                f"Peak-to-loudness ratio is {plr:.1f} dB (under {PLR_SQUASHED_DB:g}): the transients are flattened.",
                "Back off the bus compression or limiter by 2-3 dB of gain reduction.",
                plr_db=plr,
                integrated_lufs=lufs,
            )
        )
    lra = mix["loudness_range_lu"]
    if lra > LRA_WIDE_LU:
        items.append(
            item(
                "wide_loudness_range",
                "low",
                "Very wide loudness range",
                f"LRA is {lra:.1f} LU: quiet parts will get lost on small speakers.",
                "Ride the quiet sections up 2-3 dB or add gentle bus compression (2:1).",
                loudness_range_lu=lra,
            )
        )
    if kind != "mix" and lufs > PREMASTER_HOT_LUFS:
        items.append(
            item(
                "premaster_hot",
                "medium",
                "Pre-master too hot for mastering",
                f"The sum measures {lufs:.1f} LUFS; mastering wants about -23 to -16 LUFS of headroom.",
                f"Lower every fader {lufs + 19.0:.1f} dB so the pre-master sits near -19 LUFS.",
                integrated_lufs=lufs,
            )
        )
    elif kind != "mix" and lufs < PREMASTER_QUIET_LUFS:
        items.append(
            item(
                "premaster_quiet",
                "low",
                "Pre-master very quiet",
                f"The sum measures {lufs:.1f} LUFS.",
                f"Raise every fader {-19.0 - lufs:.1f} dB so the pre-master sits near -19 LUFS.",
                integrated_lufs=lufs,
            )
        )
    items.append(
        item(
            "loudness_summary",
            "info",
            "Loudness",
            f"{lufs:.1f} LUFS integrated, true peak {peak:+.1f} dBTP, PLR {plr:.1f} dB, LRA {lra:.1f} LU.",
            "No action needed." if not items else "See the items above.",
            integrated_lufs=lufs,
            true_peak_dbtp=peak,
            plr_db=plr,
            loudness_range_lu=lra,
        )
    )
    return items


# --- stereo ------------------------------------------------------------------------------
def stereo_items(mix: dict[str, Any]) -> list[Item]:
    items = []
    corr, mono = mix["correlation"], mix["mono_compatibility_db"]
    low = mix["low_end_width"]
    if corr < 0.0:
        items.append(
            item(
                "phase_correlation",
                "high",
                "Out-of-phase stereo",
                f"Left/right correlation is {corr:+.2f}: parts cancel when played in mono.",
                "Find the stem with inverted polarity or an extreme widener and fix or narrow it.",
                correlation=corr,
                mono_compatibility_db=mono,
            )
        )
    elif mono < -3.0:
        items.append(
            item(
                "mono_loss",
                "medium",
                "Big loss in mono",
                f"Folding to mono loses {-mono:.1f} dB.",
                "Narrow the widest stems (width 0.8) and check doubled parts for phase.",
                mono_compatibility_db=mono,
            )
        )
    if low > LOW_END_LOOSE:
        side_db = 10.0 * math.log10(max(low, 1e-9))
        items.append(
            item(
                "wide_low_end",
                "high" if low > LOW_END_WIDE else "medium",
                "Too-wide low end",
                f"Under 150 Hz the side signal is {side_db:+.1f} dB against the mid: the bass "
                "smears and cancels in mono and on vinyl/clubs.",
                "Keep everything under 150 Hz mono: narrow the bass and kick (width 0) or "
                "high-pass the side of wide stems at 150 Hz.",
                low_end_width=low,
                low_end_side_mid_db=side_db,
            )
        )
    return items


# --- tonal balance -----------------------------------------------------------------------
def tonal_items(
    mix: dict[str, Any], targets: dict[str, float], tolerance: dict[str, float], genre: str
) -> list[Item]:
    items = []
    shares = mix["band_shares_db"]
    for band, target in targets.items():
        if band not in shares:
            continue
        delta = shares[band] - target
        allowed = tolerance.get(band, 3.0)
        if abs(delta) <= allowed:
            continue
        low_hz, high_hz = BANDS_HZ[band]
        more = delta > 0
        items.append(
            item(
                f"tonal_{band}",
                "medium" if abs(delta) > allowed + 10.0 else "low",
                f"{band.replace('_', '-')} {'heavy' if more else 'light'} for {genre}",
                f"{low_hz:g}-{high_hz:g} Hz holds {shares[band]:.1f} dB of the mix energy; "
                f"the {genre} target is {target:.1f} ± {allowed:g} dB.",
                f"{'Cut' if more else 'Boost'} about {min(abs(delta) - allowed + 1.0, 4.0):.1f} dB "
                f"around {BAND_ACTION_HZ[band]} Hz (a wide bell or shelf on the mix bus or the "
                "stems that carry it).",
                band=band,
                share_db=shares[band],
                target_db=target,
                tolerance_db=allowed,
                delta_db=delta,
            )
        )
    return items


# --- stems -------------------------------------------------------------------------------
def stem_items(stems: list[dict[str, Any]], material: Any) -> list[Item]:
    items = []
    for stem in stems:
        name = stem["name"]
        if stem["is_silent"]:
            items.append(
                item(
                    "silent_stem",
                    "medium",
                    f"{name} is silent",
                    f"{name} peaks at {stem['sample_peak_dbfs']:.0f} dBFS.",
                    f"Re-export {name} or remove it from the session.",
                    stem=name,
                )
            )
            continue
        if stem["clipped_samples"] > 0:
            items.append(
                item(
                    "clipping",
                    "high",
                    f"{name} is clipped",
                    f"{stem['clipped_samples']} samples in {stem['clipped_runs']} runs sit at full scale.",
                    f"Re-export {name} 6 dB lower (turn its clip gain or the export level down); "
                    "clipping in the file cannot be undone in the mix.",
                    stem=name,
                    clipped_samples=stem["clipped_samples"],
                    clipped_runs=stem["clipped_runs"],
                    sample_peak_dbfs=stem["sample_peak_dbfs"],
                )
            )
        elif stem["looks_limited"]:
            items.append(
                item(
                    "limited_stem",
                    "medium",
                    f"{name} looks limited",
                    f"{name} peaks pile up at {stem['sample_peak_dbfs']:.1f} dBFS with "
                    f"{stem['crest_factor_db']:.1f} dB crest factor.",
                    f"Export {name} without the limiter on its channel or the master bus.",
                    stem=name,
                    sample_peak_dbfs=stem["sample_peak_dbfs"],
                    crest_factor_db=stem["crest_factor_db"],
                )
            )
        if UNHELPFUL_NAME.match(name.strip()):
            items.append(
                item(
                    "unhelpful_name",
                    "low",
                    f"Unhelpful name: {name}",
                    f"The name says nothing; its role ({stem['role']}) was found from the audio only.",
                    f"Rename {name} to say what it is (e.g. '{stem['role'].replace('_', ' ').title()}'), "
                    f'or correct it with `mixchat roles -s S "{name}={stem["role"]}"`.',
                    stem=name,
                    role=stem["role"],
                )
            )
    items += _format_items(material)
    return items


def _format_items(material: Any) -> list[Item]:
    items = []
    rates = {n: r for n, r in (material.stem_rates or {}).items() if r}
    if len(set(rates.values())) > 1:
        items.append(
            item(
                "mixed_sample_rates",
                "medium",
                "Mixed sample rates",
                f"Stems come at {sorted(set(rates.values()))} Hz; they were resampled to {material.sample_rate} Hz.",
                f"Re-export every stem at {material.sample_rate} Hz from the same session.",
                sample_rates=rates,
            )
        )
    subtypes = {n: s for n, s in (material.stem_subtypes or {}).items() if s}
    if len(set(subtypes.values())) > 1:
        items.append(
            item(
                "mixed_bit_depths",
                "low",
                "Mixed bit depths",
                f"Stems come as {sorted(set(subtypes.values()))}.",
                "Re-export every stem as 24-bit (or 32-bit float) WAV.",
                subtypes=subtypes,
            )
        )
    for warning in material.warnings:
        key = (
            "length_mismatch"
            if "length" in warning.lower() or "shorter" in warning.lower()
            else "stem_warning"
        )
        items.append(
            item(
                key,
                "low",
                "Stems do not line up" if key == "length_mismatch" else "Stem warning",
                warning,
                "Export every stem from the same start point to the same end.",
                warning=warning,
            )
        )
    return items


# --- masking and the vocal ---------------------------------------------------------------
def masking_items(conflicts: list[dict[str, Any]], roles: dict[str, str]) -> list[Item]:
    items = []
    for c in conflicts:
        masker, masked = c["masker"], c["masked"]
        pair = {roles.get(masker), roles.get(masked)}
        kick_bass = "bass" in pair and bool(pair & KICK_SOURCES) and c["low_hz"] < 150.0
        if kick_bass:
            if c["severity"] < KICK_BASS_MIN_SEVERITY or c["overlap_pct"] < MASKING_MIN_OVERLAP_PCT:
                continue
        elif c["severity"] < MASKING_MIN_SEVERITY or c["overlap_pct"] < MASKING_MIN_OVERLAP_PCT:
            continue
        centre = math.sqrt(c["low_hz"] * c["high_hz"])
        key = "kick_bass_masking" if kick_bass else "masking"
        strong = c["severity"] >= 0.3 and c["overlap_pct"] >= 30.0
        severity = "medium" if strong and roles.get(masked) in VOCALS else "low"
        if kick_bass and roles.get(masker) == "bass" and c["masker_excess_db"] >= 2.0:
            severity = "medium" if c["overlap_pct"] >= 25.0 else "low"
        if c["severity"] >= 0.5 and c["overlap_pct"] >= 50.0:
            severity = "medium"
        items.append(
            item(
                key,
                severity,
                f"{masker} masks {masked}",
                f"{c['summary']}; severity {c['severity']:.2f}.",
                f"Cut {masker} 3 dB at {centre:.0f} Hz (bell, Q 1.5), or pan the two apart if both are off-centre.",
                masker=masker,
                masked=masked,
                low_hz=c["low_hz"],
                high_hz=c["high_hz"],
                overlap_pct=c["overlap_pct"],
                masking_severity=c["severity"],
            )
        )
    return items


def vocal_items(
    vocal: str, vocal_vs_rest_lu: float, sections: list[tuple[str, float]]
) -> list[Item]:
    items = []
    if vocal_vs_rest_lu < BURIED_VOCAL_LU:
        items.append(
            item(
                "buried_vocal",
                "high",
                f"{vocal} is buried",
                f"{vocal} sits {vocal_vs_rest_lu:+.1f} LU against the rest of the band (aim -1 to +1 LU).",
                f"Raise {vocal} {-vocal_vs_rest_lu:.0f} dB (or lower the band) and compress it 3:1.",
                stem=vocal,
                vocal_vs_band_lu=vocal_vs_rest_lu,
            )
        )
        return items
    for label, ratio in sections:
        if ratio < BURIED_VOCAL_LU:
            items.append(
                item(
                    "buried_vocal_section",
                    "medium",
                    f"{vocal} gets buried in the {label}",
                    f"In the {label} {vocal} sits {ratio:+.1f} LU against the band.",
                    f"Ride {vocal} up {min(-ratio - 3.0, 4.0):.1f} dB in the {label} "
                    "(`automate_section`), or pull the dense parts down there.",
                    stem=vocal,
                    section=label,
                    vocal_vs_band_lu=ratio,
                )
            )
    return items
