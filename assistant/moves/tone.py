"""Tonal moves chosen from the analysis: which stems carry the energy, and how much to cut.

Each builder returns a ``MoveSet`` (tool calls with a measured reason each, the measures the
brief targets, lines for the reply). Gains are scaled with a small prediction model: every
track's six band energies, split into log-spaced sub-bands, are passed through the proposed
EQ (the engine's RBJ biquads), and the gain grows until the mix measure moves by the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from mixchat.assistant.moves.part_band import (
    NAMED_MAX_DB,
    audible,
    body_range_hz,
    named_gain_db,
    sized_on_part,
)
from mixchat.assistant.planning.contract import PlanContext, TrackFacts
from mixchat.assistant.planning.measures import (
    BandShare,
    Centroid,
    Measure,
    RangeShare,
    TrackRange,
)
from mixchat.assistant.reading.lexicon import eq_response_db
from mixchat.dsp.spectrum import BANDS_HZ
from mixchat.dsp.state import EqBand, EqKind, TrackState
from mixchat.tools.base import ToolCall
from mixchat.tools.settings_text import EQ_KIND_WORDS, db, hz, hz_span
from mixchat.tools.track_tools import MAX_EQ_BANDS, merges_with

SUBBANDS = 6
BAND_SHARE_TARGET_DB = 2.0  # per unit of amount; judged audible at >= 1 dB
CENTROID_TARGET_PCT = 12.0  # per unit of amount; judged audible at >= 8-10 %
MAX_CUT_DB = 9.0
SPREAD_CUT_DB = 6.0  # per-track cut before the move spreads to the next carrier
MAX_BOOST_DB = 8.0
NAMED_MIX_TARGET_DB = 1.0  # per unit of amount: what a named part's band move does to the mix
NAMED_CARRIER_SHARE = 0.3  # ... when the named parts carry at least this share of the band
WARM_BODY_HZ = 250.0  # a named part's warmth: its low mids, around here
LEXICON_CENTROID_PCT = 4.0  # a lexicon-only word moves the centroid at most this much

Moves = dict[str, list[EqBand]]


@dataclass
class MoveSet:
    calls: list[ToolCall] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    level_change: bool = False
    held: list[str] = field(default_factory=list)  # tracks whose own loudness the move keeps

    def extend(self, other: MoveSet) -> None:
        # a setter said again ("wide and big": the width and the mood's width) replaces the
        # one before it on the same track and fields; additive calls (a fader delta, an EQ
        # band) add up and are all kept
        later = {_setting(c) for c in other.calls} - {None}
        self.calls = [c for c in self.calls if _setting(c) not in later]
        self.calls, dropped = _same_band_once(self.calls, other.calls)
        self.measures.extend(m for m in other.measures if m not in self.measures)
        self.notes = [n for n in (*self.notes, *other.notes) if n not in dropped]
        self.level_change = self.level_change or other.level_change
        self.held.extend(n for n in other.held if n not in self.held)


def _band_of(call: ToolCall) -> tuple[object, ...] | None:
    """Where an EQ call acts and which way: (track, kind, Hz, Q, sign); None for others."""
    if call.tool != "apply_eq":
        return None
    args = call.args
    sign = float(args.get("gain_db", 0.0)) >= 0.0
    return args.get("track"), args.get("kind"), args.get("freq_hz"), args.get("q"), sign


def _same_band_once(
    earlier: list[ToolCall], later: list[ToolCall]
) -> tuple[list[ToolCall], list[str]]:
    """``earlier`` then ``later``, without a second EQ band made the same way on the same
    track ("smeared, more definition": two words for one low-mid cut, not two cuts); the
    deeper of the two is kept, in the earlier call's place. Also the reasons of the calls
    left out."""
    calls, dropped = list(earlier), []
    for call in later:
        band = _band_of(call)
        said = calls[: len(earlier)]  # bands of one ask are all its own
        twin = next((i for i, c in enumerate(said) if band and _band_of(c) == band), None)
        if twin is None:
            calls.append(call)
        elif abs(float(call.args["gain_db"])) > abs(float(calls[twin].args["gain_db"])):
            dropped.append(calls[twin].reason)
            calls[twin] = call
        else:
            dropped.append(call.reason)
    return calls, dropped


def _setting(call: ToolCall) -> tuple[str, tuple[tuple[str, object], ...], tuple[str, ...]] | None:
    """What a setter call sets: its tool, the args that say where (names, a bus, a band
    index) and the fields it sets; None for an additive call."""
    if not call.tool.startswith("set_"):
        return None
    where = tuple(
        sorted(
            (key, value)
            for key, value in call.args.items()
            if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        )
    )
    return call.tool, where, tuple(sorted(call.args))


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def track_band_measures(names: list[str], low_hz: float, high_hz: float) -> list[Measure]:
    return [TrackRange(track=n, low_hz=low_hz, high_hz=high_hz) for n in names[:3]]


# --- the prediction model -------------------------------------------------------------------
def _subbands() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(band index, centre Hz, mean Hz) of each sub-band; pink-ish weighting inside a band."""
    index, centres, means = [], [], []
    for i, (lo, hi) in enumerate(BANDS_HZ.values()):
        edges = np.geomspace(lo, hi, SUBBANDS + 1)
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            index.append(i)
            centres.append(math.sqrt(a * b))
            means.append((b - a) / math.log(b / a))
    return np.array(index), np.array(centres), np.array(means)


