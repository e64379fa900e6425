"""Pure text → structure: what a brief asks for, on what, where and how much. No audio.

``read_brief("darker and wider, and bring the vocal up a bit")`` returns a ``BriefReading``
with one ``Clause`` per part; each clause holds ``Ask``s (a concept such as ``brightness`` or
``level`` with a direction), targets (track, role, group or the mix), sections and an amount.
Follow-ups (more, too much, undo, version numbers, compare, explain) and questions are
recognised on the whole brief.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

from mixchat.assistant.reading.asks import Ask
from mixchat.assistant.reading.cleanup import find_cleanup_asks
from mixchat.assistant.reading.followups import classify_followup
from mixchat.assistant.reading.lexicon import inflection_candidates, load_lexicon
from mixchat.assistant.reading.params import find_parameter_asks
from mixchat.assistant.reading.vocab import (
    AMOUNT_WORDS,
    COMPLAINTS,
    CONCEPT_WORDS,
    DEFAULT_AMOUNT,
    GROUP_WORDS,
    MIX_WORDS,
    ORDINALS,
    PROBLEMS,
    REDUCERS,
    ROLE_WORDS,
    SECTION_WORDS,
    STOPWORDS,
    TARGETS_LUFS,
)

ReadingIntent = Literal[
    "change", "undo", "revert", "compare", "explain", "question", "clarify", "repeat", "back_off"
]
NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "twelve": "12",
}
UP_WORDS = ("up", "raise", "boost", "louder", "push", "increase", "crank", "higher", "lift")
DOWN_WORDS = (
    "down",
    "lower",
    "quieter",
    "tuck",
    "reduce",
    "decrease",
    "softer",
    "back",
    "cut",
    "drop",
    "duck",
    "attenuate",
)
_SPLIT = re.compile(
    r"\s*(?:[.;!?]+\s+|[.;!?]+$|,\s*|\s+(?:and then|and also|and|then|also|"
    r"but|plus|while|as well as)\s+)"
)


@dataclass(frozen=True)
class TargetRef:
    kind: Literal["mix", "role", "group", "track", "all_but"]
    value: str = ""


@dataclass(frozen=True)
class SectionRef:
    label: str  # chorus, verse, bridge, intro, outro, pre_chorus; "before_chorus"
    occurrence: int | None = None  # 1-based; -1 = the last; None = every one


@dataclass(frozen=True)
class Amount:
    scale: float = DEFAULT_AMOUNT
    db: float | None = None
    pct: float | None = None
    phrase: str = ""


@dataclass(frozen=True)
class Clause:
    text: str
    asks: tuple[Ask, ...] = ()
    targets: tuple[TargetRef, ...] = ()
    sections: tuple[SectionRef, ...] = ()
    amount: Amount = Amount()
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class BriefReading:
    text: str
    intent: ReadingIntent
    clauses: tuple[Clause, ...] = ()
    versions: tuple[int, ...] = ()
    scale: float = 1.0
    unknown: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    approximations: tuple[tuple[str, str], ...] = field(default_factory=tuple)


# --- text helpers -------------------------------------------------------------------------
def normalise_text(text: str) -> str:
    text = text.lower().replace("’", "'").replace("–", "-")
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)
    text = re.sub(r"\b(\w+)'s\b", r"\1s", text)
    text = re.sub(r"\b(everything|all|the rest|every track) but\b", r"\1 except", text)
    for word, digit in NUMBER_WORDS.items():
        text = re.sub(rf"\b{word}\b(?=\s*(?:db|decibel|percent|%))", digit, text)
    return " ".join(text.split())


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", text) is not None


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _lexicon():
    try:
        return load_lexicon()
    except Exception:  # noqa: BLE001 - the lexicon file may not be built yet
        return None


def _inflections(word: str) -> list[str]:
    return inflection_candidates(word)


# --- parts of a clause ---------------------------------------------------------------------
def find_sections(text: str) -> tuple[tuple[SectionRef, ...], str]:
    found: list[SectionRef] = []
    text = re.sub(r"^((?:please |now |and |then )*)drop\b", r"\1lower", text)
    before = re.search(r"\bbefore the (?:first )?(drop|chorus|hook)\b", text)
    if before:
        found.append(SectionRef("before_chorus"))
        text = _blank(text, before.start(), before.end())
    names = "|".join(sorted((re.escape(w) for w in SECTION_WORDS), key=len, reverse=True))
    ords = "|".join(ORDINALS)
    for m in re.finditer(rf"\b(?:({ords})\s+)?({names})\b", text):
        label = SECTION_WORDS[m.group(2)]
        found.append(SectionRef(label, ORDINALS[m.group(1)] if m.group(1) else None))
        text = _blank(text, m.start(), m.end())
    return tuple(dict.fromkeys(found)), text


def find_targets(text: str, tracks: Sequence[tuple[str, str]]) -> tuple[tuple[TargetRef, ...], str]:
    found: list[TargetRef] = []
    names = {**GROUP_WORDS, **ROLE_WORDS}
    roles = "|".join(sorted((re.escape(w) for w in names), key=len, reverse=True))
    but = re.search(
        rf"\b(?:everything|all|every track|the rest)\s+(?:but|except|apart from|"
        rf"other than|besides|except for)\s+(?:the\s+)?({roles})\b",
        text,
    )
    if but:
        found.append(TargetRef("all_but", names[but.group(1)]))
        text = _blank(text, but.start(), but.end())
    for name, _role in sorted(tracks, key=lambda t: -len(t[0])):
        spoken = " ".join(re.sub(r"[_\-.]+", " ", name.lower()).split())
        for candidate in {spoken, name.lower()}:
            m = re.search(rf"\b{re.escape(candidate)}\b", text)
            if m and len(candidate) >= 3:
                found.append(TargetRef("track", name))
                text = _blank(text, m.start(), m.end())
    tables = ((GROUP_WORDS, "group"), (ROLE_WORDS, "role"))
    phrases = sorted(
        ((w, kind, v) for table, kind in tables for w, v in table.items()), key=lambda p: -len(p[0])
    )
    for phrase, kind, value in phrases:
        for m in re.finditer(rf"(?<![\w]){re.escape(phrase)}(?![\w])", text):
            found.append(TargetRef(kind, value))  # type: ignore[arg-type]
            text = _blank(text, m.start(), m.end())
    for phrase in MIX_WORDS:
        m = re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", text)
        if m:
            found.append(TargetRef("mix"))
            text = _blank(text, m.start(), m.end())
    return tuple(dict.fromkeys(found)), text


def find_amount(text: str) -> Amount:
    m = re.search(r"([+-]?\d+(?:\.\d+)?)\s*(?:db|decibels?)\b", text)
    if m:
        return Amount(scale=DEFAULT_AMOUNT, db=float(m.group(1)), phrase=m.group(0))
    m = re.search(r"(\d+(?:\.\d+)?)\s*(?:%|percent)", text)
    if m:
        return Amount(scale=DEFAULT_AMOUNT, pct=float(m.group(1)), phrase=m.group(0))
    if re.search(r"\bhalf(?:way)?\b", text):
        return Amount(scale=0.5, phrase="halfway")
    cleaned = re.sub(r"\btoo much\b", " ", text)
    for phrase, scale in AMOUNT_WORDS:
        if _has(cleaned, phrase):
            return Amount(scale=scale, phrase=phrase)
    return Amount()


def _direction_modifier(before: str, after: str) -> int:
    """-1 when the words before say "less"/"too", +1 otherwise (incl. "not ... enough")."""
    if re.search(r"\bnot\b", before) and re.match(r"\s*enough\b", after):
        return 1
    if re.match(r"\s*enough\b", after) and re.search(r"\bnot\b", before):
        return 1
    window = " ".join(before.split()[-4:])
    if any(_has(window, r) for r in REDUCERS) or re.search(r"\bnot\b", window):
        return -1
    return 1


def _concept_for(phrase: str) -> tuple[str, int, str] | None:
    if phrase in CONCEPT_WORDS:
        return (*CONCEPT_WORDS[phrase], phrase)
    extra = [phrase[:-3] + "y"] if phrase.endswith("ier") else []
    for base in extra + _inflections(phrase):
        if base in CONCEPT_WORDS:
            return (*CONCEPT_WORDS[base], base)
    return None


def _lexicon_concept(descriptor: Any) -> tuple[str, int] | None:
    """A lexicon entry the vocabulary lacks: its intent or measured effect decides the axis."""
    for word in (descriptor.word, *descriptor.synonyms):
        if word in CONCEPT_WORDS:
            return CONCEPT_WORDS[word]
    intent = descriptor.intent
    kinds = {
        "transient": ("punch", 1),
        "compress": ("compression", 1),
        "saturate": ("saturation", 1),
        "tilt": ("lexicon", 1),
    }
    if intent is not None:
        if intent.kind in kinds:
            return kinds[intent.kind]
        sign = 1
        for value in (intent.delta, intent.gain_db, intent.send_db):
            if value:
                sign = 1 if value > 0 else -1
        mapping = {
            "width": "width",
            "level": "level",
            "send": "wet",
            "cut_offender": "lexicon",
            "boost_band": "lexicon",
        }
        return mapping[intent.kind], sign
    if descriptor.eq_moves or descriptor.reverb is not None:
        return ("lexicon", 1) if descriptor.eq_moves else ("wet", 1)
    return None


def find_asks(text: str) -> tuple[list[Ask], list[str], str]:
    """Descriptors and concept words in ``text`` (targets and sections already blanked)."""
    tokens = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"[a-z0-9']+", text)]
    asks: list[Ask] = []
    unknown: list[str] = []
    lex = _lexicon()
    i = 0
    while i < len(tokens):
        hit, n = None, 1
        for span in (3, 2, 1):
            if i + span <= len(tokens):
                phrase = " ".join(t[0] for t in tokens[i : i + span])
                hit = _concept_for(phrase)
                if hit:
                    n = span
                    break
        word, start, end = tokens[i][0], tokens[i][1], tokens[i + n - 1][2]
        descriptor, approximate = None, False
        if hit is None and lex is not None and word not in STOPWORDS and len(word) >= 3:
            descriptor = lex.lookup(word, approximate=len(word) >= 5)
            if descriptor is not None and getattr(descriptor, "scannable", True):
                axis = _lexicon_concept(descriptor)
                if axis:
                    hit = (*axis, descriptor.word)
                    approximate = bool(descriptor.approximate)
        typo = False
        if hit is None and word not in STOPWORDS and len(word) >= 5 and word.isalpha():
            close = difflib.get_close_matches(word, list(CONCEPT_WORDS), n=1, cutoff=0.8)
            if close:
                hit, typo = (*CONCEPT_WORDS[close[0]], close[0]), True
                approximate = difflib.SequenceMatcher(None, word, close[0]).ratio() < 0.85
        if hit is None:
            if word.isalpha() and len(word) >= 3 and word not in STOPWORDS:
                unknown.append(word)
            i += 1
            continue
        concept, sign, canonical = hit
        modifier = _direction_modifier(text[:start], text[end:])
        direction = -1 if concept in PROBLEMS and sign > 0 else sign * modifier
        if canonical in COMPLAINTS:
            direction = -sign
        if descriptor is not None and getattr(descriptor, "polarity", "") == "problem":
            direction = -1 if concept in PROBLEMS or concept == "lexicon" else direction
        if any(a.concept == concept for a in asks):
            text = _blank(text, start, end)
            i += n
            continue
        asks.append(
            Ask(
                concept,
                direction,
                canonical if not approximate else canonical,
                approximate=approximate,
                descriptor=descriptor,
            )
        )
        if approximate or typo:
            asks[-1] = replace(asks[-1], value=None)
            unknown.append(f"{word}->{canonical}")
        text = _blank(text, start, end)
        i += n
    return asks, unknown, text


def find_actions(text: str, has_target: bool, has_section: bool) -> list[Ask]:
    """Level, mute, solo, pan, master, compression verbs."""
    asks: list[Ask] = []
    if re.search(r"\bun ?mute\b", text):
        asks.append(Ask("mute", -1, "unmute"))
    elif re.search(r"\bmute\b", text):
        asks.append(Ask("mute", 1, "mute"))
    if re.search(r"\bun ?solo\b", text):
        asks.append(Ask("solo", -1, "unsolo"))
    elif re.search(r"\bsolo\b", text):
        asks.append(Ask("solo", 1, "solo"))
    pan = find_pan(text)
    if pan is not None:
        asks.append(Ask("pan", 1 if pan >= 0 else -1, "pan", value=pan))
    master = find_master(text)
    if master is not None:
        asks.append(master)
    if re.search(r"\bcompress(?:ion|ed|or)?\b|\bsquash(?:ed)?\b", text):
        asks.append(_compression_ask(text))
    length = _space_length(text)
    if length is not None:
        asks.append(length)
    if asks or not (has_target or has_section):
        return asks
    downs = [w for w in DOWN_WORDS if _has(text, w)]
    if re.search(r"\bback up\b", text):  # "bring the vocal back up"
        downs = [w for w in downs if w != "back"]
    ups = [w for w in UP_WORDS if _has(text, w)]
    if _SITS_BACK.search(text):  # a complaint about where it sits: bring it forward
        asks.append(Ask("level", 1, "forward"))
    elif downs and not re.search(r"\bthe drop\b", text):
        asks.append(Ask("level", -1, downs[0]))
    elif ups or re.search(r"\bmore\b|\bharder\b|\bbigger\b", text):
        asks.append(Ask("level", 1, (ups or ["more"])[0]))
    elif re.search(r"\bless\b|\bquieter\b", text):
        asks.append(Ask("level", -1, "less"))
    return asks


_SITS_BACK = re.compile(
    r"\btoo far back\b|\b(?:sits?|sitting|is|are|sounds?|feels?|seems?)\s+(?:\w+\s+)?"
    r"(?:too\s+)?(?:far\s+)?back\b(?!\s+(?:to|up)\b)"
)
_LONGER = re.compile(r"\b(?:longer|too short|bigger|more decay|more repeats|more feedback)\b")
_SHORTER = re.compile(
    r"\b(?:too long|shorter|smaller|less decay|fewer repeats|less feedback|tighter)\b"
)
_ECHO_WORDS = re.compile(r"\b(?:delay|echo(?:es)?|repeats?|feedback)\b")
_VERB_WORDS = re.compile(r"\b(?:reverb|verb|room|tail|hall|plate|decay)\b")
_TIGHT = re.compile(r"\btight(?:en|er|ness)?\b")


def _space_length(text: str) -> Ask | None:
    """ "the reverb is too long", "longer delay": the bus's decay, not its send level."""
    direction = 1 if _LONGER.search(text) else -1 if _SHORTER.search(text) else 0
    if not direction:
        return None
    if _ECHO_WORDS.search(text):
        return Ask("delay_feedback", direction, "delay length")
    if _VERB_WORDS.search(text):
        return Ask("reverb_size", direction, "reverb length")
    return None


