"""Clean-up moves chosen from what the detectors measured: one tool call per fault found,
each with the measured numbers as its reason. The automix runs them only for faults found;
the offline planner uses the same builders when a brief names a fault."""

from __future__ import annotations

from mixchat.dsp.cleanup.detect import StemFaults
from mixchat.dsp.state import TrackState
from mixchat.tools.base import ToolCall

NOISE_REDUCTION_DB = 18.0


def _times(times: list[float], most: int = 4) -> str:
    shown = ", ".join(f"{t:.2f} s" for t in times[:most])
    return shown + (" ..." if len(times) > most else "")


def dc_call(track: TrackState, faults: StemFaults) -> ToolCall:
    dc = faults.dc_offset
    return ToolCall(
        tool="remove_dc",
        args={"track": track.name},
        reason=f"{track.name}: DC offset {dc.offset:+.4f} ({dc.offset_dbfs:.0f} dBFS, "
        f"{dc.against_rms_db:+.0f} dB against its level); high-pass at 5 Hz",
    )


def hum_call(track: TrackState, faults: StemFaults, *, reduction_db: float = 40.0) -> ToolCall:
    hum = faults.hum
    ks = ", ".join(str(k) for k in hum.harmonics[:6])
    return ToolCall(
        tool="remove_hum",
        args={
            "track": track.name,
            "fundamental_hz": hum.fundamental_hz,
            "reduction_db": reduction_db,
        },
        reason=f"{track.name}: {hum.mains_hz:g} Hz hum (at {hum.fundamental_hz:.2f} Hz, harmonics {ks}), "
        f"{-hum.against_stem_db:.0f} dB under the stem ({hum.level_dbfs:.0f} dBFS); each harmonic "
        f"followed and taken {reduction_db:.0f} dB down",
    )


def click_call(track: TrackState, faults: StemFaults) -> ToolCall:
    clicks = faults.clicks
    return ToolCall(
        tool="declick",
        args={"track": track.name},
        reason=f"{track.name}: {clicks.count} click{'s' if clicks.count != 1 else ''} "
        f"(at {_times(clicks.times_s)}); rebuild them from the audio around",
    )


def noise_call(
    track: TrackState, faults: StemFaults, *, reduction_db: float = NOISE_REDUCTION_DB
) -> ToolCall:
    noise = faults.noise
    return ToolCall(
        tool="reduce_noise",
        args={"track": track.name, "reduction_db": reduction_db},
        reason=f"{track.name}: a steady noise floor at {noise.floor_dbfs:.0f} dBFS in "
        f"{noise.quiet_s:g} s of quiet passages, {noise.snr_db:.0f} dB under the loud "
        f"passages; gate it {reduction_db:.0f} dB down against that profile",
    )


def plosive_call(track: TrackState, faults: StemFaults) -> ToolCall:
    rumble = faults.rumble
    return ToolCall(
        tool="control_plosives",
        args={"track": track.name},
        reason=f"{track.name}: {rumble.plosives} plosive thump"
        f"{'s' if rumble.plosives != 1 else ''} under 150 Hz (at "
        f"{_times(rumble.plosive_times_s)}); a dynamic low cut only while they hit",
    )


def rumble_hpf_call(track: TrackState, faults: StemFaults) -> ToolCall | None:
    rumble = faults.rumble
    if track.hpf_hz is not None and track.hpf_hz >= rumble.floor_hz:
        return None
    return ToolCall(
        tool="set_high_pass",
        args={"track": track.name, "cutoff_hz": rumble.floor_hz},
        reason=f"{track.name}: {rumble.below_floor_db:.0f} dB of its energy lies under "
        f"{rumble.floor_hz:g} Hz, below what a {faults.role.replace('_', ' ')} uses; "
        "high-pass there",
    )


def sibilance_call(track: TrackState, faults: StemFaults) -> ToolCall | None:
    sib = faults.sibilance
    if sib is None or sib.threshold_db is None:
        return None
    found = (
        f"{sib.bursts} harsh 5-10 kHz burst{'s' if sib.bursts != 1 else ''} "
        f"({sib.band_over_rest_db:+.0f} dB over the rest of the voice, "
        f"{sib.band_against_loud_db:+.0f} dB against its loud level)"
        if sib.bursts
        else "no 5-10 kHz burst stands out of the voice (asked for all the same)"
    )
    return ToolCall(
        tool="de_ess",
        args={"track": track.name, "threshold_db": sib.threshold_db},
        reason=f"{track.name}: {found}; de-ess from {sib.threshold_db:.0f} dB",
    )


def cleanup_calls(track: TrackState, faults: StemFaults, *, with_hpf: bool) -> list[ToolCall]:
    """A call for each fault found on the track (none when the stem is clean)."""
    calls: list[ToolCall | None] = []
    if faults.dc_offset.found:
        calls.append(dc_call(track, faults))
    if faults.hum.found:
        calls.append(hum_call(track, faults))
    if faults.clicks.found:
        calls.append(click_call(track, faults))
    if faults.noise.found and faults.noise.profile is not None:
        calls.append(noise_call(track, faults))
    if faults.rumble.steady and with_hpf:
        calls.append(rumble_hpf_call(track, faults))
    if faults.rumble.plosives and faults.rumble.threshold_db is not None:
        calls.append(plosive_call(track, faults))
    if faults.sibilance is not None and faults.sibilance.found:
        calls.append(sibilance_call(track, faults))
    return [c for c in calls if c is not None]
