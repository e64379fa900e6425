"""The prediction model behind masking carves: two stems' band/frame powers, their spectral
overlap (the Bhattacharyya measure of mixchat.dsp.masking.spectral_overlap), and a small solver that
places bell cuts on the parts allowed to give way until the overlap drops by the target.

EQ is linear, so a cut scales a stem's band powers by the filter's response at the band
centres (the engine's RBJ biquads). The solver works through ``CutSite``s in order: it only
moves on to the next site (another range, the other part, another masker) when the current
one is at its cap or no longer helps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixchat.assistant.moves.tone import has_room
from mixchat.assistant.planning.contract import PlanContext
from mixchat.assistant.reading.lexicon import eq_response_db
from mixchat.dsp.state import EqBand
from mixchat.tools.track_tools import merges_with

MODEL_FRAMES = 2000  # the model needs the distribution over time, not every frame
BELL_Q = 1.4  # about an octave wide
WIDE_Q = 1.0  # a widened bell: about 1.4 octaves
STEP_DB = 1.0
MAX_BELLS_PER_SITE = 2
MAX_BELLS_PER_TRACK = 4  # beyond this a carve is a different sound, not room for a part
MAX_TOTAL_CUT_DB = 8.0  # with what an earlier move already cut at the same place
COMPLEMENT_MIN_HZ = 500.0  # a lift lower down adds mud to the part, not definition


@dataclass(frozen=True)
class CutSite:
    """Where one track may be cut: candidate bell frequencies inside a conflict range."""

    track: str
    freqs_hz: tuple[float, ...]
    cap_db: float
    low_hz: float
    high_hz: float
    why: str


@dataclass
class CarveResult:
    bands: dict[str, list[tuple[EqBand, CutSite]]] = field(default_factory=dict)
    before: float = 0.0
    after: float = 0.0
    reached: bool = False


@dataclass(frozen=True)
class PairModel:
    names: tuple[str, str]
    centres_hz: np.ndarray
    edges_hz: np.ndarray
    powers: tuple[np.ndarray, np.ndarray]  # (bands, frames) each
    both_active: np.ndarray  # (frames,)
    sample_rate: int

    def mean_share(self, name: str) -> np.ndarray:
        """The stem's average share of its own power per band (frames where both play)."""
        power = self.powers[self.names.index(name)][:, self.both_active]
        share = power / np.maximum(power.sum(axis=0, keepdims=True), 1e-30)
        return share.mean(axis=1) if share.size else np.zeros(self.centres_hz.size)

    def bell_effect(self, name: str, *, gain_db: float = -3.0) -> np.ndarray:
        """Per band centre, how much a bell cut on ``name`` there changes the overlap
        (negative where it helps; a cut where a stem is concentrated can raise the overlap,
        because its other bands gain share)."""
        base = self.overlap({})
        return np.array(
            [
                self.overlap({name: [EqBand(kind="bell", freq_hz=f, gain_db=gain_db, q=BELL_Q)]})
                - base
                for f in self.centres_hz
            ]
        )

    def overlap(self, plan: dict[str, list[EqBand]]) -> float:
        if not self.both_active.any():
            return 0.0
        pa, pb = (
            _distribution(power * self._response(plan.get(name, []))[:, None])
            for name, power in zip(self.names, self.powers, strict=True)
        )
        return float(np.sqrt(pa * pb).sum(axis=0)[self.both_active].mean())

    def _response(self, bands: list[EqBand]) -> np.ndarray:
        if not bands:
            return np.ones_like(self.centres_hz)
        gain_db = eq_response_db(bands, self.centres_hz, sample_rate=self.sample_rate)
        return 10.0 ** (gain_db / 10.0)


def _distribution(power: np.ndarray) -> np.ndarray:
    return power / np.maximum(power.sum(axis=0, keepdims=True), 1e-30)