_LOW_END = re.compile(r"\b(?:low end|bottom end|bottom|lows|low frequencies|bass)\b")


def _compression_ask(text: str) -> Ask:
    """More compression, less (back it off: word "compress"), or none (word "uncompress")."""
    if re.search(
        r"\b(?:remove|no|without|bypass|kill|lose)\b|\b(?:turn|switch|take) (?:\w+ )*off\b", text
    ):
        return Ask("compression", -1, "uncompress")
    if re.search(
        r"\b(?:less|too|over|overly|back off|ease (?:off|up)|lighter|gentler|softer|not so)\b",
        text,
    ) or re.search(
        r"\b(?:sounds?|is|are|feels?|seems?|gets?|so|very|way|really)\s+(?:\w+\s+)?"
        r"(?:squashed|compressed)\b",
        text,
    ):
        return Ask("compression", -1, "compress")
    return Ask("compression", 1, "compress")


def find_pan(text: str) -> float | None:
    if not re.search(r"\bpan\b|\bpanned\b|\bleft\b|\bright\b|\bcent(?:er|re)\b", text):
        return None
    if not re.search(r"\bpan", text):
        return None
    if re.search(r"\b(?:cent(?:er|re)|middle)\b", text):
        return 0.0
    side = -1.0 if _has(text, "left") else 1.0 if _has(text, "right") else None
    if side is None:
        return None
    pct = re.search(r"(\d+)\s*(?:%|percent)", text)
    if pct:
        return side * min(float(pct.group(1)), 100.0) / 100.0
    if re.search(r"\bhard\b|\ball the way\b|\bfully\b", text):
        return side
    if re.search(r"\b(?:slightly|a bit|a little|a touch)\b", text):
        return side * 0.25
    return side * 0.5


