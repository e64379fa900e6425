"""The automix's insert and placement moves, each chosen from a measured number.

Every function takes the stems as measured after trim (``StemAnalysis``), the roles and the
genre profile, and returns ``ToolCall``s whose reason quotes the figure behind the move.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from mixchat.dsp.masking import MaskingConflict, importance
from mixchat.tools.automix_measure import PROCESSED_BELOW_LU, StemAnalysis
from mixchat.tools.automix_profile import GenreProfile
from mixchat.tools.base import ToolCall

HPF_CANDIDATES_HZ = (30, 35, 40, 50, 60, 70, 80, 90, 100, 120, 150, 200, 250, 300)
HPF_MAX_BELOW_DB = -24.0  # a high-pass may remove at most this share of a stem's energy
HPF_MIN_BELOW_DB = -40.0  # ... and at least this much (else there is no rumble to remove)
ALWAYS_HIGH_PASSED = {"vocal", "lead_vocal", "backing_vocal"}  # voices: the usual practice
LOW_END_ROLES = {"kick", "bass", "drums"}
LOW_MID_HZ = (200.0, 500.0)
LOW_MID_BAND_HZ = (250.0, 500.0)  # dsp.spectrum's low_mid band
LOW_MID_CLEANABLE = {"keys", "guitar", "pad", "synth", "strings", "backing_vocal", "lead", "other"}
LOW_MID_CLOSE_DB = 8.0
MASKER_ZONES = {  # (masked role family, low, high): where a masker gets cut
    "kick_bass": (40.0, 120.0),
    "vocal_presence": (1800.0, 5500.0),
    "vocal_body": (180.0, 450.0),
}
KICK_BASS_CUT_DB = -3.5
COMPRESS_MIN_DB = 1.0  # less gain reduction than this is not worth a compressor
COMPRESS_MIN_PLAYS = 0.5  # a part playing less of the song than this is not levelled
GENERIC_MIN_SEVERITY = 0.3  # other pairs: only clear conflicts, cut on the less important part
VOCALS = {"vocal", "lead_vocal"}
KICK_SOURCES = ("kick", "drums")
LEFT = re.compile(r"(?:^|[\s_\-.(])(?:l|left|lft)(?:$|[\s_\-.)\d])", re.IGNORECASE)
RIGHT = re.compile(r"(?:^|[\s_\-.(])(?:r|right|rgt|rt)(?:$|[\s_\-.)\d])", re.IGNORECASE)


def _call(tool: str, reason: str, **args: object) -> ToolCall:
    return ToolCall(tool=tool, args=args, reason=reason)


# --- high-pass --------------------------------------------------------------------------
def high_pass_calls(
    stems: Mapping[str, StemAnalysis], roles: Mapping[str, str], profile: GenreProfile
) -> list[ToolCall]:
    calls = []
    for name, stem in stems.items():
        limit = profile.role(roles[name]).hpf_max_hz
        if limit is None or roles[name] in LOW_END_ROLES:
            continue  # the low end of a kick, bass or kit is the music, not rumble
        if stem.arrived_processed:
            continue  # its producer chose its low end; a measured rumble is the clean-up's
        usable = [f for f in HPF_CANDIDATES_HZ if f <= limit]
        safe = [f for f in usable if stem.below_share_db(f) <= HPF_MAX_BELOW_DB]
        if not safe:
            continue
        cutoff = max(safe)
        if roles[name] not in ALWAYS_HIGH_PASSED and stem.below_share_db(cutoff) < HPF_MIN_BELOW_DB:
            continue  # nothing down there to remove
        below = stem.below_share_db(cutoff)
        calls.append(
            _call(
                "set_high_pass",
                f"{name}: {below:.0f} dB of its energy lies under {cutoff} Hz (rumble only); "
                f"high-pass there",
                track=name,
                cutoff_hz=float(cutoff),
            )
        )
    return calls


# --- low-mid clean-up -------------------------------------------------------------------
def low_mid_share_db(stems: Mapping[str, StemAnalysis], levels_db: Mapping[str, float]) -> float:
    """The planned mix's 250-500 Hz share of its power (the stems summed in power at their
    planned levels), dB: what ``band_shares_db``'s ``low_mid`` measures on a mix."""
    total = low_mid = 0.0
    for name, stem in stems.items():
        gain = 10.0 ** ((levels_db[name] - stem.lufs) / 10.0)
        total += 10.0 ** (stem.range_db(20.0, 20000.0) / 10.0) * gain
        low_mid += 10.0 ** (stem.range_db(*LOW_MID_BAND_HZ) / 10.0) * gain
    return 10.0 * math.log10(max(low_mid, 1e-30) / max(total, 1e-30))


