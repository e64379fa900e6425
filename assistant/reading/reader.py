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
from mixchat.assistant.reading.direction import (
    AMOUNT_ONLY,
    BAND_NOUNS,
    BOOST_BEFORE,
    DEVICE_AFTER,
    DOWN_VERB,
    EXCESS_AFTER,
    LACK_AFTER,
    QUALITY_AFTER,
    QUANTITY_NOUNS,
    REGION_BOOSTS,
    TOO_LITTLE,
    WISH_BEFORE,
    direction_modifier,
    said_as_simile_state,
)
from mixchat.assistant.reading.followups import classify_followup
from mixchat.assistant.reading.lexicon import load_lexicon
from mixchat.assistant.reading.params import find_parameter_asks
from mixchat.assistant.reading.patterns import lazy_pattern
from mixchat.assistant.reading.refs import SectionRef, TargetRef, blank, has_phrase
from mixchat.assistant.reading.structure import (
    MONO_TROUBLE,
    WISHED,
    find_pan,
    find_structures,
    masked_by_pronoun,
)
from mixchat.assistant.reading.text import expand_text_speak, lemma_candidates
from mixchat.assistant.reading.vocab import (
    AMOUNT_WORDS,
    BUSY_WORDS,
    COMPLAINTS,
    CONCEPT_WORDS,
    DEFAULT_AMOUNT,
    FAULTS,
    GROUP_WORDS,
    GUARDS,
    INSTRUMENT_NOUNS,
    MIX_WORDS,
    MOODS,
    ORDINALS,
    PROBLEMS,
    ROLE_WORDS,
    SECTION_WORDS,
    STOPWORDS,
    TARGETS_LUFS,
    VAGUE,
    WISHABLE,
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
UP_WORDS = (
    "up",
    "raise",
    "boost",
    "louder",
    "push",
    "increase",
    "crank",
    "higher",
    "lift",
    "bring out",
    "bring forward",
    "come forward",
    "feature",
    "highlight",
    "showcase",
)
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
    "sit back",
    "push back",
    "pull back",
    "set back",
    "tuck",
    "nestle",
    "blend in",
    "dial back",
)
_KNOWN_WORDS = (
    frozenset(
        word
        for table in (CONCEPT_WORDS, ROLE_WORDS, GROUP_WORDS, SECTION_WORDS, dict(AMOUNT_WORDS))
        for phrase in table
        for word in phrase.split()
    )
    | STOPWORDS
    | VAGUE
    | frozenset(UP_WORDS)
    | frozenset(DOWN_WORDS)
)
# "beat too loud vocal too low": two complaints typed without a comma between them
_SECTION_NOUNS = "|".join(sorted((re.escape(w) for w in SECTION_WORDS), key=len, reverse=True))
_RUN_ON = lazy_pattern(
    r"(?P<said>\btoo\s+\w{3,})\s+(?=(?:the\s+|my\s+)?[a-z]+\s+(?:is\s+|are\s+)?"
    r"(?:way\s+|a bit\s+|far\s+|much\s+)?too\b)"
)
# "bring the hats down theyre piercing": a move, then why, typed without a comma
_MOVE_THEN_WHY = lazy_pattern(
    r"(?P<said>\b(?:up|down|back|out|louder|quieter|softer|lower)\b)\s+"
    r"(?=(?:theyre|they are|it is|thats|that is|cause|because|coz|cuz)\b|its\s+(?:too|so|way|"
    r"really|kinda|kind of|a bit|a little|just|getting|very|super|pretty|quite|harsh|muddy|"
    r"boomy|thin|piercing|shrill|loud|quiet|buried|lost|dull|boxy|nasal|muffled)\b)"
)
# "less band more vocal", "more kick, less bass": one amount for each part
_A_PART = "|".join(
    sorted((re.escape(w) for w in {*GROUP_WORDS, *ROLE_WORDS, "everything else"}), key=len)[::-1]
)
_TWO_AMOUNTS = lazy_pattern(
    rf"(?P<said>\b(?:more|less)\s+(?:of\s+)?(?:the\s+|my\s+)?(?:{_A_PART}))\s+"
    rf"(?=(?:and\s+)?(?:more|less)\s+(?:of\s+)?(?:the\s+|my\s+)?(?:{_A_PART})\s*$)"
)
_SPLIT = lazy_pattern(
    r"\s*(?:[.;!?]+\s+|[.;!?]+$|,\s*|\s+(?:and then|and also|and|then|also|"
    r"but|plus|while|as well as)\s+|\s+(?=without\s))"
)

# where a mix is heard, never a quality of it ("on my phone" is not "tinny")
LISTENING_DEVICE = lazy_pattern(r"(?:phone|laptop|earbud|headphone|speaker|airpod|car)s?")
# "thin" as a verb: "thin out the pad", "thin the keys out", "thin it out a bit"
# "dull it down", "dull the cymbals down a bit": the verb, less of its top
THIN_OUT = lazy_pattern(r"^\s*(?:(?:it|them|that|this|those|the \w+|\w+)\s+)?(?:out|down)\b")
_STATE_JUST_BEFORE = lazy_pattern(
    r"\b(?:is|are|its|was|were|sounds?|feels?|seems?|gets?)\s+(?:\w+\s+)?$"
)
# a wish said of a complaint word ("should jump out more"), unless "too" follows it
_MORE_AFTER = lazy_pattern(r"\s*(?:a (?:bit|little) )?more\b")
_TOO_AFTER = lazy_pattern(r"\s*(?:way |a bit |a little )?too\b")


@dataclass(frozen=True)
class Amount:
    scale: float = DEFAULT_AMOUNT
    db: float | None = None
    pct: float | None = None
    phrase: str = ""


@dataclass(frozen=True)
class Clause:
    """One frame of a brief: which qualities (asks, each with a direction), on what
    (targets, in the order they were said), where (sections), how much (amount), and
    relative to what (``reference``: "louder than the guitar", "more than the verse")."""

    text: str
    asks: tuple[Ask, ...] = ()
    targets: tuple[TargetRef, ...] = ()
    sections: tuple[SectionRef, ...] = ()
    amount: Amount = Amount()
    unknown: tuple[str, ...] = ()
    reference: tuple[TargetRef | SectionRef, ...] = ()
    vague: tuple[str, ...] = ()
    unplaced: tuple[str, ...] = ()  # "the solo is too loud": a level on a noun that is no part


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
    vague: tuple[str, ...] = ()
    unplaced: tuple[str, ...] = ()

    @property
    def placed(self) -> bool:
        """False when the reader could not place the brief on anything it can move: the
        brief is a candidate for rephrasing (by an LLM, when one is configured)."""
        return self.intent != "clarify"


# --- text helpers -------------------------------------------------------------------------
def _known_word(word: str) -> bool:
    return word in _KNOWN_WORDS or any(c in _KNOWN_WORDS for c in lemma_candidates(word))