def find_master(text: str) -> Ask | None:
    lufs = re.search(r"(-?\d+(?:\.\d+)?)\s*lufs\b", text)
    platform = next((p for p in sorted(TARGETS_LUFS, key=len, reverse=True) if _has(text, p)), None)
    mastering = re.search(r"\bmaster(?:ed|ing)?\b(?!\s+(?:bus|eq))", text)
    if re.search(r"\b(?:turn off|bypass|disable|no|remove|without)\b.*\bmaster", text):
        return Ask("master", -1, "master off")
    if lufs:
        value = -abs(float(lufs.group(1)))
        return Ask("master", 1, "master", value=value)
    if platform and (mastering or re.search(r"\b(?:for|on|ready)\b", text)):
        return Ask("master", 1, "master", value=TARGETS_LUFS[platform])
    if mastering:
        loud = re.search(r"\bloud\b", text)
        return Ask("master", 1, "master", value=-9.0 if loud else -14.0)
    return None


def ceiling_db(text: str) -> float | None:
    m = re.search(r"(-?\d+(?:\.\d+)?)\s*dbtp\b", text) or re.search(
        r"\bceiling (?:of |at |to )?(-?\d+(?:\.\d+)?)", text
    )
    return -abs(float(m.group(1))) if m else None


# --- clauses and the whole brief -----------------------------------------------------------
def read_clause(text: str, tracks: Sequence[tuple[str, str]] = ()) -> Clause:
    amount = find_amount(text)
    sections, rest = find_sections(text)
    faults, rest = find_cleanup_asks(rest)
    targets, rest = find_targets(rest, tracks)
    params, rest = find_parameter_asks(rest)
    actions = (
        faults + params + find_actions(rest, any(t.kind != "mix" for t in targets), bool(sections))
    )
    if any(a.concept == "master" for a in actions):
        rest = re.sub(r"\b(?:loud|louder)\b", " ", rest)
    if any(a.concept in ("reverb_size", "delay_feedback") for a in actions):
        rest = _LONGER.sub(" ", _SHORTER.sub(" ", rest))
        rest = _VERB_WORDS.sub(" ", _ECHO_WORDS.sub(" ", rest))
    if _TIGHT.search(rest) and _LOW_END.search(text):  # "tighten the low end": less boom
        actions.append(Ask("boom", -1, "tight"))
        rest = _LOW_END.sub(" ", _TIGHT.sub(" ", rest))
    if any(a.concept == "compression" for a in actions):
        rest = re.sub(
            r"\b(?:compress\w*|squash\w*|harder|heavier|more|less|lighter|gentler|softer)\b",
            " ",
            rest,
        )
    if any(a.concept == "pan" for a in actions):
        rest = re.sub(
            r"\b(?:hard|left|right|pan|panned|all the way|cent(?:er|re)d?|middle)\b", " ", rest
        )
    asks, unknown, rest = find_asks(rest)
    asks = _merge_level(asks, actions)
    return Clause(
        text=text,
        asks=tuple(asks),
        targets=targets,
        sections=sections,
        amount=amount,
        unknown=tuple(unknown),
    )


