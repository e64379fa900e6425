"""Asks that only a sentence's structure says: a mono or phone complaint (narrower, not
wider), "can't hear X" (X is buried), "X covers Y" (Y is buried by X), "where did X go",
"X shouting over everything", two parts "in the same range", "it feels dry" (more reverb),
"X to the left" (a pan)."""

from __future__ import annotations

import re

from mixchat.assistant.reading.asks import Ask
from mixchat.assistant.reading.patterns import lazy_pattern
from mixchat.assistant.reading.refs import TargetRef, blank, has_phrase
from mixchat.assistant.reading.vocab import CONCEPT_WORDS, GROUP_WORDS, ROLE_WORDS


def find_pan(text: str) -> float | None:
    if not re.search(r"\bpan\b|\bpanned\b|\bleft\b|\bright\b|\bcent(?:er|re)\b", text):
        return None
    if not re.search(r"\bpan", text):
        return None
    if re.search(r"\b(?:cent(?:er|re)|middle)\b", text):
        return 0.0
    side = -1.0 if has_phrase(text, "left") else 1.0 if has_phrase(text, "right") else None
    if side is None:
        return None
    pct = re.search(r"(\d+)\s*(?:%|percent)", text)
    if pct:
        return side * min(float(pct.group(1)), 100.0) / 100.0
    if re.search(r"\bhard\b|\ball the way\b|\bfully\b", text):
        return side
    if re.search(r"\b(?:slightly|a bit|a little|a touch|a tad|just)\b", text):
        return side * 0.25
    return side * 0.6


