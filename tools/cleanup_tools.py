"""Clean-up tools: hum, noise, clicks, DC, plosives and sibilance on a track's raw stem.

Each sets one stage of the track's ``Cleanup`` (mixchat.dsp.cleanup.spec). What a call
leaves out comes from the detectors' findings on that stem (``ToolContext.faults``): the
hum's fundamental, the noise profile learned on the quiet passages, the de-esser's and the
plosive control's thresholds. The profile is stored in the state, so every render of this
version gates against the same floor.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mixchat.dsp.cleanup.detect import StemFaults
from mixchat.dsp.cleanup.hum import highest_to_remove_hz
from mixchat.dsp.cleanup.spec import (
    STAGE_LABELS,
    Cleanup,
    DcRemoval,
    DeClick,
    DeEsser,
    DePlosive,
    HumRemoval,
    NoiseReduction,
)
from mixchat.dsp.errors import StateError
from mixchat.dsp.state import MixState, TrackState
from mixchat.tools.base import Change, ToolArgs, ToolContext, resolve_track, tool

StageName = Literal["dc", "hum", "declick", "denoise", "deplosive", "deess", "all"]


class TrackOnly(ToolArgs):
    track: str = Field(description="Track name (or a unique role such as 'vocal' or 'bass')")


class HumArgs(TrackOnly):
    fundamental_hz: float | None = Field(
        default=None, ge=40.0, le=70.0, description="50 or 60 Hz; null = the one found"
    )
    reduction_db: float = Field(default=40.0, ge=0.0, le=60.0, description="Notch depth, dB")
    width_hz: float = Field(default=1.0, ge=0.2, le=8.0, description="Notch width at -3 dB")
    drift_hz: float = Field(
        default=0.05, ge=0.0, le=0.5, description="How far the mains may wander (it is followed)"
    )
    highest_hz: float | None = Field(
        default=None,
        ge=100.0,
        le=4000.0,
        description="Highest harmonic removed, Hz; null = half again over the highest found",
    )


class NoiseArgs(TrackOnly):
    reduction_db: float = Field(
        default=18.0, ge=0.0, le=40.0, description="How far the noise floor is lowered, dB"
    )
    threshold_db: float = Field(
        default=6.0, ge=0.0, le=20.0, description="How far over the floor a sound must rise"
    )


class DeClickArgs(TrackOnly):
    threshold: float = Field(
        default=DeClick.model_fields["threshold"].default,
        ge=3.0,
        le=100.0,
        description="Lower finds quieter clicks (ratio)",
    )
    max_click_ms: float = Field(default=2.0, ge=0.1, le=10.0)


class DcArgs(TrackOnly):
    cutoff_hz: float = Field(default=5.0, ge=2.0, le=20.0)


class DeEssArgs(TrackOnly):
    threshold_db: float | None = Field(
        default=None,
        ge=-90.0,
        le=0.0,
        description="Sibilance band level where it acts; null = from the esses found",
    )
    reduction_db: float = Field(default=15.0, ge=0.0, le=30.0, description="Most reduction, dB")
    freq_hz: float = Field(default=7000.0, ge=3000.0, le=12000.0)
    ratio: float = Field(default=6.0, ge=1.0, le=20.0)


class PlosiveArgs(TrackOnly):
    threshold_db: float | None = Field(
        default=None,
        ge=-90.0,
        le=0.0,
        description="Low band level where it acts; null = from the thumps found",
    )
    reduction_db: float = Field(default=12.0, ge=0.0, le=30.0, description="Most reduction, dB")
    cutoff_hz: float = Field(default=150.0, ge=40.0, le=400.0)


class ClearArgs(TrackOnly):
    stage: StageName = Field(description="The clean-up stage to turn off, or 'all'")


def _faults(context: ToolContext, track: TrackState) -> StemFaults | None:
    return context.faults(track.name) if context.faults is not None else None


def _set(state: MixState, track: TrackState, summary: str, **stage: object) -> Change:
    cleanup = track.cleanup.model_copy(update=stage)
    return Change(
        state=state.with_track(track.name, cleanup=Cleanup.model_validate(cleanup.model_dump())),
        summary=f"{track.name}: {summary}",
    )


@tool(
    "remove_hum",
    "Remove mains hum from a track: every harmonic of the fundamental (50/60 Hz) is followed "
    "as it wanders and subtracted. Leave fundamental_hz out to use the one the detector found.",
    categories=("cleanup",),
)
def remove_hum(state: MixState, args: HumArgs, context: ToolContext) -> Change:
    track = resolve_track(state, args.track)
    found = _faults(context, track)
    hum = found.hum if found is not None and found.hum.found else None
    fundamental = args.fundamental_hz
    if fundamental is None and hum is not None:
        fundamental = hum.fundamental_hz
    if fundamental is None:
        raise StateError(
            f"no hum was found on {track.name}; give fundamental_hz=50 or 60 to remove it anyway"
        )
    lines = sorted({*hum.harmonics, *hum.faint_harmonics}) if hum is not None else []
    highest = args.highest_hz
    if highest is None:
        highest = highest_to_remove_hz(
            fundamental, lines, judged=hum.harmonics if hum is not None else ()
        )
    spec = HumRemoval(
        fundamental_hz=round(fundamental, 3),
        width_hz=args.width_hz,
        reduction_db=args.reduction_db,
        drift_hz=args.drift_hz,
        highest_hz=round(highest, 1),
        # every line the hum shows over the music on tells the wander (the faint ones too)
        followed=tuple(lines) if hum is not None else (),
    )
    return _set(
        state,
        track,
        f"hum removal at {spec.fundamental_hz:g} Hz and its harmonics up to "
        f"{spec.highest_hz:.0f} Hz, {spec.reduction_db:.0f} dB deep",
        hum=spec,
    )


@tool(
    "reduce_noise",
    "Reduce a track's steady background noise (hiss, hum bed, room) by spectral gating "
    "against the noise profile learned on the stem's quiet passages.",
    categories=("cleanup",),
)
def reduce_noise(state: MixState, args: NoiseArgs, context: ToolContext) -> Change:
    track = resolve_track(state, args.track)
    old = track.cleanup.denoise
    found = _faults(context, track)
    profile = old.profile if old is not None else None
    if profile is None and found is not None:
        profile = found.noise.profile
    if profile is None:
        raise StateError(
            f"{track.name} has no quiet passage to learn its noise from; "
            "noise reduction needs a stretch where only the noise plays"
        )
    spec = NoiseReduction(
        profile=profile, reduction_db=args.reduction_db, threshold_db=args.threshold_db
    )
    return _set(
        state,
        track,
        f"noise reduction {spec.reduction_db:.0f} dB (profile from {profile.seconds:g} s of "
        f"quiet passages, gate {spec.threshold_db:g} dB over it)",
        denoise=spec,
    )


@tool(
    "declick",
    "Find and rebuild clicks and pops on a track (AR interpolation).",
    categories=("cleanup",),
)
def declick(state: MixState, args: DeClickArgs, context: ToolContext) -> Change:
    track = resolve_track(state, args.track)
    spec = DeClick(threshold=args.threshold, max_click_ms=args.max_click_ms)
    return _set(state, track, f"de-click (sensitivity {spec.threshold:g})", declick=spec)


@tool(
    "remove_dc",
    "Remove DC offset and sub-sonic drift from a track (high-pass at cutoff_hz).",
    categories=("cleanup",),
)
def remove_dc(state: MixState, args: DcArgs, context: ToolContext) -> Change:
    track = resolve_track(state, args.track)
    spec = DcRemoval(cutoff_hz=args.cutoff_hz)
    return _set(state, track, f"DC removal (high-pass at {spec.cutoff_hz:g} Hz)", dc=spec)


@tool(
    "de_ess",
    "De-ess a vocal: a dynamic cut on the sibilance band (around freq_hz) keyed on that band, "
    "so only the esses are turned down. Leave threshold_db out to set it from the esses found.",
    categories=("cleanup",),
)
def de_ess(state: MixState, args: DeEssArgs, context: ToolContext) -> Change:
    track = resolve_track(state, args.track)
    threshold = args.threshold_db
    if threshold is None and track.cleanup.deess is not None:
        threshold = track.cleanup.deess.threshold_db
    if threshold is None:
        found = _faults(context, track)
        sibilance = found.sibilance if found is not None else None
        threshold = sibilance.threshold_db if sibilance is not None else None
    if threshold is None:
        raise StateError(f"no esses were found on {track.name}; give threshold_db to de-ess it")
    spec = DeEsser(
        threshold_db=threshold,
        reduction_db=args.reduction_db,
        freq_hz=args.freq_hz,
        ratio=args.ratio,
    )
    return _set(
        state,
        track,
        f"de-esser at {spec.freq_hz / 1000:g} kHz from {spec.threshold_db:.1f} dB, "
        f"{spec.ratio:g}:1, up to {spec.reduction_db:.0f} dB",
        deess=spec,
    )


@tool(
    "control_plosives",
    "Tame plosive thumps ('p', 'b' pops) on a vocal: a dynamic low cut under cutoff_hz keyed "
    "on the lows. Leave threshold_db out to set it from the thumps found.",
    categories=("cleanup",),
)
def control_plosives(state: MixState, args: PlosiveArgs, context: ToolContext) -> Change:
    track = resolve_track(state, args.track)
    threshold = args.threshold_db
    if threshold is None and track.cleanup.deplosive is not None:
        threshold = track.cleanup.deplosive.threshold_db
    if threshold is None:
        found = _faults(context, track)
        threshold = found.rumble.threshold_db if found is not None else None
    if threshold is None:
        raise StateError(
            f"no plosive thumps were found on {track.name}; give threshold_db to act anyway"
        )
    spec = DePlosive(
        threshold_db=threshold, reduction_db=args.reduction_db, cutoff_hz=args.cutoff_hz
    )
    return _set(
        state,
        track,
        f"plosive control under {spec.cutoff_hz:g} Hz from {spec.threshold_db:.1f} dB, "
        f"up to {spec.reduction_db:.0f} dB",
        deplosive=spec,
    )


@tool(
    "clear_cleanup",
    "Turn one clean-up stage of a track off (or 'all' of them).",
    categories=("cleanup",),
)
def clear_cleanup(state: MixState, args: ClearArgs, context: ToolContext) -> Change:
    track = resolve_track(state, args.track)
    if args.stage == "all":
        return Change(
            state=state.with_track(track.name, cleanup=Cleanup()),
            summary=f"{track.name}: clean-up off",
        )
    return _set(state, track, f"{STAGE_LABELS[args.stage]} off", **{args.stage: None})
