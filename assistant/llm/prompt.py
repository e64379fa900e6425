"""The LLM planner's system prompt: ``prompts/system_prompt.md`` filled with the session's
facts, within a token budget.

The core is always there: every track by name and role with its main settings and measured
loudness, and the sections. Details follow in order of use to this brief while they fit the
budget: what the brief's words usually mean, the recent history (so "a bit more" has something
to refer to), masking (for briefs about something buried), the band energies of the tracks the
brief names, the mix analysis, the buses and master, and the other tracks' band energies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from importlib.resources import files
from string import Template
from typing import Any

from mixchat.assistant.llm.tokens import estimate_tokens
from mixchat.assistant.planning.contract import PlanContext, TrackFacts
from mixchat.assistant.reading.lexicon import Descriptor, find_descriptors
from mixchat.assistant.reading.reader import BriefReading
from mixchat.dsp.state import MixState
from mixchat.tools.settings_text import (
    automation,
    db,
    hz,
    master_lines,
    track_balance_lines,
    track_insert_lines,
)

MASKING_WORDS = re.compile(
    r"\b(buried|bury|mask\w*|clash\w*|lost|mud\w*|clear\w*|clarity|separat\w*|compet\w*|fight\w*)\b",
    re.IGNORECASE,
)
MAX_MASKING_LINES = 6
MAX_HISTORY = 3
MAX_HISTORY_CALLS = 3


@lru_cache(maxsize=1)
def prompt_template() -> Template:
    return Template(
        files("mixchat.prompts").joinpath("system_prompt.md").read_text(encoding="utf-8")
    )


def system_prompt(
    context: PlanContext, *, budget_tokens: int = 100_000, named: Sequence[str] = ()
) -> str:
    """The system prompt for one brief: the core, then as many details as fit
    ``budget_tokens`` (``named``: the tracks the brief is about, whose bands come first)."""
    core = dict(
        genre=context.genre or "not given",
        tempo=f"{context.tempo_bpm:g} BPM" if context.tempo_bpm else "unknown",
        duration=f"{context.duration_s:.0f} s",
        version=context.parent_version,
        tracks=tracks_block(context),
        sections=sections_line(context),
    )
    text = prompt_template().substitute(core, details="")
    if estimate_tokens(text) > budget_tokens:  # many tracks: names and roles only
        core["tracks"] = track_names_block(context)
        text = prompt_template().substitute(core, details="")
    used = estimate_tokens(text)
    details = []
    for block in detail_blocks(context, named):
        cost = estimate_tokens(block) + 1
        if block and used + cost <= budget_tokens:
            details.append(block)
            used += cost
    return prompt_template().substitute(core, details="".join(f"{block}\n" for block in details))


def named_tracks(reading: BriefReading | None, context: PlanContext) -> list[str]:
    """The tracks the brief names, by name or role."""
    if reading is None:
        return []
    names = []
    for clause in reading.clauses:
        for target in clause.targets:
            for track in context.state.tracks:
                if (target.kind == "track" and track.name == target.value) or (
                    target.kind == "role" and track.role == target.value
                ):
                    names.append(track.name)
    return list(dict.fromkeys(names))


def detail_blocks(context: PlanContext, named: Sequence[str]) -> list[str]:
    """The optional parts of the prompt, most useful first (empty ones are skipped)."""
    others = [t.name for t in context.state.tracks if t.name not in named]
    return [
        _titled("What the brief's words usually mean", words_block(context.brief)),
        _titled("Recent versions (newest first)", history_block(context)),
        masking_block(context),
        _titled("Inserts of the named tracks", processing_block(context, named)),
        _titled("Band energies (dB) of the named tracks", bands_block(context, named)),
        _titled("The mix", analysis_block(context.metrics)),
        _titled("Buses, automation and master", buses_block(context.state)),
        _titled("Inserts of the other tracks", processing_block(context, others)),
        _titled("Band energies (dB) of the other tracks", bands_block(context, others)),
    ]


def _titled(title: str, body: str) -> str:
    return f"{title}:\n{body}" if body else ""


# --- tracks, sections, buses (settings written by mixchat.tools.settings_text) ------------
def track_measures(facts: TrackFacts | None) -> str:
    if facts is None:
        return "not measured (muted or silent)"
    return f"{facts.lufs:.1f} LUFS, centroid {hz(facts.spectral_centroid_hz)}"


def tracks_block(context: PlanContext) -> str:
    lines = [
        f"- {track.name} ({track.role}): {', '.join(track_balance_lines(track))}; "
        f"{track_measures(context.tracks.get(track.name))}"
        for track in context.state.tracks
    ]
    return "\n".join(lines) or "- (no tracks)"


def processing_block(context: PlanContext, names: Sequence[str]) -> str:
    lines = []
    for track in context.state.tracks:
        if track.name in names and (inserts := track_insert_lines(track)):
            lines.append(f"- {track.name}: {'; '.join(inserts)}")
    return "\n".join(lines)


def track_names_block(context: PlanContext) -> str:
    """The shortest form, for sessions with too many tracks for the budget."""
    return ", ".join(f"{t.name} ({t.role})" for t in context.state.tracks) or "(no tracks)"


def bands_block(context: PlanContext, names: Sequence[str]) -> str:
    lines = []
    for name in names:
        facts = context.tracks.get(name)
        if facts is not None:
            bands = " ".join(f"{k} {v:.0f}" for k, v in facts.band_energies_db.items())
            lines.append(f"- {name}: {bands}, crest {facts.crest_factor_db:.1f} dB")
    return "\n".join(lines)


def sections_line(context: PlanContext) -> str:
    loudness = {
        (round(s["start_s"], 2), s["label"]): s.get("lufs")
        for s in context.metrics.get("sections", [])
    }
    parts = []
    for section in context.sections:
        lufs = loudness.get((round(section.start_s, 2), section.label))
        level = f" {lufs:.0f} LUFS" if isinstance(lufs, (int, float)) else ""
        parts.append(f"{section.label} {section.start_s:.0f}-{section.end_s:.0f} s{level}")
    return "; ".join(parts) or "none detected"


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
        return ""
    return "\n".join(dict.fromkeys(descriptor_text(d) for d, _ in found))


def history_block(context: PlanContext) -> str:
    lines = []
    for turn in context.lineage[:MAX_HISTORY]:
        calls = "; ".join(
            f"{c.tool}({', '.join(f'{k}={v}' for k, v in c.args.items())})"
            for c in turn.tool_calls[:MAX_HISTORY_CALLS]
        )
        if len(turn.tool_calls) > MAX_HISTORY_CALLS:
            calls += f"; +{len(turn.tool_calls) - MAX_HISTORY_CALLS} more"
        brief = f' "{turn.brief}"' if turn.brief else ""
        lines.append(f"- v{turn.version} ({turn.kind}){brief}: {calls or 'no tool calls'}")
    return "\n".join(lines)


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
    return "Masking between tracks (worst first):\n" + "\n".join(lines)