def normalise_text(text: str) -> str:
    text = text.lower().replace("’", "'").replace("–", "-")
    text = expand_text_speak(text, _known_word)
    text = re.sub(
        r"\b(?:bass|low|lower|bottom)[ -](?:frequenc\w*|freqs?|range|region|register)\b",
        "low end",
        text,
    )
    text = re.sub(
        r"\b(?:high|higher|top)[ -](?:frequenc\w*|freqs?|range|region|register)\b", "high end", text
    )
    text = re.sub(
        r"\bbass (?=overall\b|in general\b|everywhere\b|across the mix\b)", "low end ", text
    )
    # "overpowering down low", "buzzy up high": where, not a fader's way
    text = re.sub(r"\bdown (?:low|there|here|below|under|at the bottom)\b", "in the low end", text)
    text = re.sub(r"\bup high\b", "in the high end", text)
    # "give the bass its own space": room apart from the others, not the reverb's room
    text = re.sub(
        r"\b(?:give|make|leave|carve(?: out)?|find)\s+((?:the |my |our )?(?:\w+ )?)"
        r"(?:its|it's|their|his|her|some|a bit of)\s+own\s+(?:space|room|pocket|lane|place|spot)\b",
        r"separate \1",
        text,
    )
    # "make the vocal sound like it's on the radio / a telephone": a band-limited, lo-fi
    # sound on that part, not a master for radio play nor a lack of low end
    # (asked for; "it sounds like a cheap radio" is a complaint and is left as it is)
    text = re.sub(
        r"\b((?:make|want|need|should|could|let)\b[^,.;]{0,30}?\bsound\s+)like\s+"
        r"(?:it'?s\s+|it is\s+|its\s+)?(?:(?:on|through|over|in|from|coming out of)\s+)?"
        r"(?:an?\s+|the\s+|some\s+)?(?:old\s+|cheap\s+|am\s+|tiny\s+)*"
        r"(?:radio|telephone|phone call|walkie[ -]talkie|megaphone|transistor(?: radio)?)\b",
        r"\1lo fi",
        text,
    )
    # "some words jump out": the part's level is uneven (compression), not too loud as a whole
    text = re.sub(
        r"\b((?:some|certain|a few|the odd|odd|random)\s+(?:words|syllables|lines|phrases|notes|"
        r"hits))\s+(?:jump|jumps|poke|pokes|stick|sticks|pop|pops|spike|spikes)\s+out\b",
        r"\1 are uneven",
        text,
    )
    # "fighting for the same space": where two parts meet, not the reverb's space
    text = re.sub(r"\bsame (?:space|room|place|spot|area)\b", "same range", text)
    # "the pad is hogging all the space": a part that crowds the mix is too loud
    text = re.sub(
        r"\b(?:hog\w*|tak\w* up|eat\w* up|us\w* up|fill\w* up)\s+(?:(?:all|too much|most)\s+"
        r"(?:of\s+)?)?(?:the\s+)?(?:space|room|mix|headroom)\b",
        "too loud",
        text,
    )
    # "get the piano out of the way of my voice": down, against the part it is in the way of
    text = re.sub(r"\bout of (?:the|my|our|its|their) way of\b", "quieter than", text)
    text = re.sub(r"\bout of (?:the|my|our|its|their) way\b", "down", text)
    # "the guitars are muddying up the vocal": one part masking another, not the mix's mud
    text = re.sub(r"\bmudd(?:y|ies|ying|ied) up\b", "masking", text)
    # "the 808 is eating the whole low end": the part has too much of that range
    text = re.sub(
        r"\b(?:is |are |s )?(?:eat\w*|hog\w*|swallow\w*|tak\w* over)\s+(?:up\s+)?"
        r"(?:all\s+(?:of\s+)?|the whole\s+|most of\s+)?(?:the\s+)?"
        r"(low end|low mids?|mids?|midrange|high end|top end|sub|bottom end)\b",
        r"has too much \1",
        text,
    )
    # "make the vocal sit in the mix", "blend the keys into the track": part of the mix, not
    # on top of it, a little down
    text = re.sub(
        r"\b(?:sit|sits|sitting|blend|blended|blending|melt|melts)\s+"
        r"((?:it|them|the\s+\w+|my\s+\w+)\s+)?(?:more\s+|better\s+)?"
        r"(?:in|into|inside|within|with)\s+(?:the\s+)?(?:mix|track|band|beat|song|music|instrumental)\b",
        lambda m: f"{m.group(1) or ''}sit back",
        text,
    )
    # "so i can hear myself": the artist's own part is the vocal
    text = re.sub(r"\bhear (?:myself|me)\b", "hear my voice", text)
    # "it's all squashed": a description, a complaint about too much compression
    text = re.sub(
        r"\ball (?=(?:squashed|crushed|smashed|compressed|overcompressed|over compressed)\b)",
        "too ",
        text,
    )
    # "the guitar is all on one side": the part more to the centre; "the stereo feels
    # lopsided": the balance said, not a width asked for
    text = re.sub(
        r"\b(?:is|are|s|sits?|sounds?)\s+(?:all\s+|way\s+|too\s+far\s+|too\s+much\s+)?"
        r"(?:on|to|over on)\s+one side\b",
        "should be more to the center",
        text,
    )
    text = re.sub(
        r"\bstereo (?:image |field |picture )?(?=(?:feels|sounds|is|seems|s)\s+(?:\w+\s+)?"
        r"(?:lopsided|unbalanced|uneven|off balance|one sided)\b)",
        "mix ",
        text,
    )
    # "the vocal floats on top", "detached from the beat": a part sitting on the mix, not
    # in it (a complaint: it comes down), not the mood word "floating"
    text = re.sub(r"\bfloat(?:s|ing)?\s+(?=on top\b|above\b|over\b)", "sitting ", text)
    text = re.sub(
        r"\b(?:detached|disconnected|separated?) from (?:the )?(?:beat|track|mix|band|music|"
        r"instrumental|rest|song|backing)\b",
        "sitting on top of the mix",
        text,
    )
    # "the last chorus bigger than the others": the other sections, not the other parts
    text = re.sub(
        rf"\b(?P<section>{_SECTION_NOUNS})\b(?P<between>.*?)\s+than (?:the|all the) "
        r"(?:others|other ones|rest(?! of)|other \w+)\b",
        r"\g<section>\g<between>",
        text,
    )
    # "the mix is too much in the middle": too narrow
    text = re.sub(
        r"\b(?:too much|all|too)\s+(?:\w+\s+)?in the (?:middle|center|centre)\b", "too narrow", text
    )
    # "too far forward": too loud where it sits; "far louder", "far too": an amount
    text = re.sub(r"\btoo far (?:forward|up front|upfront|in front|out front)\b", "too loud", text)
    text = re.sub(
        r"\bfar (?=(?:too|more|less|louder|quieter|brighter|darker|wider)\b)", "way ", text
    )
    # "harsh at high volume": when it is heard, not a level asked for
    text = re.sub(r"\bat (?:high|loud|low|quiet|higher|lower) (?:volumes?|levels?)\b", " ", text)
    # "to much reverb", "it is to loud": "too", typed short
    text = re.sub(r"\bto (?=(?:much|many)\b)", "too ", text)
    text = re.sub(r"\b(is|are|way|bit|sounds?|feels?) to (\w+)\b", _too_typed_short, text)
    # "all boom and no notes", "all click, no thump": too much of one, too little of the other
    text = re.sub(r"\ball (\w+)(?: and|,) no (\w+)\b", r"too much \1, not enough \2", text)
    text = re.sub(r"\bwash(?:es|ing|ed)? over\b", "covers", text)
    # "like it's coming through a telephone": a band-limited, thin sound ("on my phone" is
    # where it is heard)
    text = re.sub(
        r"\b(?:through|like|over|down) (?:an? |the )?(?:old )?(?:tele)?phone( line)?\b",
        "thin",
        text,
    )
    # "can't tell the kick and the bass apart": the verb before the parts it takes
    text = re.sub(r"\btell ((?:\w+ ){1,6}?)apart\b", r"tell apart \1", text)
    text = re.sub(r"\boverdone\b", "too much", text)
    # "when the chorus kicks in": the section starts, no kick drum said
    text = re.sub(
        r"\b(chorus|drop|hook|verse|bridge|beat|song|drums|part|section|it|they) kicks? in\b",
        r"\1 starts",
        text,
    )
    # "when the chorus hits", "once the drop comes": the section arrives, no punch said
    text = re.sub(
        r"\b(when|once|as soon as|where|after) (the )?(chorus|choruses|drop|hook|verse|verses|"
        r"bridge|outro|intro|breakdown) (hits|lands|comes in|comes|drops|arrives)\b",
        r"\1 \2\3 starts",
        text,
    )
    # "louder then the voice": "than", typed as "then" (not "louder, then add reverb")
    text = re.sub(
        r"\b(louder|quieter|softer|lower|higher|bigger|smaller|brighter|darker) then "
        r"(?=(?:the|my|our|all|everything|me|it)\b|[a-z]+\s*(?:$|[,.;!?]))",
        r"\1 than ",
        text,
    )
    # an artist's own voice: "i'm too quiet", "louder than me", "the guitars drown me"
    text = re.sub(
        r"\b(?:i'm|i am|im)(?= (?:\w+ ){0,2}(?:quiet|loud|low|soft|buried|lost|drowned|"
        r"drowning|swamped|hidden|covered|masked)\b)",
        "the vocal is",
        text,
    )
    text = re.sub(
        r"\b(than|over|above|under|behind|below|compared to|next to|against|drown\w*|cover\w*|"
        r"bur(?:y|ies|ied|ying)|swallow\w*|mask\w*|swamp\w*) me\b",
        r"\1 the vocal",
        text,
    )
    # "the bass should be felt more than heard": its sub, not its fader
    text = re.sub(r"\bfelt (?:more )?(?:than|rather than|instead of|not) heard\b", "more sub", text)
    # "it makes the mix heavy": how the mix is now, not a wish for it
    text = re.sub(
        r"\b(?:(?:it|this|that|they|which) make|makes|made|is making|are making) (?:the mix|"
        r"the song|the track|everything|it all|the whole thing|the whole mix) (?=[a-z])",
        "is ",
        text,
    )
    # "the cymbals are eating my ears", "killing my ears": harsh, not a part buried
    text = re.sub(
        r"\b(?:eat|kill|destroy|rip|shred|tear|murder)\w* (?:my|your|our|the) (?:ears|head)\b",
        "hurt my ears",
        text,
    )
    # "carve some room", "make space": a pocket for a part, not a reverb's room
    text = re.sub(
        r"\b(?:carve|make|clear|create|leave|free up)(?: out| up)?(?: some| a little| a| more)? "
        r"(?:space|room|pocket|gap|hole)\b(?! (?:for|reverb|verb|sound|mic|tone|ambience)\b)",
        "carve",
        text,
    )
    # "needs more low", "boomy in the low": the low end, said short
    text = re.sub(
        r"\b(more|less|some|no|enough|in the|the) low(?=\s*(?:$|[,.;!?]|(?:and|but|on|please|pls|"
        r"plz)\b))",
        r"\1 low end",
        text,
    )
    # "the mix is bass heavy", "a bass-light master": the mix's low end, not the bass track
    text = re.sub(r"\bbass[ -]heavy\b", "low end heavy", text)
    text = re.sub(r"\bbass[ -]light\b", "lacking low end", text)
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)
    text = re.sub(
        r"\b(air|sub|low|low mid|mid|high mid|high|top|bass|treble|presence) band\b", r"\1", text
    )
    text = re.sub(r"\bover ?([a-z]{4,})\b", _over_prefixed, text)
    # "roll off the top", "dull on top", "air up top": the top end (not "on top of the mix")
    text = re.sub(
        r"\b(?<!from )(the|off) top(?=\s*(?:$|[,.;!?]|(?:on|in|of the mix)\b))", r"\1 top end", text
    )
    # ... unless it says where a part sits ("the vocal sounds pasted on top")
    text = re.sub(
        r"\b(?<!sit )(?<!sits )(?<!sitting )(?<!pasted )(?<!stuck )(?<!glued )(?<!floating )"
        r"(?<!be )(up|on) top(?=\s*(?:$|[,.;!?]|(?:and|but|please)\b))",
        r"\1 top end",
        text,
    )
    text = re.sub(
        r"\bthe top(?= (?:is|are|was|sounds?|feels?|seems?|gets?)\b)", "the top end", text
    )
    text = re.sub(r"\b(\w+)'s\b", r"\1s", text)
    # "the ride is loud": the ride cymbal ("ride the vocal up" is the verb, with no article)
    text = re.sub(r"\b(the|that|this|my) ride\b(?! cymbal)", r"\1 ride cymbal", text)
    # "everything but the vocal", "bring everything else down but the drums": an exception
    # ("turn it all down but keep the vocal" stays two clauses)
    text = re.sub(
        r"\b((?:everything|all|the rest|every track)(?: else)?"
        r"(?: (?:up|down|louder|quieter|softer|back|forward))?) but\b"
        r"(?! (?:keep|leave|not|don|do|make|bring|turn|push|pull|put|take)\b)",
        r"\1 except",
        text,
    )
    # "the vocal is too low (in the mix)": a level, not a band ("too low end heavy" is one)
    text = re.sub(
        r"\b((?:is|are|s|sits?|sitting|seems?|feels?|sounds?|way|bit|little|too|kinda|pretty|"
        r"really|so|quite|very) )low\b(?! ?(?:end|mids?|frequenc\w*|freqs?|pass|cut|shelf|"
        r"register|pitched|octaves?|notes?|rumble|in pitch|in tune|-))",
        r"\1quiet",
        text,
    )
    text = re.sub(
        r"\b((?:is|are|s|sits?|sitting|way|bit|too) )high(?= (?:up )?(?:in the mix|compared|"
        r"relative|vs|versus|against|over)\b)",
        r"\1loud",
        text,
    )
    # "knock some top off": a cut, not a knocking kick
    text = re.sub(
        r"\b(?:knock|shave|roll)(?:s|ed|ing)?\b(?=(?:\s+\w+){1,6}?\s+off\b)", "take", text
    )
    # "so it cuts", "they don't cut on phones": a part cutting through, not an EQ cut
    text = re.sub(
        r"\b(it|they|he|she)((?: (?:really|just|still|never|doesnt|dont|does not|do not))?) "
        r"(cuts?)(?= *(?:$|[,.;!?]|(?:better|more|on|in|at|anymore)\b))",
        r"\1\2 \3 through",
        text,
    )
    for word, digit in NUMBER_WORDS.items():
        text = re.sub(rf"\b{word}\b(?=\s*(?:db|decibel|percent|%))", digit, text)
    return " ".join(text.split())


def _too_typed_short(match: re.Match[str]) -> str:
    """ "it is to bright": "too", when a quality follows ("the plan is to make" stays)."""
    said, word = match.group(1), match.group(2)
    if word in ("loud", "quiet", "low", "high") or _concept_for(word) is not None:
        return f"{said} too {word}"
    return match.group(0)


def _over_prefixed(match: re.Match[str]) -> str:
    """ "overcompressed", "over-bright": too much of a quality the reader knows."""
    word = match.group(1)
    if word in CONCEPT_WORDS or any(c in CONCEPT_WORDS for c in lemma_candidates(word)):
        return f"too {word}"
    return match.group(0)


def _lexicon_knows(word: str) -> bool:
    lex = _lexicon()
    return lex is not None and lex.lookup(word, approximate=False) is not None


def _lexicon():
    try:
        return load_lexicon()
    except Exception:  # noqa: BLE001 - the lexicon file may not be built yet
        return None


# --- parts of a clause ---------------------------------------------------------------------
def find_sections(text: str) -> tuple[tuple[SectionRef, ...], str]:
    found: list[SectionRef] = []
    text = re.sub(r"^((?:please |now |and |then )*)drop\b", r"\1lower", text)
    before = re.search(r"\bbefore the (?:first )?(drop|chorus|hook)\b", text)
    if before:
        found.append(SectionRef("before_chorus"))
        text = blank(text, before.start(), before.end())
    ords = "|".join(ORDINALS)
    for m in re.finditer(rf"\b(?:({ords})\s+)?({_SECTION_NOUNS})\b", text):
        if m.group(2) in ("build", "buildup") and _BUILD_UP_OF_SOUND.search(
            text[max(m.start() - 24, 0) : m.end() + 24]
        ):
            continue  # "the build up around 250 hz", "low end buildup": sound piling up
        label = SECTION_WORDS[m.group(2)]
        found.append(SectionRef(label, ORDINALS[m.group(1)] if m.group(1) else None))
        text = blank(text, m.start(), m.end())
    return tuple(dict.fromkeys(found)), text


