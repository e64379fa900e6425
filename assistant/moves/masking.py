"""Masking moves: give a masked part room by cutting what masks it, where it masks it.

Engineers carve the masker, not the part the listener follows. For "the vocal gets buried"
the guitar or keys get a bell or two inside the range where the analysis says they mask the
vocal, and the vocal itself is never cut. When two named parts clash, the less important one
gives way in the conflict range first and the other a little where the first dominates.
Kick and bass share the low end the standard way: the bass is cut at the kick's fundamental,
and the kick a little at the bass's. Each pair's spectral overlap is the check: the cuts
deepen, widen, or move on to the next range or masker until the model says it dropped by
the target (moves_carve_model).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from mixchat.assistant.moves.carve_model import (
    BELL_Q,
    CutSite,
    PairModel,
    complement,
    pair_model,
    solve,
)
from mixchat.assistant.moves.tone import MoveSet, carriers, clamp, eq_call, has_room
from mixchat.assistant.planning.contract import PlanContext
from mixchat.assistant.planning.measures import Overlap
from mixchat.dsp.masking import importance
from mixchat.dsp.state import EqBand
from mixchat.tools.settings_text import hz

OVERLAP_DROP = 0.14  # relative drop of the pair's spectral overlap per unit of amount (>= 10 %)
OVERLAP_DROP_WITH_LIFT = 0.10  # when the buried part is also raised, the carve only helps
MAX_BAND_CUT_DB = 6.0  # per band, on the part that gives way
GIVE_WAY_DB = 3.0  # the more important part of a clashing pair gives up at most this
COMPLEMENT_BOOST_DB = 2.5  # the heard part's lift where its masker's carve reached its cap
PRESENCE_HZ = (1000.0, 4000.0)  # where a vocal's intelligibility lives
VOCAL_SPAN_HZ = (200.0, 8000.0)
KICK_FUNDAMENTAL_HZ = (40.0, 130.0)
BASS_FUNDAMENTAL_HZ = (40.0, 300.0)
LOW_END_HZ = (30.0, 400.0)
SPAN_OCTAVES = 2.0
MIN_HELD_SHARE = 0.1  # a range "sits on" a part when the part has this much energy there
SECOND_MASKER_SHARE = 0.5  # an unnamed second masker is carved when this serious


def _role(context: PlanContext, name: str) -> str:
    facts = context.tracks.get(name)
    return facts.role if facts else context.state.track(name).role


def _is_vocal(context: PlanContext, name: str) -> bool:
    return "vocal" in _role(context, name)


def _range_text(low_hz: float, high_hz: float) -> str:
    if high_hz >= 1000:
        return f"{low_hz / 1000:.1f}–{high_hz / 1000:.1f} kHz"
    return f"{low_hz:.0f}–{high_hz:.0f} Hz"


def _masking_rows(context: PlanContext) -> list[dict[str, Any]]:
    try:
        rows = context.masking() or []
    except Exception:  # noqa: BLE001 - analysis failure must not lose the brief
        return []
    return [
        r for r in rows if r.get("masker") in context.tracks and r.get("masked") in context.tracks
    ]


# --- who gives way ----------------------------------------------------------------------------
def _maskers_for(context: PlanContext, target: str, rows: list[dict[str, Any]]) -> list[str]:
    """Maskers of ``target`` by the analysis (highest priority first), else the parts that
    carry the most energy where ``target`` needs to be heard."""
    found = sorted(
        (r for r in rows if r["masked"] == target and r["masker"] != target),
        key=lambda r: (-float(r.get("priority", r.get("severity", 0.0))), str(r["masker"])),
    )
    names: list[str] = []
    for row in found:
        if row["masker"] not in names:
            names.append(row["masker"])
    if not names:
        low, high = PRESENCE_HZ if _is_vocal(context, target) else (2000.0, 5000.0)
        pool = [n for n in context.tracks if n != target and not _is_vocal(context, n)]
        names = [n for n, share in carriers(context, low, high, pool)[:2] if share > 0]
    return names[:3]


def _top_priority(rows: list[dict[str, Any]], target: str, masker: str) -> float:
    values = [
        float(r.get("priority", r.get("severity", 0.0)))
        for r in rows
        if r["masked"] == target and r["masker"] == masker
    ]
    return max(values, default=0.0)


def _is_kick(context: PlanContext, name: str) -> bool:
    return _role(context, name) in ("kick", "drums") or "kick" in name.lower()


def _is_bass(context: PlanContext, name: str) -> bool:
    return _role(context, name) in ("bass", "sub") or "bass" in name.lower()


def _low_end_pair(context: PlanContext, a: str, b: str) -> tuple[str, str] | None:
    """(kick, bass) when the pair is a kick (or drum kit) and a bass."""
    if _is_kick(context, a) and _is_bass(context, b) and not _is_bass(context, a):
        return a, b
    if _is_kick(context, b) and _is_bass(context, a) and not _is_bass(context, b):
        return b, a
    return None


# --- where -----------------------------------------------------------------------------------
def _candidates(model: PairModel | None, low_hz: float, high_hz: float) -> tuple[float, ...]:
    """Bell frequencies inside a range: the measured band centres there, else the range's
    centre; a narrow range also offers its edges (to widen the cut, still at the range)."""
    if model is None:
        return (float(np.sqrt(low_hz * high_hz)),)
    centres = [float(c) for c in model.centres_hz if low_hz <= c <= high_hz]
    if len(centres) >= 2:
        return tuple(centres)
    return tuple(sorted({*centres, float(np.sqrt(low_hz * high_hz)), low_hz, high_hz}))


def _benefit_ranges(
    model: PairModel, yielding: str, low_hz: float, high_hz: float, *, taken: list, count: int = 2
) -> list[tuple[float, float]]:
    """Up to ``count`` band ranges (at most 2 octaves each, outside the ``taken`` ranges)
    where a cut on ``yielding`` frees the other part most, best first."""
    centres, edges = model.centres_hz, model.edges_hz
    free = (centres >= low_hz) & (centres <= high_hz)
    for lo, hi in taken:
        free &= ~((centres >= lo) & (centres <= hi))
    scores = np.where(free, -model.bell_effect(yielding), 0.0)
    found: list[tuple[float, float]] = []
    while len(found) < count and scores.max() > 1e-4:
        peak = int(np.argmax(scores))
        first = last = peak
        while first > 0 and scores[first - 1] >= 0.5 * scores[peak]:
            if np.log2(edges[last + 1] / edges[first - 1]) > SPAN_OCTAVES:
                break
            first -= 1
        while last + 1 < scores.size and scores[last + 1] >= 0.5 * scores[peak]:
            if np.log2(edges[last + 2] / edges[first]) > SPAN_OCTAVES:
                break
            last += 1
        found.append((float(edges[first]), float(edges[last + 1])))
        scores[first : last + 1] = 0.0
    return found


def _held_share(model: PairModel, name: str, low_hz: float, high_hz: float) -> float:
    inside = (model.centres_hz >= low_hz) & (model.centres_hz <= high_hz)
    return float(model.mean_share(name)[inside].sum())


def _conflict_ranges(
    context: PlanContext,
    model: PairModel | None,
    rows: list[dict[str, Any]],
    pair: tuple[str, str],
    *,
    masked_only: str | None,
) -> list[tuple[float, float, str]]:
    """(low, high, why) of the pair's conflicts: the analysis's ranges (for a vocal those
    touching its presence range first), else where the measured spectra overlap most."""
    target, masker = pair
    vocal = _is_vocal(context, target)
    found = [
        r
        for r in rows
        if {r["masker"], r["masked"]} == {target, masker}
        and (masked_only is None or r["masked"] == masked_only)
    ]

    def in_presence(row: dict[str, Any]) -> bool:
        return row["high_hz"] > PRESENCE_HZ[0] and row["low_hz"] < PRESENCE_HZ[1]

    found.sort(key=lambda r: (vocal and not in_presence(r), -float(r.get("severity", 0.0))))
    ranges = [(float(r["low_hz"]), float(r["high_hz"]), str(r["summary"])) for r in found]
    pocket = vocal and not any(lo < PRESENCE_HZ[1] and hi > PRESENCE_HZ[0] for lo, hi, _ in ranges)
    taken = [(lo, hi) for lo, hi, _ in ranges] + ([PRESENCE_HZ] if pocket else [])
    if model is not None and model.both_active.any():
        span = VOCAL_SPAN_HZ if vocal else (30.0, 16000.0)
        for low, high in _benefit_ranges(model, masker, *span, taken=taken):
            held = _held_share(model, target, low, high)
            if held < MIN_HELD_SHARE:
                continue
            text = (
                f"{masker} sits on {target} at {_range_text(low, high)}, where {target} "
                f"carries {held:.0%} of its energy"
            )
            ranges.append((low, high, text))
    if pocket:  # the standard move, after what the analysis measured
        low, high = PRESENCE_HZ
        text = f"{masker} covers {target}'s presence range ({_range_text(low, high)})"
        ranges.append((low, high, text))
    if not ranges:
        low, high = PRESENCE_HZ if vocal else (2000.0, 5000.0)
        ranges.append((low, high, f"{masker} crowds {target} at {_range_text(low, high)}"))
    return ranges


def _give_way_freqs(
    model: PairModel | None, yielding: str, low_hz: float, high_hz: float
) -> tuple[float, ...]:
    """Frequencies in the range where a cut on ``yielding`` gives the other part room."""
    if model is None:
        return ()
    helps = model.bell_effect(yielding) < 0
    inside = (model.centres_hz >= low_hz) & (model.centres_hz <= high_hz) & helps
    return tuple(float(c) for c in model.centres_hz[inside])


def _masker_sites(
    context: PlanContext,
    model: PairModel | None,
    rows: list[dict[str, Any]],
    target: str,
    masker: str,
) -> list[CutSite]:
    """Only the masker gives way, inside each range where it masks ``target``."""
    ranges = _conflict_ranges(context, model, rows, (target, masker), masked_only=target)
    return [
        CutSite(masker, _candidates(model, low, high), MAX_BAND_CUT_DB, low, high, why)
        for low, high, why in ranges
    ]


def _pair_sites(
    context: PlanContext, model: PairModel | None, rows: list[dict[str, Any]], a: str, b: str
) -> list[CutSite]:
    """Two named parts clash: the less important gives way in each conflict range, then the
    other a little where the first dominates."""
    ranked = sorted((a, b), key=lambda n: (importance(_role(context, n)), n != b))
    yielding, keeping = ranked
    ranges = _conflict_ranges(context, model, rows, (keeping, yielding), masked_only=None)
    sites = [
        CutSite(yielding, _candidates(model, low, high), MAX_BAND_CUT_DB, low, high, why)
        for low, high, why in ranges
    ]
    for low, high, why in ranges:
        freqs = _give_way_freqs(model, keeping, low, high)
        if freqs and not _is_vocal(context, keeping):
            sites.append(CutSite(keeping, freqs, GIVE_WAY_DB, low, high, why))
    return sites


def _low_end_sites(model: PairModel | None, kick: str, bass: str) -> list[CutSite]:
    """The bass gives way at the kick's fundamental, the kick a little at the bass's; then
    the bass's cut widens to the neighbouring bands."""
    if model is None:
        return [
            CutSite(bass, (60.0,), MAX_BAND_CUT_DB, 50.0, 72.0, f"{kick}'s thump sits near 60 Hz"),
            CutSite(kick, (100.0,), GIVE_WAY_DB, 85.0, 120.0, f"{bass}'s body sits near 100 Hz"),
        ]
    centres, edges = model.centres_hz, model.edges_hz
    kick_share, bass_share = model.mean_share(kick), model.mean_share(bass)

    def peak(share: np.ndarray, span: tuple[float, float], skip: int | None = None) -> int:
        inside = (centres >= span[0]) & (centres <= span[1])
        if skip is not None:
            inside[skip] = False
        return int(np.argmax(np.where(inside, share, -1.0)))

    k = peak(kick_share, KICK_FUNDAMENTAL_HZ)
    b = peak(bass_share, BASS_FUNDAMENTAL_HZ, skip=k)

    def band(i: int) -> str:
        return f"{hz(centres[i])} ({_range_text(edges[i], edges[i + 1])})"

    neighbours = [i for i in (b - 1, b + 1) if 0 <= i < centres.size and i != k]
    second = max(neighbours, key=lambda i: bass_share[i], default=b)
    kick_bands = sorted({b, second})
    low, high = float(edges[kick_bands[0]]), float(edges[kick_bands[-1] + 1])
    sites = [
        CutSite(
            bass,
            (float(centres[k]),),
            MAX_BAND_CUT_DB,
            float(edges[k]),
            float(edges[k + 1]),
            f"{kick}'s fundamental sits at {band(k)}, where {bass} also plays",
        ),
        CutSite(
            kick,
            tuple(float(centres[i]) for i in kick_bands),
            GIVE_WAY_DB,
            low,
            high,
            f"{bass}'s fundamental sits at {band(b)}"
            + (f" (its body spans {_range_text(low, high)})" if len(kick_bands) > 1 else ""),
        ),
    ]
    wider = tuple(float(centres[i]) for i in (k - 1, k + 1) if 0 <= i < centres.size and i != b)
    if wider:
        low, high = float(edges[max(k - 1, 0)]), float(edges[min(k + 2, edges.size - 1)])
        why = f"around {kick}'s fundamental ({_range_text(low, high)}), where {bass} also plays"
        sites.append(CutSite(bass, wider, MAX_BAND_CUT_DB, low, high, why))
    taken = [(site.low_hz, site.high_hz) for site in sites]
    for low, high in _benefit_ranges(model, bass, *LOW_END_HZ, taken=taken, count=1):
        held = _held_share(model, kick, low, high)
        why = (
            f"{bass} sits on {kick} at {_range_text(low, high)}, where {kick} carries "
            f"{held:.0%} of its energy"
        )
        sites.append(CutSite(bass, _candidates(model, low, high), MAX_BAND_CUT_DB, low, high, why))
    return sites


