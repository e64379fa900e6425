"""Mix settings written as text, in one place.

Pan, frequencies, gains, EQ bands, dynamics and whole tracks read the same wherever a producer
meets them: tool summaries and replies, ``mixchat diff``, the DAW exports' notes, the LLM
prompt and the chat UI all call these functions. Two registers:

* words, for sentences and notes: ``bell -3.0 dB at 2.5 kHz (Q 1.2)``, ``pan L30``;
* compact, for the chat UI's one-line track rows: ``-3.0@2.5k``, ``4:1@-18``.
"""

from __future__ import annotations

from mixchat.dsp.state import (
    Compressor,
    EqBand,
    Gate,
    MasterState,
    SectionAutomation,
    TrackState,
)

EQ_KIND_WORDS = {
    "bell": "bell",
    "low_shelf": "low shelf",
    "high_shelf": "high shelf",
    "notch": "notch",
}
EQ_KIND_SHORT = {"bell": "", "low_shelf": "ls", "high_shelf": "hs", "notch": "n"}
FILTER_SLOPE = "12 dB/oct (-6 dB at the cutoff)"
TRACK_SETTING_WORDS = {
    "trim_db": "trim",
    "gain_db": "fader",
    "polarity_inverted": "polarity",
    "cleanup": "clean-up",
    "hpf_hz": "high-pass",
    "lpf_hz": "low-pass",
    "eq": "EQ",
    "transient": "transient shaper",
    "width": "stereo width",
    "reverb_send_db": "reverb send",
    "delay_send_db": "delay send",
}


# --- numbers -------------------------------------------------------------------------
def number(value: float, *, digits: int = 1) -> str:
    """``value`` to at most ``digits`` decimals, without trailing zeros: 4.0 → "4",
    -18.25 → "-18.2", 0.707 → "0.71" with digits=2."""
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def db(value_db: float, unit: str = "dB") -> str:
    """A signed level with one decimal: "+2.0 dB", "-0.5 LU" (never "-0.0")."""
    return f"{_no_negative_zero(value_db):+.1f} {unit}"


def db_change(old_db: float, new_db: float, unit: str = "dB") -> str:
    """ "-3.0 → +1.0 dB"."""
    return f"{_no_negative_zero(old_db):+.1f} → {db(new_db, unit)}"


def _no_negative_zero(value: float) -> float:
    return 0.0 if round(value, 1) == 0 else value


def hz(freq_hz: float) -> str:
    """ "80 Hz", "1 kHz", "2.5 kHz", "12.3 kHz" (three significant figures from 1 kHz up)."""
    if round(freq_hz) >= 1000:
        return f"{freq_hz / 1000:.3g} kHz"
    return f"{freq_hz:.0f} Hz"


def hz_compact(freq_hz: float) -> str:
    """ "80", "1k", "2.5k": ``hz`` without the unit, for the chat UI's rows."""
    return f"{freq_hz / 1000:.3g}k" if round(freq_hz) >= 1000 else f"{freq_hz:.0f}"


def hz_span(low_hz: float, high_hz: float) -> str:
    """ "200 Hz–500 Hz", "2 kHz–5 kHz"."""
    return f"{hz(low_hz)}–{hz(high_hz)}"


def cutoff(freq_hz: float | None) -> str:
    """A filter cutoff, or "off"."""
    return "off" if freq_hz is None else hz(freq_hz)


def pan(value: float) -> str:
    """ "C", "L30", "R100": the side and percent of the way to it (set_pan's -1..+1)."""
    percent = round(abs(value) * 100)
    if percent == 0:
        return "C"
    return f"{'L' if value < 0 else 'R'}{percent}"


def width(value: float) -> str:
    """Stereo width as a percent of the recorded width: "120%" (set_width's 1.2)."""
    return f"{value * 100:.0f}%"


def send(send_db: float | None) -> str:
    """A send level, or "off"."""
    return "off" if send_db is None else db(send_db)


# --- one processor ---------------------------------------------------------------------
def eq_band(band: EqBand) -> str:
    """ "low shelf +3.0 dB at 120 Hz (Q 0.7)"; a notch shows the cut the engine makes."""
    return (
        f"{EQ_KIND_WORDS[band.kind]} {db(band.applied_gain_db)} at {hz(band.freq_hz)} "
        f"(Q {number(band.q, digits=2)})"
    )


def eq_band_compact(band: EqBand) -> str:
    """ "-3.0@2.5k", "hs+2.0@8k"."""
    return f"{EQ_KIND_SHORT[band.kind]}{band.applied_gain_db:+.1f}@{hz_compact(band.freq_hz)}"


def compressor(comp: Compressor) -> str:
    """ "4:1 at -18 dB, attack 10 ms, release 120 ms, makeup +2.0 dB" (makeup when set)."""
    text = (
        f"{number(comp.ratio, digits=2)}:1 at {number(comp.threshold_db)} dB, "
        f"attack {number(comp.attack_ms, digits=2)} ms, "
        f"release {number(comp.release_ms, digits=2)} ms"
    )
    return text + (f", makeup {db(comp.makeup_db)}" if comp.makeup_db else "")


def gate(spec: Gate) -> str:
    """ "at -50 dB, 4:1, attack 1 ms, release 100 ms"."""
    return (
        f"at {number(spec.threshold_db)} dB, {number(spec.ratio, digits=2)}:1, "
        f"attack {number(spec.attack_ms, digits=2)} ms, release {number(spec.release_ms, digits=2)} ms"
    )