_BUILD_UP_OF_SOUND = lazy_pattern(
    r"(?:mud|muddy|low end|low mids?|bass|boom\w*|sub|resonan\w*|frequenc\w*|energy)\s+"
    r"build(?:\s*up)?\b|\bbuild(?:\s*up)?\s+(?:of|in|around|at|near|below|under|above|between)\b"
)
_PART_WORDS = sorted(w for w in {**GROUP_WORDS, **ROLE_WORDS} if " " not in w and len(w) >= 4)
_QUANTITY_BASS = lazy_pattern(
    r"\b(?:too much|too many|so much|way too much|more|less|some|no|not enough|lots of|"
    r"a lot of|plenty of|much) bass\b(?! (?:guitar|line|drum|part|track|player|sound))"
)
_REFERENCE = lazy_pattern(
    r"\b(?:than|after|compared (?:to|with)|compare (?:to|with)|relative to|against|versus|vs|"
    r"next to|beside|in comparison (?:to|with)|in relation to|under|underneath|around|"
    r"(?<=sit )behind|(?<=sits )behind|(?<=sitting )behind|"
    r"over|on top of|(?<=loud )for|(?<=quiet )for|(?<=much )for|(?<=busy )for)\s+"
    r"(?:the\s+|my\s+|our\s+)?"
)


# "the pad sits right on top of the vocal": a part on another is masking it, not compared
_MASKS_BEFORE = lazy_pattern(
    r"\b(?:sit|sits|sitting|sat|step\w*|stand\w*|liv\w*|stack\w*|pil\w*|land\w*)\s+"
    r"(?:right\s+|directly\s+|just\s+|all\s+)?$"
)


_RECIPROCAL = lazy_pattern(
    r"\b(?:each|one) (?:other|another)\b|\bother (?:tracks|instruments|parts|stems)\b"
)


# "all the instruments", "the other tracks", "the music": every part, before an exception
_EVERY_PART = (
    r"(?:all\s+(?:of\s+)?(?:the\s+)?|the\s+|every\s+)(?:other\s+)?(?:instruments?|tracks?|"
    r"stems?|parts?|music|band|backing)"
)


def find_targets(text: str, tracks: Sequence[tuple[str, str]]) -> tuple[tuple[TargetRef, ...], str]:
    """The parts a clause names, in the order they were said, and the text with them blanked."""
    found: list[tuple[int, TargetRef]] = []
    names = {**GROUP_WORDS, **ROLE_WORDS}
    roles = "|".join(sorted((re.escape(w) for w in names), key=len, reverse=True))
    # "everything but the vocal", "bring everything up except the vocal"
    but = re.search(
        rf"\b(?:everything|all|every track|the rest|{_EVERY_PART})(?:\s+else)?\s+"
        rf"(?P<said>(?:up|down|louder|quieter|"
        rf"softer|back|forward|\w+er)\s+)?(?:but|except|exept|excpet|apart from|other than|besides|"
        rf"except for|(?:that|which)(?:'s|\s+is|\s+are)?\s*(?:not|n't)|(?:that|which)\s+"
        rf"(?:isn't|aren't))\s+(?:the\s+)?(?P<part>{roles})\b",
        text,
    )
    # "except the drums and the vocal": every part listed is kept out
    listed = re.compile(rf"(?:\s*,\s*|\s+and\s+|\s*&\s*|\s+or\s+)(?:the\s+)?(?P<part>{roles})\b")

    def also_kept_out(text: str, end: int) -> str:
        while (more := listed.match(text, end)) is not None:
            found.append((more.start("part"), TargetRef("all_but", names[more.group("part")])))
            text, end = blank(text, more.start(), more.end()), more.end()
        return text

    if but:
        found.append((but.start(), TargetRef("all_but", names[but.group("part")])))
        text = also_kept_out(text, but.end())
        said = but.span("said") if but.group("said") else (but.end(), but.end())
        text = blank(blank(text, said[1], but.end()), but.start(), said[0])
    every = (
        None
        if but
        else re.search(
            rf"\b(?:everything|every track|the (?:whole )?(?:mix|song)|{_EVERY_PART})\b", text
        )
    )
    later = (
        re.compile(
            rf"\b(?:except(?: for)?|apart from|other than|besides|but not)\s+(?:the\s+)?"
            rf"(?P<part>{roles})\b"
        ).search(text, every.end())
        if every
        else None
    )
    if every and later:  # "everything is too loud except the vocal"
        found.append((every.start(), TargetRef("all_but", names[later.group("part")])))
        text = also_kept_out(text, later.end())
        text = blank(blank(text, later.start(), later.end()), every.start(), every.end())
    spoken_names = {" ".join(re.sub(r"[_\-.]+", " ", n.lower()).split()) for n, _ in tracks}
    for phrase, value in sorted(ROLE_WORDS.items(), key=lambda p: -len(p[0])):
        # "bass guitar" is the bass, not the Bass and the Guitar tracks
        if " " not in phrase or phrase in spoken_names or phrase not in text:
            continue
        for m in re.finditer(rf"(?<![\w]){re.escape(phrase)}(?![\w])", text):
            found.append((m.start(), TargetRef("role", value)))
            text = blank(text, m.start(), m.end())
    for name, _role in sorted(tracks, key=lambda t: -len(t[0])):
        spoken = " ".join(re.sub(r"[_\-.]+", " ", name.lower()).split())
        # a stem named "other" is not the one in "each other" (same offsets, idioms hidden)
        searched = _RECIPROCAL.sub(lambda m: "#" * len(m.group(0)), text)
        for candidate in {spoken, name.lower()}:
            hit = (
                re.search(rf"\b{re.escape(candidate)}\b", searched)
                if candidate in searched
                else None
            )
            if hit and len(candidate) >= 3:
                found.append((hit.start(), TargetRef("track", name)))
                text = blank(text, hit.start(), hit.end())
    tables = ((GROUP_WORDS, "group"), (ROLE_WORDS, "role"))
    phrases = sorted(
        ((w, kind, v) for table, kind in tables for w, v in table.items()), key=lambda p: -len(p[0])
    )
    for phrase, kind, value in phrases:
        if phrase not in text:  # a literal phrase: not there, no pattern to compile
            continue
        for m in re.finditer(rf"(?<![\w]){re.escape(phrase)}(?![\w])", text):
            found.append((m.start(), TargetRef(kind, value)))  # type: ignore[arg-type]
            text = blank(text, m.start(), m.end())
    for m in re.finditer(r"[a-z]{4,}", text):  # "the gutar", "vocls": a near spelling
        word = m.group(0)
        if _known_word(word) or word in VAGUE or LISTENING_DEVICE.fullmatch(word):
            continue  # "speakers" is where it is heard, not the shakers
        if _lexicon_knows(word):
            continue  # "leans" is a word of its own (lean), not the leads misspelled
        cutoff = 0.85 if len(word) == 4 else 0.8
        close = difflib.get_close_matches(word, _PART_WORDS, n=1, cutoff=cutoff)
        if close and close[0][0] == word[0]:
            table = GROUP_WORDS if close[0] in GROUP_WORDS else ROLE_WORDS
            kind = "group" if table is GROUP_WORDS else "role"
            found.append((m.start(), TargetRef(kind, table[close[0]])))  # type: ignore[arg-type]
            text = blank(text, m.start(), m.end())
    for phrase in MIX_WORDS:
        hit = re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", text) if phrase in text else None
        if hit:
            found.append((hit.start(), TargetRef("mix")))
            text = blank(text, hit.start(), hit.end())
    ordered = [ref for _, ref in sorted(found, key=lambda p: p[0])]
    return tuple(dict.fromkeys(ordered)), text


def split_reference(
    text: str, targets: tuple[TargetRef, ...], original: str
) -> tuple[tuple[TargetRef, ...], tuple[TargetRef, ...]]:
    """Targets said after "than", "compared to", "against": the reference a clause is
    relative to ("the vocal louder than the guitar"), apart from what it moves."""
    m = _REFERENCE.search(original)
    sits_on = _MASKS_BEFORE.search(original[: m.start()]) if m else None
    if not m or len(targets) < 2 or (sits_on and not m.group(0).startswith("behind")):
        return targets, ()  # "sits behind the vocal" is a place against it, not a masking
    tail = original[m.end() :]
    refs = tuple(
        t
        for t in targets
        if t.kind in ("role", "group", "track") and _names_target(tail.split(" ")[0:4], t)
    )
    kept = tuple(t for t in targets if t not in refs)
    return (kept, refs) if kept else (targets, ())


def _names_target(words: list[str], target: TargetRef) -> bool:
    table = {**GROUP_WORDS, **ROLE_WORDS}
    text = " ".join(words)
    if target.kind == "track":
        return target.value.lower().replace("_", " ").split(" ")[0] in text
    # the reference pattern takes the article: "than the rest" leaves "rest"
    said = f"the {text}"
    return any(
        value == target.value and w in said and re.search(rf"(?<![\w]){re.escape(w)}(?![\w])", said)
        for w, value in table.items()
    )


# "vocal +2, everything else -2": a signed number on its own is decibels
_SIGNED_DB = lazy_pattern(
    r"(?<![\w.])(?P<db>[+-]\s*\d+(?:\.\d+)?)(?!\.?\d)\s*(?:db|decibels?)?"
    r"(?=\s*(?:$|[,.;!?]|(?:and|please|pls)\b))"
)


