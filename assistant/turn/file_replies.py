"""The replies to a file in the conversation: a screenshot read in the session's context,
Mix-Check feedback on a mix or a stem, and a reference match with each move measured.

Pure text from the results (Markdown, like every reply), so the chat, `say` and the MCP
server show the same words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mixchat.dsp.reference import Profile
from mixchat.dsp.state import TrackState
from mixchat.tools.settings_text import compressor, eq_band, hz, number

SEVERITY_WORDS = {"high": "HIGH", "medium": "MEDIUM", "low": "LOW", "info": "INFO"}
MAX_ITEMS = 12


# --- a screenshot ----------------------------------------------------------------------
def _settings_for(plugin_type: str, track: TrackState) -> list[str]:
    """The track's own settings that bear on a plugin of ``plugin_type``."""
    if plugin_type in ("compressor", "limiter"):
        comp = track.compressor
        return [f"compressor {compressor(comp)}" if comp else "no compressor"]
    if plugin_type == "eq":
        bands = [eq_band(b) for b in track.eq]
        filters = [f"high-pass {hz(track.hpf_hz)}"] if track.hpf_hz else []
        return filters + (bands or ["no EQ bands"])
    if plugin_type in ("reverb", "delay"):
        send = track.reverb_send_db if plugin_type == "reverb" else track.delay_send_db
        return [f"{plugin_type} send " + (f"{send:+.1f} dB" if send is not None else "off")]
    if plugin_type == "gate":
        gate = track.gate
        return [
            f"gate at {number(gate.threshold_db)} dB, attack {number(gate.attack_ms)} ms"
            if gate
            else "no gate"
        ]
    if plugin_type == "saturation":
        sat = track.saturation
        return [f"saturation drive {sat.drive_db:+.1f} dB" if sat else "no saturation"]
    return []


def _compared(params: dict[str, Any], track: TrackState) -> list[str]:
    """Screenshot value against the session's, for the compressor fields both have."""
    comp = track.compressor
    if comp is None:
        return []
    lines = []
    for key, unit in (
        ("ratio", ":1"),
        ("threshold_db", " dB"),
        ("attack_ms", " ms"),
        ("release_ms", " ms"),
    ):
        value = params.get(key)
        if isinstance(value, (int, float)):
            ours = getattr(comp, key)
            lines.append(
                f"{key} {number(float(value))}{unit} here vs {number(ours)}{unit} in the session"
            )
    return lines


def screenshot_reply(
    data: dict[str, Any],
    *,
    image: Path,
    track: TrackState | None,
    role_label: str,
    version: int,
) -> str:
    kind = data.get("plugin_type") or "unknown"
    name = data.get("plugin_name") or "a plugin"
    kind_text = "type not recognised" if kind == "unknown" else kind
    params = data.get("parameters") or {}
    read = ", ".join(
        f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in params.items()
    )
    lines = [f"**Screenshot** `{image.name}`: {name} ({kind_text})."]
    lines.append(
        f"Read {len(params)} setting(s): {read}." if params else "No settings could be read."
    )
    lines.append("")
    lines.append(f"Feedback for {role_label}:")
    lines += [f"- {line}" for line in data.get("feedback", [])]
    if track is not None:
        settings = _settings_for(kind, track)
        if settings:
            lines.append("")
            lines.append(
                f"In this session (v{version}) {track.name} has: " + "; ".join(settings) + "."
            )
        lines += [f"- {line}" for line in _compared(params, track)]
    else:
        lines.append("")
        lines.append(
            'Say which track it is on ("this is on my vocal") to compare it with the '
            "session's own settings."
        )
    if data.get("llm_feedback"):
        lines += ["", f"Model's view: {data['llm_feedback']}"]
    if data.get("note"):
        lines += ["", f"Note: {data['note']}"]
    return "\n".join(lines)


# --- Mix-Check feedback ----------------------------------------------------------------
def _item_lines(items: list[dict[str, Any]]) -> list[str]:
    lines = []
    for entry in items[:MAX_ITEMS]:
        severity = SEVERITY_WORDS.get(entry["severity"], entry["severity"].upper())
        lines.append(f"- **{severity}** {entry['title']}: {entry['detail']} → {entry['action']}")
    if len(items) > MAX_ITEMS:
        lines.append(f"- … and {len(items) - MAX_ITEMS} more (`mixchat feedback` lists them all)")
    return lines