_MONO_PLACE = lazy_pattern(
    r"\b(?:in|on|under|into|to) mono\b|\bmono (?:playback|compat\w*|check\w*|sum\w*|speakers?)\b|"
    r"\bsummed\b|\bphones?\b|\b(?:laptop|bluetooth|small|tiny|club|phone) speakers?\b"
)
MONO_TROUBLE = lazy_pattern(
    r"\b(?:disappear\w*|missing|vanish\w*|gone|fall\w* apart|collaps\w*|cancel\w*|weird|"
    r"strange|hollow|phas\w*|lost|half)\b"
)
_SMALL_SPEAKERS = lazy_pattern(
    r"\b(?:phones?|laptops?|earbuds?|air ?pods|(?:laptop|bluetooth|small|tiny|cheap|phone|"
    r"computer|tv) speakers?)\b"
)
_WEAK_THERE = lazy_pattern(r"\b(?:translat\w*|weak|thin|quiet|inaudible|nowhere)\b")
_LOST_THERE = lazy_pattern(
    r"\b(?:lost|inaudible|vanish\w*|disap+ear\w*|gone|missing|buried|nowhere)\b"
)
_FINE_THERE = lazy_pattern(r"\b(?:great|good|fine|perfect|nice|ok|okay|too loud|too much)\b")
LOW_PARTS = frozenset({"bass", "kick", "sub"})
_SOAKED = lazy_pattern(
    r"\b(?:drown\w*|swim\w*|soak\w*|buried|lost|wash\w*|smother\w*|swamp\w*)\s+(?:in|with|by)\s+"
    r"(?:the\s+|all\s+(?:the|that|this)\s+|so much\s+)?(?:reverb|verb|echo\w*|delay|ambience|room)\b"
)
_CANT_HEAR = lazy_pattern(
    r"\b(?:can't|can not|cannot|couldn't|could not|don't|do not|barely|hardly|hard to|"
    r"struggle to|difficult to|impossible to|not able to|unable to|never)\s+(?:\w+\s+)?"
    r"(?:hear|make out|understand|notice|pick out|follow|distinguish|separate|tell apart|find|"
    r"locate|feel)\b"
)
# "where did the piano go?", "the keys went missing": a part that cannot be found is buried
_GONE = lazy_pattern(
    r"\bwhere(?:'s| is| are| did| has| have)\b(?:\s+\S+){0,4}?\s+(?:go|gone|went)\b|"
    r"\b(?:went|goes|gone) (?:missing|away|awol)\b"
)
# "the lead is shouting over everything": a part heard over the rest is too loud
_OVER_ALL = lazy_pattern(
    r"\b\w+(?:ing|s)\s+(?:over|above)\s+(?:the\s+top\s+of\s+)?"
    r"(?:everything|it all|the mix|the song|the track|all|the rest|the band|the music)\b"
)
# "the vocal should sit above everything", "the keys are behind the band": where a part sits
# against the rest of the mix is its level; "too far above" and a description ("is behind")
# are complaints, so they want the other way
_PLACED = lazy_pattern(
    r"(?P<too>\btoo\s+(?:far\s+|much\s+)?)?\b(?:(?P<where>on top of|on top|above|in front of|"
    r"ahead of|over|behind|under|underneath|below|beneath)\s+(?:(?:all|the|of|whole|entire|"
    r"rest|other)\s+)*(?P<rest>everything|everyone|rest|music|band|mix|song|instruments?|"
    r"others|tracks|stems|parts|backing|accompaniment|instrumental)\b|"
    # "sits on top too much", "pasted on top": on top of the rest, said short
    r"(?P<where_alone>on top)(?=\s*(?:$|[,.;!?]|too\b|(?:a bit|way|far) too\b)))"
)
_LOST = lazy_pattern(
    r"\b(?:buried|burried|lost|drown\w*|swamp\w*|hidden|masked|smother\w*|disappear\w*|"
    r"vanish\w*|covered)\b"
)
_PLACED_HIGH = frozenset({"on top of", "on top", "above", "in front of", "ahead of", "over"})
_WISHED_NOT = lazy_pattern(
    r"\b(?:shouldn't|shouldnt|mustn't|mustnt|(?:don't|dont|do not) want (?:\S+\s+){0,2}to)\s+"
    r"(?:\S+\s+)?$"
)
_NEGATED = lazy_pattern(r"(?:\bnot|n't|\bisnt|\barent|\bnever)\s+(?:\S+\s+){0,2}$")
_PLACING_VERB = lazy_pattern(
    r"\b(?:be|is|are|isn't|aren't|isnt|arent|not|s|sits?|sitting|sat|stays?|put|place|keep|set|"
    r"move|get|gets?|was|were|"
    r"feels?|sounds?|seems?)\s+(?:\S+\s+){0,3}$"
)
_DESCRIBED_BEFORE = lazy_pattern(
    r"\b(?:is|are|s|sits?|sitting|sounds?|feels?|seems?|was|were|gets?|getting|stays?)\s+"
    r"(?:\w+\s+){0,2}$"
)


def placed_against_the_rest(text: str) -> tuple[Ask, re.Match[str]] | None:
    """The level a part's place against the rest of the mix asks for, and where it was
    said; None when the clause does not place a part that way."""
    m = _PLACED.search(text)
    if m is None:
        return None
    where = m.group("where") or m.group("where_alone")
    high = 1 if where in _PLACED_HIGH else -1
    before = text[: m.start("where") if m.group("where") else m.start("where_alone")]
    if not _PLACING_VERB.search(before):
        return None  # "disappears behind the band" says where it is lost, not its level
    negated = bool(_NEGATED.search(before))
    wished = bool(WISHED.search(before) or _WISHED_NOT.search(before))
    if m.group("too") or re.match(r"\s*(?:(?:a bit|way|far)\s+)?too\b", text[m.end() :]):
        way = -high
    elif wished:  # "should sit above", "shouldn't be on top": the wish, either way
        way = -high if negated else high
    elif negated or _DESCRIBED_BEFORE.search(before):
        way = high if negated else -high  # "isn't on top" wants it there; "is on top", away
    else:
        way = high  # "put the vocal in front of the band"
    return Ask("level", way, where), m