# "down a db", "a couple of dB hotter", "half a db": decibels said in words
_WORDED_DB = lazy_pattern(
    r"\b(?P<n>half an?|an?|one|two|three|four|five|six|a couple(?: of)?|a few)\s+"
    r"(?:db|decibels?)\b"
)
_DB_WORDS = {"a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0}
_DB_WORDS |= {"five": 5.0, "six": 6.0, "a couple": 2.0, "a couple of": 2.0, "a few": 3.0}


def find_amount(text: str) -> Amount:
    m = re.search(r"([+-]?\d+(?:\.\d+)?)\s*(?:db|decibels?)\b", text) or _SIGNED_DB.search(text)
    if m:
        return Amount(
            scale=DEFAULT_AMOUNT, db=float(m.group(1).replace(" ", "")), phrase=m.group(0)
        )
    worded = _WORDED_DB.search(text)
    if worded:
        said = worded.group("n")
        db = 0.5 if said.startswith("half") else _DB_WORDS[said]
        return Amount(scale=DEFAULT_AMOUNT, db=db, phrase=worded.group(0))
    m = re.search(r"(\d+(?:\.\d+)?)\s*(?:%|percent)", text)
    if m:
        return Amount(scale=DEFAULT_AMOUNT, pct=float(m.group(1)), phrase=m.group(0))
    if re.search(r"\bhalf(?:way)?\b", text):
        return Amount(scale=0.5, phrase="halfway")
    cleaned = re.sub(r"\btoo much\b", " ", text)
    for phrase, scale in sorted(AMOUNT_WORDS, key=lambda p: -len(p[0])):
        if has_phrase(cleaned, phrase):
            return Amount(scale=scale, phrase=phrase)
    return Amount()


# quality nouns that name an amount of something ("the reverb is too much")
def _concept_for(phrase: str) -> tuple[str, int, str] | None:
    """The concept a word or phrase names, through its lemma ("covering" is "cover",
    "sticks out" is "stick out", "muddier" is "muddy")."""
    if phrase in CONCEPT_WORDS:
        return (*CONCEPT_WORDS[phrase], phrase)
    words = phrase.split(" ")
    if len(words) > 1:
        for i, word in enumerate(words):
            for base in lemma_candidates(word):
                joined = " ".join([*words[:i], base, *words[i + 1 :]])
                if joined in CONCEPT_WORDS:
                    return (*CONCEPT_WORDS[joined], joined)
        return None
    for base in lemma_candidates(phrase):
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


# what a part is sent through or has added, so "no reverb" is none of it, not too little
_EFFECTS = frozenset(
    {"wet", "echo", "compression", "saturation", "width", "reverb_size", "delay_feedback"}
)
# the qualities those effects give, so "no depth", "no space", "no width" is too little
_EFFECT_QUALITIES = frozenset(
    {"space", "depth", "ambience", "lush", "width", "wide", "stereo", "spacious"}
)


# adverbs of degree that are also quality words elsewhere ("make it pretty")
DEGREE_WORDS = frozenset({"pretty", "real", "fairly", "rather", "awfully", "terribly"})


def _quality_follows(tokens: list[tuple[str, int, int]], index: int, lex: Any) -> bool:
    if index >= len(tokens):
        return False
    word = tokens[index][0]
    return _concept_for(word) is not None or (lex is not None and lex.lookup(word) is not None)


def find_asks(text: str, vague: list[str] | None = None) -> tuple[list[Ask], list[str], str]:
    """Descriptors and concept words in ``text`` (targets and sections already blanked);
    vague words ("better", "vibe") go to ``vague``, never to a descriptor."""
    tokens = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"[a-z0-9']+", text)]
    asks: list[Ask] = []
    unknown: list[str] = []
    guessed: set[int] = set()  # indices of asks read through a synonym or a near spelling
    typos: set[int] = set()
    skip: set[int] = set()  # start offsets of words already read as part of another's reading
    vague = vague if vague is not None else []
    lex = _lexicon()
    i = 0
    while i < len(tokens):
        hit, n = None, 1
        for span in (5, 4, 3, 2, 1):
            if i + span <= len(tokens):
                phrase = " ".join(t[0] for t in tokens[i : i + span])
                hit = _concept_for(phrase)
                if hit:
                    n = span
                    break
        word, start, end = tokens[i][0], tokens[i][1], tokens[i + n - 1][2]
        if start in skip:  # said already as part of another word's reading
            i += n
            continue
        if (
            hit is not None
            and hit[0] in ("mood", "low_end")
            and DEVICE_AFTER.match(text[tokens[i + n - 1][2] :])
        ):
            i += n  # "on small speakers", "a big hall": where, not what
            continue
        if hit is not None and n == 1 and word in AMOUNT_ONLY and word != hit[2]:
            hit = None  # "massively louder": an amount, not the mood "massive"
            i += 1
            continue
        if hit is None and word in DEGREE_WORDS and _quality_follows(tokens, i + 1, lex):
            i += 1  # "pretty buried": how buried, not the lexicon's "pretty"
            continue
        descriptor, approximate = None, False
        if hit is None and (word in VAGUE or any(b in VAGUE for b in lemma_candidates(word))):
            vague.append(word)
            i += 1
            continue
        if (
            hit is None
            and lex is not None
            and word not in STOPWORDS
            and len(word) >= 3
            and not LISTENING_DEVICE.fullmatch(word)
        ):
            descriptor = lex.lookup(word, approximate=len(word) >= 6)
            if descriptor is not None and descriptor.approximate and descriptor.word[0] != word[0]:
                descriptor = None
            if descriptor is not None and getattr(descriptor, "scannable", True):
                axis = _lexicon_concept(descriptor)
                if axis:
                    hit = (*axis, descriptor.word)
                    approximate = bool(descriptor.approximate)
                    if descriptor.word != word and descriptor.word not in lemma_candidates(word):
                        guessed.add(len(asks))  # a synonym ("phone" for tinny)
        typo = False
        if hit is None and word not in STOPWORDS and len(word) >= 5 and word.isalpha():
            close = difflib.get_close_matches(word, list(CONCEPT_WORDS), n=1, cutoff=0.8)
            close = [c for c in close if c[0] == word[0]]
            if close:
                hit, typo = (*CONCEPT_WORDS[close[0]], close[0]), True
                approximate = difflib.SequenceMatcher(None, word, close[0]).ratio() < 0.85
                guessed.add(len(asks))
                typos.add(len(asks))
        if hit is None:
            if word.isalpha() and len(word) >= 3 and word not in STOPWORDS:
                unknown.append(word)
            i += 1
            continue
        concept, sign, canonical = hit
        if canonical == "lose" and re.match(r"\s*(?:that|this|it|those|them)\b", text[end:]):
            i += n  # "can we lose that": the quality said before goes, nothing is buried
            continue
        typed = text[start:end]
        state = (
            descriptor is None
            and concept not in PROBLEMS
            and concept != "mood"
            and canonical not in COMPLAINTS
            and canonical not in FAULTS
            and not (typed.endswith("er") and not canonical.endswith("er"))
        )
        modifier = direction_modifier(text[:start], text[end:], state=state)
        if canonical in FAULTS:
            modifier = 1  # "too peaky", "so uneven": the word already says the fix
        if (
            (canonical in BAND_NOUNS or concept == "wet")
            and DOWN_VERB.search(text[:start] + text[end:])
            and not TOO_LITTLE.search(text)
        ):
            modifier = -1
        if (canonical in QUANTITY_NOUNS or canonical in BAND_NOUNS) and descriptor is None:
            # "the highs on the master are a bit much", "the kick's click is too much", "the sub is way too hyped", "the
            # reverb is drowning everything"; in "the stereo image is too narrow" the
            # quality that follows decides
            excess = EXCESS_AFTER.match(text[end:])
            quality = excess.group("quality") if excess else None
            said = _concept_for(quality) if quality else None
            if (
                excess
                and said is not None
                and said[0] == "level"
                and canonical not in ("width", "stereo")
            ):
                # "the highs are too loud", "the sub is too quiet", "the reverb is too loud":
                # the quantity's own level
                modifier = -said[1]
                skip.add(end + excess.start("quality"))
            elif said is not None:
                text = blank(text, start, end)
                i += n
                continue
            if said is not None:
                pass
            elif excess and not TOO_LITTLE.search(text[end:]):
                modifier = -1
                if excess.group("verb"):
                    skip.add(end + excess.start("verb"))
            elif lack := LACK_AFTER.match(text[end:]):
                modifier = 1
                skip.add(end + lack.start("lack"))  # "the low end is weak": not a fader
            elif concept in _EFFECTS and (fault := QUALITY_AFTER.match(text[end:])):
                # "the reverb is muddy", "the reverb makes everything muddy": it causes it
                caused = _concept_for(fault.group("quality"))
                if caused is not None and caused[0] in PROBLEMS:
                    modifier = -1
        if canonical in BAND_NOUNS and descriptor is None:
            # "the top end of the strings is scratchy": the band goes the way the quality
            # said of it asks
            quality_said = QUALITY_AFTER.match(text[end:])
            said = _concept_for(quality_said.group("quality")) if quality_said else None
            if said is not None and said[0] in PROBLEMS and said[0] != concept:
                modifier = -1  # "the top end is scratchy": less of it
            elif said is not None and said[2] in COMPLAINTS and said[0] not in ("level", concept):
                modifier = 1  # "the top end is dull": more of it
        if (
            canonical in REGION_BOOSTS
            and BOOST_BEFORE.search(text[:start])
            and not DOWN_VERB.search(text[:start])
        ):
            # "more definition in the upper mids": the region is where, not the problem
            concept, sign, canonical = REGION_BOOSTS[canonical], 1, canonical
            modifier = 1
        if (
            concept not in PROBLEMS
            and concept != "mood"
            and canonical not in COMPLAINTS
            and said_as_simile_state(text[:start])
        ):
            modifier = -1
        direction = -1 if concept in PROBLEMS and sign > 0 else sign * modifier
        if canonical in COMPLAINTS:
            direction = -sign
        if (
            canonical in WISHABLE
            and (WISH_BEFORE.search(text[:start]) or _MORE_AFTER.match(text[end:]))
            and not _TOO_AFTER.match(text[end:])
        ):
            direction = sign  # "the vocal should jump out more": a wish, not a complaint
        if (
            re.search(r"\bno (?:real )?$", text[:start])
            and concept not in PROBLEMS
            and (concept not in _EFFECTS or canonical in _EFFECT_QUALITIES)
            and descriptor is None
        ):
            direction = sign  # "sounds like paper, no body": the quality is missing
        if (
            canonical in BAND_NOUNS
            and asks
            and asks[-1].concept != concept
            and re.search(r"\b(?:in|on|at|around|across) (?:the|its|their) $", text[:start])
        ):
            direction = asks[-1].direction  # "no punch in the low end": where, the same way
        if concept == "mud" and sign < 0 and direction > 0:
            if "not" in text[:start].split():
                direction = -1  # "it's not clean": less mud
            else:
                concept, canonical = "saturation", "grit"  # "too clean": dirt, not mud
        if (
            canonical in ("thin", "dull")
            and THIN_OUT.match(text[end:])
            and not _STATE_JUST_BEFORE.search(text[:start])
        ):
            direction = sign  # "thin out the pad", "thin it out": less of its low end
        if descriptor is not None and getattr(descriptor, "polarity", "") == "problem":
            direction = -1 if concept in PROBLEMS or concept == "lexicon" else direction
        if any(a.concept == concept for a in asks):
            guessed.discard(len(asks))
            typos.discard(len(asks))
            text = blank(text, start, end)
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
        text = blank(text, start, end)
        i += n
    return _drop_thin(_drop_guesses(asks, unknown, guessed, typos)), unknown, text


THIN_EVIDENCE_RATERS = 2  # a crowd word rated by this few people is a guess, not a meaning


def _thin(ask: Ask) -> bool:
    """Read through a crowd-sourced word too few raters described, with no engineering
    knowledge of it ("distracting", rated by two people)."""
    found = ask.descriptor
    if found is None or found.reverb is not None:
        return False
    if any("hand-written" in source for source in found.source):
        return False
    raters = (
        found.num
        or (found.safe.count if found.safe else 0)
        or (found.compressor.count if found.compressor else 0)
    )
    return raters <= THIN_EVIDENCE_RATERS


def _drop_thin(asks: list[Ask]) -> list[Ask]:
    """ "less echo on my voice, its distracting": a thinly known word beside a plain ask
    says how the producer feels about it, not a second move."""
    plain = [a for a in asks if not _thin(a)]
    return plain or asks


def _drop_guesses(
    asks: list[Ask], unknown: list[str], guessed: set[int], typos: set[int]
) -> list[Ask]:
    """An unsure reading does not act: a word taken for a near spelling is dropped when the
    clause says something plainly ("sticks out like a sore thumb" is not "thump"), and a
    clause read only through synonyms among words the reader does not know ("banana phone")
    is not read at all (a near spelling alone still is: "mak it darkr")."""
    sure = [i for i in range(len(asks)) if i not in guessed]
    strangers = [w for w in unknown if "->" not in w]
    if sure:
        return [a for i, a in enumerate(asks) if i not in typos]
    if strangers and asks and not typos:  # "mak it darkr" is still a brief
        unknown.extend(a.word for a in asks)
        return []
    return asks


_GIVE_DB = lazy_pattern(
    r"\bgive\b(?:\s+\S+){0,4}?\s+\+?\d+(?:\.\d+)?\s*db\b(?:\s+more\b)?"
    r"(?=\s*(?:$|[,.;!?]|(?:over|above|on top|louder|more than|against|relative|compared)\b))"
)


