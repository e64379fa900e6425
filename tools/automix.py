"""The technical mix an engineer does first, as tool calls that each carry their reason.

0. clean-up, only where a detector found a fault on the raw stem (DC, hum, clicks, noise,
   plosives, sibilance), each call quoting what was measured;
1. gain staging: every stem trimmed to NOMINAL_LUFS into its inserts (export-level proof);
2. high-pass where a stem has only rumble, low-mid clean-up where sources pile up;
3. masking resolved on the masker (kick/bass, vocal presence, vocal body);
4. compression by role, thresholds from the trimmed level;
5. pan layout, reverb/delay from the tempo, sends by role;
6. balance: faders that put each processed part (measured on the rendered inserts, pan and
   width included) at its level from published measurements of real mixes, group by group
   (``automix_balance``, ``prompts/balance.json``);
7. section rides on the vocal where the band gets denser;
8. headroom: the pre-master measured once and every fader moved together to about
   -19 LUFS with true peak under -1 dBTP; an edit click at a cut that would set the peak
   costs loudness down to the genre's floor, then a dip just under the ceiling
   (``automix_bursts``). The master stays off.

Do no harm: stems that arrive processed (loudness already even, or a one-microphone source
with a printed stereo image), and every stem of a set where at least half do (the export
of a finished mix), get no high-pass, EQ, compression, sends or width; only faults the
clean-up measured are repaired, and in such a set the vocal is not ridden section by section (its
producer's section balance is printed in the stems).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.masking import find_masking
from mixchat.dsp.meters import LoudnessMeter
from mixchat.dsp.state import MixState, TrackState
from mixchat.tools.automix_balance import (
    BalancePlan,
    activity_share,
    explain,
    placement_db,
    plan_balance,
)
from mixchat.tools.automix_bursts import (
    EdgeMeter,
    dip_calls,
    dipped_peak_dbtp,
    edge_dips,
    edge_spikes,
    spared_shift,
)
from mixchat.tools.automix_measure import (
    StemAnalysis,
    gated_lufs,
    loudness_range_lu,
    mixed_export,
    processed_parts,
    section_blocks,
    stored_analyses,
)
from mixchat.tools.automix_moves import (
    bus_calls,
    compressor_calls,
    high_pass_calls,
    low_mid_calls,
    masking_calls,
    pan_calls,
    send_calls,
)
from mixchat.tools.automix_profile import GenreProfile, genre_profile
from mixchat.tools.balance_targets import balance_targets
from mixchat.tools.base import ToolCall, ToolContext
from mixchat.tools.catalog import apply_calls
from mixchat.tools.cleanup_faults import faults_lookup
from mixchat.tools.cleanup_moves import cleanup_calls

Progress = Callable[[str, float], None]
NOMINAL_LUFS = -18.0
SILENT_LUFS = -70.0
MIX_ANCHOR_LUFS = -22.0  # where the lead vocal sits before the headroom pass
RIDE_LIMIT_DB = 3.0
RIDE_MIN_DB = 0.5
RIDE_ACTIVE_BELOW_DB = 12.0  # the vocal counts as present in a section within this of its level
TRIM_RANGE_DB = (-60.0, 36.0)
FADER_RANGE_DB = (-60.0, 24.0)


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return max(bounds[0], min(bounds[1], value))


def _call(tool: str, reason: str, **args: Any) -> ToolCall:
    return ToolCall(tool=tool, args=args, reason=reason)


def lead_vocal(names: list[str], roles: dict[str, str], raw: dict[str, StemAnalysis]) -> str | None:
    vocals = [n for n in names if roles[n] in ("vocal", "lead_vocal")]
    if not vocals:
        return None
    named = [n for n in vocals if any(w in n.lower() for w in ("lead", "main", "lv"))]
    if len(named) == 1:
        return named[0]
    return max(vocals, key=lambda n: raw[n].active_share)


# --- the plan -----------------------------------------------------------------------------
@dataclass(frozen=True)
class AutomixPlan:
    calls: list[ToolCall]
    balance_note: str  # where the groups sit and why, for the reply


def automix_plan(
    engine: Any, state: MixState, *, genre: str | None = None, progress: Progress | None = None
) -> AutomixPlan:
    """The automix's tool calls for ``state`` (any version: what automix owns is replaced)."""
    report = progress or (lambda label, fraction: None)
    meta = engine.meta
    rate = meta.sample_rate
    profile = genre_profile(genre)
    names = [t.name for t in state.tracks]
    roles = {t.name: t.role for t in state.tracks}
    report("reading the stems' analysis", 0.05)
    raw = stored_analyses(engine, names)
    vocal = lead_vocal(names, roles, raw)
    live = [n for n in names if raw[n].lufs > SILENT_LUFS]
    if not live:
        raise AudioFileError(
            f"every stem is silent (below {SILENT_LUFS:g} LUFS: {', '.join(names)}), so there is "
            "nothing to mix; export the stems again with their audio"
        )
    report("clean-up detectors", 0.07)
    faults = faults_lookup(engine, state, ahead=live)
    context = ToolContext(
        sections=meta.sections, duration_s=meta.duration_s, sample_rate=rate, faults=faults
    )

    raw_blocks = {n: raw[n].blocks for n in live}
    activity = {
        n: activity_share(b, below_lu=balance_targets().activity.below_lu)
        for n, b in raw_blocks.items()
    }
    measured = {
        n: replace(raw[n], range_lu=loudness_range_lu(raw_blocks[n]), plays=activity[n])
        for n in live
    }
    processed = processed_parts(measured, roles)
    finished = mixed_export(measured, roles)
    calls = reset_calls(state, vocal)
    report("clean-up", 0.1)
    for track in state.tracks:
        found = faults(track.name) if track.name in live else None
        if found is not None:
            # a processed stem gets no automix high-pass: only a rumble the detector found
            calls += cleanup_calls(track, found, with_hpf=track.name in processed)
    trims = {
        n: _clamp(NOMINAL_LUFS - raw[n].lufs, TRIM_RANGE_DB) if n in live else 0.0 for n in names
    }
    calls += [
        _call(
            "set_track_trim",
            f"{n}: measured {raw[n].lufs:.1f} LUFS as exported; trim to {NOMINAL_LUFS:g} LUFS "
            "into the inserts",
            track=n,
            trim_db=round(trims[n], 2),
        )
        for n in live
    ]
    staged = {n: replace(measured[n], processed=n in processed).shifted(trims[n]) for n in live}
    plan = plan_balance({n: roles[n] for n in live}, activity, vocal=vocal, genre=profile.name)
    planned = {n: MIX_ANCHOR_LUFS + v for n, v in plan.relative().items()}
    report("EQ and masking", 0.25)
    calls += high_pass_calls(staged, roles, profile)
    calls += low_mid_calls(staged, roles, planned, profile)
    if len(live) > 1:
        in_mix = {
            n: engine.band_powers(
                TrackState(name=n), gain_db=trims[n] + planned[n] - staged[n].lufs
            )
            for n in live
        }
        conflicts = find_masking(in_mix, sample_rate=rate, roles=roles, max_conflicts=40)
        calls += masking_calls(conflicts, staged, roles)
    calls += compressor_calls(staged, roles, profile, meta.tempo_bpm)
    calls += pan_calls(
        names,
        roles,
        profile,
        {n: raw[n].channels for n in names},
        alone=plan.alone(),
        printed=frozenset(live) if finished else frozenset(),
    )
    calls += bus_calls(meta.tempo_bpm)
    current_sends = {t.name: (t.reverb_send_db, t.delay_send_db) for t in state.tracks}
    calls += send_calls(names, roles, profile, current_sends, processed=processed)

    report("rendering the inserts", 0.35)
    candidate, _ = apply_calls(state, calls, context)
    own, insert_blocks = rendered_blocks(engine, candidate, live)
    report("balance", 0.7)
    placed = placement_changes(engine, candidate, live)
    faders, notes = balance(own, planned, placed, plan)
    rides = (
        vocal_rides(insert_blocks, faders, vocal, meta.sections)
        if vocal and not finished
        else []  # a finished mix's export prints its producer's section balance
    )
    staged_state, _ = apply_calls(candidate, fader_calls(faders, notes) + rides, context)
    report("headroom", 0.8)
    shift, headroom_note, dips = headroom(engine, staged_state, profile)
    final = {n: _clamp(g + shift, FADER_RANGE_DB) for n, g in faders.items()}
    if abs(shift) >= 0.05:
        notes = {n: f"{text}; {shift:+.1f} dB headroom shift" for n, text in notes.items()}
    report("plan ready", 1.0)
    headroom_line = f"Headroom: {headroom_note}."
    return AutomixPlan(
        calls=calls + fader_calls(final, notes) + rides + dips,
        balance_note=" ".join(
            t for t in (explain(plan), headroom_line, processing_note(measured, roles)) if t
        ),
    )


