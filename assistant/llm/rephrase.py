"""When the model cannot call a tool: it rephrases the brief into the offline reader's
vocabulary, and the offline planner carries the rephrasing out.

Small local models often answer a brief with prose instead of a tool call, yet they can still
rewrite "make it sound like a summer evening" as "warmer, more reverb". The rewrite is read by
the offline reader; it is used only when the reader can act on it and it does not contradict
what the reader found in the brief itself (an opposite direction on the same quality, or other
tracks than the brief named). The vocabulary shown to the model is taken from the reader's own
tables, so it follows the reader as it grows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from string import Template

from mixchat.assistant.reading.reader import BriefReading, TargetRef, read_brief
from mixchat.assistant.reading.vocab import AMOUNT_WORDS, CONCEPT_WORDS

WORDS_PER_SIDE = 2
MAX_REPHRASING_CHARS = 160
MAX_REPHRASING_WORDS = 16
ACTION_WORDS = ("louder", "quieter", "pan left", "pan right", "mute", "compress")
AMOUNT_EXAMPLES = ("a touch", "a bit", "more", "way more")
MAX_UNKNOWN_WORDS = 4
USER_FRAME = "Request: {brief}\nInstruction:"
PREFIX = re.compile(r"^\s*(?:instruction|rephrased|rewrite|answer|output)\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Rephrasing:
    """What the reader made of the model's rewrite: ``reading`` when it can be carried out,
    else ``problem`` (one line, why not)."""

    text: str
    reading: BriefReading | None = None
    problem: str = ""


@lru_cache(maxsize=1)
def _template() -> Template:
    return Template(files("mixchat.prompts").joinpath("rephrase_system.md").read_text("utf-8"))


def vocabulary() -> list[str]:
    """A few words for each quality the reader knows, in both directions."""
    by_side: dict[tuple[str, int], list[str]] = {}
    for word, (concept, sign) in CONCEPT_WORDS.items():
        side = by_side.setdefault((concept, sign), [])
        if len(side) < WORDS_PER_SIDE:
            side.append(word)
    words = [w for side in by_side.values() for w in side]
    return list(dict.fromkeys([*words, *ACTION_WORDS]))


def examples(tracks: Sequence[tuple[str, str]], sections: Sequence[str]) -> list[str]:
    """Example instructions on this session's own tracks, kept only if the reader reads them."""
    names = [name for name, _ in tracks] or ["vocal"]
    first, second = names[0], names[min(1, len(names) - 1)]
    candidates = [
        f"{first} 3 dB louder",
        f"{second} a bit brighter",
        "less muddy",
        f"more reverb on the {first}",
        f"pan the {second} left",
    ]
    if sections:
        candidates.append(f"{first} louder in the {sections[0]}")
    return [c for c in candidates if read_brief(c, tracks=tracks).intent == "change"]


def rephrase_prompt(
    tracks: Sequence[tuple[str, str]], sections: Sequence[str]
) -> tuple[str, list[str]]:
    """The system prompt for the rewrite, and the examples it shows."""
    amounts = [a for a in AMOUNT_EXAMPLES if a in dict(AMOUNT_WORDS)]
    shown = examples(tracks, list(dict.fromkeys(sections)))
    prompt = _template().substitute(
        tracks=", ".join(name for name, _ in tracks) or "(none)",
        sections=", ".join(dict.fromkeys(sections)) or "(none)",
        words=", ".join(vocabulary()),
        amounts=", ".join(amounts),
        examples="; ".join(shown),
    )
    return prompt, shown


def user_message(brief: str) -> str:
    return USER_FRAME.format(brief=brief)


def clean_rephrasing(text: str) -> str:
    """The first non-empty line of the model's answer, without quotes or a label."""
    line = next((ln for ln in html.unescape(text).splitlines() if ln.strip()), "")
    line = PREFIX.sub("", line).strip().strip("\"'`*").strip().rstrip(".!:;,").strip()
    return line[:MAX_REPHRASING_CHARS]


def judge(
    text: str,
    original: BriefReading,
    *,
    tracks: Sequence[tuple[str, str]],
    shown: Sequence[str] = (),
) -> Rephrasing:
    """Read the model's rewrite and decide whether the offline planner may carry it out.
    ``shown``: the examples the model was shown (a copy of one is not a rephrasing)."""
    cleaned = clean_rephrasing(text)
    if not cleaned:
        return Rephrasing(text="", problem="it did not rephrase the brief either")
    copied = {e.lower() for e in shown} - {original.text.strip().lower()}
    if cleaned.lower() in copied:
        return Rephrasing(
            text=cleaned, problem=f'it copied an example ("{cleaned}") instead of rephrasing'
        )
    if len(cleaned.split()) > MAX_REPHRASING_WORDS:
        return Rephrasing(text=cleaned, problem="it answered with prose instead of a rephrasing")
    reading = read_brief(cleaned, tracks=tracks)
    if reading.intent != "change":
        return Rephrasing(
            text=cleaned,
            problem=f'its rephrasing "{cleaned}" is not a mix change the offline reader can place',
        )
    if reading.approximations or len(reading.unknown) > MAX_UNKNOWN_WORDS:
        return Rephrasing(
            text=cleaned,
            problem=f'its rephrasing "{cleaned}" is not in the offline reader\'s vocabulary',
        )
    clash = _contradiction(original, reading, tracks)
    if clash:
        return Rephrasing(text=cleaned, problem=f'its rephrasing "{cleaned}" {clash}')
    return Rephrasing(text=cleaned, reading=reading)


def _directions(reading: BriefReading) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for clause in reading.clauses:
        for ask in clause.asks:
            found.setdefault(ask.concept, set()).add(ask.direction)
    return found


def _targets(reading: BriefReading, tracks: Sequence[tuple[str, str]]) -> set[TargetRef]:
    """The parts a reading names, a role as the tracks that play it (the singer and the
    "Lead Vocal" track are the same part)."""
    found: set[TargetRef] = set()
    for ref in (t for c in reading.clauses for t in c.targets):
        if ref.kind == "role":
            playing = [
                TargetRef("track", n)
                for n, r in tracks
                if r == ref.value or (ref.value == "vocal" and "vocal" in r)
            ]
            found.update(playing or [ref])
        elif ref.kind in ("track", "group"):
            found.add(ref)
    return found


def _contradiction(
    original: BriefReading, rephrased: BriefReading, tracks: Sequence[tuple[str, str]]
) -> str:
    if original.intent != "change":
        return ""
    before, after = _directions(original), _directions(rephrased)
    if any(len(ways) > 1 for ways in after.values()):
        return "asks for opposite things at once"
    for concept, ways in before.items():
        if concept in after and not ways & after[concept]:
            return f"turns {concept} the other way from the brief"
    named, renamed = _targets(original, tracks), _targets(rephrased, tracks)
    if named and renamed and not named & renamed:
        return "is about other tracks than the brief"
    return ""