# --- a whole track or master -----------------------------------------------------------
def track_setting(field: str) -> str:
    """A track setting's name as a producer says it: "gain_db" → "fader", "eq" → "EQ"."""
    return TRACK_SETTING_WORDS.get(field, field.replace("_", " "))


def track_lines(track: TrackState) -> list[str]:
    """The track's settings in the engine's chain order, one line per stage."""
    fader, *placement = track_balance_lines(track)
    return [fader, *track_insert_lines(track), *placement]


def track_balance_lines(track: TrackState) -> list[str]:
    """Where the track sits in the mix: fader and pan, width, sends, mute and solo."""
    lines = [f"fader {db(track.gain_db)}, pan {pan(track.pan)}"]
    if track.width != 1.0:
        lines.append(f"stereo width {width(track.width)}")
    for bus in ("reverb", "delay"):
        level = getattr(track, f"{bus}_send_db")
        if level is not None:
            lines.append(f"{bus} send {db(level)} (post-fader)")
    if track.mute or track.solo:
        lines.append(
            " and ".join(w for w, on in (("muted", track.mute), ("soloed", track.solo)) if on)
        )
    return lines


def track_insert_lines(track: TrackState) -> list[str]:
    """The track's inserts in chain order: trim, polarity, filters, EQ, gate, compressor,
    transient shaper, saturation."""
    lines = []
    if track.trim_db:
        lines.append(f"trim (input gain) {db(track.trim_db)}")
    if track.polarity_inverted:
        lines.append("polarity inverted")
    if track.hpf_hz is not None:
        lines.append(f"high-pass {hz(track.hpf_hz)}, {FILTER_SLOPE}")
    if track.lpf_hz is not None:
        lines.append(f"low-pass {hz(track.lpf_hz)}, {FILTER_SLOPE}")
    lines += [f"EQ {eq_band(band)}" for band in track.eq]
    if track.gate is not None:
        lines.append(f"gate {gate(track.gate)}")
    if track.compressor is not None:
        lines.append(f"compressor {compressor(track.compressor)}")
    if track.transient is not None:
        t = track.transient
        lines.append(f"transient shaper attack {db(t.attack_db)}, sustain {db(t.sustain_db)}")
    if track.saturation is not None:
        s = track.saturation
        lines.append(f"saturation drive {number(s.drive_db)} dB, mix {s.mix_pct:.0f}%")
    return lines


def track_line(track: TrackState) -> str:
    """``track_lines`` on one line."""
    return "; ".join(track_lines(track))


def master_lines(master: MasterState) -> list[str]:
    """The master chain in order, one line per stage (the mix's trim first, when it has one:
    it comes before the chain, on or off)."""
    trim = [f"mix trim {master.trim_db:+.1f} dB (before the master)"] if master.trim_db else []
    if not master.enabled:
        return [*trim, "master chain off (the mix is pre-master)"]
    lines = [*trim, *([f"width {master.width:.2f} (side gain)"] if master.width != 1.0 else [])]
    lines += [f"EQ {eq_band(band)}" for band in master.eq]
    if master.glue is not None:
        lines.append(f"glue compressor {compressor(master.glue)}")
    if master.loudness_enabled:
        lines.append(f"loudness target {master.target_lufs:.1f} LUFS (integrated)")
    else:
        lines.append("loudness normalisation off")
    lines.append(f"limiter ceiling {master.ceiling_dbtp:.1f} dBTP (true peak)")
    return lines


def automation(item: SectionAutomation) -> str:
    """ "Vocal chorus 23.1-41.5 s: gain +2.0 dB, reverb send +0.0 dB, delay send +0.0 dB,
    ramp 80 ms"."""
    return (
        f"{item.track or 'whole mix'} {item.label or 'range'} "
        f"{item.start_s:.1f}-{item.end_s:.1f} s: gain {db(item.gain_db)}, "
        f"reverb send {db(item.reverb_send_db)}, delay send {db(item.delay_send_db)}, "
        f"ramp {number(item.ramp_ms)} ms"
    )


# --- the chat UI's compact row ---------------------------------------------------------
def eq_compact(track: TrackState) -> str:
    """ "hp80 lp12k ls+2.0@100 -3.0@2.5k"."""
    parts = []
    if track.hpf_hz:
        parts.append(f"hp{hz_compact(track.hpf_hz)}")
    if track.lpf_hz:
        parts.append(f"lp{hz_compact(track.lpf_hz)}")
    parts += [eq_band_compact(band) for band in track.eq]
    return " ".join(parts)


def dynamics_compact(track: TrackState) -> str:
    """ "gate-50 4:1@-18 tr+3/-2 sat6"."""
    parts = []
    if track.gate:
        parts.append(f"gate{track.gate.threshold_db:.0f}")
    if track.compressor:
        comp = track.compressor
        parts.append(f"{number(comp.ratio, digits=2)}:1@{comp.threshold_db:.0f}")
    if track.transient and (track.transient.attack_db or track.transient.sustain_db):
        parts.append(f"tr{track.transient.attack_db:+.0f}/{track.transient.sustain_db:+.0f}")
    if track.saturation and track.saturation.drive_db:
        parts.append(f"sat{track.saturation.drive_db:.0f}")
    return " ".join(parts)


def sends_compact(track: TrackState) -> str:
    """ "rv-12 dl-18"."""
    parts = []
    if track.reverb_send_db is not None:
        parts.append(f"rv{track.reverb_send_db:.0f}")
    if track.delay_send_db is not None:
        parts.append(f"dl{track.delay_send_db:.0f}")
    return " ".join(parts)