def _merge_level(asks: list[Ask], actions: list[Ask]) -> list[Ask]:
    """A level verb wins over level words ("make the vocal louder"); a tonal word wins over
    the verb that carries it ("boost the highs"); a word on a verb's concept is the verb
    read again ("compress ... less" and then "compressed") and is dropped: the verb's
    reading, which looks at the whole clause, decides the direction."""
    verbs = [a for a in actions if a.concept == "level"]
    others = [a for a in actions if a.concept != "level"]
    if verbs and any(a.concept not in ("level", "buried") for a in asks):
        verbs = []
    said = {a.concept for a in others}
    words = [a for a in asks if not (verbs and a.concept == "level") and a.concept not in said]
    return [*others, *verbs, *words]


def split_clauses(text: str) -> list[str]:
    parts = [p.strip() for p in _SPLIT.split(text) if p and p.strip()]
    return parts or [text]


def _combine(clauses: list[Clause]) -> list[Clause]:
    """Fragments share: a target-only part joins its neighbour's ask; a section-only part
    gives its section to its neighbour; a clause with no target inherits the previous one's
    track target when it does not say "it"/"the mix"."""
    out: list[Clause] = []
    pending: list[Clause] = []
    for clause in clauses:
        if not clause.asks:
            if out and clause.targets:
                prev = out[-1]
                out.append(
                    replace(
                        clause,
                        asks=prev.asks,
                        sections=clause.sections or prev.sections,
                        amount=clause.amount if clause.amount.phrase else prev.amount,
                    )
                )
            elif out and clause.sections and not clause.targets:
                out[-1] = replace(out[-1], sections=out[-1].sections + clause.sections)
            else:
                pending.append(clause)
            continue
        for frag in pending:
            clause = replace(
                clause,
                targets=clause.targets + frag.targets,
                sections=clause.sections + frag.sections,
                amount=clause.amount if clause.amount.phrase else frag.amount,
                unknown=clause.unknown + frag.unknown,
            )
        pending = []
        if not clause.targets and out and not re.search(r"\bit\b|\bmix\b", clause.text):
            prev_tracks = tuple(t for t in out[-1].targets if t.kind != "mix")
            if prev_tracks and all(
                a.concept in ("level", "presence", "brightness", "air", "wet", "width", "punch")
                for a in clause.asks
            ):
                clause = replace(clause, targets=prev_tracks)
        out.append(clause)
    for frag in pending:
        out.append(frag)
    return out