# two parts in one place: "they occupy the same space", "muddying each other up"
_SAME_PLACE = lazy_pattern(
    r"\b(?:occupy\w*|share|sharing|shares|in|fight\w* for|compet\w* for|tak\w* up|sit\w* in|"
    r"live\w* in|liv\w* in|at)\s+the\s+same\s+(?:space|frequenc\w*|range|area|spot|pocket|"
    r"register|place|zone|band|freqs?)\b|"
    r"\b(?:fight\w*|compet\w*|battl\w*|wrestl\w*|jostl\w*|scrap\w*)\s+(?:for|over)\s+"
    r"(?:the\s+|some\s+)?(?:space|room|frequenc\w*|range|spot|pocket|air\s*time|freqs?)\b"
)
_EACH_OTHER = lazy_pattern(r"\b(?:\w+\s+){0,2}(?:each other|one another)(?:\s+up)?\b")
_PAIR_WORDS = lazy_pattern(r"\b(?:separate|distinguish|tell apart|each other|together)\b")
_MASK_VERB = lazy_pattern(
    r"\b(?:cover(?:s|ing)?|mask(?:s|ing)?|eat(?:s|ing)?|swallow(?:s|ing)?|bur(?:y|ies|ying)|"
    r"drown(?:s|ing)?(?: out)?|smother(?:s|ing)?|swamp(?:s|ing)?|overpower(?:s|ing)?|"
    r"dominat(?:e|es|ing)|sit(?:s|ting)? (?:right |directly |just )?on(?: top of)?|step(?:s|ping)? (?:right |all )?on|crowd(?:s|ing)?|"
    r"cloud(?:s|ing)?|kill(?:s|ing)?|hid(?:e|es|ing)|wash(?:es|ing)? over|in the way of)\b"
)
# two parts that "are mixing together" / "blur into each other": a clash, not a wish for glue
# (an imperative "blend them together" has no -ing, -s or -ed)
_RUN_TOGETHER = lazy_pattern(
    r"\b(?:(?:mix|blend|merg|mash|bleed|melt|smear|run|mush|blur|bled)\w*(?:ing|s|ed)|blurr?y|"
    r"blur|mush|smear|run|bled|ran|muddy|muddied|cloudy)\s+(?:\w+\s+)?(?:together|"
    r"into (?:each other|one)|as one)\b"
)
_ONE_THING = lazy_pattern(
    r"\b(?:one|a single|1)\s+(?:big\s+|huge\s+|giant\s+)?(?:blob|mess|lump|mass|mush|smear|"
    r"sound|thing|instrument)\b"
)
_MAKE_ROOM = lazy_pattern(
    r"\b(?:carve|make|clear|give|leave|create|open)\s+(?:out\s+|up\s+)?(?:some\s+|more\s+|a\s+)?"
    r"(?:space|room|pocket|hole|gap)\s+for\b"
)
_BAND_OBJECT = lazy_pattern(
    r"^\s*(?:the\s+|all\s+(?:the\s+)?|my\s+)?(?P<band>low end|bottom end|bottom|lows|low mids|"
    r"top end|high end|highs|mids|midrange|sub|sub bass)\b"
)
# "should", "needs to", "I want it to" right before the verb: what the part is to do
WISHED = lazy_pattern(
    r"\b(?:should|must|needs? to|has to|have to|ought to|gotta|got to|"
    r"(?:want|wanna|would like|need)\w*(?:\s+\S+){0,3}\s+to)\s+(?:\S+\s+)?$"
)
_PASSIVE_BEFORE = lazy_pattern(r"\b(?:is|are|gets?|getting|being|been|was|were)\s+(?:\w+\s+)?$")
_EVERYTHING = lazy_pattern(
    r"^\s*(?:out\s+)?(?:everything|it all|the mix|the song|the track|all|the rest)\b"
)
_DRY_COMPLAINT = lazy_pattern(
    r"\b(?:is|are|its|sounds?|feels?|seems?|too|so|very|really|quite|pretty|kind of|a bit|way|"
    r"bone|dead|totally|completely|super)\s+(?:\w+\s+)?dry\b(?!\s+(?:it|them|this|that|him|her|\w+)?\s*up\b)"
)
# "the balance is skewed low", "it leans towards the highs", "tilted to the bright side": a
# tonal balance said to lean one way wants the other (low: brighter; high: darker)
_TILTED = lazy_pattern(
    r"\b(?:skew|tilt|lean|lopsid|weigh|slant)\w*\s+(?:(?:too|a bit|a little|way|heavily|"
    r"very|really|quite|more|much|far|so)\s+){0,3}(?:(?:to|towards?|into|on)\s+)?(?:the\s+)?"
    r"(?P<side>low|lows|bottom|dark|bassy|high|highs|top|bright|treble|trebly)\b"
    r"(?:\s+(?:end|side|frequencies))?"
)
_LOW_SIDE = frozenset({"low", "lows", "bottom", "dark", "bassy"})
_SIDE = lazy_pattern(
    r"\b(?:(?:to|on|towards?|over to|onto|more to)\s+the\s+(left|right)(?:\s+side)?|"
    r"(left|right)\s+side|hard\s+(left|right)|(left|right)\s+(?:a\s+(?:bit|little|touch)|"
    r"slightly|more))\b"
)