def _buried_by_named(sites: list[CutSite], target: str, masker: str) -> list[CutSite]:
    """ "The bass gets lost under the drums": the part named as burying gives way in full;
    the buried part keeps its body, giving only its first slot, and only a little."""
    kept: list[CutSite] = []
    for site in sites:
        if site.track == masker:
            kept.append(replace(site, cap_db=MAX_BAND_CUT_DB))
        elif not any(k.track == target for k in kept):
            kept.append(replace(site, cap_db=min(site.cap_db, GIVE_WAY_DB)))
    return kept


# --- the move ------------------------------------------------------------------------------
def _carve_pair(
    context: PlanContext,
    target: str,
    masker: str,
    sites: list[CutSite],
    model: PairModel | None,
    *,
    amount: float,
    overlap_drop: float,
) -> tuple[MoveSet, bool]:
    out = MoveSet(measures=[Overlap(a=masker, b=target)])
    if model is None or not model.both_active.any():
        site = sites[0]
        cut = -round(min(3.0 * amount + 0.5, MAX_BAND_CUT_DB), 2)
        bands = {
            site.track: [
                (EqBand(kind="bell", freq_hz=site.freqs_hz[0], gain_db=cut, q=BELL_Q), site)
            ]
        }
        before = after = 0.0
        reached = False
        lift = None
    else:
        goal_ratio = 1.0 - overlap_drop * max(amount, 0.8)
        before_value = model.overlap({})
        result = solve(
            context,
            model,
            sites,
            goal=before_value * goal_ratio,
            first_db=clamp(2.0 + amount, 2.0, 5.0),
        )
        lift = (
            None
            if result.reached
            else complement(context, model, result, target, boost_db=COMPLEMENT_BOOST_DB)
        )
        bands, before, after, reached = result.bands, result.before, result.after, result.reached
    cut_tracks, used = [], []
    for track, placed in bands.items():
        for band, site in placed:
            if not has_room(context.state.track(track), "bell", band.freq_hz):
                continue
            reason = f"{site.why}: cut {track} {abs(band.gain_db):.1f} dB at {hz(band.freq_hz)}"
            out.calls.append(eq_call(track, "bell", band.freq_hz, band.gain_db, band.q, reason))
            cut_tracks.append(track)
            used.append(site)
    if lift is not None:
        reason = (
            f"{masker} is cut there as far as it should go: {target} +{lift.gain_db:.1f} dB at "
            f"{hz(lift.freq_hz)} fills the room the cut made (complementary EQ)"
        )
        out.calls.append(eq_call(target, "bell", lift.freq_hz, lift.gain_db, lift.q, reason))
    if out.calls:
        first = min(used, key=sites.index)
        names = " and ".join(dict.fromkeys(cut_tracks))
        ranges = ", ".join(
            dict.fromkeys(_range_text(u.low_hz, u.high_hz) for u in sorted(used, key=sites.index))
        )
        kept = "" if target in cut_tracks else f"; {target} is never cut"
        model_text = f" (model: overlap {before:.2f} → {after:.2f})" if before else ""
        out.notes.append(f"{first.why}; I cut {names} at {ranges}{kept}{model_text}.")
    return out, reached