_BAND_INDEX, _CENTRES, _MEANS = _subbands()


def track_powers(track: TrackFacts) -> np.ndarray:
    """Linear power in each sub-band of a track (its band power spread evenly)."""
    energies = np.array([track.band_energies_db.get(b, -120.0) for b in BANDS_HZ])
    return 10.0 ** (energies[_BAND_INDEX] / 10.0) / SUBBANDS


def mix_powers(
    context: PlanContext, moves: Moves | None = None, uniform: list[EqBand] | None = None
) -> np.ndarray:
    """The mix's power per sub-band with ``moves`` (EQ bands per track) on it. A part an
    earlier clause of the brief moved on its fader keeps its loudness through a move (see
    ``PlanContext.levelled``): its powers are scaled back to their sum."""
    total = np.zeros_like(_CENTRES)
    for name, facts in context.tracks.items():
        bands = list((moves or {}).get(name, [])) + list(uniform or [])
        powers = track_powers(facts)
        if not bands:
            total += powers
            continue
        gain = eq_response_db(bands, _CENTRES, sample_rate=context.sample_rate)
        moved = powers * 10.0 ** (np.asarray(gain) / 10.0)
        if name in context.levelled:
            moved *= powers.sum() / max(float(moved.sum()), 1e-30)
        total += moved
    return total


def powers_before_brief(context: PlanContext) -> np.ndarray:
    """The mix's power per sub-band before the fader moves said earlier in the brief."""
    faded = dict(context.faded_db)
    total = np.zeros_like(_CENTRES)
    for name, facts in context.tracks.items():
        total += track_powers(facts) * 10.0 ** (-faded.get(name, 0.0) / 10.0)
    return total


def range_share_db(powers: np.ndarray, low_hz: float, high_hz: float) -> float:
    inside = (_CENTRES >= low_hz) & (_CENTRES < high_hz)
    return 10.0 * math.log10(max(powers[inside].sum(), 1e-30) / max(powers.sum(), 1e-30))


def centroid_hz(powers: np.ndarray) -> float:
    return float((powers * _MEANS).sum() / max(powers.sum(), 1e-30))


# --- analysis helpers -----------------------------------------------------------------------
def range_power(track: TrackFacts, low_hz: float, high_hz: float) -> float:
    inside = (_CENTRES >= low_hz) & (_CENTRES < high_hz)
    return float(track_powers(track)[inside].sum())