def find_actions(
    text: str, has_target: bool, has_section: bool, named: bool | None = None
) -> list[Ask]:
    """Level, mute, solo, pan, master, compression verbs."""
    asks: list[Ask] = []
    if re.search(r"\bun ?mute\b", text):
        asks.append(Ask("mute", -1, "unmute"))
    elif re.search(r"\bmute\b", text):
        asks.append(Ask("mute", 1, "mute"))
    if re.search(r"\bun ?solo\b", text):
        asks.append(Ask("solo", -1, "unsolo"))
    elif _SOLO_VERB.search(text):
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
    downs = [w for w in DOWN_WORDS if has_phrase(text, w)]
    if re.search(r"\bback up\b", text):  # "bring the vocal back up"
        downs = [w for w in downs if w != "back"]
    ups = [w for w in UP_WORDS if has_phrase(text, w)]
    if _GIVE_DB.search(text):  # "give the vocal 2 dB (over the band)"
        ups.append("give")
    if re.search(r"(?<![\w.])\+\s*\d", text):
        ups.append("+")
    elif re.search(r"(?<![\w.])-\s*\d+(?:\.\d+)?\s*db", text) or any(
        m.group("db").startswith("-") for m in _SIGNED_DB.finditer(text)
    ):
        downs.append("-")
    if re.search(r"\bsit (?:\w+ )?back\b", text):  # "sit it back": an imperative, less
        downs.append("sit back")
    if (
        _SITS_BACK.search(text) and "sit back" not in downs
    ):  # a complaint about where it sits: bring it forward
        asks.append(Ask("level", 1, "forward"))
    elif downs and not re.search(r"\bthe drop\b", text):
        asks.append(Ask("level", -1, downs[0]))
    elif ups or (
        (named is None or named or has_section) and re.search(r"\bmore\b|\bharder\b", text)
    ):
        asks.append(Ask("level", 1, (ups or ["more"])[0]))
    elif re.search(r"\bless\b|\bquieter\b", text):
        asks.append(Ask("level", -1, "less"))
    return asks


# "solo the bass", "can you solo it": the verb; "the guitar solo", "in the solo": a part
_SOLO_VERB = lazy_pattern(
    r"^\s*solo\b|\b(?:please|just|can you|could you|now|then|and|to|you|pls|i want to)\s+solo\b|"
    r"\bsolo\s+(?:the|it|that|them|this|those|my|out)\b"
)
_SITS_BACK = lazy_pattern(
    r"\btoo far back\b|\b(?:sits|sitting|is|are|sounds?|feels?|seems?)\s+(?:\w+\s+)?"
    r"(?:too\s+)?(?:far\s+)?back\b(?!\s+(?:to|up)\b)"
)
_LONGER = lazy_pattern(r"\b(?:longer|too short|bigger|more decay|more repeats|more feedback)\b")
_SHORTER = lazy_pattern(
    r"\b(?:too long|shorter|smaller|less decay|fewer repeats|less feedback|tighter)\b"
)
_ECHO_WORDS = lazy_pattern(r"\b(?:delay|echo(?:es)?|repeats?|feedback)\b")
_VERB_WORDS = lazy_pattern(r"\b(?:reverb|verb|room|tail|hall|plate|decay)\b")
_TIGHT = lazy_pattern(r"\btight(?:en|er|ness)?\b")


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


_LOW_END = lazy_pattern(r"\b(?:low end|bottom end|bottom|lows|low frequencies|bass)\b")


def _compression_ask(text: str) -> Ask:
    """More compression, less (back it off: word "compress"), or none (word "uncompress")."""
    if re.search(
        r"\b(?:remove|no|without|bypass|kill|lose)\b|\b(?:turn|switch|take) (?:\w+ )*off\b", text
    ):
        return Ask("compression", -1, "uncompress")
    if re.search(
        r"\b(?:less|too|over|overly|back off|ease (?:off|up)|lighter|gentler|softer|not so|"
        r"dial (?:\w+ )?(?:back|down)|pull (?:\w+ )?back|tone (?:\w+ )?down|reduce|lower)\b",
        text,
    ) or re.search(
        r"\b(?:sounds?|is|are|feels?|seems?|gets?|so|very|way|really)\s+(?:\w+\s+)?"
        r"(?:squashed|compressed|smashed|crushed|squished|pumping)\b",
        text,
    ):
        return Ask("compression", -1, "compress")
    return Ask("compression", 1, "compress")


def find_master(text: str) -> Ask | None:
    lufs = re.search(r"(-?\d+(?:\.\d+)?)\s*lufs\b", text)
    platform = next(
        (p for p in sorted(TARGETS_LUFS, key=len, reverse=True) if has_phrase(text, p)), None
    )
    mastering = re.search(r"\bmaster(?:ed|ing)?\b(?!\s+(?:bus|eq))", text)
    if re.search(r"\b(?:turn off|bypass|disable|no|remove|without)\b.*\bmaster", text):
        return Ask("master", -1, "master off")
    if lufs:
        value = -abs(float(lufs.group(1)))
        return Ask("master", 1, "master", value=value)
    if platform and (mastering or re.search(r"\b(?:for|on|ready)\b", text)):
        # "for the club" alone is where it plays: a master only if nothing else is asked
        word = "master" if mastering or re.search(r"\bloud\b", text) else "platform"
        return Ask("master", 1, word, value=TARGETS_LUFS[platform])
    if mastering:
        loud = re.search(r"\bloud\b", text)
        return Ask("master", 1, "master", value=-9.0 if loud else -14.0)
    return None


def ceiling_db(text: str) -> float | None:
    m = re.search(r"(-?\d+(?:\.\d+)?)\s*dbtp\b", text) or re.search(
        r"\bceiling (?:of |at |to )?(-?\d+(?:\.\d+)?)", text
    )
    return -abs(float(m.group(1))) if m else None


_TONE_CONCEPTS = frozenset(
    "air boom box brightness clarity growl harsh honk low_end mids mud presence sizzle sub "
    "warmth lexicon".split()
)


# --- clauses and the whole brief -----------------------------------------------------------
# "turn the keys down so I can hear the vocal": what the move is for, not what it moves
_PURPOSE = lazy_pattern(
    r"\s+(?:so\s+(?:that\s+)?(?=(?:the|i|we|you|it|my|our|they|there|he|she|this)\b)|"
    r"(?:in order\s+)?to\s+(?:let|help|hear|match|give room to)\s+(?=(?:the|my|our)\b))"
)


def read_clause(text: str, tracks: Sequence[tuple[str, str]] = ()) -> Clause:
    purpose = _PURPOSE.search(text)
    if purpose:
        # the part it is for is the reference; "so it cuts" (the same part) is still its ask
        clause = read_clause(text[: purpose.start()], tracks)
        served, _ = find_targets(text[purpose.end() :], tracks)
        parts = tuple(
            t for t in served if t.kind in ("role", "group", "track") and t not in clause.targets
        )
        if parts and clause.asks and clause.targets:
            said = tuple(t for t in clause.reference if isinstance(t, TargetRef))
            asks, targets, reference = _part_against_the_rest(
                list(clause.asks), clause.targets, tuple(dict.fromkeys((*said, *parts)))
            )
            sections = tuple(s for s in clause.reference if not isinstance(s, TargetRef))
            return replace(
                clause, asks=tuple(asks), targets=targets, reference=(*reference, *sections)
            )
    amount = find_amount(text)
    sections, rest = find_sections(text)
    reference_sections: tuple[SectionRef, ...] = ()
    ref = _REFERENCE.search(text)
    if ref and len(sections) >= 2:
        after = text[ref.end() :]
        reference_sections = tuple(
            s for s in sections if re.match(rf"\s*(?:the\s+)?\w*\s*{s.label[:4]}", after)
        )
        sections = tuple(s for s in sections if s not in reference_sections) or sections
    faults, rest = find_cleanup_asks(rest)
    quantity = _QUANTITY_BASS.search(rest)
    if quantity:  # "the guitar has too much bass": the low end, where another part is named
        others, _ = find_targets(blank(rest, quantity.start(), quantity.end()), tracks)
        if any(t.kind in ("role", "group", "track") for t in others):
            rest = rest[: quantity.end() - 4] + "lows" + rest[quantity.end() :]
    targets, rest = find_targets(rest, tracks)
    targets, reference = split_reference(rest, targets, text)
    params, rest = find_parameter_asks(rest)
    structures, rest, targets = find_structures(text, rest, targets)
    named = any(t.kind != "mix" for t in targets)
    calm = _CALM_DOWN.search(rest)
    if calm:  # "calm them down": the verb, neither the mood word "calm" nor a fader "down"
        rest = blank(rest, calm.start(), calm.end())
    actions = faults + params + structures
    if not any(a.concept in ("level", "buried") for a in structures):
        pointed = (
            named
            or bool(_ANAPHORA.search(text) and not _EXPLICIT_MIX.search(text))
            or bool(_MIX_LEVEL.search(text))
        )
        actions += find_actions(rest, pointed, bool(sections), named)
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
    vague: list[str] = []
    roomy = re.search(r"\b(?:room|hall|space|ambience|reverb)\b", text)
    asks, unknown, rest = find_asks(rest, vague)
    if roomy:  # "too much echo of the room": what many call echo is the reverb
        asks = [replace(a, concept="wet") if a.concept == "echo" else a for a in asks]
    if not named:
        asks = _soft_is_a_tone(_level_of_a_band(asks))
    elif sections:
        # "the vocal should be more upfront in the chorus": where the part stands in those
        # sections is its level there (an EQ cannot move it in one section only), and so is
        # how hard it hits there ("the guitars should hit harder in the chorus")
        asks = [
            replace(a, concept="level")
            if (a.concept == "presence" and a.word in _PLACE) or a.concept == "punch"
            else a
            for a in asks
        ]
    if _REVERB_SUBJECT.search(text):
        # "the vocal verb is too long and loud": the loudness said is the reverb's own
        asks = [
            replace(a, concept="wet") if a.concept == "level" and a.word in _LOUDNESS else a
            for a in asks
        ]
    if any(a.concept == "eq_point" for a in params):
        # "a nasty ring around 3k", "more chest, around 150": the frequency said is the
        # move; the quality word beside it only says which way
        toned = {a.word for a in asks if a.concept in _TONE_CONCEPTS}
        asks = [a for a in asks if a.concept not in _TONE_CONCEPTS]
        unknown = [w for w in unknown if w.partition("->")[2] not in toned]
    asks = _settle(asks, actions)
    asks = _described_comparison(_merge_level(asks, actions), text)
    if any(a.word == "platform" for a in asks) and any(a.concept != "master" for a in asks):
        asks = [a for a in asks if a.word != "platform"]
    if named and any(t.kind == "mix" for t in targets) and not _EXPLICIT_MIX.search(text):
        # "more space around it" after the vocal: "it" is the part said, not the mix
        targets = tuple(t for t in targets if t.kind != "mix")
    if any(a.concept == "buried" for a in (*asks, *actions)):
        # "the guitars mask the voice in the upper mids": the range said is where the masking
        # is (the masking move finds it), not a complaint about that range on both parts
        asks = [a for a in asks if a.concept == "buried" or not _RANGE_NOUN.search(a.word)]
    if any(a.concept == "buried" for a in (*asks, *actions)) and reference:
        # "buried under the guitars": the part it is buried under is the masker, a target
        targets, reference = (*targets, *reference), ()
    pointed_at = named or bool(_ANAPHORA.search(text) and not _EXPLICIT_MIX.search(text))
    if not asks and pointed_at and _TAME.search(text) and not _FREQUENCY.search(text):
        # "tame the cymbals": nothing named but the part; "tame them": the part said before
        asks = [Ask("level", -1, TAME_WORD)]
        unknown = [w for w in unknown if not _TAME.fullmatch(w)]
    if not asks and named and not actions and _TOO_MUCH.search(rest):
        # "in the second verse the guitar is too much": a part said to be too much of itself
        asks = [Ask("level", -1, "too much")]
    asks, targets, reference = _part_against_the_rest(asks, targets, reference)
    unplaced = _unknown_subject(text, targets, asks, unknown)
    if unplaced:
        asks = []  # "the riff is too loud": not the whole mix; asked back instead
    return Clause(
        text=text,
        asks=tuple(asks),
        targets=targets,
        sections=sections,
        amount=amount,
        unknown=tuple(unknown),
        reference=(*reference, *reference_sections),
        vague=tuple(vague),
        unplaced=(unplaced,) if unplaced else (),
    )