def _against_track(stem: dict[str, Any], track: TrackState, facts: dict[str, Any]) -> str:
    parts = []
    if facts.get("lufs") is not None and stem.get("lufs") is not None:
        parts.append(f"{stem['lufs']:.1f} LUFS here vs {facts['lufs']:.1f} in the mix")
    if facts.get("spectral_centroid_hz") and stem.get("spectral_centroid_hz"):
        parts.append(
            f"centroid {hz(stem['spectral_centroid_hz'])} vs {hz(facts['spectral_centroid_hz'])}"
        )
    if facts.get("crest_factor_db") is not None and stem.get("crest_factor_db") is not None:
        parts.append(
            f"crest factor {stem['crest_factor_db']:.1f} vs {facts['crest_factor_db']:.1f} dB"
        )
    return f"Against your session's {track.name}: " + "; ".join(parts) + "." if parts else ""


def feedback_reply(
    data: dict[str, Any],
    *,
    path: Path,
    as_mix: bool,
    why: str,
    track: TrackState | None,
    track_facts: dict[str, Any] | None,
) -> str:
    what = (
        "a finished mix"
        if as_mix
        else f"a stem ({(data.get('role') or 'other').replace('_', ' ')})"
    )
    lines = [f"**Mix-Check** of `{path.name}`, read as {what}: {why}.", ""]
    lines += _item_lines(data.get("items", [])) or ["- nothing to fix was found."]
    stem = data.get("measured")
    if not as_mix and track is not None and track_facts and stem:
        against = _against_track(stem, track, track_facts)
        if against:
            lines += ["", against]
    plots = data.get("plots") or []
    if plots:
        folder = Path(plots[0]).parent
        lines += ["", f"Plots: {', '.join(Path(p).name for p in plots)} in `{folder}`"]
    other = "a stem" if as_mix else "a mix"
    lines += ["", f'(Not {what.split(" (")[0]}? Say "it is {other}" with the path.)']
    return "\n".join(lines)


# --- a reference match -----------------------------------------------------------------
def reference_reply(
    *,
    reference: Path,
    ref: Profile,
    before: Profile,
    after: Profile,
    labels: list[str],
    gains_db: tuple[float, ...],
    width_before: float,
    width_after: float,
    target_lufs: float,
    summaries: list[str],
) -> str:
    """Each move of the match with what was measured on the render before and after."""
    lines = [
        f"Matched to `{reference.name}` ({ref.lufs:.1f} LUFS, width {ref.width:.3f}):",
        f"- **Loudness**: master target {target_lufs:.1f} LUFS: {before.lufs:.1f} → "
        f"{after.lufs:.1f} LUFS integrated (reference {ref.lufs:.1f}).",
    ]
    if abs(width_after - width_before) > 1e-9:
        lines.append(
            f"- **Width**: master side gain {width_before:.2f} → {width_after:.2f}: width "
            f"{before.width:.3f} → {after.width:.3f} (reference {ref.width:.3f})."
        )
    else:
        lines.append(
            f"- **Width** left as it is: {before.width:.3f} → {after.width:.3f} "
            f"(reference {ref.width:.3f})."
        )
    lines.append(
        "- **Tonal balance**, each band's share of the energy against the reference's "
        "(dB, before → after):"
    )
    for label, gain, ref_db, old_db, new_db in zip(
        labels,
        gains_db,
        ref.band_levels_db,
        before.band_levels_db,
        after.band_levels_db,
        strict=False,
    ):
        move = f"EQ {gain:+.1f} dB" if gain else "no EQ"
        lines.append(
            f"  - {label}: {move}: {old_db - ref_db:+.1f} → {new_db - ref_db:+.1f} dB from the reference"
        )
    mean_before = sum(abs(o - r) for o, r in zip(before.band_levels_db, ref.band_levels_db)) / max(
        len(labels), 1
    )
    mean_after = sum(abs(n - r) for n, r in zip(after.band_levels_db, ref.band_levels_db)) / max(
        len(labels), 1
    )
    lines.append(
        f"- Distance from the reference's tonal balance: {mean_before:.1f} → {mean_after:.1f} dB "
        "(mean over the bands)."
    )
    if summaries:
        lines.append("")
        lines.append("Settings: " + "; ".join(summaries) + ".")
    return "\n".join(lines)
