"""Measuring a brief's result: metrics shifted for fader-only changes, and the extra measures a
reply quotes (frequency ranges, spectral overlap, crest factor).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mixchat.assistant.planning.contract import PlanContext
from mixchat.assistant.planning.measures import (
    BusReturn,
    Measure,
    Overlap,
    RangeShare,
    SectionLevel,
    TrackPan,
    TrackRange,
    TrackWidth,
)
from mixchat.assistant.turn.section_levels import section_level_db
from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.masking import StemBands, range_level_db, spectral_overlap
from mixchat.dsp.meters import EnergyMeter
from mixchat.dsp.panning import pan_and_width
from mixchat.dsp.spectrum import (
    THIRD_OCTAVE_FLOOR_DB,
    mono_sum,
    power_spectrum,
    third_octave_spectrum,
)
from mixchat.dsp.state import MixState, TrackState
from mixchat.dsp.stereo import ChannelEnergies, side_mid_db_from
from mixchat.tools.atomic import write_json_atomic
from mixchat.tools.base import ToolCall, ToolContext
from mixchat.tools.catalog import apply_call
from mixchat.tools.engine import Engine, Rendered
from mixchat.tools.session import Version

Progress = Callable[[str, float], None]


MIX_LEVEL_FIELDS = (
    "integrated_lufs",
    "short_term_max_lufs",
    "momentary_max_lufs",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "rms_dbfs",
)


def shifted_metrics(
    metrics: dict[str, Any], delta_db: float, tracks: dict[str, Any]
) -> dict[str, Any]:
    """The metrics of the same render scaled by delta_db: with the master off, a trim (or,
    in versions made before it, every fader moved by the same amount) scales the pre-master
    mix exactly, so no second render is needed; shares, centroid, width, crest and LRA do not
    change, the spectrum shifts with the level. ``fader_shift_db`` is the gain after the bus
    return files the metrics name."""
    mix = dict(metrics["mix"])
    for key in MIX_LEVEL_FIELDS:
        mix[key] = round(mix[key] + delta_db, 3)
    mix["band_energies_db"] = {k: v + delta_db for k, v in mix["band_energies_db"].items()}
    out = {**metrics, "mix": mix, "tracks": tracks}
    out["fader_shift_db"] = round(float(metrics.get("fader_shift_db", 0.0)) + delta_db, 4)
    out["sections"] = [
        {**row, "lufs": row["lufs"] + delta_db if row["lufs"] > -70 else row["lufs"]}
        for row in metrics.get("sections", [])
    ]
    if "spectrum" in metrics:
        spectrum = metrics["spectrum"]
        levels = [
            round(v + delta_db, 3) if v > THIRD_OCTAVE_FLOOR_DB else v for v in spectrum["power_db"]
        ]
        out["spectrum"] = {**spectrum, "power_db": levels}
    return out


def mix_spectrum(audio: np.ndarray, sample_rate: int) -> dict[str, list[float]]:
    """Third-octave band powers (dB) of the mix, 20 Hz-20 kHz: what band_hz measures read."""
    return third_octave_spectrum(*power_spectrum(mono_sum(audio), sample_rate=sample_rate))


def extra_measures(
    engine: Engine,
    context: PlanContext,
    parent: Version,
    state: MixState,
    before: dict[str, Any],
    after: dict[str, Any],
    measures: list[Measure],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Measures the metrics do not hold, computed only when the plan names them: the
    parent's spectrum for band ranges when its metrics lack it, a bus return's level, and a
    track's own level in a range or the spectral overlap of two stems (both from the
    per-track band powers the engine caches). They are kept under ``extra``, by key."""
    rate = engine.meta.sample_rate
    before, after = dict(before), dict(after)
    if any(isinstance(m, RangeShare) for m in measures) and "spectrum" not in before:
        before["spectrum"] = parent_spectrum(engine, parent)
    old_extra, new_extra = dict(before.get("extra", {})), dict(after.get("extra", {}))
    placed: dict[Placement, ChannelEnergies] | None = None  # the pan and width measures'
    for measure in measures:
        key = measure.key
        if isinstance(measure, BusReturn):  # an unused bus is silent: quoted as "off"
            for extra, version_state, metrics in (
                (old_extra, parent.state, before),
                (new_extra, state, after),
            ):
                level = _return_db(engine, version_state, metrics, measure.bus)
                if level is not None:
                    extra[key] = _or_silent(level)
        elif isinstance(measure, TrackRange):
            audible = measure.track in {t.name for t in state.audible_tracks()}
            bands = _bands_before_after(engine, context, parent, state, measure.track)
            if bands is None or not audible:
                continue
            old_extra[key], new_extra[key] = (
                round(range_level_db(b, low_hz=measure.low_hz, high_hz=measure.high_hz), 2)
                for b in bands
            )
        elif isinstance(measure, SectionLevel):
            for extra, version_state in ((old_extra, parent.state), (new_extra, state)):
                value = section_level_db(
                    engine,
                    version_state,
                    context.sections,
                    names=measure.names,
                    label=measure.label,
                    occurrence=measure.occurrence,
                )
                if value is not None:
                    extra[key] = value
        elif isinstance(measure, TrackPan | TrackWidth):
            if measure.track not in {t.name for t in state.audible_tracks()}:
                continue
            quoted = placed_pan_db if isinstance(measure, TrackPan) else placed_side_mid_db
            old_track, new_track = parent.state.track(measure.track), state.track(measure.track)
            if placed is None:
                placed = placed_energies(engine, _placement_tracks(parent.state, state, measures))
            for extra, track in ((old_extra, old_track), (new_extra, new_track)):
                extra[key] = quoted(placed[(engine.insert_key(track), track.pan, track.width)])
        elif isinstance(measure, Overlap):
            pair = [
                _bands_before_after(engine, context, parent, state, n) for n in measure.tracks()
            ]
            if pair[0] is None or pair[1] is None:
                continue
            (old_a, new_a), (old_b, new_b) = pair[0], pair[1]
            old_extra[key] = round(spectral_overlap(old_a, old_b, sample_rate=rate), 4)
            new_extra[key] = round(spectral_overlap(new_a, new_b, sample_rate=rate), 4)
    if old_extra or new_extra:
        before["extra"], after["extra"] = old_extra, new_extra
    return before, after