THE_REST = TargetRef("group", "band")  # "the rest", "the band": every part but the vocal
_SUBJECT = lazy_pattern(r"^\s*(?:the|my|our|that|this|those|these)\s+(?P<noun>[a-z]+)\b")


def _unknown_subject(
    text: str, targets: tuple[TargetRef, ...], asks: list[Ask], unknown: list[str]
) -> str:
    """A level said of a noun the reader does not know ("the riff", "the solo"), or any ask
    said of an instrument the session has no part for ("make the flute brighter", "cut 300 on
    the sax"), and of no part it knows: a guess at the whole mix would be a large move on a
    misreading. The noun, or "" when it is not that."""
    if targets or not asks:
        return ""
    said = _SUBJECT.match(text)
    if (
        said is not None
        and said.group("noun") in unknown
        and all(a.concept == "level" for a in asks)
    ):
        return said.group("noun")
    instruments = [w for w in unknown if w.partition("->")[0] in INSTRUMENT_NOUNS]
    return instruments[0].partition("->")[0] if instruments else ""


def _part_against_the_rest(
    asks: list[Ask], targets: tuple[TargetRef, ...], reference: tuple[TargetRef, ...]
) -> tuple[list[Ask], tuple[TargetRef, ...], tuple[TargetRef, ...]]:
    """ "Make the vocal stand out from the rest": a level asked of a part and of "the rest"
    together is the part's against the rest (moving both would move nothing); the rest is
    the reference. Said of everything against a part ("everything is louder than the
    vocal"), it is that part's, the other way. Returns the asks, targets and reference."""
    if not asks or any(a.concept != "level" for a in asks):
        return asks, targets, reference
    turned = [replace(a, direction=-a.direction) for a in asks]
    compared = [t for t in reference if t.kind in ("role", "track", "group") and t != THE_REST]
    if targets == (TargetRef("mix"),) and compared:
        return turned, tuple(compared), (*[t for t in reference if t not in compared], THE_REST)
    parts = [t for t in targets if t.kind in ("role", "track", "group") and t != THE_REST]
    if THE_REST not in targets or not parts:
        return asks, targets, reference
    # "turn the music down behind the vocal": the verb is the rest's, so the part moves the
    # other way against it
    rest_first = targets.index(THE_REST) < targets.index(parts[0])
    kept = tuple(t for t in targets if t != THE_REST)
    return (turned if rest_first else asks), kept, (*reference, THE_REST)


# "turn the mix down", "bring everything up", "every track up 2 dB": a level verb (or a bare
# "up"/"down" after it) whose object is the whole mix
_WHOLE_MIX = (
    r"(?:(?:the\s+)?(?:whole\s+|entire\s+|overall\s+)?(?:mix|song|track|master|everything|thing|"
    r"lot|it all|all of it|stems|tracks)|(?:every|each|all(?:\s+the)?)\s+(?:tracks?|stems?|"
    r"channels?|faders?)|everyone|everybody)"
)
_MIX_LEVEL = lazy_pattern(
    r"\b(?:turn|bring|pull|push|take|crank|knock|raise|lower|drop|boost|lift|reduce|"
    rf"increase|decrease)\s+(?:(?:up|down)\s+)?{_WHOLE_MIX}\b(?:\s+(?:up|down)\b)?|"
    rf"^\s*{_WHOLE_MIX}\s+(?:up|down)\b|"
    rf"\b(?:{_WHOLE_MIX}|it all)\s+(?:\w+\s+){{0,3}}?(?:come|comes|coming|go|"
    r"goes|going)\s+(?:up|down)\b"
)
_CALM_DOWN = lazy_pattern(r"\bcalm\w*\s+(?:(?:it|them|that|those|this|these)\s+)?down\b")
_TAME = lazy_pattern(
    r"\b(?:tame\w*|rein\w* (?:(?:it|them|that|those)\s+)?in|control)\b|" + _CALM_DOWN.pattern
)
TAME_WORD = "tame"
_PLACE = frozenset({"forward", "upfront", "up front", "in your face", "present"})
_REVERB_SUBJECT = lazy_pattern(
    r"\b(?:reverb|verb|reverb tail|tail|ambience)\s+(?:\w+\s+){0,3}?(?:is|are|'s|s|sounds?|"
    r"feels?|seems?|gets?)\s+(?:(?:way|a bit|a little|just|kind of|really|still|so|too)\s+)*"
    r"(?:\w+\s+and\s+)?(?:loud|louder|quiet|quieter)\b"
)
_LOUDNESS = frozenset({"loud", "louder", "quiet", "quieter"})
_TOO_MUCH = lazy_pattern(
    r"\b(?:is|are|s|sounds?|feels?|gets?|getting)\s+(?:(?:way|a bit|a little|just|kind of|"
    r"really|still|simply)\s+)*(?:too much|a bit much|overkill|over the top|excessive)\b"
)


def _down_said_again(prev: Clause, clause: Clause) -> bool:
    """ "The drums in the verse are too busy, pull them back": a part said to be too much of
    itself, then brought down by a verb, is one move down, not two."""

    def down(ask: Ask) -> bool:
        return (ask.concept == "level" and ask.direction < 0) or (
            ask.concept == "clarity" and ask.word in BUSY_WORDS
        )

    return all(down(a) for a in prev.asks) and all(
        a.concept == "level" and a.direction < 0 for a in clause.asks
    )


def _is_tame(ask: Ask) -> bool:
    """The verb "tame"/"calm down" read as a part's level (not "tame the 2-4k region")."""
    return ask.concept == "level" and ask.word == TAME_WORD


_FREQUENCY = lazy_pattern(r"\d(?:\.\d+)?\s*(?:k|khz|hz)\b")


def _level_of_a_band(asks: list[Ask]) -> list[Ask]:
    """ "The low end is overpowering", "too loud on the top": with no part named, a level
    word beside a band or quantity noun is that band's level, not the mix's."""
    quantities = [a for a in asks if a.word in BAND_NOUNS or a.word in QUANTITY_NOUNS]
    if not quantities:
        return asks
    return [a for a in asks if not (a.concept == "level" and a.word not in LEVEL_VERBS)]


def _settle(asks: list[Ask], actions: list[Ask]) -> list[Ask]:
    """Words that qualify another word in the same clause: a band noun beside a problem
    word says where the problem is ("the highs are fatiguing", "the low end is boomy": less,
    not more); "together" beside a clash is the clash; the word "level" beside a dynamics
    complaint ("jumps around in level") is the complaint's."""
    said = asks + actions
    problem = any(a.concept in PROBLEMS and a.concept != "buried" for a in said)
    out = []
    for ask in asks:
        if ask.word in BAND_NOUNS and problem and ask.concept not in PROBLEMS:
            ask = replace(ask, direction=-1)
        if ask.concept == "glue" and any(a.concept == "buried" for a in said):
            continue
        if ask.word == "level" and any(a.concept == "compression" for a in said):
            continue
        out.append(ask)
    return out


def _merge_level(asks: list[Ask], actions: list[Ask]) -> list[Ask]:
    """A level verb wins over level words ("make the vocal louder"); a tonal word wins over
    the verb that carries it ("boost the highs"); a word on a verb's concept is the verb
    read again ("compress ... less" and then "compressed") and is dropped: the verb's
    reading, which looks at the whole clause, decides the direction."""
    verbs = [a for a in actions if a.concept == "level"]
    others = [a for a in actions if a.concept != "level"]
    if any(a.word in BAND_NOUNS and a.concept != "level" for a in asks):
        # "lift the top octave": the verb carries the band, it is not a level move
        asks = [a for a in asks if not (a.concept == "level" and a.word in LEVEL_VERBS)]
    if verbs and any(a.concept not in ("level", "buried") for a in asks):
        verbs = []
    said = {a.concept for a in others}
    words = [a for a in asks if not (verbs and a.concept == "level") and a.concept not in said]
    return [*others, *verbs, *words]


LEVEL_VERBS = frozenset(UP_WORDS + DOWN_WORDS)


_HEDGE = lazy_pattern(
    r"^(?:(?:so|very|really|quite|pretty|kind of|sort of|a bit|a little|a tad|super|rather|"
    r"somewhat|slightly|too|way too|also)\s+)*"
)


def _quality_word(word: str) -> bool:
    return word.isalpha() and _concept_for(word) is not None and word not in AMOUNT_ONLY


def _both_qualities(before: str, after: str) -> bool:
    """The last word before "and" and the first after it (past hedges) both name qualities."""
    last = re.search(r"[a-z']*$", before.rstrip())
    head = re.match(r"[a-z']*", _HEDGE.sub("", after))
    if re.search(r"\b(?:between|tell apart|distinguish) (?:the |my )?\S+$", before.rstrip()):
        return True  # "a clash between kick and bass": one relation of two parts
    # "too pingy and bright": what "too" says of the first word it says of the second
    first_said = last is not None and (
        _quality_word(last.group(0)) or re.search(r"\btoo \S+$", before.rstrip()) is not None
    )
    if not first_said or head is None:
        return False
    # "too dry and in your face": a quality said in a few words counts as one
    words = _HEDGE.sub("", after).split()
    phrases = (" ".join(words[:n]) for n in (3, 2))
    return _quality_word(head.group(0)) or any(p in CONCEPT_WORDS for p in phrases)


_KEPT_OUT_BEFORE = lazy_pattern(
    rf"\b(?:except|but|apart from|other than|besides)(?: for)?\s+(?:the\s+)?(?:{_A_PART})"
    rf"(?:\s*(?:,|and|&)\s*(?:the\s+)?(?:{_A_PART}))*\s*$"
)
_KEPT_OUT_AFTER = lazy_pattern(
    rf"^(?:the\s+)?(?:{_A_PART})\b(?:\s+(?:up|down|louder|quieter|softer|lower)\b)?"
    r"(?:\s*(?:$|,|and\b|or\b|&))"
)


def _kept_out_list(before: str, after: str) -> bool:
    """ "Everything down except the drums and the vocal": the parts after "and" are more of
    the parts kept out, not a clause of their own."""
    return bool(_KEPT_OUT_BEFORE.search(before) and _KEPT_OUT_AFTER.match(after))


_PLACE_IN_SPECTRUM = lazy_pattern(
    r"^\s*(?:(?:somewhere|maybe|roughly|like|about|around|near|at)\s+)+\d+(?:\.\d+)?\s*"
    r"(?:khz|k|hz)?\b(?!\s*(?:db|%|ms|sec|bpm))"
)


