"""The LLM planner's system prompt: ``prompts/system_prompt.md`` filled with the session's facts.

Everything the model needs to choose concrete moves is written out as short lines: every track
by name and role with its current settings and measurements, the sections with their times and
loudness, the buses and master, the mix analysis, what the brief's words usually mean, and the
recent history (so "a bit more" has something to refer to).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files
from string import Template
from typing import Any

from mixchat.assistant.planning.contract import PlanContext, TrackFacts
from mixchat.assistant.reading.lexicon import Descriptor, find_descriptors
from mixchat.dsp.state import MixState
from mixchat.tools.settings_text import automation, db, hz, master_lines, track_line

MASKING_WORDS = re.compile(
    r"\b(buried|bury|mask\w*|clash\w*|lost|mud\w*|clear\w*|clarity|separat\w*|compet\w*|fight\w*)\b",
    re.IGNORECASE,
)
MAX_MASKING_LINES = 6
MAX_HISTORY = 4


@lru_cache(maxsize=1)
def prompt_template() -> Template:
    return Template(
        files("mixchat.prompts").joinpath("system_prompt.md").read_text(encoding="utf-8")
    )


def system_prompt(context: PlanContext) -> str:
    """The system prompt for one brief, with the session's facts filled in."""
    return prompt_template().substitute(
        genre=context.genre or "not given",
        tempo=f"{context.tempo_bpm:g} BPM" if context.tempo_bpm else "unknown",
        duration=f"{context.duration_s:.1f} s",
        sample_rate=f"{context.sample_rate} Hz",
        version=context.parent_version,
        tracks=tracks_block(context),
        sections=sections_block(context),
        buses=buses_block(context.state),
        analysis=analysis_block(context.metrics),
        words=words_block(context.brief),
        history=history_block(context),
        masking=masking_block(context),
    )


# --- tracks, sections, buses (settings written by mixchat.tools.settings_text) ------------
def track_measures(facts: TrackFacts | None) -> str:
    if facts is None:
        return "not measured (muted or silent)"
    bands = " ".join(f"{k} {v:.0f}" for k, v in facts.band_energies_db.items())
    return (
        f"{facts.lufs:.1f} LUFS, centroid {hz(facts.spectral_centroid_hz)}, "
        f"crest {facts.crest_factor_db:.1f} dB, band energies dB: {bands}"
    )


def tracks_block(context: PlanContext) -> str:
    lines = []
    for track in context.state.tracks:
        lines.append(
            f"- {track.name} (role {track.role}): {track_line(track)}\n"
            f"  measured: {track_measures(context.tracks.get(track.name))}"
        )
    return "\n".join(lines) or "- (no tracks)"


def sections_block(context: PlanContext) -> str:
    loudness = {
        (round(s["start_s"], 2), s["label"]): s.get("lufs")
        for s in context.metrics.get("sections", [])
    }
    counts: dict[str, int] = {}
    lines = []
    for section in context.sections:
        counts[section.label] = counts.get(section.label, 0) + 1
        lufs = loudness.get((round(section.start_s, 2), section.label))
        level = f", {lufs:.1f} LUFS" if isinstance(lufs, (int, float)) else ""
        lines.append(
            f"- {section.label} #{counts[section.label]}: "
            f"{section.start_s:.1f}-{section.end_s:.1f} s{level}"
        )
    return "\n".join(lines) or "- (no sections detected)"


def buses_block(state: MixState) -> str:
    r, d, m = state.reverb, state.delay, state.master
    lines = [
        f"- reverb bus: room {r.room_size:g}, damping {r.damping:g}, pre-delay {r.pre_delay_ms:g} ms, "
        f"HPF {hz(r.hpf_hz)}, LPF {hz(r.lpf_hz)}, return {db(r.return_db)}",
        f"- delay bus: {d.delay_ms:g} ms, feedback {d.feedback:g}, return {db(d.return_db)}",
    ]
    lines += [f"- automation {automation(item)}" for item in state.automation]
    lines.append("- master: " + "; ".join(master_lines(m)))
    return "\n".join(lines)


