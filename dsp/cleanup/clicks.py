"""Clicks and pops: short impulses found against the signal around them, rebuilt from it.

Detection reads the fourth difference of each channel (clicks are broadband, music falls
off towards the top, so the difference lifts clicks out), takes each 32-sample block's peak
and compares it with the block peaks within 35 ms on either side (the second largest
distinct one: another click spanning two blocks counts once, so two clicks close together
do not hide each other): a click stands ``threshold`` times above them, so a note's or a drum's onset (loud after it),
a stop (loud before it) and a waveform's edge that repeats every cycle never count (unless
it stands ``ONSET_VETO_MAX`` times out: no start or stop is that sharp; a click on a
bass note's last cycle is). The
first and last ``EDGE_S`` of a file are left to the edit (a cut there is a start point). Runs longer than ``max_click_ms`` are sounds, not clicks.
A run that stood out is widened to the whole click, its edges and ring-down, down to twice
the surroundings' median peak: a ring left in the samples the repair keeps would pull it
far off. No further: the samples past the ring are the music's, and a note's steep onset
next to a click, rebuilt, would come back as a slow step.

Repair is least-squares AR interpolation (Janssen et al. 1986; Godsill & Rayner 1998): an AR
model fitted to the audio around the click predicts the missing samples so that the
prediction error over the whole neighbourhood is smallest. Every flagged sample nearby is
solved for jointly; only the click's own samples are written.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mixchat.dsp.cleanup.frames import sliding_max
from mixchat.dsp.cleanup.spec import DeClick
from mixchat.dsp.cleanup.stream import LocalStage, PiecewiseStage, piece_frames

BLOCK = 32
SIDE_BLOCKS = 48  # about 35 ms: a low bass note's period
GUARD_BLOCKS = 2
LEVEL_BLOCKS = 8
ONSET_DB = 15.0
ABSOLUTE_FLOOR = 3e-5  # a block peak of the difference under -90 dBFS counts as this
MERGE_GAP = 8
MARGIN = 2
MIN_AR_ORDER = 32
MAX_AR_ORDER = 160
AR_CONTEXT = 512
MAX_REPORTED = 100
EDGE_S = 0.1
REPAIR_PASSES = 3
ONSET_VETO_MAX = 50.0  # a start or stop in the clean material stands at most 12.4x out
DETECT_THRESHOLD = 12.0  # over every clean stem of the test material (at most 10)
RING_RATIO = 2.0  # a click's edges and ring-down: twice its surroundings' median block peak
RING_GAP = 2  # ... a ring loud enough to matter dips under that for a sample or two


class ClickFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    found: bool
    count: int = 0
    times_s: list[float] = Field(default_factory=list, description="the first 100 clicks")
    per_minute: float = 0.0


def _difference(audio: np.ndarray) -> np.ndarray:
    """|fourth difference| (1, -4, 6, -4, 1), the louder channel, aligned with the input.
    An impulse comes out 6 times its height while everything under about 8 kHz (where a
    voice or an instrument keeps most of its energy) comes out smaller than it went in."""
    diff = np.zeros(audio.shape[1], dtype=np.float32)
    if audio.shape[1] > 4:
        # a[4:] - 4 a[3:-1] + 6 a[2:-2] - 4 a[1:-3] + a[:-4], left to right, in two buffers
        fourth = np.multiply(audio[:, 3:-1], 4.0)
        np.subtract(audio[:, 4:], fourth, out=fourth)
        term = np.multiply(audio[:, 2:-2], 6.0)
        fourth += term
        np.multiply(audio[:, 1:-3], 4.0, out=term)
        fourth -= term
        fourth += audio[:, :-4]
        np.abs(fourth, out=fourth).max(axis=0, out=diff[2:-2])
    return diff


def _padded_sides(peaks: np.ndarray) -> np.ndarray:
    pad = SIDE_BLOCKS + GUARD_BLOCKS
    return np.pad(peaks, pad, mode="edge")


def _reference_floor(peaks: np.ndarray) -> np.ndarray:
    """Per block, a floor under ``_distinct_reference`` (cheap: two running maxima): the
    second largest distinct peak of both sides is at least the smaller of the two sides'
    maxima (the guard blocks keep the sides apart)."""
    pad = SIDE_BLOCKS + GUARD_BLOCKS
    side_max = sliding_max(_padded_sides(peaks), SIDE_BLOCKS)
    left = side_max[: peaks.size]
    right = side_max[2 * pad + 1 - SIDE_BLOCKS :][: peaks.size]
    return np.maximum(np.minimum(left, right), ABSOLUTE_FLOOR)


def _sides(peaks: np.ndarray, blocks: np.ndarray | None) -> np.ndarray:
    """For each block (or each of ``blocks``): the block peaks within SIDE_BLOCKS on either
    side, the guard blocks next to it left out, as (blocks, 2 * SIDE_BLOCKS)."""
    pad = SIDE_BLOCKS + GUARD_BLOCKS
    windows = np.lib.stride_tricks.sliding_window_view(_padded_sides(peaks), 2 * pad + 1)
    chosen = windows if blocks is None else windows[blocks]
    return np.concatenate([chosen[:, :SIDE_BLOCKS], chosen[:, -SIDE_BLOCKS:]], axis=1)


def _side_reference(peaks: np.ndarray, blocks: np.ndarray | None = None) -> np.ndarray:
    """For each block (or each of ``blocks``): the second-largest block peak within
    SIDE_BLOCKS on either side (the guard blocks next to it left out, so a click spanning
    blocks does not raise its own reference). The second largest, so one other click nearby
    does not hide this one, while a waveform that repeats a sharp edge every cycle (a bass, a
    sawtooth) always has its next edge there. (The bench's stand-out measure reads it.)"""
    if blocks is not None and blocks.size == 0:
        return np.zeros(0, dtype=peaks.dtype)
    sides = _sides(peaks, blocks)
    second = np.partition(sides, -2, axis=1)[:, -2]
    return np.maximum(second, ABSOLUTE_FLOOR)


def _distinct_reference(peaks: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """``_side_reference`` counting a click that spans two or three blocks once: the largest
    block peak on the sides that is not the largest one or next to it. Two clicks close
    together then do not hide each other, while a waveform's edge that repeats every cycle
    still has a second edge there."""
    if blocks.size == 0:
        return np.zeros(0, dtype=peaks.dtype)
    sides = _sides(peaks, blocks)
    largest = np.argmax(sides, axis=1)[:, None]
    near = np.abs(np.arange(sides.shape[1])[None, :] - largest) <= 1
    second = np.where(near, 0.0, sides).max(axis=1)
    return np.maximum(second, ABSOLUTE_FLOOR)


def _steady_around(audio: np.ndarray, blocks: int) -> np.ndarray:
    """Per block: the level just before and just after it is within ONSET_DB (a click sits
    in a steady context; a sound starting or stopping right there is not a click)."""
    framed = audio[:, : blocks * BLOCK].reshape(audio.shape[0], blocks, BLOCK)
    power = np.einsum("cbs,cbs->b", framed, framed, dtype=np.float64) / BLOCK + 1e-12
    pad = LEVEL_BLOCKS + GUARD_BLOCKS
    padded = np.pad(power, pad, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * pad + 1)
    # the median block: another click nearby is not a level change
    before = np.median(windows[:, :LEVEL_BLOCKS], axis=1)
    after = np.median(windows[:, -LEVEL_BLOCKS:], axis=1)
    return np.abs(10.0 * np.log10(after / before)) <= ONSET_DB


def find_clicks(audio: np.ndarray, *, threshold: float, max_samples: int) -> list[tuple[int, int]]:
    """(start, stop) sample runs of clicks in (channels, n) audio (start on the block grid)."""
    diff = _difference(audio)
    blocks = diff.size // BLOCK
    if blocks < 2 * (SIDE_BLOCKS + GUARD_BLOCKS):
        return []
    peaks = diff[: blocks * BLOCK].reshape(blocks, BLOCK).max(axis=1)
    candidates = np.flatnonzero(peaks > threshold * _reference_floor(peaks))
    reference = _distinct_reference(peaks, candidates)
    stands_out = peaks[candidates] > threshold * reference
    candidates, reference = candidates[stands_out], reference[stands_out]
    steady = _steady_around(audio, blocks)[candidates] if candidates.size else candidates
    # a sound starting or stopping makes an edge only so sharp: far past that, it is a click
    steady = steady | (peaks[candidates] > ONSET_VETO_MAX * reference)
    hot_blocks, reference = candidates[steady], reference[steady]
    if hot_blocks.size == 0:
        return []
    hot = np.zeros(diff.size, dtype=bool)
    for b, ref in zip(hot_blocks, reference):
        span = slice(b * BLOCK, (b + 1) * BLOCK)
        hot[span] = diff[span] > threshold * ref
    floor = np.full(diff.size, np.inf, dtype=np.float32)
    for b, typical in zip(hot_blocks, _side_median(peaks, hot_blocks)):
        floor[b * BLOCK : (b + 1) * BLOCK] = typical
    runs = _merged_runs(np.flatnonzero(hot))
    return [
        _rung_down(diff, a, b, level=RING_RATIO * float(floor[a:b].min()), limit=max_samples)
        for a, b in runs
        if b - a <= max_samples
    ]


def _side_median(peaks: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """For each of ``blocks``: the median block peak within SIDE_BLOCKS on either side, the
    surroundings' ordinary high-frequency level (other clicks nearby do not raise it)."""
    sides = _sides(peaks, blocks)
    return np.maximum(np.median(sides, axis=1), ABSOLUTE_FLOOR)


def _merged_runs(index: np.ndarray, gap: int = MERGE_GAP) -> list[tuple[int, int]]:
    """(start, stop) runs of sorted sample indices, gaps up to ``gap`` bridged."""
    breaks = np.flatnonzero(np.diff(index) > gap)
    starts = np.concatenate([index[:1], index[breaks + 1]])
    stops = np.concatenate([index[breaks], index[-1:]]) + 1
    return list(zip(starts.tolist(), stops.tolist()))


def _chain_end(over: np.ndarray) -> int:
    """How far a chain of True samples reaches from the front of ``over``, gaps up to
    RING_GAP bridged (a ringing click's difference dips at each zero crossing)."""
    runs = _merged_runs(np.flatnonzero(over), RING_GAP)
    return runs[0][1] if runs and runs[0][0] <= RING_GAP else 0


def _rung_down(diff: np.ndarray, a: int, b: int, *, level: float, limit: int) -> tuple[int, int]:
    """The run that stood out, widened to the whole click: a click's edges (one may sit in
    a block whose reference another click raised) and its ring-down stay over ``level``
    (RING_RATIO times its surroundings' median) past the part that stood out ``threshold``
    times: a ring left in the known samples would drive the AR solution far off. The chain
    bridges only a ring's dips at its zero crossings (RING_GAP), so it stops where the click
    has rung down and does not run on into the music's own edges (a note's onset right after
    the click): every sample it takes is one the AR fill guesses, and a steep onset guessed
    comes back as a slow step, its energy moved to the low bands. At most ``limit`` samples
    on either side."""
    before = diff[max(a - limit, 0) : a][::-1] > level
    after = diff[b : b + limit] > level
    start = a - _chain_end(before)
    stop = b + _chain_end(after)
    return start, min(stop, diff.size)


def _ar_coefficients(pieces: list[np.ndarray], order: int) -> np.ndarray:
    """AR coefficients fitted by least squares on the known stretches (the covariance
    method: every prediction uses known samples only, so the gap teaches nothing and the
    fit has no windowing bias, which would pull a low, slow waveform towards zero)."""
    rows, targets = [], []
    for piece in pieces:
        if piece.size > order:
            lagged = np.lib.stride_tricks.sliding_window_view(piece, order + 1)
            rows.append(lagged[:, :-1][:, ::-1])
            targets.append(lagged[:, -1])
    if not rows:
        return np.zeros(order)
    coeffs, *_ = np.linalg.lstsq(np.concatenate(rows), np.concatenate(targets), rcond=None)
    return coeffs


def ar_order(gap: int) -> int:
    """The model order for a gap of ``gap`` samples: 3 gap + 2 (Janssen et al.), bounded."""
    return int(min(max(3 * gap + 2, MIN_AR_ORDER), MAX_AR_ORDER))


def _interpolate(segment: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Least-squares AR interpolation of the ``unknown`` samples of one channel's segment:
    the prediction error e = A y over the segment is smallest; A y splits into the known
    samples' part (a convolution) and the unknown samples' columns."""
    known = ~unknown
    order = min(ar_order(int(unknown.sum())), segment.size // 4)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], known.astype(np.int8), [0]])))
    coeffs = _ar_coefficients([segment[a:b] for a, b in zip(edges[::2], edges[1::2])], order)
    filt = np.concatenate([[1.0], -coeffs])
    rows = segment.size - order
    # row n: sum_i filt[i] * y[n + order - i]
    known_part = np.convolve(np.where(unknown, 0.0, segment), filt, mode="valid")
    positions = np.flatnonzero(unknown)
    columns = np.zeros((rows, positions.size))
    for j, u in enumerate(positions.tolist()):
        n = np.arange(max(u - order, 0), min(u, rows - 1) + 1)
        columns[n, j] = filt[n + order - u]
    solved, *_ = np.linalg.lstsq(columns, -known_part, rcond=None)
    return solved


def repair_clicks(audio: np.ndarray, runs: list[tuple[int, int]]) -> np.ndarray:
    out = np.array(audio, dtype=np.float64)
    flagged = np.zeros(audio.shape[1], dtype=bool)
    for a, b in runs:
        flagged[max(a - MARGIN, 0) : b + MARGIN] = True
    for a, b in runs:
        lo = max(a - MARGIN - AR_CONTEXT, 0)
        hi = min(b + MARGIN + AR_CONTEXT, audio.shape[1])
        unknown = flagged[lo:hi]
        own = np.zeros_like(unknown)
        own[max(a - MARGIN, 0) - lo : min(b + MARGIN, audio.shape[1]) - lo] = True
        if unknown.sum() >= (hi - lo) // 2 or hi - lo <= 4 * MIN_AR_ORDER:
            continue
        for channel in range(audio.shape[0]):
            segment = audio[channel, lo:hi].astype(np.float64)
            solved = _interpolate(segment, unknown)
            values = np.array(segment)
            values[unknown] = solved
            out[channel, lo:hi][own] = values[own]
    return out.astype(np.float32)


def _max_samples(spec_ms: float, sample_rate: int) -> int:
    return max(1, int(round(spec_ms * sample_rate / 1000.0)))


SCAN_FRAMES = 1 << 18  # samples settled per search when fed block by block


class ClickMeter:
    """``detect_clicks`` fed block by block: ``find_clicks`` searches windows on the block
    grid that reach ``context`` samples past both ends of the stretch whose runs it keeps,
    so every kept run saw all the audio a search of the whole stem sees around it. It
    searches once ``scan_frames`` are settled and then holds only the context (a smaller
    ``scan_frames`` searches more often and holds less between blocks, same runs)."""

    def __init__(
        self,
        *,
        sample_rate: int,
        threshold: float = DETECT_THRESHOLD,
        scan_frames: int = SCAN_FRAMES,
    ) -> None:
        self.sample_rate, self.threshold, self.scan_frames = sample_rate, threshold, scan_frames
        self.max_samples = _max_samples(DeClick().max_click_ms, sample_rate)
        sides = (SIDE_BLOCKS + GUARD_BLOCKS + LEVEL_BLOCKS + GUARD_BLOCKS + 2) * BLOCK
        need = max(
            sides + 3 * self.max_samples + MERGE_GAP, 2 * (SIDE_BLOCKS + GUARD_BLOCKS) * BLOCK
        )
        self.context = -(-need // BLOCK) * BLOCK
        self._buffer: np.ndarray | None = None  # the audio from ``_start`` on
        self._start = 0
        self._settled = 0  # runs that start before this are found
        self._frames = 0
        self.runs: list[tuple[int, int]] = []

    def feed(self, audio: np.ndarray) -> None:
        if self._buffer is None:
            self._buffer = audio
        else:
            self._buffer = np.concatenate([self._buffer, audio], axis=1)
        self._frames += audio.shape[1]
        stop = ((self._frames - self.context) // BLOCK) * BLOCK
        if stop - self._settled >= self.scan_frames:
            self._search(stop)

    def _search(self, stop: int) -> None:
        if self._buffer is None:
            return
        found = find_clicks(self._buffer, threshold=self.threshold, max_samples=self.max_samples)
        self.runs += [
            (a + self._start, b + self._start)
            for a, b in found
            if self._settled <= a + self._start < stop
        ]
        self._settled = stop
        keep_from = max(stop - self.context, self._start)
        self._buffer = np.array(self._buffer[:, keep_from - self._start :])
        self._start = keep_from

    def settle(self) -> None:
        """Fed to the end: the last search is made and the audio held for it let go."""
        self._search(self._frames)
        self._buffer = None

    def result(self) -> ClickFinding:
        self._search(self._frames)
        edge = int(EDGE_S * self.sample_rate)
        runs = [(a, b) for a, b in self.runs if a >= edge and b <= self._frames - edge]
        minutes = self._frames / self.sample_rate / 60.0
        return ClickFinding(
            found=bool(runs),
            count=len(runs),
            times_s=[round(a / self.sample_rate, 4) for a, _ in runs[:MAX_REPORTED]],
            per_minute=round(len(runs) / max(minutes, 1e-9), 2),
        )


def detect_clicks(
    audio: np.ndarray, *, sample_rate: int, threshold: float = DETECT_THRESHOLD
) -> ClickFinding:
    meter = ClickMeter(sample_rate=sample_rate, threshold=threshold)
    meter.feed(np.asarray(audio, dtype=np.float32))
    return meter.result()


class _DeClickOp:
    def __init__(self, spec: DeClick, *, sample_rate: int) -> None:
        self.threshold = spec.threshold
        self.max_samples = _max_samples(spec.max_click_ms, sample_rate)

    def __call__(self, audio: np.ndarray, start: int) -> np.ndarray:
        del start
        # a burst of crackle hides a click among its neighbours (they are its reference):
        # once they are rebuilt, it stands out and the next pass finds it
        for _ in range(REPAIR_PASSES):
            runs = find_clicks(audio, threshold=self.threshold, max_samples=self.max_samples)
            if not runs:
                break
            audio = repair_clicks(audio, runs)
        return audio


def declick_stage(spec: DeClick, *, sample_rate: int) -> PiecewiseStage:
    """The repair over a window of each block and its context; a whole stem read at once is
    fed in pieces, so its memory does not grow with the stem."""
    op = _DeClickOp(spec, sample_rate=sample_rate)
    reach = (SIDE_BLOCKS + GUARD_BLOCKS + 2) * BLOCK + 2 * op.max_samples + AR_CONTEXT + 4 * MARGIN
    context = REPAIR_PASSES * reach  # each pass reads what the one before rebuilt
    stage = LocalStage(op, context=context, grid=BLOCK)
    return PiecewiseStage(stage, piece=piece_frames(stage, sample_rate=sample_rate))