def split_clauses(text: str) -> list[str]:
    """Parts of a brief, split at "and", commas, "then"...; two qualities joined by "and"
    ("muddy and dark", "a little harsh and bright") stay one part, so what is said of the
    first ("it's ...") is said of both."""
    parts: list[str] = []
    start = 0
    text = _TWO_AMOUNTS.sub(r"\g<said>, ", _RUN_ON.sub(r"\g<said>, ", text))
    text = _MOVE_THEN_WHY.sub(r"\g<said>, ", text)
    for sep in _SPLIT.finditer(text):
        before, after = text[start : sep.start()], text[sep.end() :]
        joined = sep.group(0).strip() in ("and", "&", "or")
        if joined and _both_qualities(before, after):
            continue
        if (joined or sep.group(0).strip() == ",") and _kept_out_list(before, after):
            continue
        if sep.group(0).strip() == "," and _PLACE_IN_SPECTRUM.match(after):
            continue  # "more chest in the mix, around 150": where, said of the same ask
        parts.append(text[start : sep.start()])
        start = sep.end()
    parts.append(text[start:])
    parts = [p.strip() for p in parts if p and p.strip()]
    return parts or [text]


_FINE_AS_IS = lazy_pattern(
    r"\b(?:is|are|sounds?|sound|seems?|feels?|s)\s+(?:\w+\s+)?(?:fine|good|great|ok|okay|perfect|"
    r"nice|right|spot on)\b"
)
# "..., everything else the same", "the drums stay as they are": parts said to be left alone
_KEPT_AS_IS = lazy_pattern(
    r"\b(?:stays?|remains?|(?:the\s+)?same|unchanged|untouched|as (?:it|they) (?:is|are)|as is|"
    r"where (?:it|they) (?:is|are)|alone|^leave (?:it|them|that|those)(?: be)?)\s*$"
)
_ANAPHORA = lazy_pattern(r"\b(?:it|them|they|this|that|its)\b")
_EXPLICIT_MIX = lazy_pattern(
    r"\b(?:mix|song|track|everything|whole|overall|master|entire|all of it|it all|"
    r"the rest)\b"
)


# qualities a clause that names nothing says of the part the clause before named ("the bass
# is all low end, bring out the pick")
_PART_QUALITIES = frozenset(
    "level presence brightness air wet width punch energy mood growl low_end mud boom box honk "
    "harsh sizzle".split()
)
_OVERALL = lazy_pattern(r"\b(?:overall|everything|whole|all over|the rest|in general)\b")


def _relation_of_parts(clause: Clause) -> bool:
    """A clause saying one part clashes with another that was said just before it."""
    return (
        bool(clause.asks)
        and all(a.concept == "buried" for a in clause.asks)
        and len([t for t in clause.targets if t.kind != "mix"]) == 1
        and re.search(
            r"\b(?:each other|one another|together|fight\w*|clash\w*|compet\w*|one)\b", clause.text
        )
        is not None
    )


def _combine(clauses: list[Clause], before: Clause | None = None) -> list[Clause]:
    """Fragments share: a target-only part joins its neighbour's ask; a section-only part
    gives its section to its neighbour; a clause with no target inherits the previous one's
    track target when it does not say "it"/"the mix"."""
    out: list[Clause] = []
    pending: list[Clause] = []
    for index, clause in enumerate(clauses):
        part = _part_said_before(out[-1] if out else _earlier(before, clause), clause)
        if part:
            prev = out[-1] if out else Clause(text="")
            if prev.asks and clause.asks and (
                all(_is_tame(a) for a in clause.asks) or _down_said_again(prev, clause)
            ):
                # "the cymbals are splashy, calm them down": the complaint said again as a
                # verb; the part's own ask stands, with the amount said here if any
                if clause.amount.phrase and not prev.amount.phrase:
                    out[-1] = replace(prev, amount=clause.amount)
                continue
            # "the keys in the chorus are too busy, back them off": where, said once too
            clause = replace(clause, targets=part, sections=clause.sections or prev.sections)
        spared = _spared(out[-1] if out else None, clause)
        if spared is not None:
            out[-1] = replace(out[-1], targets=(TargetRef("all_but", spared.value),))
            continue
        masker = _masker_said_before(out[-1] if out else None, clause)
        if masker:
            clause = replace(clause, targets=clause.targets + masker)
        if (
            out
            and out[-1].asks
            and clause.asks
            and all(a.concept == "level" and a.word in COMPLAINTS for a in clause.asks)
            and not any(t.kind != "mix" for t in clause.targets)
            and not any(t.kind != "mix" for t in out[-1].targets)
        ):  # "too much bass overall, it's overwhelming": the complaint said again
            continue
        following = clauses[index + 1] if index + 1 < len(clauses) else None
        if not clause.asks and following is not None and _relation_of_parts(following):
            pending.append(clause)  # "..., kick and | bass stepping on each other": both parts
            continue
        if not clause.asks:
            left_alone = _FINE_AS_IS.search(clause.text) or _KEPT_AS_IS.search(clause.text)
            if out and clause.targets and not left_alone:
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
            elif out and not clause.targets:  # "compress the vocal, 4:1": said apart, one ask
                prev = out[-1]
                out[-1] = replace(
                    prev,
                    text=f"{prev.text}, {clause.text}",
                    amount=prev.amount if prev.amount.phrase else clause.amount,
                    unknown=prev.unknown + clause.unknown,
                )
            elif _FINE_AS_IS.search(clause.text):
                pending = []  # "the kick and snare are fine": the parts said are not asked for
            else:
                pending.append(clause)
            continue
        for frag in pending:
            spared = _spared(clause, frag)
            if spared is not None:  # "the vocal stays, everything else down"
                clause = replace(clause, targets=(TargetRef("all_but", spared.value),))
                continue
            if _KEPT_AS_IS.search(frag.text):  # "everything else the same, the lead louder"
                continue
            clause = replace(
                clause,
                targets=clause.targets + frag.targets,
                sections=clause.sections + frag.sections,
                amount=clause.amount if clause.amount.phrase else frag.amount,
                unknown=clause.unknown + frag.unknown,
            )
        pending = []
        if _verb_on_the_quality(out[-1] if out else None, clause):
            # "the low end feels heavy, bring it down": "it" is the quality just said, and
            # the verb says which way it goes; not the mix's level
            prev, way = out[-1], clause.asks[0].direction
            out[-1] = replace(
                prev,
                asks=tuple(
                    a if a.concept in PROBLEMS else replace(a, direction=way) for a in prev.asks
                ),
                amount=prev.amount if prev.amount.phrase else clause.amount,
            )
            continue
        if (
            not clause.targets
            and out
            and all(a.concept == "buried" for a in clause.asks)
            and re.search(r"\b(?:them|they|the two|both)\b", clause.text)
        ):  # "the bass and kick clash, I can't separate them"
            clause = replace(clause, targets=tuple(t for t in out[-1].targets if t.kind != "mix"))
        if not clause.targets and out and not re.search(r"\bit\b|\bmix\b", clause.text):
            prev_tracks = tuple(t for t in out[-1].targets if t.kind != "mix")
            if (
                prev_tracks
                and all(a.concept in (*_PART_QUALITIES, "eq_point") for a in clause.asks)
                and not (_OVERALL.search(clause.text))
            ):
                clause = replace(
                    clause, targets=prev_tracks, sections=clause.sections or out[-1].sections
                )
        out.append(clause)
    for frag in pending:
        out.append(frag)
    return [_calm_the_mix(c) for c in out]


def _calm_the_mix(clause: Clause) -> Clause:
    """ "Calm it down" with no part named before or in it: the mix's calm (its mood word),
    not a quieter mix."""
    if not clause.asks or not all(_is_tame(a) for a in clause.asks):
        return clause
    if any(t.kind != "mix" for t in clause.targets):
        return clause
    asks, _, _ = find_asks("calm")
    return replace(clause, asks=tuple(asks))


# a pronoun that cannot be the mix ("calm them down"), or "it" under a verb that a whole mix
# is never given ("tame it")
_PLURAL_PRONOUN = lazy_pattern(r"\b(?:them|they|those|these)\b")


def _earlier(before: Clause | None, clause: Clause) -> Clause | None:
    """The previous brief's parts, as the clause "them" refers to when a brief opens with it
    ("calm them down" after a brief about the cymbals); None when the pronoun could be the
    mix."""
    if before is None:
        return None
    if _PLURAL_PRONOUN.search(clause.text) or (
        clause.asks and all(_is_tame(a) for a in clause.asks)
    ):
        return before
    return None


# "..., leave the vocal", "..., but not the vocal", "..., vocal stays": a part kept out
_SPARED = lazy_pattern(
    r"^\s*(?:but\s+|and\s+)?(?:(?:not|leave|keep|except|apart from|other than|besides)\s+"
    r"(?:for\s+)?(?:the\s+|my\s+)?(?:\w+\s*){1,3}?(?:\s+(?:alone|as is|as it is|where it is|"
    r"the same|untouched|out of it))?|(?:the\s+|my\s+)?(?:\w+\s*){1,3}?\s+(?:stays?|remains?|"
    r"can stay|is fine|(?:is\s+)?(?:the\s+)?same|(?:is\s+)?(?:unchanged|untouched|ok|okay|fine)|"
    r"as is)(?:\s+(?:where it is|the same|as is|put|level))?)\s*$"
)


_RANGE_NOUN = lazy_pattern(
    r"\b(?:mids?|highs?|lows?|low end|top end|bottom end|midrange|mid range|frequenc\w*)$"
)
_NOT_THIS = lazy_pattern(
    r"^\s*(?:but\s+|and\s+)?(?:not|never|without|rather than|instead of|don'?t|do not|"
    r"no need to)\b"
)
_NOT_AN_AMOUNT = lazy_pattern(
    r"^\s*(?:but\s+|and\s+)?not\s+(?:too|that|so|as|very|by|a\s+lot|much|overboard|crazy|"
    r"over the top|extreme)\b|\benough\b"
)


def _not_said(clauses: list[Clause]) -> list[Clause]:
    """ "Make the vocal louder, not the guitar", "cut the mud but not the warmth", "more air,
    not more 3k": a part or quality said after "not" beside another ask is what must stay,
    so it is left out rather than moved. Kept: a guard beside brightening ("brighter, not
    harsher"), a part kept out of a level on the mix or a group ("everything up, not the
    vocal", see ``_spared``), "not enough" and an amount ("but not too much")."""
    if not any(c.asks for c in clauses):
        return clauses
    out: list[Clause] = []
    ruled_out: set[str] = set()  # "it's harsh, not the esses": no sibilance ask anywhere
    for clause in clauses:
        said_not = _NOT_THIS.match(clause.text) and not _NOT_AN_AMOUNT.search(clause.text)
        if not said_not or (out and _spared(out[-1], clause) is not None):
            out.append(clause)
        elif clause.asks and all((a.concept, a.direction) in GUARDS for a in clause.asks):
            out.append(clause)
        elif not clause.targets:
            ruled_out.update(a.concept for a in clause.asks)
    if not ruled_out:
        return out
    return [replace(c, asks=tuple(a for a in c.asks if a.concept not in ruled_out)) for c in out]


_DEGREE_THEN_QUALITY = lazy_pattern(
    r"^(?:(?:just|only|simply|also|kinda|kind of|sort of|sorta|a bit|a little|a little bit|"
    r"really|very|quite|pretty|super|a tad)\s+)+(?P<word>[a-z]+)$"
)
_DESCRIBING = lazy_pattern(r"\b(?:is|are|was|were|s|sounds?|feels?|seems?|gets?|got)\b")


def _described_on(parts: list[str]) -> list[str]:
    """ "The mix sounds muddy, kinda dark": a quality said after a description, with only a
    degree word, is the same description ("is kind of dark": brighter), not a wish."""
    out: list[str] = []
    before = ""  # the last part said, past any "not ..." beside it
    for part in parts:
        said = _DEGREE_THEN_QUALITY.match(part)
        quality = said is not None and said.group("word") in CONCEPT_WORDS
        if quality and not part.endswith("er") and _DESCRIBING.search(before):
            part = f"is {part}"
        out.append(part)
        before = before if _NOT_THIS.match(part) else part
    return out