# the reverb's own tone: "the reverb on the vocal is too dark", "a brighter verb"
_REVERB_NOUN = r"(?:reverb|verb|reverb tail|tail|ambience)"
_TAIL_STATE = lazy_pattern(
    rf"\b{_REVERB_NOUN}\b(?:\s+(?!is\b|are\b)\w+){{0,4}}?\s+(?:is|are|s|sounds?|feels?|seems?)\s+"
    r"(?:(?:a bit|a little|way|kind of|really|so|very|too|quite|pretty)\s+)*"
    r"(?P<quality>dark|dull|muffled|murky|warm|bright|harsh|brittle|fizzy|sizzly|cold|thin|tinny)\b"
)
_TAIL_WISH = lazy_pattern(
    rf"\b(?P<quality>darker|brighter|warmer|duller|dark|bright|warm)\s+{_REVERB_NOUN}\b"
)
_TAIL_MADE = lazy_pattern(
    rf"\b{_REVERB_NOUN}\s+(?:(?:a bit|a little|a touch|slightly|much|way)\s+)?"
    r"(?P<quality>darker|brighter|warmer|duller)\b"
)
_TAIL_TOO_DARK = frozenset({"dark", "dull", "muffled", "murky", "warm"})


def reverb_tone(text: str) -> tuple[Ask | None, str]:
    """An ask on the reverb's own tone (its damping and return filter), and the text with
    its words blanked; (None, text) when the brief says nothing of it."""
    state = _TAIL_STATE.search(text)
    if state:
        up = state.group("quality") in _TAIL_TOO_DARK  # "too dark": a brighter tail
        return Ask("reverb_tone", 1 if up else -1, "reverb tone"), blank(
            text, state.start(), state.end()
        )
    wish = _TAIL_WISH.search(text) or _TAIL_MADE.search(text)
    if wish:
        up = wish.group("quality") in ("brighter", "bright")
        return Ask("reverb_tone", 1 if up else -1, "reverb tone"), blank(
            text, wish.start(), wish.end()
        )
    return None, text


