"""Undo part of the last change: calls that move ``new`` a fraction of the way back to ``old``."""

from __future__ import annotations

from mixchat.dsp.state import EqBand, MixState, TrackState
from mixchat.tools.base import ToolCall
from mixchat.tools.settings_text import hz
from mixchat.tools.track_tools import merges_with

SCALARS = (
    ("gain_db", "set_track_gain", "gain_db"),
    ("trim_db", "set_track_trim", "trim_db"),
    ("pan", "set_pan", "pan"),
    ("width", "set_width", "width"),
)


def _mid(new: float, old: float, fraction: float) -> float:
    return round(new + (old - new) * fraction, 2)


def _matching(band: EqBand, bands: tuple[EqBand, ...]) -> EqBand | None:
    for other in bands:
        if other.kind == band.kind and merges_with(other.freq_hz, band.freq_hz):
            return other
    return None


def track_back(new: TrackState, old: TrackState, fraction: float) -> list[ToolCall]:
    why = f"back {fraction:.0%} of the way to the previous setting"
    calls = []
    for field, tool, arg in SCALARS:
        a, b = getattr(new, field), getattr(old, field)
        if abs(a - b) > 1e-6:
            calls.append(
                ToolCall(
                    tool=tool,
                    args={"track": new.name, arg: _mid(a, b, fraction)},
                    reason=f"{new.name} {field}: {why}",
                )
            )
    for bus in ("reverb", "delay"):
        a, b = getattr(new, f"{bus}_send_db"), getattr(old, f"{bus}_send_db")
        if a != b and a is not None:
            value = _mid(a, b if b is not None else a - 12.0, fraction)
            calls.append(
                ToolCall(
                    tool="set_send",
                    args={"track": new.name, "bus": bus, "send_db": value},
                    reason=f"{new.name} {bus} send: {why}",
                )
            )
    for index, band in enumerate(new.eq):
        before = _matching(band, old.eq)
        old_gain = before.gain_db if before is not None else 0.0
        if abs(band.gain_db - old_gain) > 0.05:
            calls.append(
                ToolCall(
                    tool="set_eq_band",
                    args={
                        "track": new.name,
                        "band_index": index,
                        "gain_db": _mid(band.gain_db, old_gain, fraction),
                    },
                    reason=f"{new.name} EQ at {hz(band.freq_hz)}: {why}",
                )
            )
    if new.transient != old.transient and new.transient is not None:
        base = old.transient
        calls.append(
            ToolCall(
                tool="set_transient_shaper",
                args={
                    "track": new.name,
                    "attack_db": _mid(
                        new.transient.attack_db, base.attack_db if base else 0.0, fraction
                    ),
                    "sustain_db": _mid(
                        new.transient.sustain_db, base.sustain_db if base else 0.0, fraction
                    ),
                },
                reason=f"{new.name} transients: {why}",
            )
        )
    if new.compressor != old.compressor and new.compressor is not None:
        c, o = new.compressor, old.compressor
        calls.append(
            ToolCall(
                tool="set_compressor",
                args={
                    "track": new.name,
                    "threshold_db": _mid(c.threshold_db, o.threshold_db if o else 0.0, fraction),
                    "ratio": max(1.0, _mid(c.ratio, o.ratio if o else 1.0, fraction)),
                    "attack_ms": c.attack_ms,
                    "release_ms": c.release_ms,
                    "makeup_db": _mid(c.makeup_db, o.makeup_db if o else 0.0, fraction),
                },
                reason=f"{new.name} compressor: {why}",
            )
        )
    if new.saturation != old.saturation and new.saturation is not None:
        old_drive_db = old.saturation.drive_db if old.saturation else 0.0
        calls.append(
            ToolCall(
                tool="set_saturation",
                args={
                    "track": new.name,
                    "drive_db": _mid(new.saturation.drive_db, old_drive_db, fraction),
                    "mix_pct": new.saturation.mix_pct,
                },
                reason=f"{new.name} saturation: {why}",
            )
        )
    if new.cleanup != old.cleanup:
        calls.extend(cleanup_back(new, old, fraction))
    for flag, tool in (("mute", "set_mute"), ("solo", "set_solo")):
        if getattr(new, flag) != getattr(old, flag):
            calls.append(
                ToolCall(
                    tool=tool,
                    args={"track": new.name, "on": getattr(old, flag)},
                    reason=f"{new.name} {flag} restored",
                )
            )
    return calls


CLEANUP_TOOLS = {
    "hum": ("remove_hum", ("fundamental_hz", "width_hz")),
    "denoise": ("reduce_noise", ("threshold_db",)),
    "deplosive": ("control_plosives", ("threshold_db", "cutoff_hz")),
    "deess": ("de_ess", ("threshold_db", "freq_hz", "ratio")),
}
MIN_CLEANUP_DB = 1.0


