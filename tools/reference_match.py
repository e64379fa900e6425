"""A reference match as tool calls: the master's loudness target, its width and broad EQ moves
that bring a session's mix toward a reference track ("make it sound like PATH").

The calls are ordinary typed tools (``set_master``, ``set_master_width``, ``apply_master_eq``),
so the version they make replays from its tool calls like any other. The EQ gains are found on
the session's own pre-master through the same tools (so the bands the state ends up with are
the ones measured), two passes of ``mixchat.dsp.reference.next_gains``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mixchat.dsp.reference import (
    Profile,
    band_edges,
    match_bands,
    next_gains,
    profile,
    run_eq,
    width_factor,
)
from mixchat.dsp.state import MixState
from mixchat.dsp.stereo import scale_side, stereo_width
from mixchat.tools.base import ToolCall, ToolContext, apply_calls
from mixchat.tools.engine import Engine, Rendered

SMALLEST_EQ_MOVE_DB = 0.3  # band gains under this are left out of the calls
SMALLEST_WIDTH_MOVE = 0.03
TARGET_LUFS_RANGE = (-40.0, -4.0)  # what set_master accepts
PASSES = 2


@dataclass(frozen=True)
class ReferencePlan:
    """The calls, and what they were planned from: the reference's and the current
    version's profiles and the broad-band gain each EQ call stands for (0 = no call)."""

    calls: list[ToolCall]
    reference: Profile
    before: Profile
    band_gains_db: tuple[float, ...]
    width: float  # the master width the calls set (the current one when unchanged)


def as_stereo(audio: np.ndarray) -> np.ndarray:
    return audio if audio.shape[0] == 2 else np.repeat(audio[:1], 2, axis=0)


def _ratio(value: float, reference: float) -> float:
    return value / reference if reference > 1e-9 else 1.0


def _eq_calls(gains: np.ndarray, sample_rate: int) -> list[ToolCall]:
    return [
        ToolCall(
            tool="apply_master_eq",
            args={"kind": b.kind, "freq_hz": b.freq_hz, "gain_db": b.gain_db, "q": b.q},
        )
        for b in match_bands(gains, sample_rate)
    ]


def plan_reference_match(
    engine: Engine,
    state: MixState,
    reference: np.ndarray,
    *,
    context: ToolContext,
    rendered: Rendered | None = None,
) -> ReferencePlan:
    """The calls that move ``state``'s mix toward ``reference`` (at the session's rate)."""
    rate = context.sample_rate
    reference = as_stereo(reference)
    ref = profile(reference, sample_rate=rate)
    rendered = rendered or engine.render(state)
    before = profile(rendered.audio, sample_rate=rate)
    low, high = TARGET_LUFS_RANGE
    calls = [
        ToolCall(
            tool="set_master",
            args={
                "enabled": True,
                "loudness_enabled": True,
                "target_lufs": round(float(np.clip(ref.lufs, low, high)), 1),
            },
        )
    ]
    base, _ = apply_calls(state, calls, context)
    width = state.master.width
    premaster = scale_side(rendered.premaster, width)
    gains = np.zeros(len(band_edges(rate)) - 1)
    processed = unmatched = run_eq(base.master.eq, premaster, rate)
    for _ in range(PASSES):
        gains = next_gains(gains, processed, reference, rate)
        trial, _ = apply_calls(base, _eq_calls(gains, rate), context)
        processed = run_eq(trial.master.eq, premaster, rate)
    kept = np.where(np.abs(gains) >= SMALLEST_EQ_MOVE_DB, np.round(gains, 1), 0.0)
    # the width is matched after the EQ: cutting or lifting a band moves the width too, when
    # the instruments in it are wider or narrower than the rest
    after_eq = before.width * _ratio(stereo_width(processed), stereo_width(unmatched))
    wanted = float(np.clip(round(width * width_factor(after_eq, ref.width), 2), 0.0, 2.0))
    if abs(wanted - width) >= SMALLEST_WIDTH_MOVE:
        calls.append(ToolCall(tool="set_master_width", args={"width": wanted}))
        width = wanted
    return ReferencePlan(
        calls=calls + _eq_calls(kept, rate),
        reference=ref,
        before=before,
        band_gains_db=tuple(float(g) for g in kept),
        width=width,
    )
