"""Mastering, a stage of its own over the mix bus: EQ, glue compression, an optional tonal and
loudness match to a reference, gain to a loudness target and the true-peak limiter.

The gain is iterated on the limited output (measure, correct, up to ``_GAIN_PASSES`` passes,
with a secant step because limiting makes loudness grow slower than gain), so the master lands
within 0.5 LU of the target (usually within 0.1) with its true peak at or under the ceiling.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from mixchat.dsp.errors import StateError
from mixchat.dsp.limiter import (
    GainPlan,
    PeakMap,
    gain_plan,
    limit_true_peak_detailed,
    limit_with_peak_map,
)
from mixchat.dsp.loudness import (
    BLOCK_HOP_S,
    BLOCK_S,
    gated_integrated,
    integrated_lufs,
    momentary_block_powers,
    true_peak_dbtp,
    weighted_power,
    window_samples,
)
from mixchat.dsp.processors import compressor_plugins, eq_plugins
from mixchat.dsp.reference import match_tone, run_plugins
from mixchat.dsp.state import Compressor, EqBand, MasterState
from mixchat.dsp.stereo import scale_side

PLATFORM_TARGETS_LUFS = {"spotify": -14.0, "apple": -16.0, "youtube": -14.0, "club": -9.0}
LANDING_TOLERANCE_LU = 0.1
ABSURD_LIMITING_DB = 12.0
DC_OFFSET_LIMIT = 0.001  # -60 dBFS
_GAIN_PASSES = 7  # measured passes; the first one's gain comes from the prediction
_SEARCH_STEPS = 12
_PREDICTION_TOLERANCE_LU = 0.04
_MAX_GAIN_STEP_DB = 12.0  # per secant step: a lone click barely gets louder with more gain
_MAX_LIMITING_DB = 40.0  # gain above the unlimited landing gain that is ever worth trying
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


@dataclass
class MasterResult:
    audio: np.ndarray
    input_lufs: float
    output_lufs: float
    true_peak_dbtp: float
    gain_db: float
    limiter_reduction_db: float
    notes: list[str] = field(default_factory=list)


def parse_target(text: str) -> float:
    """A platform name (case-insensitive) or a LUFS number like ``-14`` / ``-14.5``."""
    cleaned = str(text).strip().lower().removesuffix("lufs").strip()
    if cleaned in PLATFORM_TARGETS_LUFS:
        return PLATFORM_TARGETS_LUFS[cleaned]
    if _NUMBER.match(cleaned):
        value = float(cleaned)
        if -40.0 <= value <= -4.0:
            return value
        raise StateError(f"target={text!r} must be between -40 and -4 LUFS")
    names = ", ".join(PLATFORM_TARGETS_LUFS)
    raise StateError(f"target={text!r} is not a platform ({names}) or a LUFS number like -14")


def _checked(audio: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(audio, dtype=np.float32)
    if array.ndim == 1:
        array = array[np.newaxis, :]
    if array.ndim != 2 or array.shape[0] not in (1, 2) or array.shape[1] == 0:
        raise StateError(f"{name} shape={np.shape(audio)} must be (channels, samples), 1 or 2 ch")
    if not np.all(np.isfinite(array)):
        raise StateError(f"{name} contains NaN or inf samples; fix the mix before mastering")
    return array


def _without_dc_offset(audio: np.ndarray, notes: list[str]) -> np.ndarray:
    """The audio with each channel's mean taken out when one is over DC_OFFSET_LIMIT: DC is
    inaudible, but it eats the headroom the limiter needs (a 0.4 offset costs 8 dB of it)."""
    offsets = audio.mean(axis=1, dtype=np.float64)
    if np.max(np.abs(offsets)) <= DC_OFFSET_LIMIT:
        return audio
    worst = float(offsets[np.argmax(np.abs(offsets))])
    notes.append(f"took out a DC offset of {worst:+.3f} (full scale = 1) before mastering")
    return audio - offsets.astype(np.float32)[:, np.newaxis]


def _next_gain(current, last, below, above, target_lufs: float) -> float:
    """Secant step (limiting makes loudness grow slower than gain), kept inside the bracket
    of gains known to be under and over the target once there is one."""
    gain_db, out_lufs = current
    slope = 1.0
    if last is not None and abs(gain_db - last[0]) > 1e-6:
        slope = float(np.clip((out_lufs - last[1]) / (gain_db - last[0]), 0.1, 1.0))
    step = gain_db + min((target_lufs - out_lufs) / slope, _MAX_GAIN_STEP_DB)
    if below is None or above is None:
        return step
    low, high = below[0], above[0]
    if below[1] < above[1]:
        step = low + (target_lufs - below[1]) * (high - low) / (above[1] - below[1])
    inside = (
        min(low, high) + 0.05 * abs(high - low) < step < max(low, high) - 0.05 * abs(high - low)
    )
    return step if inside else 0.5 * (low + high)


class _LoudnessPredictor:
    """Integrated loudness of ``factor * gain * audio`` from the K-weighted power of
    ``audio``, measured once: K-weighting is linear and the limiter gain moves slowly, so
    the output's K-weighted power is ``factor**2 * gain**2 * power`` to within a few
    hundredths of a LU, and only the limited samples need touching: their change is added
    to the power sums of the 100 ms units they fall in (no copy of the song's power)."""

    def __init__(self, audio: np.ndarray, sample_rate: float):
        self.sample_rate = sample_rate
        self.power = weighted_power(audio, sample_rate=sample_rate)
        self.hop = window_samples(BLOCK_HOP_S, sample_rate)
        self.window = window_samples(BLOCK_S, sample_rate)
        self.unit = math.gcd(self.hop, self.window)
        units = self.power.size // self.unit
        self.sums = (
            self.power[: units * self.unit].reshape(-1, self.unit).sum(axis=1, dtype=np.float64)
        )
        self.input_lufs = self._integrated(self.sums)

    def _integrated(self, sums: np.ndarray) -> float:
        if self.power.size < self.window:
            return gated_integrated(
                momentary_block_powers(self.power, sample_rate=self.sample_rate)
            )
        count = (self.power.size - self.window) // self.hop + 1
        cumulative = np.concatenate(([0.0], np.cumsum(sums)))
        starts = np.arange(count) * (self.hop // self.unit)
        blocks = cumulative[starts + self.window // self.unit] - cumulative[starts]
        return gated_integrated(np.maximum(blocks, 0.0) / self.window)

    def lufs(self, gain_db: float, plan: GainPlan) -> float:
        if plan.positions.size == 0 or self.power.size < self.window:
            return self.input_lufs + gain_db
        squared = np.power(np.float32(10.0), plan.gain_db / np.float32(10.0))
        inside = plan.positions < self.sums.size * self.unit
        positions = plan.positions[inside]
        change = self.power[positions] * (squared[inside] - np.float32(1.0))
        delta = np.bincount(positions // self.unit, weights=change, minlength=self.sums.size)
        return self._integrated(self.sums + delta) + gain_db


def _closer(error: float, best_error: float, louder: bool) -> bool:
    """A landing beats the best so far if it is nearer the target; more gain must also buy
    a real step nearer (a lone click's loudness barely moves, so its limiting would not)."""
    return abs(error) < abs(best_error) - (_PREDICTION_TOLERANCE_LU if louder else 0.0)


def _search_gain(predictor, peaks, start_db, target_lufs, limiter_args) -> tuple:
    """Gain whose predicted output loudness is on ``target_lufs``: secant steps inside the
    bracket of gains known to land under and over it, never more than _MAX_LIMITING_DB over
    ``start_db``. Returns (gain, plan, predicted)."""
    gain_db, below, above, last, best = start_db, None, None, None, None
    highest_db = start_db + _MAX_LIMITING_DB
    for _ in range(_SEARCH_STEPS):
        factor = 10.0 ** (gain_db / 20.0)
        plan = gain_plan(peaks.scaled(factor), **limiter_args)
        predicted = predictor.lufs(gain_db, plan)
        error = target_lufs - predicted
        if best is None or _closer(error, target_lufs - best[2], gain_db > best[0]):
            best = (gain_db, plan, predicted)
        if abs(error) <= _PREDICTION_TOLERANCE_LU:
            break
        if error > 0 and (below is None or gain_db > below[0]):
            below = (gain_db, predicted)
        if error < 0 and (above is None or gain_db < above[0]):
            above = (gain_db, predicted)
        current = (gain_db, predicted)
        gain_db = min(_next_gain(current, last, below, above, target_lufs), highest_db)
        if gain_db == current[0]:
            break
        last = current
    if best is None:
        raise StateError(f"_SEARCH_STEPS={_SEARCH_STEPS} must be >= 1 to search the master gain")
    return best


def _land_on_target(
    audio: np.ndarray,
    *,
    sample_rate: float,
    target_lufs: float,
    ceiling_dbtp: float,
    predictor: _LoudnessPredictor | None = None,
):
    """Gain + limiter until the limited output is on target: the first gain is searched on
    the predicted loudness (no full pass), then the limiter runs and the output is measured;
    a measured miss (heavy limiting) continues with secant steps on measured passes.
    Returns the limiter result, the gain used and the measured output loudness."""
    predictor = predictor or _LoudnessPredictor(audio, sample_rate)
    start_db = target_lufs - predictor.input_lufs
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    headroom_db = 6.0
    peaks = PeakMap.of(audio, floor=ceiling * 10.0 ** (-(start_db + headroom_db) / 20.0))
    limiter_args = {"sample_rate": sample_rate, "ceiling_dbtp": ceiling_dbtp}
    gain_db, plan, _ = _search_gain(predictor, peaks, start_db, target_lufs, limiter_args)
    below = above = last = best = None
    highest_db = start_db + _MAX_LIMITING_DB
    for _ in range(_GAIN_PASSES):
        factor = 10.0 ** (gain_db / 20.0)
        limited = limit_with_peak_map(
            audio * np.float32(factor), peaks.scaled(factor), plan=plan, **limiter_args
        )
        out_lufs = integrated_lufs(limited.audio, sample_rate=sample_rate)
        error = target_lufs - out_lufs
        if best is None or _closer(error, target_lufs - best[2], gain_db > best[1]):
            best = (limited, gain_db, out_lufs)
        if abs(error) <= LANDING_TOLERANCE_LU:
            break
        # Heavy limiting makes the prediction miss (gain modulation adds K-weighted
        # energy): iterate on measured passes, as a plain secant in the bracket.
        if error > 0 and (below is None or gain_db > below[0]):
            below = (gain_db, out_lufs)
        if error < 0 and (above is None or gain_db < above[0]):
            above = (gain_db, out_lufs)
        current = (gain_db, out_lufs)
        gain_db = min(_next_gain(current, last, below, above, target_lufs), highest_db)
        if gain_db == current[0]:
            break
        plan, last = None, current
    return best


def _measured(audio: np.ndarray, sample_rate: float, notes: list[str]) -> MasterResult:
    loudness = integrated_lufs(audio, sample_rate=sample_rate)
    peak = true_peak_dbtp(audio, sample_rate=sample_rate)
    return MasterResult(audio, loudness, loudness, peak, 0.0, 0.0, notes)


def master_audio(
    audio: np.ndarray,
    *,
    sample_rate: float,
    target_lufs: float = -14.0,
    ceiling_dbtp: float = -1.0,
    eq: tuple[EqBand, ...] = (),
    glue: Compressor | None = None,
    reference: np.ndarray | None = None,
    width: float = 1.0,
    reference_lufs: float | None = None,
) -> MasterResult:
    """Master ``audio`` to ``target_lufs`` (or to the reference's loudness when given:
    ``reference_lufs`` when the caller measured it already) with its true peak at or under
    ``ceiling_dbtp``; ``width`` scales the side signal first."""
    signal = _checked(audio, "audio")
    if not -60.0 <= ceiling_dbtp <= 0.0:
        raise StateError(f"ceiling_dbtp={ceiling_dbtp!r} must be between -60 and 0 dBTP")
    notes: list[str] = []
    signal = _without_dc_offset(signal, notes)
    predictor = _LoudnessPredictor(signal, sample_rate)
    input_lufs = predictor.input_lufs
    if not math.isfinite(input_lufs):
        return _measured(signal, sample_rate, [*notes, "the mix is silent: nothing to master"])
    processed = run_plugins(eq_plugins(tuple(eq)), scale_side(signal, width), sample_rate)
    if glue is not None:
        processed = run_plugins(compressor_plugins(glue), processed, sample_rate)
    if reference is not None:
        ref = _checked(reference, "reference")
        ref_lufs = (
            reference_lufs
            if reference_lufs is not None
            else integrated_lufs(ref, sample_rate=sample_rate)
        )
        if not math.isfinite(ref_lufs):
            raise StateError("reference is silent; pick a reference track with audio in it")
        processed, gains = match_tone(processed, ref, sample_rate=sample_rate)
        target_lufs = ref_lufs
        shaped = ", ".join(f"{g:+.1f}" for g in gains)
        notes.append(f"matched the reference: {ref_lufs:.1f} LUFS, band gains dB [{shaped}]")
    if not -40.0 <= target_lufs <= 0.0:
        raise StateError(f"target_lufs={target_lufs!r} must be between -40 and 0 LUFS")
    limited, gain_db, output_lufs = _land_on_target(
        processed,
        sample_rate=sample_rate,
        target_lufs=target_lufs,
        ceiling_dbtp=ceiling_dbtp,
        predictor=predictor if processed is signal else None,
    )
    if limited.max_reduction_db > ABSURD_LIMITING_DB:
        notes.append(
            f"reaching {target_lufs:.1f} LUFS took {limited.max_reduction_db:.1f} dB of peak "
            "limiting; expect audible pumping or distortion, a lower target or a denser mix "
            "(glue compression, less transient peaks) would sound better"
        )
    if abs(output_lufs - target_lufs) > 0.5:
        notes.append(f"landed at {output_lufs:.2f} LUFS, off the {target_lufs:.1f} LUFS target")
    return MasterResult(
        audio=limited.audio,
        input_lufs=input_lufs,
        output_lufs=output_lufs,
        true_peak_dbtp=true_peak_dbtp(limited.audio, sample_rate=sample_rate),
        gain_db=gain_db,
        limiter_reduction_db=limited.max_reduction_db,
        notes=notes,
    )


def apply_master_state(
    audio: np.ndarray,
    *,
    sample_rate: float,
    master: MasterState,
    reference: np.ndarray | None = None,
) -> MasterResult:
    """The session's master chain. Off: the audio back unchanged (measured). Loudness off:
    EQ, glue and the true-peak ceiling only."""
    signal = _checked(audio, "audio")
    if not master.enabled:
        return _measured(signal, sample_rate, ["master is off"])
    if master.loudness_enabled:
        return master_audio(
            signal,
            sample_rate=sample_rate,
            target_lufs=master.target_lufs,
            ceiling_dbtp=master.ceiling_dbtp,
            eq=master.eq,
            glue=master.glue,
            reference=reference,
            width=master.width,
        )
    input_lufs = integrated_lufs(signal, sample_rate=sample_rate)
    processed = run_plugins(eq_plugins(master.eq), scale_side(signal, master.width), sample_rate)
    if master.glue is not None:
        processed = run_plugins(compressor_plugins(master.glue), processed, sample_rate)
    limited = limit_true_peak_detailed(
        processed, sample_rate=sample_rate, ceiling_dbtp=master.ceiling_dbtp
    )
    return MasterResult(
        audio=limited.audio,
        input_lufs=input_lufs,
        output_lufs=integrated_lufs(limited.audio, sample_rate=sample_rate),
        true_peak_dbtp=true_peak_dbtp(limited.audio, sample_rate=sample_rate),
        gain_db=0.0,
        limiter_reduction_db=limited.max_reduction_db,
        notes=["loudness targeting is off: EQ, glue and the ceiling only"],
    )