def carriers(
    context: PlanContext, low_hz: float, high_hz: float, names: list[str] | None = None
) -> list[tuple[str, float]]:
    """(track, share of the mix's energy in low..high), largest first, ties by name."""
    pool = [n for n in (names or list(context.tracks)) if n in context.tracks]
    powers = {n: range_power(context.tracks[n], low_hz, high_hz) for n in pool}
    total = sum(range_power(t, low_hz, high_hz) for t in context.tracks.values()) or 1e-30
    return sorted(((n, p / total) for n, p in powers.items()), key=lambda x: (-x[1], x[0]))


def pick_offenders(
    ranked: list[tuple[str, float]], *, most: int, cover: float = 0.75, least_share: float = 0.12
) -> list[tuple[str, float]]:
    chosen: list[tuple[str, float]] = []
    for name, share in ranked:
        if chosen and (
            len(chosen) >= most or sum(s for _, s in chosen) >= cover or share < least_share
        ):
            break
        chosen.append((name, share))
    return chosen


def has_room(track: TrackState, kind: str, freq_hz: float) -> bool:
    """True when an EQ move of this kind at freq_hz merges or fits (at most 8 bands)."""
    if len(track.eq) < MAX_EQ_BANDS:
        return True
    return any(b.kind == kind and merges_with(b.freq_hz, freq_hz) for b in track.eq)


def eq_call(
    track: str, kind: str, freq_hz: float, gain_db: float, q: float, reason: str
) -> ToolCall:
    args = {
        "track": track,
        "kind": kind,
        "freq_hz": round(freq_hz, 1),
        "gain_db": round(gain_db, 2),
        "q": round(q, 2),
    }
    return ToolCall(tool="apply_eq", args=args, reason=reason)


def _solve_gain(predict, *, start_db: float, cap_db: float, target: float) -> float:
    """Grow |gain| from start_db until predict(gain) >= target (or the cap)."""
    sign = 1.0 if start_db >= 0 else -1.0
    gain = start_db
    while abs(gain) < cap_db and predict(gain) < target:
        gain += 0.5 * sign
    return max(-cap_db, min(cap_db, gain))


# --- band moves ----------------------------------------------------------------------------
@dataclass(frozen=True)
class BandSpec:
    label: str
    low_hz: float
    high_hz: float
    freq_hz: float
    q: float
    measure: Measure
    kind: EqKind = "bell"


BAND_SPECS = {
    "harsh": BandSpec("2–5 kHz", 2000, 5000, 3150, 0.9, RangeShare(low_hz=2000, high_hz=5000)),
    "sibilance": BandSpec("5–9 kHz", 5000, 9000, 6500, 1.8, RangeShare(low_hz=5000, high_hz=9000)),
    "mud": BandSpec("200–500 Hz", 200, 500, 315, 1.1, RangeShare(low_hz=200, high_hz=500)),
    "boom": BandSpec("60–250 Hz", 60, 250, 200, 0.7, BandShare(band="low"), "low_shelf"),
    "box": BandSpec("300–900 Hz", 300, 900, 500, 1.3, RangeShare(low_hz=300, high_hz=900)),
    "honk": BandSpec("700–1500 Hz", 700, 1500, 1000, 1.5, RangeShare(low_hz=700, high_hz=1500)),
    "sizzle": BandSpec(
        "5–16 kHz", 5000, 16000, 6000, 0.7, RangeShare(low_hz=5000, high_hz=16000), "high_shelf"
    ),
    "growl": BandSpec("0.7–2.5 kHz", 700, 2500, 1300, 0.9, RangeShare(low_hz=700, high_hz=2500)),
    "mids": BandSpec("0.5–2 kHz", 500, 2000, 1000, 0.8, BandShare(band="mid")),
}
EXTRA_MEASURES: dict[str, tuple[Measure, ...]] = {
    "harsh": (BandShare(band="presence"),),
    "mud": (BandShare(band="low_mid"),),
    "boom": (BandShare(band="low"),),
}
# a cut or boost at the top or the bottom of the whole mix also tilts it: the reply quotes
# the spectral centroid beside the band
TILTING_CONCEPTS = frozenset({"harsh", "sizzle", "boom"})