def pair_model(context: PlanContext, first: str, second: str) -> PairModel | None:
    """The two tracks' measured band powers (post inserts and fader), or None without them."""
    try:
        a, b = context.stem_bands(first), context.stem_bands(second)
    except Exception:  # noqa: BLE001 - no analysis: the caller falls back to a fixed cut
        return None
    if a is None or b is None:
        return None
    frames = min(a.power.shape[1], b.power.shape[1])
    step = max(1, frames // MODEL_FRAMES) if frames > 2 * MODEL_FRAMES else 1
    cut = slice(0, frames, step)
    edges = np.asarray(a.edges_hz, dtype=float)
    return PairModel(
        names=(first, second),
        centres_hz=np.sqrt(edges[:-1] * edges[1:]),
        edges_hz=edges,
        powers=(np.asarray(a.power[:, cut], float), np.asarray(b.power[:, cut], float)),
        both_active=np.asarray(a.active[:, cut].any(axis=0) & b.active[:, cut].any(axis=0)),
        sample_rate=context.sample_rate,
    )


def room_db(context: PlanContext, site: CutSite, freq_hz: float) -> float:
    """How deep a new cut at freq_hz may go: the site's cap, less what an EQ band it would
    merge with already cuts. 0 when that band sits outside the site's range (the merged cut
    would land outside the conflict)."""
    track = context.state.track(site.track)
    if not has_room(track, "bell", freq_hz):
        return 0.0
    room = site.cap_db
    for band in track.eq:
        if band.kind != "bell" or not merges_with(band.freq_hz, freq_hz):
            continue
        if not site.low_hz / 1.05 <= band.freq_hz <= site.high_hz * 1.05:
            return 0.0
        room = min(room, MAX_TOTAL_CUT_DB + min(band.gain_db, 0.0))
    return max(0.0, room)


def solve(
    context: PlanContext, model: PairModel, sites: list[CutSite], *, goal: float, first_db: float
) -> CarveResult:
    """Cut the sites in order until the model's overlap is at or under ``goal``.

    Within a site each step either deepens a bell by 1 dB or opens a second bell at
    ``first_db``, whichever lowers the overlap most per dB; a site is left when it is at its
    cap or stops helping. Still short at the end, the bells widen (Q 1.4 to 1.0), best first."""
    cuts: dict[tuple[int, float], float] = {}
    wide: set[tuple[int, float]] = set()
    before = after = model.overlap({})
    for index, site in enumerate(sites):
        rooms = {f: room_db(context, site, f) for f in site.freqs_hz}
        while after > goal:
            best = None
            open_bells = sum(1 for (i, _) in cuts if i == index)
            on_track = sum(1 for (i, _) in cuts if sites[i].track == site.track)
            full = open_bells >= MAX_BELLS_PER_SITE or on_track >= MAX_BELLS_PER_TRACK
            for freq in site.freqs_hz:
                current = cuts.get((index, freq))
                if current is None and (full or _merges(cuts, sites, site.track, freq)):
                    continue
                new = -min(first_db, rooms[freq]) if current is None else current - STEP_DB
                new = max(new, -rooms[freq])
                added = -new - (0.0 if current is None else -current)
                if added < 0.25:
                    continue
                trial = {**cuts, (index, freq): new}
                value = model.overlap(_plan(trial, sites, wide))
                score = (after - value) / added
                if best is None or score > best[0] + 1e-9:
                    best = (score, value, trial)
            if best is None or best[1] >= after - 1e-4:
                break
            _, after, cuts = best
        if after <= goal:
            break
    while after > goal:
        trials = [
            (model.overlap(_plan(cuts, sites, wide | {key})), key)
            for key in sorted(cuts)
            if key not in wide
        ]
        if not trials or min(trials)[0] >= after - 1e-4:
            break
        after, key = min(trials)
        wide.add(key)
    result = CarveResult(before=before, after=after, reached=after <= goal)
    for (index, freq), gain in sorted(cuts.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        q = WIDE_Q if (index, freq) in wide else BELL_Q
        band = EqBand(kind="bell", freq_hz=round(freq, 1), gain_db=round(gain, 2), q=q)
        result.bands.setdefault(sites[index].track, []).append((band, sites[index]))
    return result


def complement(
    context: PlanContext, model: PairModel, result: CarveResult, target: str, *, boost_db: float
) -> EqBand | None:
    """The classic partner of a carve that reached its cap: a bell boost on the part that
    must be heard, at one of the frequencies its masker was cut (where there is now room for
    it), when the model says it lowers the overlap further; None otherwise."""
    plan = {track: [band for band, _ in placed] for track, placed in result.bands.items()}
    cut_at = sorted(
        {
            band.freq_hz
            for track, placed in result.bands.items()
            if track != target
            for band, _ in placed
        }
    )
    own = context.state.track(target)
    best: tuple[float, EqBand] | None = None
    for freq in cut_at:
        if freq < COMPLEMENT_MIN_HZ or not has_room(own, "bell", freq):
            continue
        band = EqBand(kind="bell", freq_hz=freq, gain_db=boost_db, q=BELL_Q)
        value = model.overlap({**plan, target: [*plan.get(target, []), band]})
        if value < result.after - 1e-3 and (best is None or value < best[0]):
            best = (value, band)
    if best is None:
        return None
    result.after = best[0]
    return best[1]


def _merges(
    cuts: dict[tuple[int, float], float], sites: list[CutSite], track: str, freq_hz: float
) -> bool:
    """True when a new bell at freq_hz would merge with one already placed on the track (the
    engine adds their gains): it would be one deeper bell, not the two the model counts."""
    return any(sites[i].track == track and merges_with(f, freq_hz) for i, f in cuts)


def _plan(
    cuts: dict[tuple[int, float], float], sites: list[CutSite], wide: set[tuple[int, float]]
) -> dict[str, Any]:
    plan: dict[str, list[EqBand]] = {}
    for (index, freq), gain in cuts.items():
        q = WIDE_Q if (index, freq) in wide else BELL_Q
        band = EqBand(kind="bell", freq_hz=freq, gain_db=gain, q=q)
        plan.setdefault(sites[index].track, []).append(band)
    return plan