def cleanup_back(new: TrackState, old: TrackState, fraction: float) -> list[ToolCall]:
    """Clean-up stages a fraction of the way back: their reduction towards the earlier one
    (or towards none); a stage that ends under 1 dB, or one with no amount (DC, de-click)
    taken all the way back, is turned off."""
    calls = []
    why = f"back {fraction:.0%} of the way to the previous setting"
    for stage in new.cleanup.stages():
        now, before = getattr(new.cleanup, stage), getattr(old.cleanup, stage)
        if now == before:
            continue
        if stage not in CLEANUP_TOOLS:
            if before is None and fraction >= 1.0:
                calls.append(
                    ToolCall(
                        tool="clear_cleanup",
                        args={"track": new.name, "stage": stage},
                        reason=f"{new.name} {stage}: taken back",
                    )
                )
            continue
        tool, kept = CLEANUP_TOOLS[stage]
        target = before.reduction_db if before is not None else 0.0
        reduction = _mid(now.reduction_db, target, fraction)
        if reduction < MIN_CLEANUP_DB:
            calls.append(
                ToolCall(
                    tool="clear_cleanup",
                    args={"track": new.name, "stage": stage},
                    reason=f"{new.name} {stage}: {why} (off)",
                )
            )
            continue
        args = {"track": new.name, "reduction_db": reduction}
        args.update({k: getattr(now, k) for k in kept})
        calls.append(ToolCall(tool=tool, args=args, reason=f"{new.name} {stage}: {why}"))
    return calls


def halfway_back(new: MixState, old: MixState, fraction: float = 0.5) -> list[ToolCall]:
    """Calls that take ``new`` ``fraction`` of the way back towards ``old``."""
    calls: list[ToolCall] = []
    old_tracks = {t.name: t for t in old.tracks}
    for track in new.tracks:
        if track.name in old_tracks and track != old_tracks[track.name]:
            calls.extend(track_back(track, old_tracks[track.name], fraction))
    for auto in new.automation:
        if auto in old.automation:
            continue
        prior = next(
            (
                a
                for a in old.automation
                if a.track == auto.track
                and abs(a.start_s - auto.start_s) < 1e-3
                and abs(a.end_s - auto.end_s) < 1e-3
            ),
            None,
        )
        calls.append(
            ToolCall(
                tool="automate_section",
                args={
                    "track": auto.track,
                    "start_s": auto.start_s,
                    "end_s": auto.end_s,
                    "gain_db": _mid(auto.gain_db, prior.gain_db if prior else 0.0, fraction),
                    "reverb_send_db": _mid(
                        auto.reverb_send_db, prior.reverb_send_db if prior else 0.0, fraction
                    ),
                    "delay_send_db": _mid(
                        auto.delay_send_db, prior.delay_send_db if prior else 0.0, fraction
                    ),
                    "ramp_ms": auto.ramp_ms,
                },
                reason=f"{auto.track or 'mix'} {auto.label} automation: back {fraction:.0%}",
            )
        )
    calls.extend(_master_back(new, old, fraction))
    return calls


def _master_back(new: MixState, old: MixState, fraction: float) -> list[ToolCall]:
    calls = []
    m, o = new.master, old.master
    if m.target_lufs != o.target_lufs and m.enabled:
        calls.append(
            ToolCall(
                tool="set_master",
                args={"target_lufs": _mid(m.target_lufs, o.target_lufs, fraction)},
                reason="master target: back part of the way",
            )
        )
    for band in m.eq:
        before = _matching(band, o.eq)
        delta = band.gain_db - (before.gain_db if before else 0.0)
        if abs(delta) > 0.05:
            calls.append(
                ToolCall(
                    tool="apply_master_eq",
                    args={
                        "kind": band.kind,
                        "freq_hz": band.freq_hz,
                        "gain_db": round(-delta * fraction, 2),
                        "q": band.q,
                    },
                    reason="master EQ: back part of the way",
                )
            )
    if m.glue != o.glue and m.glue is not None:
        g = m.glue
        calls.append(
            ToolCall(
                tool="set_master_glue",
                args={
                    "enabled": True,
                    "threshold_db": _mid(g.threshold_db, 0.0, fraction / 2),
                    "ratio": max(1.0, _mid(g.ratio, 1.0, fraction)),
                    "attack_ms": g.attack_ms,
                    "release_ms": g.release_ms,
                },
                reason="glue: back part of the way",
            )
        )
    return calls