SAID_POINT_SPAN = 1.33  # a frequency said alone names the band this ratio either side of it


def said_band(said: float | tuple[float, float], *, direction: int) -> BandSpec:
    """The band a frequency said in numbers names ("a ring around 3k", "scoop 250-400",
    "below 40 Hz", "above 12k"): a range as said, a point about a third of an octave either
    side of it; a shelf where the band runs to either end of the spectrum (or a boost sits
    at its top, "add some 10k")."""
    if isinstance(said, tuple):
        low, high = said
        q = clamp(math.sqrt(low * high) / (high - low), 0.5, 4.0)
        centre = math.sqrt(low * high)
    else:
        centre = float(said)
        # "a ring around 3k": 2.3-4 kHz, said back in round numbers
        low, high = _two_figures(said / SAID_POINT_SPAN), _two_figures(said * SAID_POINT_SPAN)
        q = 1.4 if direction < 0 else 1.0
    low, high = max(low, 20.0), min(high, 20000.0)
    if low <= 25.0:
        return BandSpec(hz_span(20.0, high), 20.0, high, high, 0.7, RangeShare(low_hz=20.0, high_hz=high), "low_shelf")  # fmt: skip
    if high >= 16000.0 or (direction > 0 and low >= 6000.0):
        return BandSpec(hz_span(low, 20000.0), low, 20000.0, low, 0.7, RangeShare(low_hz=low, high_hz=20000.0), "high_shelf")  # fmt: skip
    return BandSpec(hz_span(low, high), low, high, centre, q, RangeShare(low_hz=low, high_hz=high))


def _two_figures(freq_hz: float) -> float:
    return float(f"{freq_hz:.2g}")


