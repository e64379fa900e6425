"""Tools the conversation writes into a version itself, so that every version's tool calls,
applied to its parent's state, give its state: the loudness compensation after a brief
(``trim_mix``, the mix's trim before the master; versions made before it moved every fader,
``shift_all_faders``, kept so that they replay), the settings an undo or revert brings back
(``restore_settings``) and the settings a follow-up ("halfway back", "a bit more") computes
between two versions (``blend_settings``).

They are registered in the ``record`` category: the planners are not offered them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mixchat.dsp.errors import StateError
from mixchat.dsp.state import (
    MAX_MIX_TRIM_DB,
    DelayBus,
    MasterState,
    MixState,
    ReverbBus,
    SectionAutomation,
    TrackState,
)
from mixchat.tools.base import Change, ToolArgs, ToolCall, ToolContext, tool
from mixchat.tools.settings_text import db

MIN_GAIN_DB, MAX_GAIN_DB = -60.0, 24.0  # TrackState.gain_db's bounds
REPLAY_ONLY = ("shift_all_faders",)  # no longer written; registered so old versions replay


class ShiftArgs(ToolArgs):
    delta_db: float = Field(
        ge=MIN_GAIN_DB - MAX_GAIN_DB,
        le=MAX_GAIN_DB - MIN_GAIN_DB,
        description="dB added to every fader (each stays within -60..+24 dB)",
    )


class TrimArgs(ToolArgs):
    delta_db: float = Field(
        ge=-2 * MAX_MIX_TRIM_DB,
        le=2 * MAX_MIX_TRIM_DB,
        description=f"dB added to the mix's trim before the master (it stays within "
        f"-{MAX_MIX_TRIM_DB:g}..+{MAX_MIX_TRIM_DB:g} dB)",
    )


class RestoreArgs(ToolArgs):
    version: int = Field(ge=0, description="The version whose settings come back")
    tracks: tuple[TrackState, ...] = Field(
        default=(), description="Whole settings of the tracks that change, matched by name"
    )
    reverb: ReverbBus | None = None
    delay: DelayBus | None = None
    automation: tuple[SectionAutomation, ...] | None = Field(
        default=None, description="Every section offset (an empty list removes them all)"
    )
    master: MasterState | None = None


class BlendArgs(ToolArgs):
    toward_version: int = Field(ge=0, description="The version the blend moves towards (or away)")
    fraction: float = Field(
        ge=-3.0, le=1.0, description="How far: 0.5 halfway back, -0.5 half a step further"
    )
    tracks: tuple[TrackState, ...] = Field(
        default=(), description="Whole settings of the tracks that change, matched by name"
    )
    reverb: ReverbBus | None = None
    delay: DelayBus | None = None
    automation: tuple[SectionAutomation, ...] | None = Field(
        default=None, description="Every section offset (an empty list removes them all)"
    )
    master: MasterState | None = None


@tool(
    "trim_mix",
    "Move the mix's trim (after the tracks and bus returns, before the master) by delta_db: "
    "the loudness compensation that keeps a brief's before and after at the same loudness.",
    categories=("loudness", "record"),
)
def trim_mix(state: MixState, args: TrimArgs, context: ToolContext) -> Change:
    trim_db = max(-MAX_MIX_TRIM_DB, min(MAX_MIX_TRIM_DB, state.master.trim_db + args.delta_db))
    return Change(
        state=state.with_master(trim_db=trim_db), summary=f"mix level {db(args.delta_db)}"
    )


@tool(
    "shift_all_faders",
    "Move every track's fader by delta_db: the loudness compensation of versions made before "
    "the mix had a trim (``trim_mix``).",
    categories=("level", "record"),
)
def shift_all_faders(state: MixState, args: ShiftArgs, context: ToolContext) -> Change:
    for track in state.tracks:
        gain_db = max(MIN_GAIN_DB, min(MAX_GAIN_DB, track.gain_db + args.delta_db))
        state = state.with_track(track.name, gain_db=gain_db)
    return Change(state=state, summary=f"all faders {db(args.delta_db)}")


@tool(
    "restore_settings",
    "Bring back the settings of an earlier version: the tracks, buses, automation and master "
    "given replace the current ones.",
    categories=("record",),
)
def restore_settings(state: MixState, args: RestoreArgs, context: ToolContext) -> Change:
    return Change(state=_replace_parts(state, args), summary=f"same settings as v{args.version}")


@tool(
    "blend_settings",
    "Move the settings part of the way between two versions (a follow-up such as 'halfway "
    "back' or 'a bit more'): the tracks, buses, automation and master given replace the "
    "current ones.",
    categories=("record",),
)
def blend_settings(state: MixState, args: BlendArgs, context: ToolContext) -> Change:
    how = "back towards" if args.fraction > 0 else "further from"
    return Change(
        state=_replace_parts(state, args),
        summary=f"{abs(args.fraction):.0%} of the last change, {how} v{args.toward_version}",
    )


def _replace_parts(state: MixState, args: RestoreArgs | BlendArgs) -> MixState:
    names = state.track_names()
    unknown = [t.name for t in args.tracks if t.name not in names]
    if unknown:
        raise StateError(f"tracks={unknown} are not in this mix; tracks are {names}")
    restored = {t.name: t for t in args.tracks}
    update: dict[str, Any] = {"tracks": tuple(restored.get(t.name, t) for t in state.tracks)}
    for part in ("reverb", "delay", "automation", "master"):
        value = getattr(args, part)
        if value is not None:
            update[part] = value
    return state.model_copy(update=update)


def restore_call(current: MixState | None, target: MixState, *, version: int) -> ToolCall:
    """The ``restore_settings`` call that turns ``current`` into ``target`` (version
    ``version``'s state), naming only the parts that differ; every part when ``current`` is
    not known (a damaged version file)."""
    now = {t.name: t for t in current.tracks} if current is not None else {}
    args: dict[str, Any] = {"version": version}
    tracks = [t.model_dump(mode="json") for t in target.tracks if now.get(t.name) != t]
    if tracks:
        args["tracks"] = tracks
    for part in ("reverb", "delay", "master"):
        if current is None or getattr(target, part) != getattr(current, part):
            args[part] = getattr(target, part).model_dump(mode="json")
    if current is None or target.automation != current.automation:
        args["automation"] = [a.model_dump(mode="json") for a in target.automation]
    return ToolCall(tool="restore_settings", args=args, reason=f"the settings of v{version}")