def analysis_block(metrics: dict[str, Any]) -> str:
    mix = metrics.get("mix") or {}
    if not mix:
        return "- (not measured)"
    lines = [
        f"- loudness {mix['integrated_lufs']:.1f} LUFS integrated, "
        f"LRA {mix.get('loudness_range_lu', 0.0):.1f} LU, true peak {mix['true_peak_dbtp']:.1f} dBTP, "
        f"crest {mix.get('crest_factor_db', 0.0):.1f} dB",
        f"- spectral centroid {hz(mix['spectral_centroid_hz'])}, "
        f"tilt {mix.get('spectral_tilt_db_per_octave', 0.0):.1f} dB/octave",
    ]
    shares = mix.get("band_shares_db") or {}
    if shares:
        lines.append(
            "- band shares (dB of total): " + ", ".join(f"{k} {v:.1f}" for k, v in shares.items())
        )
    lines.append(
        f"- stereo: side/mid {mix.get('side_mid_ratio_db', 0.0):.1f} dB, "
        f"correlation {mix.get('correlation', 1.0):.2f}, "
        f"mono fold-down {mix.get('mono_compatibility_db', 0.0):+.1f} dB"
    )
    if "premaster_lufs" in metrics:
        lines.append(f"- pre-master loudness {metrics['premaster_lufs']:.1f} LUFS")
    return "\n".join(lines)


# --- words, history, masking -----------------------------------------------------------
def descriptor_text(descriptor: Descriptor) -> str:
    parts = [descriptor.word]
    if descriptor.antonym:
        parts.append(f"(opposite: {descriptor.antonym})")
    head = " ".join(parts) + f" [{descriptor.polarity}]"
    bits = []
    if effect := descriptor.effect:
        if effect.up or effect.down:
            bits.append(
                f"more {'/'.join(effect.up) or '-'}, less {'/'.join(effect.down) or '-'} "
                f"(centroid {effect.centroid_pct:+.0f}%)"
            )
    if intent := descriptor.intent:
        bits.append(intent_text(intent))
    primary = descriptor.intent.kind if descriptor.intent else None
    # crowd-sourced reverb/compressor settings exist for most words; they only mean something
    # for words that are about space or dynamics, so other words leave them out
    rev = descriptor.reverb if primary in (None, "send") and not descriptor.effect else None
    comp = descriptor.compressor if primary in (None, "compress") else None
    if rev:
        bits.append(
            f"reverb: room {rev.room_size:.2f}, pre-delay {rev.pre_delay_ms:.0f} ms, "
            f"send {rev.send_db:+.1f} dB"
        )
    if comp:
        bits.append(
            f"compressor: {comp.ratio:g}:1, attack {comp.attack_ms:g} ms, release {comp.release_ms:g} ms"
        )
    if descriptor.measure:
        way = {1: "up", -1: "down"}.get(descriptor.direction or 0, "")
        bits.append(f"check: {descriptor.measure} {way}".rstrip())
    if descriptor.note:
        bits.append(descriptor.note)
    return f"- {head}: " + "; ".join(bits) if bits else f"- {head}"


def intent_text(intent: Any) -> str:
    values = intent.model_dump(exclude_none=True, exclude={"also", "scope", "kind"})
    detail = ", ".join(f"{k}={v}" for k, v in values.items())
    text = f"typical move {intent.kind}" + (f" ({detail})" if detail else "")
    for extra in intent.also:
        text += f" + {intent_text(extra)}"
    return text


def words_block(brief: str) -> str:
    try:
        found = find_descriptors(brief)
    except Exception:  # noqa: BLE001 - the lexicon is context, never a reason to fail a brief
        return "- (lexicon unavailable)"
    lines = list(dict.fromkeys(descriptor_text(d) for d, _ in found))
    return "\n".join(lines) or "- (no descriptor words found; read the brief literally)"


def history_block(context: PlanContext) -> str:
    lines = []
    for turn in context.lineage[:MAX_HISTORY]:
        calls = "; ".join(
            f"{c.tool}({', '.join(f'{k}={v}' for k, v in c.args.items())})"
            for c in turn.tool_calls[:6]
        )
        brief = f' "{turn.brief}"' if turn.brief else ""
        lines.append(f"- v{turn.version} ({turn.kind}){brief}: {calls or 'no tool calls'}")
    return "\n".join(lines) or "- (none)"


def masking_block(context: PlanContext) -> str:
    """Masking conflicts, only when the brief is about something being buried or unclear
    (measuring masking renders every track, so it is not done for every brief)."""
    if not MASKING_WORDS.search(context.brief):
        return ""
    try:
        conflicts = context.masking()
    except Exception:  # noqa: BLE001 - masking is context, never a reason to fail a brief
        return ""
    lines = [f"- {c['summary']}" for c in conflicts[:MAX_MASKING_LINES] if c.get("summary")]
    if not lines:
        return ""
    return "\n## Masking between tracks (worst first)\n" + "\n".join(lines) + "\n"