def _spared(prev: Clause | None, clause: Clause) -> TargetRef | None:
    """ "Turn the band down, leave the vocal": the part this clause keeps out of the level
    change the clause before asks of the whole mix or a group; None when it is not that."""
    named = [t for t in clause.targets if t.kind != "mix"]
    if prev is None or not prev.asks or len(named) != 1 or named[0].kind not in ("role", "group"):
        return None
    if any(t.kind not in ("mix", "group") for t in prev.targets) or named[0] in prev.targets:
        return None
    if any(a.concept != "level" for a in prev.asks) or not _SPARED.match(clause.text):
        return None
    return named[0]


# "the vocal is quieter than the rest": a part described against another is a complaint, so
# it moves the other way ("it should be quieter than the rest" is the wish itself)
_DESCRIBED_THAN = lazy_pattern(
    r"\b(?:is|are|was|were|s|sits?|sounds?|feels?|seems?)\s+(?:\w+\s+){0,3}"
    r"(?P<word>quieter|softer|lower|louder|higher|weaker|stronger)\s+than\b"
)


_MORE_THAN = frozenset({"louder", "higher", "stronger"})


def _described_comparison(asks: list[Ask], text: str) -> list[Ask]:
    said = _DESCRIBED_THAN.search(text)
    if said is None or WISHED.search(text[: said.start()]):
        return asks
    # the word's own sense, not the direction read so far: a complaint wants the other way
    wanted = -1 if said.group("word") in _MORE_THAN else 1
    return [
        replace(a, direction=wanted) if a.concept == "level" and a.word == said.group("word") else a
        for a in asks
    ]


def _masker_said_before(prev: Clause | None, clause: Clause) -> tuple[TargetRef, ...]:
    """ "The piano is too loud, it covers the vocal": the parts the clause before named
    are what "it" stands for, the masker of the part this clause says is buried; () when
    this clause is not that."""
    if prev is None or not clause.asks or any(a.concept != "buried" for a in clause.asks):
        return ()
    if not masked_by_pronoun(clause.text, clause.targets):
        return ()
    return tuple(t for t in prev.targets if t.kind != "mix" and t not in clause.targets)


def _part_said_before(prev: Clause | None, clause: Clause) -> tuple[TargetRef, ...]:
    """The parts "it"/"them" stand for in ``clause`` ("the cymbals are splashy, calm them
    down"): the parts the clause before named, when this one names none and does not say
    the mix; () otherwise."""
    if prev is None or any(t.kind != "mix" for t in clause.targets):
        return ()
    if any(t.kind == "mix" for t in prev.targets) and _EXPLICIT_MIX.search(prev.text):
        return ()  # "the mix is dull, brighten it": the mix was said last
    if not _ANAPHORA.search(clause.text) or _EXPLICIT_MIX.search(clause.text):
        return ()
    return tuple(t for t in prev.targets if t.kind != "mix")


# a clause that asks with a verb of its own ("then add reverb"), not one that describes
_IMPERATIVE = lazy_pattern(
    r"^\s*(?:and\s+|then\s+|also\s+|please\s+|pls\s+)*(?:add|give|put|boost|cut|make|bring|"
    r"take|use|try|throw|send|pan|set|push|pull|turn|raise|lower|remove|compress)\b"
)


def _verb_on_the_quality(prev: Clause | None, clause: Clause) -> bool:
    """``clause`` is only a level verb on "it"/"them" ("bring it down", "turn them up") and
    the clause before it named a quality of the mix (no part): the verb is that quality's."""
    return (
        prev is not None
        and bool(prev.asks)
        and not _IMPERATIVE.search(prev.text)  # "it's harsh", not "then add reverb"
        and all(a.concept not in ("level", "buried") for a in prev.asks)
        and not any(t.kind != "mix" for t in prev.targets)
        and bool(clause.asks)
        and all(
            a.concept == "level" and (a.word in LEVEL_VERBS or _is_tame(a)) for a in clause.asks
        )
        and not any(t.kind != "mix" for t in clause.targets)
        and not clause.sections
        and clause.amount.db is None
        and bool(re.search(r"\b(?:it|them|that|those|this)\b", clause.text))
        and not _EXPLICIT_MIX.search(clause.text)
    )


def _verb_before_the_quality(clauses: list[Clause]) -> list[Clause]:
    """ "Tone it down a bit, it's harsh": the level verb on "it" said before a quality of the
    mix is that quality's direction (the other order is read in ``_combine``)."""
    out: list[Clause] = []
    for index, clause in enumerate(clauses):
        after = clauses[index + 1] if index + 1 < len(clauses) else None
        if after is not None and _verb_on_the_quality(after, clause):
            way = clause.asks[0].direction
            clauses[index + 1] = replace(
                after,
                asks=tuple(
                    a if a.concept in PROBLEMS else replace(a, direction=way) for a in after.asks
                ),
                amount=after.amount if after.amount.phrase else clause.amount,
            )
            continue
        out.append(clause)
    return out


def _soft_is_a_tone(asks: list[Ask]) -> list[Ask]:
    """ "Make it softer", "softer and warmer" with no part named: a gentler sound (less top),
    not a quieter mix."""
    return [
        Ask("brightness", a.direction, a.word) if a.concept == "level" and a.word == "soft" else a
        for a in asks
    ]


# A complaint that names what the request does: "it's buried" asks for the part up.
RESTATED_ASKS: dict[tuple[str, int], tuple[str, int]] = {("buried", -1): ("level", 1)}


def _intent_key(clause: Clause) -> tuple:
    asks = {
        RESTATED_ASKS.get((a.concept, a.direction), (a.concept, a.direction)) for a in clause.asks
    }
    return (tuple(sorted(asks)), clause.targets, clause.sections)


def _names_amount(clause: Clause) -> bool:
    amount = clause.amount
    return bool(amount.phrase) or amount.db is not None or amount.pct is not None


def _dedupe(clauses: list[Clause]) -> list[Clause]:
    """A clause that says again what an earlier one said ("dry and naked, give it some
    space": three ways of asking for more reverb on the vocal; "the vocal is buried, bring it
    up a touch") is folded into it: one move, not two. The folded clause keeps the asks of a
    complaint (``RESTATED_ASKS``: "buried" also unmasks) and the amount either one names."""
    index_of: dict[tuple, int] = {}
    out: list[Clause] = []
    for clause in clauses:
        key = _intent_key(clause)
        if not clause.asks or key not in index_of:
            index_of.setdefault(key, len(out))
            out.append(clause)
            continue
        kept = out[index_of[key]]
        if any((a.concept, a.direction) in RESTATED_ASKS for a in clause.asks):
            kept = replace(kept, asks=clause.asks)
        if _names_amount(clause) and not _names_amount(kept):
            kept = replace(kept, amount=clause.amount)
        out[index_of[key]] = kept
    return out


_DISTANCE_WORDS = frozenset({"far away", "distant"})


def _distance_of_the_reverb(clauses: list[Clause]) -> list[Clause]:
    """ "The vocal is drenched, it sounds far away": the distance is what the reverb does,
    said again, not a fader move; the part's reverb coming down is the answer."""
    drier = {
        t
        for c in clauses
        for a in c.asks
        if a.concept == "wet" and a.direction < 0
        for t in c.targets or (TargetRef("mix"),)  # "... and washed out": the mix's reverb
    }
    if not drier:
        return clauses
    out = []
    for clause in clauses:
        if set(clause.targets) <= drier:
            clause = replace(
                clause,
                asks=tuple(
                    a
                    for a in clause.asks
                    if not (a.concept == "level" and a.word in _DISTANCE_WORDS)
                ),
            )
        if clause.asks:
            out.append(clause)
    return out


def _within_mono_complaint(clauses: list[Clause]) -> list[Clause]:
    """ "Weird on my phone, like the guitars vanish": what vanishes in mono is the mono
    complaint said again, not a part to bring up."""
    if not any(a.word == "mono compatibility" for c in clauses for a in c.asks):
        return clauses
    return [
        c
        for c in clauses
        if not (
            c.asks and all(a.concept == "buried" for a in c.asks) and MONO_TROUBLE.search(c.text)
        )
    ]


def _open_beside_the_width(clauses: list[Clause]) -> list[Clause]:
    """ "Too narrow, open it up": "open" beside a width complaint says the width again, not
    more air."""
    if not any(a.concept == "width" for c in clauses for a in c.asks):
        return clauses
    out = []
    for clause in clauses:
        asks = tuple(a for a in clause.asks if not (a.concept == "air" and a.word == "open"))
        if clause.asks and not asks:
            continue
        out.append(replace(clause, asks=asks))
    return out


_SIZE_COMPLAINTS = frozenset({"small", "tiny"})


def _small_beside_the_size(clauses: list[Clause]) -> list[Clause]:
    """ "Sounds small, I want it wide and big": the size wish says the complaint again; read
    alone, "small" is too little low end, whose shelf in the centre would narrow the mix."""
    wished = any(
        (a.concept == "width" or (a.concept == "mood" and MOODS.get(a.word) == "huge"))
        and a.direction > 0
        for c in clauses
        for a in c.asks
    )
    if not wished:
        return clauses
    out = []
    for clause in clauses:
        asks = tuple(a for a in clause.asks if a.word not in _SIZE_COMPLAINTS)
        if clause.asks and not asks:
            continue
        out.append(replace(clause, asks=asks))
    return out


def read_brief(
    text: str, *, tracks: Sequence[tuple[str, str]] = (), said_before: str = ""
) -> BriefReading:
    """Read one brief. ``tracks`` = (name, role) pairs so track names can be recognised;
    ``said_before``: the previous brief, whose parts a brief opening with "them" refers to."""
    norm = normalise_text(text)
    followup = classify_followup(norm)
    if followup is not None:
        intent, versions, scale = followup
        reading_intent = cast(ReadingIntent, intent)  # classify_followup names only these
        return BriefReading(text=text, intent=reading_intent, versions=versions, scale=scale)
    clauses = _dedupe(
        _combine(
            _not_said(
                [read_clause(part, tracks) for part in _described_on(split_clauses(norm))],
            ),
            _last_parts(said_before, tracks),
        )
    )
    clauses = _distance_of_the_reverb(_within_mono_complaint(_verb_before_the_quality(clauses)))
    clauses = _small_beside_the_size(_open_beside_the_width(clauses))
    actionable = [c for c in clauses if c.asks]
    unknown = tuple(w for c in clauses for w in c.unknown if "->" not in w)
    approx = tuple(
        (w.split("->")[0], w.split("->")[1]) for c in clauses for w in c.unknown if "->" in w
    )
    vague = tuple(w for c in clauses for w in c.vague)
    if re.search(r"\?\s*$", text.strip()) and not actionable:
        return BriefReading(text=text, intent="question", unknown=unknown, vague=vague)
    if not actionable:
        return BriefReading(
            text=text,
            intent="clarify",
            unknown=unknown,
            suggestions=suggest(unknown),
            vague=vague,
            unplaced=tuple(w for c in clauses for w in c.unplaced),
        )
    return BriefReading(
        text=text,
        intent="change",
        clauses=tuple(actionable),
        unknown=unknown,
        approximations=approx,
        vague=vague,
        unplaced=tuple(w for w in unknown if w in INSTRUMENT_NOUNS),
    )


def _last_parts(brief: str, tracks: Sequence[tuple[str, str]]) -> Clause | None:
    """The parts the last clause of ``brief`` named, as a clause of their own; None when it
    named none (or was no mix brief)."""
    if not brief.strip():
        return None
    reading = read_brief(brief, tracks=tracks)
    for clause in reversed(reading.clauses):
        parts = tuple(t for t in clause.targets if t.kind != "mix")
        if parts:
            return Clause(text=clause.text, targets=parts)
    return None


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