def read_brief(text: str, *, tracks: Sequence[tuple[str, str]] = ()) -> BriefReading:
    """Read one brief. ``tracks`` = (name, role) pairs so track names can be recognised."""
    norm = normalise_text(text)
    followup = classify_followup(norm)
    if followup is not None:
        intent, versions, scale = followup
        reading_intent = cast(ReadingIntent, intent)  # classify_followup names only these
        return BriefReading(text=text, intent=reading_intent, versions=versions, scale=scale)
    clauses = _combine([read_clause(part, tracks) for part in split_clauses(norm)])
    actionable = [c for c in clauses if c.asks]
    unknown = tuple(w for c in clauses for w in c.unknown if "->" not in w)
    approx = tuple(
        (w.split("->")[0], w.split("->")[1]) for c in clauses for w in c.unknown if "->" in w
    )
    if re.search(r"\?\s*$", text.strip()) and not actionable:
        return BriefReading(text=text, intent="question", unknown=unknown)
    if not actionable:
        return BriefReading(
            text=text, intent="clarify", unknown=unknown, suggestions=suggest(unknown)
        )
    return BriefReading(
        text=text,
        intent="change",
        clauses=tuple(actionable),
        unknown=unknown,
        approximations=approx,
    )


def suggest(words: Sequence[str], n: int = 3) -> tuple[str, ...]:
    """The nearest known words to the unknown ones (for a clarifying question)."""
    known = sorted(set(CONCEPT_WORDS))
    lex = _lexicon()
    if lex is not None:
        known = sorted(set(known) | set(lex.words()))
    out: list[str] = []
    for word in words:
        scored = sorted(
            (
                -max(
                    difflib.SequenceMatcher(None, word, form).ratio()
                    for form in (k, k + "y", k + "er", k + "ey")
                ),
                k,
            )
            for k in known
        )
        for score, close in scored[:n]:
            if -score >= 0.5 and close not in out:
                out.append(close)
    return tuple(out[:n]) or ("brighter", "darker", "wider", "punchier", "less muddy")