def find_structures(
    text: str, rest: str, targets: tuple[TargetRef, ...]
) -> tuple[list[Ask], str, tuple[TargetRef, ...]]:
    """Asks that only the sentence's structure says: a mono or phone complaint (narrower,
    not wider), "can't hear X" (X is buried), "X covers Y" (Y is buried by X; "X swallows
    everything" is X too loud), "it feels dry" (more reverb), "X to the left" (a pan).
    Returns the asks, the text with their words blanked, and the targets reordered so
    the buried part comes first."""
    asks: list[Ask] = []
    named = [t for t in targets if t.kind != "mix"]
    tone, rest = reverb_tone(rest)
    if tone is not None:
        asks.append(tone)
    small = _SMALL_SPEAKERS.search(text)
    if small and named and all(_low_part(t) for t in named) and not _FINE_THERE.search(text):
        # a bass that vanishes on a phone: a small speaker plays no fundamental, so it is
        # the part's upper harmonics that carry it there
        asks.append(Ask("growl", 1, "small speakers"))
        if _CANT_HEAR.search(text) or _LOST_THERE.search(text):
            # and one that cannot be heard there at all comes up as well
            asks.append(Ask("level", 1, "can't hear"))
            for m in list(_LOST_THERE.finditer(rest)):
                rest = blank(rest, m.start(), m.end())
        for pattern in (_SMALL_SPEAKERS, MONO_TROUBLE, _WEAK_THERE, _CANT_HEAR):
            for m in list(pattern.finditer(rest)):
                rest = blank(rest, m.start(), m.end())
    elif _MONO_PLACE.search(text) and (MONO_TROUBLE.search(text) or re.search(r"\bmono\b", text)):
        if not re.search(r"\b(?:make|turn|put|set|sum)\b[^.]*\bmono\b", text):
            asks.append(Ask("width", -1, "mono compatibility"))
            for pattern in (_MONO_PLACE, MONO_TROUBLE):
                for m in list(pattern.finditer(rest)):
                    rest = blank(rest, m.start(), m.end())
            rest = re.sub(r"\bmono\b", "    ", rest)
    tilted = _TILTED.search(rest)
    if tilted:
        up = tilted.group("side") in _LOW_SIDE
        asks.append(Ask("brightness", 1 if up else -1, "tilted " + tilted.group("side")))
        rest = blank(rest, tilted.start(), tilted.end())
        rest = re.sub(r"\b(?:(?:spectral|tonal|frequency|eq)\s+)?balance\b", " ", rest)
    soaked = _SOAKED.search(rest)
    if soaked:
        bus = "echo" if re.search(r"delay|echo", soaked.group(0)) else "wet"
        asks.append(Ask(bus, -1, "too much " + ("delay" if bus == "echo" else "reverb")))
        rest = blank(rest, soaked.start(), soaked.end())
    if named and not asks:
        clash = _SAME_PLACE.search(rest) or _EACH_OTHER.search(rest)
        if clash:
            asks.append(Ask("buried", -1, "clash"))
            rest = blank(rest, clash.start(), clash.end())
            rest = re.sub(
                r"\b(?:mud\w*|mask\w*|clash\w*|fight\w*|compet\w*|liv\w*|on top of)\b", " ", rest
            )
    gone = _GONE.search(rest) if named and not asks else None
    if gone:
        asks.append(Ask("buried", -1, "can't find"))
        rest = blank(rest, gone.start(), gone.end())
    over = _OVER_ALL.search(text) if named and not asks else None
    if over and any(_said_in(t, text[: over.start()]) for t in named):
        asks.append(Ask("level", -1, "over everything"))
        rest = blank(rest, over.start(), over.end())
    placed = placed_against_the_rest(text) if named and not asks else None
    alone = placed is not None and placed[1].group("where_alone") is not None
    if placed and _LOST.search(text):
        placed = None  # "buried under everything" is the buried part's, read as such below
    if placed and not _CANT_HEAR.search(rest) and (alone or not _MASK_VERB.search(rest)):
        asks.append(placed[0])
        rest = blank(rest, placed[1].start(), placed[1].end())
        rest = re.sub(r"\b(?:sit|sits|sitting|be|put|place|keep|front|top|far)\b", " ", rest)
    hear = _CANT_HEAR.search(rest)
    if hear:
        pair = len(named) >= 2 and _PAIR_WORDS.search(text)
        asks.append(Ask("buried", -1, "can't separate" if pair else "can't hear"))
        rest = blank(rest, hear.start(), hear.end())
    # the other part may be in the fragment before ("the bass and | kick are mixing together")
    together = _RUN_TOGETHER.search(rest) if named and not asks else None
    if together is None and named and not asks:
        together = _ONE_THING.search(rest)  # "bass and kick are one big blob"
    if together:
        asks.append(Ask("buried", -1, "run together"))
        rest = blank(rest, together.start(), together.end())
    room = _MAKE_ROOM.search(rest)
    if room and named:
        objects = [t for t in named if _said_in(t, text[room.end() :].split(" in ")[0])]
        asks.append(Ask("buried", -1, "make room"))
        rest = blank(rest, room.start(), room.end())
        targets = tuple([*objects, *[t for t in targets if t not in objects]])
    verb = _MASK_VERB.search(rest)
    if verb and not asks:
        before, after = text[: verb.start()], text[verb.end() :]
        passive = _PASSIVE_BEFORE.search(before) and verb.group(0).endswith("ed")
        subject = [t for t in named if _said_in(t, before)]
        objects = [t for t in named if _said_in(t, after)]
        band = _BAND_OBJECT.match(after)
        if not passive and subject and band and not objects:
            # "the bass is overpowering the bottom end": the part has too much of that band
            asks.append(Ask(CONCEPT_WORDS[band.group("band")][0], -1, band.group("band")))
            rest = blank(rest, verb.start(), verb.end() + band.end())
        elif not passive and subject and _EVERYTHING.search(after) and not objects:
            # "the bass swallows everything": too loud; "the vocal should sit on top of
            # everything": a wish for it to be louder
            asks.append(Ask("level", 1 if WISHED.search(before) else -1, verb.group(0)))
            rest = blank(rest, verb.start(), verb.end())
        elif not passive and subject and objects:
            asks.append(Ask("buried", -1, verb.group(0)))
            rest = blank(rest, verb.start(), verb.end())
            targets = tuple([*objects, *[t for t in targets if t not in objects]])
    if _DRY_COMPLAINT.search(text) and not re.search(
        r"\b(?:too wet|drier|dry (?:it|them|\w+ )?up)\b", text
    ):
        asks.append(Ask("wet", 1, "dry"))
        rest = re.sub(r"\bdry\b", "   ", rest)
    side = _SIDE.search(rest) if named and not re.search(r"\bpan", text) else None
    if side:
        value = find_pan("pan " + text)
        if value is not None:
            asks.append(Ask("pan", 1 if value >= 0 else -1, "pan", value=value))
            rest = blank(rest, side.start(), side.end())
            rest = re.sub(r"\b(?:sit|move|put|place|push|shift|more|slightly|a bit)\b", " ", rest)
    return asks, rest, targets


