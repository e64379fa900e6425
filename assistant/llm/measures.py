"""What the LLM planner's tool calls are measured by, and what it tells the model after a call.

``measures_for`` names the measurements that show what the calls did (quoted before → after in
the reply); ``state_after`` is the touched track (or the buses and master) as the model sees it
in a tool result.
"""

from __future__ import annotations

from typing import Any

from mixchat.assistant.llm.prompt import buses_block
from mixchat.dsp.errors import MixError
from mixchat.dsp.spectrum import BANDS_HZ
from mixchat.dsp.state import MixState
from mixchat.tools.base import ToolCall, resolve_track
from mixchat.tools.settings_text import track_line

TRACK_LEVEL_TOOLS = frozenset(
    {"set_track_gain", "adjust_track_gain", "set_track_trim", "set_mute", "set_solo"}
)
TONE_TOOLS = frozenset(
    {"apply_eq", "set_eq_band", "remove_eq_band", "set_high_pass", "set_low_pass", "set_saturation"}
)
STEREO_TOOLS = frozenset({"set_pan", "set_width"})
MASTER_TOOLS = frozenset({"set_master", "set_master_glue", "apply_master_eq"})
LEVEL_TOOLS = TRACK_LEVEL_TOOLS | {"automate_section", "set_master"}


def state_after(state: MixState, call: ToolCall) -> str:
    """What the touched track (or the master) looks like now: cheap facts for the model."""
    track = call.args.get("track")
    if isinstance(track, str):
        try:
            resolved = resolve_track(state, track)
        except MixError:
            return ""
        return f"{resolved.name} now: {track_line(resolved)}"
    return "Now: " + buses_block(state).replace("\n", " ")


def band_of(freq_hz: float) -> str:
    for band, (low, high) in BANDS_HZ.items():
        if low <= freq_hz < high:
            return band
    return "air" if freq_hz >= 20000.0 else "sub"


def measures_for(calls: list[ToolCall], state: MixState) -> list[str]:
    """The measurements that show what these calls did (quoted before → after in the reply)."""
    measures: list[str] = []
    for call in calls:
        args = call.args
        track = _track_name(state, args.get("track"))
        if call.tool in TONE_TOOLS or call.tool == "apply_master_eq":
            measures.append("spectral_centroid_hz")
            freq = args.get("freq_hz") or args.get("cutoff_hz")
            if isinstance(freq, (int, float)):
                measures.append(f"band:{band_of(float(freq))}")
        if call.tool in STEREO_TOOLS:
            measures.append("width")
        if call.tool in MASTER_TOOLS:
            measures.append("master")
        if call.tool == "automate_section" and isinstance(args.get("section"), str):
            measures.append(f"section:{args['section']}")
        if track and call.tool not in ("set_pan", "set_width"):
            measures.append(f"track:{track}")
    return list(dict.fromkeys(measures))


def _track_name(state: MixState, name: Any) -> str | None:
    if not isinstance(name, str):
        return None
    try:
        return resolve_track(state, name).name
    except MixError:
        return None