def processing_note(measured: dict[str, StemAnalysis], roles: dict[str, str]) -> str:
    """For the reply: why a set of stems got levels only, when it did."""
    if not mixed_export(measured, roles):
        return ""
    showing = sum(stem.shows_processing(roles[n]) for n, stem in measured.items())
    return (
        f"{showing} of {len(measured)} stems arrive processed (loudness already even phrase to "
        "phrase, or a one-mic source with a printed stereo image), so the set is taken as the "
        "export of a finished mix: levels, measured repairs and headroom only, no high-pass, "
        "EQ, compression, sends, width or section rides."
    )


def reset_calls(state: MixState, vocal: str | None) -> list[ToolCall]:
    """Undo what automix owns on a state that is not the unity sum."""
    calls = []
    for track in state.tracks:
        for index in reversed(range(len(track.eq))):
            calls.append(
                _call(
                    "remove_eq_band",
                    f"{track.name}: automix replaces the earlier EQ",
                    track=track.name,
                    band_index=index,
                )
            )
        if track.compressor is not None:
            calls.append(
                _call("remove_compressor", f"{track.name}: automix sets its own", track=track.name)
            )
        if track.hpf_hz is not None:
            calls.append(
                _call(
                    "set_high_pass",
                    f"{track.name}: high-pass re-chosen from the stem",
                    track=track.name,
                    cutoff_hz=None,
                )
            )
        if track.width != 1.0:
            calls.append(
                _call(
                    "set_width",
                    f"{track.name}: width back to as recorded",
                    track=track.name,
                    width=1.0,
                )
            )
    if vocal and any(a.track == vocal for a in state.automation):
        calls.append(_call("clear_automation", f"{vocal}: rides re-measured", track=vocal))
    if state.master.enabled:
        calls.append(
            _call("set_master", "mastering stays a separate, explicit step", enabled=False)
        )
    return calls


