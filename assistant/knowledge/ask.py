"""Plugin-parameter questions answered offline from the knowledge base (`mixchat ask`).

The question is parsed for units ("cl1b", "1176"), a control ("attack"), a source role
("vocal"), genres ("ballad", "rap"), a tempo ("120 bpm") and techniques ("pultec trick",
"spotify"). The answer composes the matching knowledge entries into a few lines with numbers
and units, adds the session's own measurements when ``SessionFacts`` are given, and lists the
sources. ``grounding_text`` gives the LLM path the same retrieved entries.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from mixchat.assistant.knowledge.plugins import (
    Entry,
    StartingPoint,
    _find_words,
    compact_text,
    find_genres,
    find_roles,
    load,
    named_entries,
    normalise_role,
    retrieve,
    tokens,
)
from mixchat.assistant.knowledge.session_facts import SessionFacts, TrackFacts, tracks_asked_about

MAX_LINES = 15
MAX_SESSION_TRACKS = 2
SONG_WORDS = re.compile(r"\b(?:this|the|my|our)\s+(?:song|mix|track|tune|record)\b", re.IGNORECASE)

CONTROL_WORDS: dict[str, tuple[str, ...]] = {
    "attack": ("attack",),
    "release": ("release", "recovery"),
    "ratio": ("ratio",),
    "threshold": ("threshold",),
    "frequency": ("frequency", "freq"),
    "knee": ("knee",),
    "mix": ("wet dry", "dry wet", "blend", "mix knob", "mix control"),
    "_bus": ("mix bus", "master bus"),
}
DRUM_ROLES = ("kick", "snare", "tom", "drum bus")


class Answer(BaseModel):
    answer: str
    sources: list[str]
    facts: list[str] = Field(default_factory=list)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or float(value).is_integer() else f"{value:g}"


def _bpm(value: float) -> str:
    """A tempo as measured, to a tenth ("99.8", "120"): rounded, it would not match the note
    lengths worked out from it."""
    return f"{value:.1f}".removesuffix(".0")


def _span(pair: tuple[float, float], unit: str = "") -> str:
    low, high = pair
    text = _fmt(low) if low == high else f"{_fmt(low)}–{_fmt(high)}"
    return text + unit if unit.startswith(":") else f"{text} {unit}".rstrip()


def _best_setting(entry: Entry, role: str | None, genre: str | None):
    scored = []
    for s in entry.settings:
        score = (2.0 if role and s.role == role else 0.0) + (
            1.0 if genre and s.genre == genre else 0.0
        )
        score += 0.5 if not s.genre else (0.25 if s.genre == "pop" else 0)
        if s.role == role:
            scored.append((score, s))
    return max(scored, key=lambda pair: pair[0])[1] if scored else None


def _unit_lines(entry: Entry, *, control: str | None, role: str | None, genre: str | None):
    lines = []
    lack = entry.lack(control) if control else None
    if lack:
        note = re.sub(rf"^no {control} control[:;,]?\s*", "", lack.note)
        lines.append(f"The {entry.name} has no {control} control: {note}.")
    elif control and (c := entry.control(control)):
        note = f" ({c.note})" if c.note else ""
        lines.append(f"{entry.name} {c.name}: {c.range} {c.unit}".rstrip() + note + ".")
    setting = _best_setting(entry, role, genre)
    if setting:
        where = " ".join(p for p in (setting.genre, setting.role) if p)
        lines.append(f"{entry.name} on {where}: {setting.text}.")
    elif not lines:
        shown = "; ".join(f"{c.name} {c.range} {c.unit}".strip() for c in entry.controls[:4])
        lines.append(f"{entry.name} ({entry.type}): {shown}.")
    return lines


def _starting_point_line(point: StartingPoint, genre: str | None, role: str) -> str:
    label = " ".join(p for p in (genre if point.genre else "", role) if p)
    return (
        f"Compressor start for a {label}: ratio {_span(point.ratio, ':1')}, attack "
        f"{_span(point.attack_ms, 'ms')}, release {_span(point.release_ms, 'ms')}, "
        f"{_span(point.gr_db, 'dB')} of gain reduction"
        + (f" ({point.text})." if point.text else ".")
    )


def _difference_line(a: StartingPoint, b: StartingPoint) -> str | None:
    label_a, label_b = a.genre or a.role, b.genre or b.role
    parts = []
    for field, unit in (("attack_ms", "ms"), ("release_ms", "ms"), ("ratio", ":1")):
        va, vb = getattr(a, field), getattr(b, field)
        if va == vb:
            continue
        name = field.removesuffix("_ms")
        if field == "ratio":
            verdict = f"{label_a if sum(va) > sum(vb) else label_b} higher"
        else:
            verdict = f"{label_a if sum(va) < sum(vb) else label_b} faster"
        parts.append(
            f"{name} {_span(va, unit)} for {label_a} vs {_span(vb, unit)} for {label_b} ({verdict})"
        )
    return ("Difference: " + "; ".join(parts) + ".") if parts else None


def _split_items(sentence: str) -> list[str]:
    """A list sentence ("Typical corners: a, b (x, y), c.") split on commas outside brackets."""
    head, sep, rest = sentence.partition(": ")
    if not sep or "(" in head:
        return [sentence]
    items, depth, current = [], 0, ""
    for char in rest:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip().rstrip("."))
    return [f"{head}: {item}" for item in items]


def _focused_text(entry: Entry, question: str, role_words: list[str]) -> str:
    """The technique text, narrowed to the sentences and list items about what was asked."""
    named = {t for alias in entry.aliases for t in tokens(alias)}
    wanted = ({t for t in tokens(question) if len(t) > 3} | set(role_words)) - named
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", entry.text)
    items = [item for sentence in sentences for item in _split_items(sentence)]
    hits = [item for item in items if wanted & set(tokens(item))]
    if not hits or len(hits) == len(items):
        return f"{entry.name}: {entry.text}"
    grouped: dict[str, list[str]] = {}
    for hit in hits:
        head, sep, item = hit.partition(": ") if hit in items and ": " in hit else (hit, "", "")
        grouped.setdefault(head if sep else hit, []).append(item)
    parts = [
        f"{head}: {'; '.join(i for i in its if i)}" if any(its) else head
        for head, its in grouped.items()
    ]
    return f"{entry.name}: " + " ".join(p if p.endswith(".") else p + "." for p in parts)


def _tempo_lines(
    bpm: float, role: str | None, *, from_session: bool
) -> tuple[list[str], list[str]]:
    quarter = 60000.0 / bpm
    said = "your session's tempo" if from_session else "the tempo"
    note, value = (
        ("an eighth note", quarter / 2) if role in DRUM_ROLES else ("a quarter note", quarter)
    )
    if role in ("kick", "snare", "tom"):
        note, value = "a sixteenth to an eighth note", quarter / 4
        release = f"{_fmt(quarter / 4)}–{_fmt(quarter / 2)} ms"
    else:
        release = f"about {_fmt(value)} ms"
    line = (
        f"At {_bpm(bpm)} BPM ({said}) a quarter note is {_fmt(quarter)} ms, an eighth "
        f"{_fmt(quarter / 2)} ms, a sixteenth {_fmt(quarter / 4)} ms: set the release to "
        f"{note}, {release}, so gain reduction recovers before the next hit."
    )
    return [line], [f"quarter_note_ms={quarter:.0f}"]


def _crest_attack(crest_db: float, role: str) -> tuple[float, float]:
    if role in DRUM_ROLES or role == "bass":
        return (10, 30) if crest_db >= 12 else (20, 30)
    if crest_db >= 15:
        return (3, 5)
    return (5, 15) if crest_db >= 10 else (15, 30)


def _session_tracks(facts: SessionFacts, question: str, role: str | None) -> list[TrackFacts]:
    names = tracks_asked_about(question, [(t.name, t.role) for t in facts.tracks])
    if not names and role is None:
        return []
    if not names:
        wanted = normalise_role(role)
        return [t for t in facts.tracks if normalise_role(t.role) == wanted][:2]
    return [t for name in names if (t := facts.track(name)) is not None]


def _track_now(track: TrackFacts, version: int | None) -> str:
    where = f"In this session (v{version})" if version is not None else "In this session"
    measured = []
    if track.crest_factor_db is not None:
        measured.append(f"crest factor {track.crest_factor_db:.1f} dB")
    if track.lufs is not None:
        measured.append(f"{track.lufs:.1f} LUFS in the mix")
    said = f"{where} your {track.name} ({track.role.replace('_', ' ')}) measures " + ", ".join(
        measured
    )
    if track.compressor_text:
        said += f"; its compressor is at {track.compressor_text}"
        if track.reduction is not None:
            said += (
                f", taking {track.reduction.typical_db:.1f} dB off where it plays and "
                f"{track.reduction.loud_db:.1f} dB on its loudest passages"
            )
    else:
        said += "; it has no compressor yet"
    return said + "."


def _try_line(track: TrackFacts, tempo_bpm: float | None) -> tuple[str, list[str]]:
    """A concrete compressor setting for the track: attack from its crest factor, release from
    the tempo, the ratio it has (or the role's starting one) and a threshold aimed at the
    role's gain reduction on the loud passages."""
    role = normalise_role(track.role) or "other"
    point = load().starting_point(role)
    comp = track.compressor or {}
    ratio = float(comp.get("ratio") or sum(point.ratio) / 2)
    crest = track.crest_factor_db if track.crest_factor_db is not None else 12.0
    attack = sum(_crest_attack(crest, role)) / 2
    parts = [f"ratio {_fmt(ratio)}:1", f"attack {_fmt(attack)} ms"]
    facts = [f"{track.name}.suggested_attack_ms={attack:g}"]
    if tempo_bpm:
        quarter = 60000.0 / tempo_bpm
        note, release = (
            ("an eighth note", quarter / 2) if role in DRUM_ROLES else ("a quarter note", quarter)
        )
        parts.append(f"release {_fmt(release)} ms ({note} at {_bpm(tempo_bpm)} BPM)")
        facts.append(f"{track.name}.suggested_release_ms={release:.0f}")
    target = sum(point.gr_db) / 2
    slope = 1.0 - 1.0 / ratio if ratio > 1.0 else 0.5
    if comp and track.reduction is not None:
        threshold = float(comp["threshold_db"])
        moved = max(-60.0, min(0.0, threshold - (target - track.reduction.loud_db) / slope))
        if abs(moved - threshold) >= 1.0:
            parts.append(
                f"threshold {_fmt(threshold)} → {moved:.0f} dB for about {_fmt(target)} dB of "
                f"gain reduction on the loudest passages (now {track.reduction.loud_db:.1f} dB)"
            )
        else:
            parts.append(
                f"threshold {_fmt(threshold)} dB as it is (about {_fmt(target)} dB of "
                "reduction on the loud passages is right)"
            )
        facts.append(f"{track.name}.suggested_threshold_db={moved:.0f}")
    elif track.lufs is not None:
        loud = track.lufs + 6.0  # loud passages sit about 6 dB over the integrated level
        threshold = max(-60.0, min(0.0, loud - target / slope))
        parts.append(
            f"threshold about {threshold:.0f} dB for {_fmt(target)} dB of reduction on the "
            "loud passages (watch the meter)"
        )
        facts.append(f"{track.name}.suggested_threshold_db={threshold:.0f}")
    return f"Try on {track.name}: " + ", ".join(parts) + ".", facts


def _sections_line(facts: SessionFacts) -> str | None:
    if len(facts.sections) < 2:
        return None
    loud = max(facts.sections, key=lambda s: s.lufs)
    quiet = min(facts.sections, key=lambda s: s.lufs)
    return (
        f"The song's sections run from {quiet.lufs:.1f} LUFS ({quiet.label}, "
        f"{quiet.start_s:.0f}–{quiet.end_s:.0f} s) to {loud.lufs:.1f} LUFS ({loud.label}, "
        f"{loud.start_s:.0f}–{loud.end_s:.0f} s): {loud.lufs - quiet.lufs:.1f} LU apart."
    )


def _session_lines(
    facts: SessionFacts, question: str, role: str | None, *, dynamics: bool
) -> tuple[list[str], list[str]]:
    """What the session says about the tracks asked about, and a setting to try."""
    lines, measured = [], []
    tracks = _session_tracks(facts, question, role)
    for track in tracks[:MAX_SESSION_TRACKS]:
        lines.append(_track_now(track, facts.version))
        measured += [
            f"{track.name}.{key}={value:g}"
            for key, value in (
                ("crest_factor_db", track.crest_factor_db),
                ("lufs", track.lufs),
                ("gain_reduction_loud_db", track.reduction.loud_db if track.reduction else None),
            )
            if value is not None
        ]
        if dynamics:
            line, suggested = _try_line(track, facts.tempo_bpm)
            lines.append(line)
            measured += suggested
    if not tracks and SONG_WORDS.search(question):
        lines.append(_song_line(facts))
    if (tracks or SONG_WORDS.search(question)) and (sections := _sections_line(facts)):
        lines.append(sections)
    return lines, measured


def _song_line(facts: SessionFacts) -> str:
    where = f"This song (v{facts.version})" if facts.version is not None else "This song"
    parts = []
    if facts.mix_lufs is not None:
        parts.append(f"{facts.mix_lufs:.1f} LUFS integrated")
    if facts.mix_crest_factor_db is not None:
        parts.append(f"crest factor {facts.mix_crest_factor_db:.1f} dB")
    if facts.tempo_bpm:
        parts.append(f"{_fmt(facts.tempo_bpm)} BPM")
    return f"{where}: " + ", ".join(parts) + "."


def _parse_bpm(question: str) -> float | None:
    match = re.search(r"(\d+(?:\.\d+)?)\s*(?:bpm|beats per minute)", question.lower())
    return float(match.group(1)) if match else None


def answer_question(question: str, *, session_facts: SessionFacts | None = None) -> Answer:
    """A concrete, sourced answer to a plugin or parameter question, composed offline."""
    kb = load()
    units = named_entries(question, kind="unit")[:2]
    techniques = named_entries(question, kind="technique")
    roles, genres = find_roles(question), find_genres(question)
    controls = [c for c in _find_words(question, CONTROL_WORDS) if not c.startswith("_")]
    control = controls[0] if controls else None
    role = roles[0] if roles else None
    genre_choices: list[str | None] = [*genres[:2]] or [None]
    lines: list[str] = []
    facts: list[str] = []
    used: list[str] = []

    for genre in genre_choices:
        for unit in units:
            for line in _unit_lines(unit, control=control, role=role, genre=genre):
                if line not in lines:
                    lines.append(line)
    used += [source for unit in units for source in unit.sources]
    if len(units) == 2 and units[0].character and units[1].character:
        lines.append(
            f"Difference: the {units[0].name} is {units[0].character}; the {units[1].name} is "
            f"{units[1].character}."
        )

    wants_compression = control in ("attack", "release", "ratio", "threshold") or "compress" in (
        question.lower()
    )
    if (wants_compression or len(genres) > 1) and (role or genres):
        points = [kb.starting_point(role or "vocal", g) for g in genre_choices]
        if not units or len(genres) > 1:
            for point, genre in zip(points, genre_choices, strict=True):
                lines.append(_starting_point_line(point, genre, role or "vocal"))
        if len(points) == 2:
            diff = _difference_line(points[0], points[1])
            lines += [diff] if diff else []
        used += [source for point in points for source in point.sources]

    shown_techniques = techniques or (
        [e for e in retrieve(question, k=2) if e.kind == "technique"][:1] if not lines else []
    )
    for entry in shown_techniques[:2]:
        if entry.id == "release_tempo" and (_parse_bpm(question) or session_facts):
            continue
        lines.append(_focused_text(entry, question, roles))
        used += entry.sources

    bpm = _parse_bpm(question)
    from_session = bpm is None and session_facts is not None and session_facts.tempo_bpm
    bpm = bpm or (session_facts.tempo_bpm if session_facts else None)
    if bpm and ("release" in controls or "tempo" in question.lower() or _parse_bpm(question)):
        tempo_lines, tempo_facts = _tempo_lines(bpm, role, from_session=bool(from_session))
        lines += tempo_lines
        facts += tempo_facts
        used += kb.entry("release_tempo").sources

    if session_facts is not None:
        session_lines, measured = _session_lines(
            session_facts, question, role, dynamics=wants_compression
        )
        lines = session_lines + lines
        facts += measured

    if not lines:
        for entry in retrieve(question, k=2):
            lines.append(compact_text(entry).split("\n")[1])
            used += entry.sources
    if not lines:
        lines.append(
            "I have nothing on that in the plugin knowledge base; ask about a unit (1176, LA-2A, "
            "CL1B, SSL bus, Pultec...) or a technique (de-essing, sidechain, loudness targets)."
        )
    return Answer(
        answer="\n".join(lines[:MAX_LINES]),
        sources=kb.cite(list(dict.fromkeys(used))),
        facts=facts,
    )


def grounding_text(question: str, *, k: int = 4) -> str:
    """The entries retrieved for the question, compact, to ground an LLM's answer."""
    return "\n\n".join(compact_text(entry) for entry in retrieve(question, k=k))
