"""Landing a follow-up's blend on the measure: "halfway back" means half the change a
producer hears, so after the settings move half way the turn measures the result and, when
it is off, moves the blend fraction (a secant step between the measured points) and renders
again, at most twice. The measures are the ones the version metrics hold, and a track's own
level in a range (from the engine's per-track band cache); the others (a bus return, an
overlap) would need the renders of earlier versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixchat.assistant.moves.followup import blend, blend_call
from mixchat.assistant.planning.contract import BlendAim, Plan, PlanContext
from mixchat.assistant.planning.measures import Measure, TrackRange
from mixchat.assistant.turn.reply import measure_value
from mixchat.dsp.masking import range_level_db
from mixchat.dsp.state import MixState
from mixchat.tools.base import Change, ToolCall
from mixchat.tools.catalog import apply_calls
from mixchat.tools.engine import Engine, Rendered

LANDING_TRIES = 2
LANDING_TOLERANCE = 0.08  # of the measured change between the two versions
FRACTION_LIMITS = (0.02, 0.98)
# a measure the change moved less than this is noise beside the move (a fader shift that
# kept the loudness moves every track against the rest by hundredths of a dB)
MIN_SPAN_DB = 0.5
MIN_SPAN_HZ_SHARE = 0.02


@dataclass
class Landed:
    state: MixState
    rendered: Rendered
    metrics: dict[str, Any]
    calls: list[ToolCall]
    changes: list[Change]
    note: str = ""


@dataclass(frozen=True)
class Probe:
    """A measure's value in a state: from its metrics, or for a track's own level in a
    range, from the band powers the engine caches per track setting."""

    engine: Engine

    def __call__(self, state: MixState, metrics: dict[str, Any], measure: Measure) -> float | None:
        if isinstance(measure, TrackRange):
            if measure.track not in {t.name for t in state.audible_tracks()}:
                return None
            bands = self.engine.track_bands([state.track(measure.track)])[measure.track]
            return range_level_db(bands, low_hz=measure.low_hz, high_hz=measure.high_hz)
        _, value, _ = measure_value({k: v for k, v in metrics.items() if k != "extra"}, measure)
        return None if value is None else float(value)


def _spans(
    probe: Probe,
    plan: Plan,
    aim: BlendAim,
    new_metrics: dict[str, Any],
    old_metrics: dict[str, Any],
) -> list[tuple[Measure, float, float]]:
    """The measures the landing reads (the ones the settings moved: a band's level, a part
    against the rest, which follow the blend closely) that both versions hold and that the
    change clearly moved."""
    return _moved(probe, aim.landed_on or plan.measures, aim, new_metrics, old_metrics)


def _moved(
    probe: Probe,
    measures: Sequence[Measure],
    aim: BlendAim,
    new_metrics: dict[str, Any],
    old_metrics: dict[str, Any],
) -> list[tuple[Measure, float, float]]:
    found = []
    for measure in measures:
        new, old = probe(aim.new, new_metrics, measure), probe(aim.old, old_metrics, measure)
        if new is None or old is None:
            continue
        unit = measure_value({}, measure)[2]
        least = MIN_SPAN_HZ_SHARE * abs(new) if unit == "Hz" else MIN_SPAN_DB
        if abs(old - new) >= least:
            found.append((measure, new, old))
    return found


def _progress(
    probe: Probe,
    state: MixState,
    metrics: dict[str, Any],
    spans: list[tuple[Measure, float, float]],
) -> float | None:
    """How far back the measures went, 0 at the parent and 1 at the older version (the
    median over the measures, so one part's measure does not steer a move on several)."""
    shares = []
    for measure, new, old in spans:
        value = probe(state, metrics, measure)
        if value is not None:
            shares.append((value - new) / (old - new))
    return float(np.median(shares)) if shares else None


def land_blend(
    engine: Engine,
    context: PlanContext,
    aim: BlendAim,
    plan: Plan,
    *,
    old_metrics: dict[str, Any],
    landed: Landed,
) -> Landed:
    """``landed`` (the blend at ``aim.fraction``, rendered and measured), or a blend at the
    fraction that puts the measure that share of the way between the two versions."""
    if not 0.0 < aim.fraction < 1.0:
        return landed
    probe = Probe(engine)
    spans = _spans(probe, plan, aim, context.metrics, old_metrics)
    if not spans:
        return landed
    goal = aim.fraction
    points = [(0.0, 0.0), (1.0, 1.0)]
    fraction, value = aim.fraction, _progress(probe, landed.state, landed.metrics, spans)
    for _ in range(LANDING_TRIES):
        if value is None or abs(value - goal) <= LANDING_TOLERANCE:
            break
        here = (fraction, value)
        across = [p for p in points if (p[1] - goal) * (value - goal) < 0]
        if not across:
            break
        other = min(across, key=lambda p: abs(p[0] - fraction))
        step = fraction + (goal - value) * (other[0] - fraction) / (other[1] - value)
        fraction_next = min(FRACTION_LIMITS[1], max(FRACTION_LIMITS[0], step))
        points.append(here)
        target = blend(aim.new, aim.old, fraction_next)
        call = blend_call(context.state, target, version=aim.old_version, fraction=fraction_next)
        state, changes = apply_calls(context.state, [call], context.tool_context)
        rendered = engine.render(state)
        metrics = engine.metrics_of(rendered, state)
        fraction, value = fraction_next, _progress(probe, state, metrics, spans)
        landed = Landed(state, rendered, metrics, [call], changes)
    if fraction != aim.fraction:
        landed.note = (
            f"The settings went {fraction:.0%} of the way, so the measured change lands "
            f"{aim.fraction:.0%} of the way back."
        )
    return landed