def low_mid_calls(
    stems: Mapping[str, StemAnalysis],
    roles: Mapping[str, str],
    levels_db: Mapping[str, float],
    profile: GenreProfile,
) -> list[ToolCall]:
    """Cut 200-500 Hz on the supporting parts when three or more sources pile up there and
    the planned mix carries more low-mid than the genre's tonal target allows."""
    share = low_mid_share_db(stems, levels_db)
    ceiling = profile.band_shares_db.get("low_mid", 0.0) + profile.band_tolerance_db.get(
        "low_mid", 0.0
    )
    if share <= ceiling:
        return []
    in_mix = {n: s.range_db(*LOW_MID_HZ) + levels_db[n] - s.lufs for n, s in stems.items()}
    loudest = max(in_mix.values())
    piled = [n for n, v in in_mix.items() if v >= loudest - LOW_MID_CLOSE_DB]
    if len(piled) < 3:
        return []
    calls = []
    for name in piled:
        if roles[name] not in LOW_MID_CLEANABLE or stems[name].arrived_processed:
            continue
        stem = stems[name]
        share = stem.range_db(*LOW_MID_HZ) - stem.lufs
        centre = stem.peak_hz(*LOW_MID_HZ)
        cut = -3.0 if share > -3.0 else -2.0
        calls.append(
            _call(
                "apply_eq",
                f"the mix's 250-500 Hz share is {share:.1f} dB (genre ceiling {ceiling:.1f} dB); "
                f"{len(piled)} sources pile up at 200-500 Hz; {name} is within "
                f"{loudest - in_mix[name]:.1f} dB of the loudest there (peak {centre:.0f} Hz)",
                track=name,
                kind="bell",
                freq_hz=round(centre, 1),
                gain_db=cut,
                q=1.2,
            )
        )
    return calls


# --- masking ----------------------------------------------------------------------------
def _family(role: str) -> str:
    return "vocal" if role in VOCALS else role


def _zone_for(conflict: MaskingConflict, roles: Mapping[str, str]) -> tuple[str, float, float]:
    masker, masked = _family(roles[conflict.masker]), _family(roles[conflict.masked])
    pair = {masker, masked}
    if "bass" in pair and pair & set(KICK_SOURCES):
        return ("kick_bass", *MASKER_ZONES["kick_bass"])
    if masked == "vocal":
        if conflict.severity < GENERIC_MIN_SEVERITY:
            return ("", 0.0, 0.0)  # the vocal comes through: no cut is justified
        low, high = MASKER_ZONES["vocal_body"]
        if conflict.high_hz > MASKER_ZONES["vocal_presence"][0]:
            low, high = MASKER_ZONES["vocal_presence"]
        return ("vocal", low, high)
    if conflict.severity >= GENERIC_MIN_SEVERITY and importance(masked) > importance(masker):
        return ("generic", conflict.low_hz, conflict.high_hz)
    return ("", 0.0, 0.0)


def masking_calls(
    conflicts: list[MaskingConflict],
    stems: Mapping[str, StemAnalysis],
    roles: Mapping[str, str],
) -> list[ToolCall]:
    """Cut the masker where it covers the part that matters (kick/bass, the lead vocal)."""
    calls: list[ToolCall] = []
    done: set[tuple[str, str]] = set()
    for conflict in conflicts:
        zone, low, high = _zone_for(conflict, roles)
        lo, hi = max(conflict.low_hz, low), min(conflict.high_hz, high)
        if not zone or hi <= lo:
            continue
        masker, masked = conflict.masker, conflict.masked
        if zone == "kick_bass":
            masker, masked, centre = _kick_bass_roles(conflict, stems, roles)
        else:
            centre = stems[masker].peak_hz(lo, hi)
        if (masker, zone) in done or stems[masker].arrived_processed:
            continue  # done, or a processed stem: its producer has carved it already
        done.add((masker, zone))
        cut = -round(min(4.0, 2.0 + 2.0 * conflict.severity), 1)
        q = 1.4
        if zone == "kick_bass":
            cut = KICK_BASS_CUT_DB
        calls.append(
            _call(
                "apply_eq",
                f"{masker} masks {masked} at {conflict.low_hz:.0f}-{conflict.high_hz:.0f} Hz "
                f"({conflict.overlap_pct:.0f}% of the time, severity {conflict.severity:.2f}); "
                f"cut {masker} at {centre:.0f} Hz",
                track=masker,
                kind="bell",
                freq_hz=round(centre, 1),
                gain_db=cut,
                q=q,
            )
        )
    return calls