def carve(
    context: PlanContext,
    target: str,
    *,
    amount: float,
    maskers: list[str] | None,
    overlap_drop: float = OVERLAP_DROP,
    mutual: bool = True,
) -> MoveSet:
    """Cut what masks ``target`` where it masks it (never a lead or backing vocal's own EQ,
    nor, unless the two clash ``mutual``-ly, the buried part's own).

    ``maskers`` named in the brief are all carved; otherwise the analysis's worst masker is,
    and the next one too when it is nearly as serious or the first could not reach the
    overlap target (``overlap_drop`` per unit of amount, lower when the level moves too)."""
    rows = _masking_rows(context)
    named = bool(maskers)
    pool = [m for m in (maskers or _maskers_for(context, target, rows)) if m != target][:3]
    out = MoveSet()
    first_priority, reached = None, True
    for index, masker in enumerate(pool):
        priority = _top_priority(rows, target, masker)
        if not named and index > 0:
            serious = first_priority and priority >= SECOND_MASKER_SHARE * first_priority
            if index > 1 or (reached and not serious):
                break
        first_priority = priority if first_priority is None else first_priority
        model = pair_model(context, target, masker)
        low_end = _low_end_pair(context, target, masker) if named else None
        if low_end:
            sites = _low_end_sites(model, *low_end)
            if not mutual:
                sites = _buried_by_named(sites, target, masker)
        elif named and mutual and not _is_vocal(context, target) and not _is_vocal(context, masker):
            sites = _pair_sites(context, model, rows, target, masker)
        else:
            sites = _masker_sites(context, model, rows, target, masker)
        moves, reached = _carve_pair(
            context, target, masker, sites, model, amount=amount, overlap_drop=overlap_drop
        )
        out.extend(moves)
        if named and not reached and moves.calls:
            out.notes.append(
                f"That is as far as EQ should go on {masker}; the two share most of their "
                f"range, so the rest is arrangement ({masker} in another octave, panned away "
                f"from {target}, or playing less under it)."
            )
    return out