def band_move(
    context: PlanContext,
    concept: str,
    *,
    direction: int,
    amount: float,
    names: list[str] | None,
    explicit: bool,
    spec: BandSpec | None = None,
) -> MoveSet:
    """Cut (or boost) a problem band on the stems that carry it: the concept's own band, or
    ``spec`` (a band said in numbers, see ``said_band``)."""
    spec = spec or BAND_SPECS[concept]
    pool = names
    if pool is None or not explicit:
        pool = [n for n in (names or list(context.tracks)) if _band_candidate(context, n, concept)]
    ranked = carriers(context, spec.low_hz, spec.high_hz, pool or names)
    if concept == "mud" and not explicit:  # the bass's low mids are cut last
        ranked.sort(key=lambda p: context.tracks[p[0]].role == "bass")
    most = 3 if concept == "mud" else 2
    offenders = (
        ranked[: max(len(ranked), 1)]
        if explicit
        else pick_offenders(
            ranked,
            most=most,
            cover=0.9 if concept == "mud" else 0.75,
            least_share=0.08 if concept == "mud" else 0.12,
        )
    )
    roomy = [(n, s) for n, s in ranked if has_room(context.state.track(n), spec.kind, spec.freq_hz)]
    offenders = [(n, s) for n, s in offenders[:4] if (n, s) in roomy]
    tilt = [Centroid()] if concept in TILTING_CONCEPTS and not explicit else []
    out = MoveSet(measures=[spec.measure, *EXTRA_MEASURES.get(concept, ()), *tilt])
    if not offenders:
        out.notes.append(f"no track has room for another EQ band at {spec.label}")
        return out
    sign = -1.0 if direction < 0 else 1.0
    if explicit:
        gain, freq = sized_on_part(
            context,
            [n for n, _ in offenders],
            spec.kind,
            freq_hz=spec.freq_hz,
            q=spec.q,
            gain_db=named_gain_db(sign, amount),
            amount=amount,
            low_hz=spec.low_hz,
            high_hz=spec.high_hz,
        )
        before = range_share_db(powers_before_brief(context), spec.low_hz, spec.high_hz)

        def heard(gain_db: float) -> float:
            moves = {
                n: [EqBand(kind=spec.kind, freq_hz=freq, gain_db=gain_db, q=spec.q)]
                for n, _ in offenders
            }
            after = range_share_db(mix_powers(context, moves), spec.low_hz, spec.high_hz)
            return (after - before) * sign

        # a clear step on the part; when the part is what carries the band, deep enough to
        # be heard in the mix around it too (a part that carries little of it never would be)
        if sum(share for _, share in offenders) >= NAMED_CARRIER_SHARE:
            target = NAMED_MIX_TARGET_DB * audible(amount)
            gain = _solve_gain(heard, start_db=gain, cap_db=NAMED_MAX_DB, target=target)
        for name, share in offenders:
            reason = (
                f"{'cut' if gain < 0 else 'boost'} {abs(gain):.1f} dB at "
                f"{hz(freq)}, a clear step on {name} itself (it carries "
                f"{share:.0%} of the mix's {spec.label} energy)"
            )
            out.calls.append(eq_call(name, spec.kind, freq, gain, spec.q, reason))
        named = [n for n, _ in offenders]
        out.measures.extend(track_band_measures(named, spec.low_hz, spec.high_hz))
        return out
    before = range_share_db(powers_before_brief(context), spec.low_hz, spec.high_hz)
    target = BAND_SHARE_TARGET_DB * audible(amount)
    cap = SPREAD_CUT_DB if sign < 0 else MAX_BOOST_DB

    def change(gain: float) -> float:
        moves = {
            n: [EqBand(kind=spec.kind, freq_hz=spec.freq_hz, gain_db=gain * w, q=spec.q)]
            for n, w in weights.items()
        }
        after = range_share_db(mix_powers(context, moves), spec.low_hz, spec.high_hz)
        return (after - before) * sign

    # spread moderate cuts over more carriers rather than one deep cut on one track
    while True:
        weights = {n: 1.0 if i == 0 else 0.75 for i, (n, _) in enumerate(offenders)}
        gain = _solve_gain(change, start_db=sign * 2.5 * amount, cap_db=cap, target=target)
        spare = [p for p in roomy if p not in offenders and p[1] >= 0.03]
        if change(gain) >= target or not spare or len(offenders) >= 5:
            break
        offenders.append(spare[0])
    if change(gain) < target:
        cap = MAX_CUT_DB if sign < 0 else MAX_BOOST_DB
        gain = _solve_gain(change, start_db=gain, cap_db=cap, target=target)
    for name, share in offenders:
        g = gain * weights[name]
        reason = (
            f"{name} carries {share:.0%} of the mix's {spec.label} energy, so "
            f"{'cut' if g < 0 else 'boost'} {abs(g):.1f} dB at {hz(spec.freq_hz)}"
        )
        out.calls.append(eq_call(name, spec.kind, spec.freq_hz, g, spec.q, reason))
        out.notes.append(reason)
    return out


def _band_candidate(context: PlanContext, name: str, concept: str) -> bool:
    role = context.tracks[name].role
    if concept == "mud":
        return role not in ("kick",)
    if concept == "sibilance":
        return "vocal" in role or role in ("hats", "overheads", "drums")
    return True


# --- shelves: low end, air, presence, tilt --------------------------------------------------
SHELVES = {
    "low_end": ("low_shelf", 150.0, 0.7, 60, 250, BandShare(band="low")),
    "sub": ("low_shelf", 70.0, 0.7, 20, 60, BandShare(band="sub")),
    "air": ("high_shelf", 9000.0, 0.7, 6000, 20000, BandShare(band="air")),
    "presence": ("bell", 3500.0, 0.9, 2000, 6000, BandShare(band="presence")),
}