def _return_db(engine: Engine, state: MixState, metrics: dict[str, Any], bus: str) -> float | None:
    """The bus return's level in the render ``metrics`` describe: silent ("off") when no
    track sends to the bus, None (not quoted) when tracks send to it but the cache has let
    its file go in a long session."""
    level = engine.bus_return_db(metrics, bus)
    if level is not None:
        return level
    sending = any(getattr(t, f"{bus}_send_db") is not None for t in state.audible_tracks())
    return None if sending else -120.0


def with_return_levels(engine: Engine, state: MixState, metrics: dict[str, Any]) -> dict[str, Any]:
    """``metrics`` with each bus return's level kept under ``extra`` (by the ``BusReturn``
    key): a version many briefs start from (the automix) then quotes its returns even after
    a long session's cache has let their files go."""
    extra = dict(metrics.get("extra", {}))
    for bus in ("reverb", "delay"):
        level = _return_db(engine, state, metrics, bus)
        if level is not None:
            extra[BusReturn(bus=bus).key] = _or_silent(level)
    return {**metrics, "extra": extra}


def _or_silent(level: float | None) -> float:
    return -120.0 if level is None or not np.isfinite(level) else float(level)


Placement = tuple[str, float, float]  # (insert key, pan, width)


def placed_energies(
    engine: Engine, tracks: Sequence[TrackState]
) -> dict[Placement, ChannelEnergies]:
    """``channel_energies`` of each track's insert output after its pan and width (the
    engine's pan law: where a listener hears it), by (insert key, pan, width). The output is
    streamed, once for all the placements of it asked for (a pan or width brief measures the
    same output placed before and after); the sums are the ones ``channel_energies`` makes of
    the whole placed array (``EnergyMeter``, fed whole chunks of its size)."""
    groups: dict[str, dict[Placement, TrackState]] = {}
    for track in tracks:
        key = engine.insert_key(track)
        groups.setdefault(key, {})[(key, track.pan, track.width)] = track
    found: dict[Placement, ChannelEnergies] = {}
    for placed in groups.values():
        meters = {placement: EnergyMeter() for placement in placed}
        for block in engine.insert_blocks(next(iter(placed.values()))):
            block = np.asarray(block, dtype=np.float32)
            for placement, track in placed.items():
                meters[placement].feed(pan_and_width(block, pan=track.pan, width=track.width))
        for placement, meter in meters.items():
            found[placement] = ChannelEnergies(*(float(v) for v in meter.totals))
    return found


def placed_pan_db(energies: ChannelEnergies) -> float:
    """Left-minus-right level (dB) of placed energies."""
    return round(10 * np.log10(max(energies.left, 1e-20) / max(energies.right, 1e-20)), 2)


def placed_side_mid_db(energies: ChannelEnergies) -> float:
    """Side/mid ratio (dB) of placed energies."""
    return round(side_mid_db_from(energies), 2)


def track_width_db(engine: Engine, track: TrackState) -> float:
    """The track's own side/mid ratio (dB) as placed in the mix."""
    placed = placed_energies(engine, [track])
    return placed_side_mid_db(placed[(engine.insert_key(track), track.pan, track.width)])