def _kick_bass_roles(
    conflict: MaskingConflict, stems: Mapping[str, StemAnalysis], roles: Mapping[str, str]
) -> tuple[str, str, float]:
    """(masker, masked, cut frequency): the bass makes room at the kick's fundamental, or
    the kick at the bass's, whichever is the louder one in 50-100 Hz."""
    names = (conflict.masker, conflict.masked)
    bass = next(n for n in names if roles[n] == "bass")
    kick = next(n for n in names if n != bass)
    bass_low = stems[bass].range_db(50.0, 100.0)
    kick_low = stems[kick].range_db(50.0, 100.0)
    if bass_low >= kick_low:
        return bass, kick, stems[kick].peak_hz(45.0, 110.0)
    return kick, bass, stems[bass].peak_hz(40.0, 110.0)


# --- compression ------------------------------------------------------------------------
def release_for_tempo(default_ms: float, tempo_bpm: float | None) -> float:
    """A sixteenth note at the tempo, kept near the role's default (half to double)."""
    if not tempo_bpm:
        return default_ms
    sixteenth = 60000.0 / tempo_bpm / 4.0
    return round(min(default_ms * 2.0, max(default_ms / 2.0, sixteenth)), 0)


def compressor_calls(
    stems: Mapping[str, StemAnalysis],
    roles: Mapping[str, str],
    profile: GenreProfile,
    tempo_bpm: float | None,
) -> list[ToolCall]:
    """A compressor where a stem's loudness moves more phrase to phrase than a processed
    part's does; the aimed gain reduction is the role's, at most the excess over
    PROCESSED_BELOW_LU."""
    calls = []
    for name, stem in stems.items():
        spec = profile.role(roles[name])
        if spec.ratio is None or spec.ratio <= 1.0 or stem.loud_rms_db < -90:
            continue
        if stem.plays < COMPRESS_MIN_PLAYS:
            continue  # it plays in bursts: its fader places the hits, nothing to level
        if stem.arrived_processed:
            continue  # its producer's compression is printed: levelling again is not justified
        moves = stem.range_lu if stem.range_lu is not None else math.inf
        reduction = min(spec.reduction_db, moves - PROCESSED_BELOW_LU)
        if reduction < COMPRESS_MIN_DB:
            continue  # already even (an already-mixed stem): compression is not justified
        over = reduction * spec.ratio / (spec.ratio - 1.0)
        # the detector follows peaks: about 3 dB over the RMS on dense material
        threshold = max(-60.0, min(-1.0, stem.loud_rms_db + 3.0 - over))
        release = release_for_tempo(spec.release_ms, tempo_bpm)
        calls.append(
            _call(
                "set_compressor",
                f"{name}: loudness moves {moves:.1f} LU phrase to phrase; loud "
                f"passages at {stem.loud_rms_db:.1f} dBFS RMS after trim; {spec.ratio:g}:1 "
                f"from {threshold:.1f} dB for about {reduction:.1f} dB of gain reduction",
                track=name,
                threshold_db=round(threshold, 1),
                ratio=spec.ratio,
                attack_ms=spec.attack_ms,
                release_ms=release,
            )
        )
    return calls


# --- pan layout -------------------------------------------------------------------------
def _side_of(name: str) -> int:
    if LEFT.search(name) and not RIGHT.search(name):
        return -1
    if RIGHT.search(name) and not LEFT.search(name):
        return 1
    return 0


PAN_GROUPS = {  # parts that alternate sides among themselves, and the side they start on
    "hats": ("drums", 1),
    "toms": ("drums", 1),
    "percussion": ("drums", 1),
    "backing_vocal": ("voices", -1),
}