def shelf_move(
    context: PlanContext, concept: str, *, direction: int, amount: float, names: list[str] | None
) -> MoveSet:
    kind, freq, q, low, high, measure = SHELVES[concept]
    lo, hi = float(low), float(high)
    if concept == "presence" and names and all(_is_bass(context, n) for n in names):
        freq, q, lo, hi = 1100.0, 0.9, 700.0, 2500.0  # a bass's presence: its upper harmonics
    if concept == "low_end" and names:
        freq = 220.0  # a named part's body reaches higher than the mix's low end
        own_lo, own_hi = body_range_hz(context, [n for n in names if n in context.tracks], lo, hi)
        if (own_lo, own_hi) != (lo, hi):  # a high part's body: its own lowest octaves
            freq, lo, hi = freq * own_hi / hi, own_lo, own_hi
    pool = names or list(context.tracks)
    if concept == "presence" and names is None:
        vocals = [n for n, t in context.tracks.items() if "vocal" in t.role]
        pool = vocals or pool
    ranked = carriers(context, lo, hi, pool)
    chosen = (
        ranked
        if names is not None and len(ranked) <= 4
        else pick_offenders(ranked, most=3, cover=0.85, least_share=0.08)
    )
    chosen = [(n, s) for n, s in chosen if has_room(context.state.track(n), kind, freq)]
    out = MoveSet(measures=[measure])
    if not chosen:
        return out
    sign = 1.0 if direction > 0 else -1.0
    before = range_share_db(mix_powers(context), lo, hi)

    def change(gain: float) -> float:
        moves = {
            n: [EqBand(kind=cast(EqKind, kind), freq_hz=freq, gain_db=gain, q=q)] for n, _ in chosen
        }
        return (range_share_db(mix_powers(context, moves), lo, hi) - before) * sign

    if names is not None:
        gain, freq = sized_on_part(
            context,
            [n for n, _ in chosen],
            kind,
            freq_hz=freq,
            q=q,
            gain_db=named_gain_db(sign, amount),
            amount=amount,
            low_hz=lo,
            high_hz=hi,
        )
        out.measures.extend(track_band_measures([n for n, _ in chosen], lo, hi))
    else:
        gain = _solve_gain(
            change,
            start_db=sign * 2.0 * amount,
            cap_db=MAX_BOOST_DB if sign > 0 else MAX_CUT_DB,
            target=BAND_SHARE_TARGET_DB * audible(amount),
        )
    for name, share in chosen:
        reason = (
            f"{name} carries {share:.0%} of the {hz_span(lo, hi)} energy: {EQ_KIND_WORDS[kind]} "
            f"{db(gain)} at {hz(freq)}"
        )
        out.calls.append(eq_call(name, kind, freq, gain, q, reason))
        out.notes.append(reason)
    return out


def _is_bass(context: PlanContext, name: str) -> bool:
    facts = context.tracks.get(name)
    return facts is not None and facts.role in ("bass", "sub")