def _bands_before_after(
    engine: Engine, context: PlanContext, parent: Version, state: MixState, name: str
) -> tuple[StemBands, StemBands] | None:
    """A track's band powers in the parent (cached by the context) and in ``state`` (measured
    again only if the brief changed the track); None when the parent's are not at hand."""
    old = context.stem_bands(name) if name in context.tracks else None
    if old is None:
        return None
    changed = state.track(name) != parent.state.track(name)
    return old, engine.track_bands([state.track(name)])[name] if changed else old


def _placement_tracks(
    parent: MixState, state: MixState, measures: list[Measure]
) -> list[TrackState]:
    """The tracks, before and after, whose placement a pan or width measure quotes."""
    audible = {t.name for t in state.audible_tracks()}
    names = {m.track for m in measures if isinstance(m, TrackPan | TrackWidth)} & audible
    return [s.track(n) for n in sorted(names) for s in (parent, state)]


def overlap_tracks(parent: MixState, state: MixState, measures: list[Measure]) -> list[TrackState]:
    """The tracks an ``Overlap`` or ``TrackRange`` measure names whose settings the brief
    changed (their bands must be measured again)."""
    names = {t.name for t in state.tracks} & {t.name for t in parent.tracks}
    named = {n for m in measures for n in m.tracks()}
    return [state.track(n) for n in sorted(named & names) if state.track(n) != parent.track(n)]


def parent_spectrum(engine: Engine, parent: Version) -> dict[str, list[float]]:
    """The parent's third-octave spectrum: from its metrics, else rendered once and kept in
    the session cache (versions are immutable, so the file never goes stale)."""
    path = engine.cache_dir / "spectra" / f"v{parent.version:04d}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    spectrum = mix_spectrum(engine.render(parent.state).audio, engine.meta.sample_rate)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, spectrum)
    return spectrum


MASTER_TRIES = 3  # secant steps through a master chain that is not linear (glue, ceiling)
MASTER_TOLERANCE_LU = 0.3


def held_loudness(
    engine: Engine,
    rendered: Rendered,
    state: MixState,
    metrics: dict[str, Any],
    *,
    target_lufs: float,
) -> tuple[ToolCall, MixState, dict[str, Any]] | None:
    """The trim that puts the mix back at ``target_lufs``, the state after it and its
    metrics; None when the master sets the loudness itself. The trim comes after every track
    and bus return, so nothing is rendered again. Master off: the pre-master mix scales
    exactly with the trim, so the metrics shift without a second measure. Master on without
    a loudness target: the chain runs again on the scaled pre-master mix (in memory) until it
    lands, and the state found is mastered (from the cached mix) and measured."""
    if state.master.enabled and state.master.loudness_enabled:
        return None
    lufs = float(metrics["mix"]["integrated_lufs"])
    shift = target_lufs - lufs
    if state.master.enabled:
        shift = 0.0
        for _ in range(MASTER_TRIES):
            if abs(target_lufs - lufs) <= MASTER_TOLERANCE_LU:
                break
            shift += target_lufs - lufs
            tried = engine.remaster(rendered, state, shift_db=shift)
            lufs = integrated_lufs(tried.audio, sample_rate=engine.meta.sample_rate)
    call = loudness_compensation(-shift)
    shifted = apply_call(state, call, ToolContext()).state
    if not state.master.enabled:
        out = shifted_metrics(metrics, shift, engine.track_facts(shifted))
        # the committed state's mix, made now from the cached track outputs: a render or a
        # playback of this version then reads it instead of mixing every track again
        out.update(engine.cache_refs(engine.render(shifted, measure=False), shifted))
        return call, shifted, out
    return call, shifted, engine.metrics_of(engine.render(shifted), shifted)


HELD_LEVEL_TOLERANCE_DB = 0.2


def level_match_calls(
    engine: Engine, context: PlanContext, state: MixState, names: Sequence[str]
) -> list[ToolCall]:
    """Fader moves that give each named track its own loudness back after its inserts
    changed (a transient shaper adds level): measured on the insert outputs, which the
    render then reuses from the cache."""
    after = engine.track_facts(state)
    calls = []
    for name in names:
        if name not in after or name not in context.tracks:
            continue
        own_before = context.tracks[name].lufs - context.state.track(name).gain_db
        own_after = after[name]["lufs"] - state.track(name).gain_db
        change = own_after - own_before
        if np.isfinite(change) and abs(change) > HELD_LEVEL_TOLERANCE_DB:
            calls.append(
                ToolCall(
                    tool="adjust_track_gain",
                    args={"track": name, "delta_db": round(-change, 2)},
                    reason=f"{name} level-matched: the change alone moved it {change:+.1f} dB",
                )
            )
    return calls


def loudness_compensation(drift_lu: float) -> ToolCall:
    """The call that trims the mix by -drift before the master, so before and after compare
    at the same loudness (recorded with the brief's calls, so the version replays)."""
    return ToolCall(
        tool="trim_mix",
        args={"delta_db": round(-drift_lu, 2)},
        reason="to keep the mix loudness where it was (fair comparison)",
    )