def pan_calls(
    names: list[str],
    roles: Mapping[str, str],
    profile: GenreProfile,
    channels: Mapping[str, int],
    *,
    alone: frozenset[str] = frozenset(),
    printed: frozenset[str] = frozenset(),
) -> list[ToolCall]:
    """Pans by role; parts that ``alone`` carry their group (a summed 'other' bed, the only
    harmony part) stay in the centre: there is nothing to spread them against. A stereo
    stem of a mixed export (``printed``) keeps the image its producer gave it."""
    calls = []
    next_side: dict[str, int] = {}
    for name in names:
        role = roles[name]
        spec = profile.role(role)
        if name in printed and channels.get(name, 1) == 2:
            calls.append(
                _call(
                    "set_pan",
                    f"{name}: a stem of a finished mix keeps the stereo image its producer printed",
                    track=name,
                    pan=0.0,
                )
            )
            continue
        if name in alone and spec.pan_family == "spread":
            calls.append(
                _call(
                    "set_pan",
                    f"{name}: the only part of its group, so it stays centred",
                    track=name,
                    pan=0.0,
                )
            )
            continue
        if spec.pan_family == "centre":
            calls.append(
                _call("set_pan", f"{name}: {role} sits in the centre", track=name, pan=0.0)
            )
            continue
        if spec.pan_family == "wide":
            calls.append(
                _call(
                    "set_pan", f"{name}: {role} stays centred, spread by width", track=name, pan=0.0
                )
            )
            if channels.get(name, 1) == 2:
                calls.append(
                    _call(
                        "set_width",
                        f"{name}: a wide {role} frames the centre",
                        track=name,
                        width=1.3,
                    )
                )
            continue
        side = _side_of(name)
        if side:
            reason = f"{name}: named as the {'left' if side < 0 else 'right'} side of a pair"
            amount = max(spec.spread, 0.6)
        else:
            group, first = PAN_GROUPS.get(role, ("band", -1))
            side = next_side.get(group, first)
            next_side[group] = -side
            reason = f"{name}: {role} spread {'left' if side < 0 else 'right'}, opposite the previous {group} part"
            amount = spec.spread
        calls.append(_call("set_pan", reason, track=name, pan=round(side * amount, 2)))
    return calls


# --- sends and buses --------------------------------------------------------------------
def send_calls(
    names: list[str],
    roles: Mapping[str, str],
    profile: GenreProfile,
    current: Mapping[str, tuple],
    *,
    processed: frozenset[str] = frozenset(),
) -> list[ToolCall]:
    """Reverb and delay sends by role; ``processed`` stems (printed from a finished mix)
    bring their space with them and get none."""
    calls = []
    for name in names:
        spec = profile.role(roles[name])
        for bus, level in (("reverb", spec.reverb_send_db), ("delay", spec.delay_send_db)):
            if name in processed:
                level = None
            if level is None and current[name][bus == "delay"] is None:
                continue
            text = f"starts at {level:g} dB" if level is not None else "stays off"
            if name in processed:
                text += " (a processed stem brings its own space)"
            calls.append(
                _call(
                    "set_send",
                    f"{name}: {bus} send for a {roles[name]} {text}",
                    track=name,
                    bus=bus,
                    send_db=level,
                )
            )
    return calls


def bus_calls(tempo_bpm: float | None) -> list[ToolCall]:
    bpm = tempo_bpm or 100.0
    beat_ms = 60000.0 / bpm
    pre_delay = round(min(60.0, max(10.0, beat_ms / 16.0)), 1)
    room = round(min(0.8, max(0.3, 0.75 - (bpm - 70.0) / 200.0)), 2)
    dotted_eighth = round(beat_ms * 0.75, 1)
    delay_ms = dotted_eighth if dotted_eighth <= 600.0 else round(beat_ms / 2.0, 1)
    return [
        _call(
            "set_reverb",
            f"tempo {bpm:.0f} BPM: pre-delay a 64th note ({pre_delay:g} ms), room {room:g} "
            f"so the tail clears within the beat ({beat_ms:.0f} ms)",
            room_size=room,
            pre_delay_ms=pre_delay,
            hpf_hz=250.0,
            lpf_hz=8000.0,
        ),
        _call(
            "set_delay",
            f"tempo {bpm:.0f} BPM: delay a dotted eighth ({delay_ms:g} ms)"
            if delay_ms == dotted_eighth
            else f"tempo {bpm:.0f} BPM: delay an eighth note ({delay_ms:g} ms)",
            delay_ms=delay_ms,
            feedback=0.25,
            hpf_hz=300.0,
            lpf_hz=6000.0,
        ),
    ]


def db_to_gain(value_db: float) -> float:
    return math.pow(10.0, value_db / 20.0)
