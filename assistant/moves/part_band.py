"""A named part's own band move, sized on that part's own spectrum.

"The bass is boomy", "the lead needs body", "the guitar lacks sparkle": the producer listens
to that part, so its move is judged on the part itself. The part's band powers (the masking
grid of ``PlanContext.stem_bands``, after its inserts) are passed through the proposed EQ
(the engine's RBJ biquads) and the gain grows until the part's own level in the band moves
by the target; when the band's energy sits away from the EQ's corner or centre, the move goes
where the energy is. A part's "body" or "low end" is its own lowest octaves, not a fixed
60–250 Hz that a high part has nothing in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import numpy as np

from mixchat.assistant.planning.contract import PlanContext
from mixchat.assistant.reading.lexicon import eq_response_db
from mixchat.dsp.masking import range_weights
from mixchat.dsp.state import EqBand, EqKind

MIN_AUDIBLE_AMOUNT = 0.9  # "a touch" is smaller than the default but still clearly audible
NAMED_CUT_DB = 4.5  # per unit of amount, on a track the brief names
NAMED_BOOST_DB = 3.5
NAMED_MIN_DB = 3.0  # even "a touch" on a named part moves its band >= 1.5 dB
NAMED_MAX_DB = 8.0
NAMED_OWN_TARGET_DB = 2.5  # per unit of amount: the named part's own band, on its spectrum
GAIN_STEP_DB = 0.5
FLOOR_BELOW_PEAK_DB = 15.0  # a part's lowest band this close to its loudest is where it starts
BODY_SPAN = (1 / 1.5, 2.5)  # a part's body: from a bit under where it starts to 2.5x above


def _spectrum(context: PlanContext, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(band edges Hz, mean power per band) of the part, or None when not at hand."""
    bands = context.stem_bands(name)
    if bands is None or not bands.power.shape[1]:
        return None
    return np.asarray(bands.edges_hz, dtype=float), bands.power.mean(axis=1, dtype=np.float64)


def _centres(edges: np.ndarray) -> np.ndarray:
    return np.sqrt(edges[:-1] * edges[1:])


def own_range_change_db(
    context: PlanContext,
    names: list[str],
    eq: list[EqBand],
    low_hz: float,
    high_hz: float,
) -> float | None:
    """How much the parts' own summed level in low..high moves with ``eq`` added to each."""
    before = after = 0.0
    for name in names:
        found = _spectrum(context, name)
        if found is None:
            return None
        edges, power = found
        weights = range_weights(edges, low_hz=low_hz, high_hz=high_hz)
        gain = eq_response_db(eq, _centres(edges), sample_rate=context.sample_rate)
        before += float(weights @ power)
        after += float(weights @ (power * 10.0 ** (gain / 10.0)))
    if before <= 0.0 or after <= 0.0:
        return None
    return 10.0 * math.log10(after / before)


def energy_centre_hz(
    context: PlanContext, names: list[str], low_hz: float, high_hz: float
) -> float | None:
    """Where the parts' energy inside low..high sits (power-weighted, on a log scale)."""
    logs, total = 0.0, 0.0
    for name in names:
        found = _spectrum(context, name)
        if found is None:
            return None
        edges, power = found
        weights = range_weights(edges, low_hz=low_hz, high_hz=high_hz) * power
        logs += float(weights @ np.log2(_centres(edges)))
        total += float(weights.sum())
    if total <= 0.0:
        return None
    return float(min(high_hz, max(low_hz, 2.0 ** (logs / total))))


def body_range_hz(
    context: PlanContext, names: list[str], low_hz: float, high_hz: float
) -> tuple[float, float]:
    """A part's own low end: ``low_hz``..``high_hz`` when it plays there, else the octaves
    just above where the part starts (a lead synth's body is not its empty 60–250 Hz)."""
    starts = []
    for name in names:
        found = _spectrum(context, name)
        if found is None:
            return low_hz, high_hz
        edges, power = found
        level = 10.0 * np.log10(np.maximum(power, 1e-30))
        loud = np.nonzero(level >= level.max() - FLOOR_BELOW_PEAK_DB)[0]
        starts.append(float(_centres(edges)[loud[0]]))
    floor = min(starts) if starts else low_hz
    if floor <= high_hz * BODY_SPAN[0]:
        return low_hz, high_hz
    return floor * BODY_SPAN[0], floor * BODY_SPAN[1]


def size_on_part(
    context: PlanContext,
    names: list[str],
    band_at: Callable[[float, float], EqBand],
    *,
    freq_hz: float,
    start_db: float,
    cap_db: float,
    target_db: float,
    low_hz: float,
    high_hz: float,
) -> tuple[float, float]:
    """(gain dB, frequency Hz) of a move that shifts the parts' own low..high level by
    ``target_db`` (its sign is ``start_db``'s): grown from ``start_db`` up to ``cap_db``, at
    ``freq_hz`` or, when that falls short, where the band's energy is. Without the parts'
    spectra the move stays (start_db, freq_hz)."""
    sign = 1.0 if start_db >= 0 else -1.0

    def heard(gain: float, freq: float) -> float:
        moved = own_range_change_db(context, names, [band_at(freq, gain)], low_hz, high_hz)
        return -math.inf if moved is None else moved * sign

    def grow(freq: float) -> float:
        gain = start_db
        while abs(gain) < cap_db and heard(gain, freq) < target_db:
            gain += GAIN_STEP_DB * sign
        return max(-cap_db, min(cap_db, gain))

    if heard(start_db, freq_hz) == -math.inf:
        return start_db, freq_hz
    gain = grow(freq_hz)
    if heard(gain, freq_hz) >= target_db:
        return gain, freq_hz
    centre = energy_centre_hz(context, names, low_hz, high_hz)
    if centre is None or abs(math.log2(centre / freq_hz)) < 0.25:
        return gain, freq_hz
    moved = grow(centre)
    if heard(moved, centre) > heard(gain, freq_hz):
        return moved, centre
    return gain, freq_hz


def audible(amount: float) -> float:
    """The amount a move aims at: never under MIN_AUDIBLE_AMOUNT, and still monotonic in
    the amount asked ("a touch" < "a bit" < unmarked)."""
    return max(amount, MIN_AUDIBLE_AMOUNT + 0.2 * (amount - 0.5))


def named_gain_db(sign: float, amount: float) -> float:
    """EQ gain for a track the brief names: a clear step on that track itself. Judged on
    the whole mix instead, a part that carries little of the band would need a drastic
    move (+8 dB of low shelf on a thin guitar) to shift the mix's balance."""
    step = NAMED_CUT_DB if sign < 0 else NAMED_BOOST_DB
    return sign * max(NAMED_MIN_DB, min(NAMED_MAX_DB, NAMED_MIN_DB + step * (amount - 0.5)))


def sized_on_part(
    context: PlanContext,
    names: list[str],
    kind: str,
    *,
    freq_hz: float,
    q: float,
    gain_db: float,
    amount: float,
    low_hz: float,
    high_hz: float,
) -> tuple[float, float]:
    """(gain, frequency) of a named part's move of this EQ kind: at least ``gain_db``, grown
    until the part's own low..high level moves NAMED_OWN_TARGET_DB per unit of amount."""
    return size_on_part(
        context,
        names,
        lambda freq, gain: EqBand(kind=cast(EqKind, kind), freq_hz=freq, gain_db=gain, q=q),
        freq_hz=freq_hz,
        start_db=gain_db,
        cap_db=NAMED_MAX_DB,
        target_db=NAMED_OWN_TARGET_DB * audible(amount),
        low_hz=low_hz,
        high_hz=high_hz,
    )