def _low_part(target: TargetRef) -> bool:
    """A part that lives below what a small speaker plays (a bass, a kick, an 808)."""
    if target.kind == "role":
        return target.value in LOW_PARTS
    return target.kind == "track" and bool(re.search(r"bass|kick|808|sub", target.value.lower()))


_PRONOUN = lazy_pattern(r"\b(?:it|they|that|this|which)\b")


def masked_by_pronoun(text: str, targets: tuple[TargetRef, ...]) -> bool:
    """ "It covers the vocal", "they drown out the keys": a masking verb whose subject is a
    pronoun (the part said before is the masker) and whose object is the part named."""
    named = [t for t in targets if t.kind != "mix"]
    verb = _MASK_VERB.search(text)
    if verb is None or not named:
        return False
    before, after = text[: verb.start()], text[verb.end() :]
    return (
        _PRONOUN.search(before) is not None
        and not any(_said_in(t, before) for t in named)
        and all(_said_in(t, after) for t in named)
    )


def _said_in(target: TargetRef, text: str) -> bool:
    if target.kind == "track":
        return target.value.lower().replace("_", " ") in text.replace("_", " ")
    table = GROUP_WORDS if target.kind == "group" else ROLE_WORDS
    return any(
        v == target.value and w in text and re.search(rf"(?<![\w]){re.escape(w)}(?![\w])", text)
        for w, v in table.items()
    )