def rendered_blocks(
    engine: Any, candidate: MixState, live: list[str]
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Measure each processed track, pre-fader: its integrated loudness (the engine's track
    facts, which the version's metrics reuse), its loudness blocks for the section rides and
    its masking bands (a brief's masking moves read them). A track whose inserts are only
    its trim gets its stem's analysis scaled; the others run their inserts, with no mix (the
    headroom pass renders it)."""
    tracks = candidate.audible_tracks()
    engine.measure_tracks(
        [t for t in tracks if not engine.store.has(engine.insert_key(t), bands=True)], bands=True
    )
    facts = engine.track_facts(candidate)
    gains = {t.name: t.gain_db for t in candidate.tracks}
    own = {n: facts[n]["lufs"] - gains[n] for n in live if n in facts}
    blocks = {t.name: engine.track_blocks(t) for t in candidate.tracks if t.name in own}
    return own, blocks


def has_sends(state: MixState) -> bool:
    """Whether any track feeds the reverb or delay bus (the returns add to the peak)."""
    return any(t.reverb_send_db is not None or t.delay_send_db is not None for t in state.tracks)


def without_sends(state: MixState) -> MixState:
    tracks = tuple(
        t.model_copy(update={"reverb_send_db": None, "delay_send_db": None}) for t in state.tracks
    )
    return state.model_copy(update={"tracks": tracks})


def placement_changes(engine: Any, candidate: MixState, live: list[str]) -> dict[str, float]:
    """How much each track's pan and width change its loudness (from its mid and side)."""
    tracks = [t for t in candidate.tracks if t.name in live]
    stereo = engine.track_stereo(tracks)
    return {
        t.name: placement_db(
            pan=t.pan,
            width=t.width,
            channels=int(stereo[t.name]["channels"]),
            mid=stereo[t.name]["mid"],
            side=stereo[t.name]["side"],
        )
        for t in tracks
    }


def balance(
    own: dict[str, float],
    planned: dict[str, float],
    placed: dict[str, float],
    plan: BalancePlan,
) -> tuple[dict[str, float], dict[str, str]]:
    """Faders that put each processed track (``own``: its loudness pre-fader, ``placed``:
    what its pan and width add) at its planned level."""
    faders, notes = {}, {}
    top = max(planned[n] for n in own)
    for name in own:
        faders[name] = _clamp(planned[name] - own[name] - placed.get(name, 0.0), FADER_RANGE_DB)
        part = plan.parts[name]
        where = (
            f"{top - planned[name]:.1f} LU under the loudest part"
            if planned[name] < top - 0.05
            else "as the loudest part"
        )
        notes[name] = (
            f"{name}: processed level {own[name]:.1f} LUFS; placed {where}, "
            f"in {part.group}{_as_member(part.group, part.member)}"
            + (f", playing {part.activity:.0%} of the song" if part.activity < 0.9 else "")
        )
    return faders, notes


MEMBER_WORDS = {"kit_whole": "the whole kit", "kit_rest": "the rest of the kit"}


def _as_member(group: str, member: str) -> str:
    """ " as <member>" when it says more than the group's name."""
    said = MEMBER_WORDS.get(member, member.replace("_", " "))
    return "" if said in (group, f"{group} part") else f" as {said}"


def fader_calls(faders: dict[str, float], notes: dict[str, str]) -> list[ToolCall]:
    return [
        _call("set_track_gain", notes[n], track=n, gain_db=round(g, 2)) for n, g in faders.items()
    ]


def vocal_rides(
    blocks: dict[str, np.ndarray], faders: dict[str, float], vocal: str, sections: Any
) -> list[ToolCall]:
    """Per section, hold the vocal-to-band ratio at its song-wide value (± RIDE_LIMIT_DB)."""
    if vocal not in blocks or len(blocks) < 2 or len(sections) < 2:
        return []
    gains = {n: 10.0 ** (faders[n] / 10.0) for n in blocks}
    frames = min(b.size for b in blocks.values())
    band = sum(blocks[n][:frames] * gains[n] for n in blocks if n != vocal)
    voice = blocks[vocal][:frames] * gains[vocal]
    overall = gated_lufs(voice)
    ratios: list[tuple[Any, int, float, float]] = []
    seen: dict[str, int] = {}
    for section in sections:
        seen[section.label] = seen.get(section.label, 0) + 1
        level = gated_lufs(section_blocks(voice, section))
        if level < overall - RIDE_ACTIVE_BELOW_DB:
            continue
        ratio = level - gated_lufs(section_blocks(band, section))
        ratios.append((section, seen[section.label], ratio, section.end_s - section.start_s))
    if len(ratios) < 2:
        return []
    weights = np.array([r[3] for r in ratios])
    reference = float(np.average([r[2] for r in ratios], weights=weights))
    calls = []
    for section, occurrence, ratio, _ in ratios:
        ride = round(_clamp(reference - ratio, (-RIDE_LIMIT_DB, RIDE_LIMIT_DB)), 1)
        if abs(ride) < RIDE_MIN_DB:
            continue
        calls.append(
            _call(
                "automate_section",
                f"{vocal} sits {ratio:+.1f} LU against the band in {section.label} "
                f"{occurrence} (song-wide {reference:+.1f} LU); ride {ride:+.1f} dB",
                track=vocal,
                section=section.label,
                occurrence=occurrence,
                gain_db=ride,
            )
        )
    return calls


def headroom(
    engine: Any, state: MixState, profile: GenreProfile
) -> tuple[float, str, list[ToolCall]]:
    """Measure the dry pre-master (tracks, faders, rides; the buses are left out, so nothing
    but the mix stage runs) and return the fader shift that lands it at the target loudness
    with true peak under the ceiling, and the dips over edit clicks at the cuts (which would
    otherwise set the peak). The mix is linear in its faders, so the shift is exact for the
    dry mix; the ceiling keeps 0.5 dB for what the reverb and delay returns add when any
    track sends to them (a mix without sends, such as a finished mix's export, needs no
    reserve, so an edit click is dipped 0.5 dB less)."""
    rate = engine.meta.sample_rate
    frames = max((s.frames for s in engine.stem_sources().values()), default=0)
    loudness = LoudnessMeter(channels=2, sample_rate=rate)
    edges = EdgeMeter(frames=frames, sample_rate=rate)
    engine.render(
        without_sends(state),
        master=False,
        keep_mix=False,
        measure=False,
        sinks=[lambda start, audio: loudness.feed(audio), edges.feed],
    )
    lufs = loudness.integrated_lufs()
    if not math.isfinite(lufs):
        return 0.0, "pre-master silent, no headroom move", []
    spikes = edge_spikes(edges)
    ceiling = profile.ceiling_for(sends=has_sends(state))
    shift = min(profile.premaster_lufs - lufs, ceiling - dipped_peak_dbtp(edges, []))
    if spikes:
        shift = min(profile.premaster_lufs - lufs, ceiling - spikes[0].body_dbtp)
        shift = spared_shift(
            spikes,
            shift_db=shift,
            spare_db=lufs + shift - profile.premaster_floor_lufs,
            ceiling_dbtp=ceiling,
        )
    dips = edge_dips(spikes, shift_db=shift, ceiling_dbtp=ceiling)
    peak = dipped_peak_dbtp(edges, dips)
    shift = min(shift, ceiling - peak)  # what the dips' ramps let through
    return (
        shift,
        (
            f"dry pre-master measured {lufs:.1f} LUFS, {peak:.1f} dBTP"
            + (" with the edit clicks dipped" if dips else "")
            + f" → all faders {shift:+.1f} dB (aim {profile.premaster_lufs:g} LUFS, peaks ≤ "
            f"{ceiling:g} dBTP)"
        ),
        dip_calls(dips, shift_db=shift),
    )