def tilt_move(
    context: PlanContext,
    *,
    direction: int,
    amount: float,
    names: list[str] | None,
    warm: bool = False,
    shape: list[EqBand] | None = None,
    word: str = "",
    above_hz: float | None = None,
) -> MoveSet:
    """Move the spectral centroid: a high shelf (plus a low shelf for warmth, or the
    lexicon's fitted curve) on the master when it is on, else on the tracks carrying the top;
    ``above_hz``: the shelf starts there ("brighter but not harsh": above the harsh band)."""
    sign = 1.0 if direction > 0 else -1.0
    high_freq = 3500.0 if sign < 0 else 4500.0
    top_hz = (2000.0, 20000.0)  # where a named part's top is judged
    if names and not shape:  # a named part's own top: from 2.5 kHz, where most of it lives
        high_freq = 2500.0
        if all(_is_bass(context, n) for n in names):  # a bass's top is its upper harmonics
            high_freq, top_hz = 900.0, (700.0, 5000.0)
    if above_hz is not None:
        high_freq = max(high_freq, above_hz)
    # warmth: more body under the softer top; on a named part, its own low mids, sized on it
    body = EqBand(kind="low_shelf", freq_hz=220.0, gain_db=-0.4, q=0.7)

    def bands(gain: float) -> list[EqBand]:
        if shape:
            return [b.model_copy(update={"gain_db": b.gain_db * gain}) for b in shape]
        out = [EqBand(kind="high_shelf", freq_hz=high_freq, gain_db=gain, q=0.7)]
        if warm:
            out.append(body.model_copy(update={"gain_db": body.gain_db * gain}))
        return out

    on_master = context.state.master.enabled and names is None
    pool = names or list(context.tracks)
    ranked = carriers(context, 2000, 20000, pool)
    chosen = (
        [n for n, _ in ranked]  # the parts the brief names, each of them
        if names and len(ranked) <= 4
        else [n for n, _ in pick_offenders(ranked, most=4, cover=0.85, least_share=0.05)]
    )
    chosen = [n for n in chosen if has_room(context.state.track(n), "high_shelf", high_freq)]
    before = centroid_hz(mix_powers(context))

    def change(gain: float) -> float:
        if on_master:
            after = centroid_hz(mix_powers(context, uniform=bands(gain)))
        else:
            after = centroid_hz(mix_powers(context, {n: bands(gain) for n in chosen}))
        return 100.0 * (after / before - 1.0) * (sign if not shape else 1.0)

    out = MoveSet(measures=[Centroid()])
    if shape:  # a word only the crowd's lexicon knows: a small, stated move
        gain = min(0.8 * amount, 1.5)
        while abs(change(gain)) > LEXICON_CENTROID_PCT and gain > 0.05:
            gain *= 0.7
    elif names and not on_master:
        gain, high_freq = sized_on_part(
            context,
            chosen,
            "high_shelf",
            freq_hz=high_freq,
            q=0.7,
            gain_db=named_gain_db(sign, amount),
            amount=amount,
            low_hz=top_hz[0],
            high_hz=top_hz[1],
        )
        out.measures.extend(track_band_measures(chosen, *top_hz))
        if warm:
            body_db, body_hz = sized_on_part(
                context,
                chosen,
                "bell",
                freq_hz=WARM_BODY_HZ,
                q=0.8,
                gain_db=-gain * 0.6,
                amount=amount,
                low_hz=WARM_BODY_HZ / 2,
                high_hz=WARM_BODY_HZ * 2,
            )
            body = EqBand(kind="bell", freq_hz=body_hz, gain_db=body_db / gain, q=0.8)
    else:
        gain = _solve_gain(
            change,
            start_db=sign * 2.5 * amount,
            cap_db=MAX_BOOST_DB if sign > 0 else MAX_CUT_DB,
            target=CENTROID_TARGET_PCT * audible(amount),
        )
    predicted = change(gain) * (sign if not shape else 1.0)
    what = word or ("warmer" if warm else "brighter" if sign > 0 else "darker")
    lines = [
        f"{what}: a clear step on {', '.join(chosen)} itself"
        if names and not on_master and not shape
        else f"{what}: aiming the spectral centroid about {abs(predicted):.0f}% "
        f"{'up' if predicted > 0 else 'down'}"
    ]
    targets = ["master"] if on_master else chosen
    share = dict(ranked)
    for target in targets:
        for band in bands(gain):
            reason = (
                lines[0]
                if target == "master"
                else f"{what}: more body under the top cut, on {target}"
                if band.kind == "low_shelf" and warm
                else f"{target} carries {share.get(target, 0):.0%} of the mix's energy above 2 kHz"
            )
            if target == "master":
                out.calls.append(
                    ToolCall(
                        tool="apply_master_eq",
                        reason=reason,
                        args={
                            "kind": band.kind,
                            "freq_hz": round(band.freq_hz, 1),
                            "gain_db": round(max(-12.0, min(12.0, band.gain_db)), 2),
                            "q": round(band.q, 2),
                        },
                    )
                )
            else:
                out.calls.append(
                    eq_call(target, band.kind, band.freq_hz, band.gain_db, band.q, reason)
                )
    out.notes.append(
        lines[0]
        + (
            " (master EQ)"
            if on_master
            else f" (shelf on {len(targets)} track{'' if len(targets) == 1 else 's'})"
        )
    )
    return out
