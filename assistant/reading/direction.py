"""Which way a quality word points in its sentence: "too bright" and "it's so bright" ask
for less, "not bright enough" and "has no brightness" for more, "make it bright" for more;
what is said after a quality noun ("the highs are a bit much") and the words that only say
where ("small speakers") or how much ("massively")."""

from __future__ import annotations

import re

from mixchat.assistant.reading.patterns import lazy_pattern
from mixchat.assistant.reading.refs import has_phrase
from mixchat.assistant.reading.vocab import AMOUNT_WORDS, REDUCERS

QUANTITY_NOUNS = frozenset(
    "top end|high end|highs|treble|low end|bottom end|bottom|lows|sub|sub bass|air|low mids|"
    "low mid|upper mids|high mids|presence|body|weight|reverb|space|room|ambience|delay|echo|"
    "width|stereo|compression|saturation|distortion|bass|mud|boom|sizzle|sibilance|mids|"
    "midrange".split("|")
)
REGION_BOOSTS = {
    "upper mids": "presence",
    "high mids": "presence",
    "low mids": "warmth",
    "low mid": "warmth",
    "lower mids": "warmth",
}
BOOST_BEFORE = lazy_pattern(
    r"\b(?:more|add|adding|boost|lift|raise|bring out|needs?|lacks?|lacking|missing|"
    r"not enough|push)\b"
)
AMOUNT_ONLY = frozenset(w for w, _ in AMOUNT_WORDS if " " not in w)
TOO_LITTLE = lazy_pattern(r"\btoo (?:less|little|few|low)\b|\bnot enough\b|\bnot \w+ enough\b")
BAND_NOUNS = frozenset(
    "top end|high end|highs|treble|low end|bottom end|bottom|lows|sub|sub bass|air|top octave|"
    "mids|midrange|some top|edge|bite|click|growl|sparkle|shimmer|snap|sheen|crack|"
    "low mids|low mid|upper mids|high mids|presence|body|weight".split("|")
)
DOWN_VERB = lazy_pattern(
    r"\b(?:down(?!\s+(?:low|there|below|under|at the bottom)\b)|lower|cut|reduce|"
    r"(?:roll|knock|shave)(?:ed|ing|s)?\s+(?:\w+\s+){0,3}?off|tame|pull|dip|scoop|take|"
    r"ease (?:off|up)|back off|dial (?:\w+ )?(?:back|down)|rein in|scale back|go easy|"
    r"attenuate|less|shelve (?:\w+ )?down|tilt (?:\w+ )*down|clog(?:s|ged|ging)?|"
    r"(?:crowd|swamp|choke|fill)(?:s|ed|ing)? up|hog(?:s|ged|ging)?|"
    r"tak(?:e|es|ing) up (?:all|too much|so much)|overpower\w*|dominat\w*|"
    r"(?:take|takes|taking|took) over|soften\w*|sand(?:s|ed|ing)?|shave\w*)\b"
)


_STATE_BEFORE = lazy_pattern(
    r"(?:(?<![\w'])'s|\b(?:is|are|was|were|its|thats|it's|that's|sounds?|sounding|feels?|feeling|seems?|seeming|looks?|"
    r"gets?|getting|got|becomes?|became|sits?|sitting|finds?|finding|found)(?:\s+(?:it|them|this|that|the|my))?)\s+(?:(?:so|very|really|quite|pretty|kind of|sort of|"
    r"a bit|a little|a little bit|a tad|a touch|bit|super|rather|somewhat|slightly|fairly|"
    r"already|just|still|now|all|way|much|extremely|incredibly|overall)\s+)*"
    r"(?:(?:and|or)\s+(?:(?:so|very|really|quite|pretty|kind of|sort of|a bit|a little|a tad|"
    r"super|rather|somewhat|slightly|also|way)\s+)*)?$"
)
WISH_BEFORE = lazy_pattern(
    r"\b(?:make|makes|making|want|wanted|like|should|could|would|must|need|needs|to|let|can|so|"
    r"might|will|may|if|hope|how)\b(?:\s+\S+){0,2}\s*$"
)
# "the pad has a lot of low end": how it is now, so less of it
_PLENTY_BEFORE = lazy_pattern(
    r"\b(?:has|have|had|got|there's|theres|there is|there are|with)\s+(?:a\s+|so\s+)?"
    r"(?:lot|lots|loads|tons|plenty|heaps)\s+of\s*$"
)
_LACKS_BEFORE = lazy_pattern(
    r"\b(?:has|have|had|got|there's|theres|there is|there are|with)\s+(?:no|zero|hardly any|barely any)"
    r"(?:\s+real)?\s*$"
)

_LACK_VERB_BEFORE = lazy_pattern(
    r"\b(?:missing|lacking|lacks?|lost|needs?|wants?)\s+(?:its|it's|their|his|her|some|any)\s*$"
)


EXCESS_AFTER = lazy_pattern(
    r"^\s*(?:\S+\s+){0,5}?(?:(?:is|are|was|were|'s|feels?|sounds?|seems?|gets?|getting)\s+"
    r"(?:(?:way|a bit|a little|a tad|just|really|kind of|sort of|all|so|definitely|still)\s+)*"
    r"(?:too much\b|too\b(?:\s+(?P<quality>[a-z]+))?|overly\b|a bit much\b|much\b|over\w+|"
    r"hyped\b|excessive\b|overkill\b|over the top\b|hot\b|out of control\b|piling up\b|"
    r"building up\b)|(?:is\s+|are\s+)?(?P<verb>(?:drown|swallow|bur|cover|smother|swamp|eat|"
    r"overpower|dominat|mask|kill|wash)\w*))"
)
LACK_AFTER = lazy_pattern(
    r"^\s*(?:\S+\s+){0,5}?(?:is|are|was|were|'s|feels?|sounds?|seems?)\s+"
    r"(?:(?:a bit|a little|really|kind of|sort of|so|way)\s+)*"
    r"(?P<lack>missing|lacking|weak|anemic|absent|gone|not there|nowhere|scooped)\b"
)

# a quality said of what came before: "(the top end) of the strings is a bit scratchy"
QUALITY_AFTER = lazy_pattern(
    r"^\s*(?:(?:on|of|in)\s+(?:the\s+|my\s+|this\s+)?\S+\s+)?(?:is|are|was|were|'s|s|feels?|"
    r"sounds?|seems?|gets?|getting)\s+(?:(?:way|a bit|a little|a tad|just|really|kind of|sort of|"
    r"so|very|pretty|quite|rather|somewhat|slightly|all|still)\s+)*(?P<quality>[a-z]+)\b"
)


SIMILE_STATE = lazy_pattern(
    r"\b(?:sounds?|sounding|feels?|is|are|its|it's)\s+like\b(?:\s+(?!like\b)\S+){0,7}\s*$"
)
# "the vocal sounds far away in a big room": where it sounds now, said as a state
PLACE_STATE = lazy_pattern(
    r"\b(?:sounds?|sounding|feels?|is|are|its|it's|seems?)\b(?:\s+(?!like\b)\S+){0,4}?\s+"
    r"(?:in|inside)\s+(?:a|an|the|some)(?:\s+\S+){0,2}\s*$"
)
# a listening place, not a quality: "small speakers", "big monitors"
DEVICE_AFTER = lazy_pattern(
    r"^\s*(?:speakers?|monitors?|headphones?|earbuds?|sound ?system|system|stereo|room|hall|"
    r"venue|club|car)\b"
)

_NOT_AS_STATE = lazy_pattern(
    r"(?:\b(?:is|are|was|were|s|sounds?|feels?|seems?|gets?)\s+not|\b(?:isn't|isnt|aren't|arent|"
    r"doesn't|doesnt|don't|dont|wasn't|wasnt))\s+(?:(?:really|very|that|quite|sound|feel|seem|"
    r"sounding|feeling|at all)\s+)*$"
)


def _said_as_state(before: str) -> bool:
    """ "it's so dark", "the mix feels really narrow": a quality said as how it is now (a
    complaint, so the brief asks for the other way), not as a wish ("make it sound dark")."""
    state = _STATE_BEFORE.search(before)
    return state is not None and not WISH_BEFORE.search(before[: state.start()])


def said_as_simile_state(before: str) -> bool:
    """ "it sounds like it was recorded in a cave": how it is now, not "I want it to sound
    like a cathedral"."""
    simile = SIMILE_STATE.search(before) or PLACE_STATE.search(before)
    return simile is not None and not WISH_BEFORE.search(before[: simile.start()])


def direction_modifier(before: str, after: str, *, state: bool = False) -> int:
    """-1 when the words before say "less"/"too", +1 otherwise (incl. "not ... enough");
    with ``state``, -1 also when the quality is said as how the part is now."""
    if TOO_LITTLE.search(before + " " + after.split(",")[0]):
        return 1
    if _LACKS_BEFORE.search(before):
        return 1
    if re.search(r"\bnot\b", before) and re.match(r"\s*enough\b", after):
        return 1
    if re.match(r"\s*enough\b", after) and re.search(r"\bnot\b", before):
        return 1
    if _PLENTY_BEFORE.search(before):
        return -1
    if _LACK_VERB_BEFORE.search(before):
        return 1  # "the kick is missing its click": "its" is the kick's, not "it's"
    if _NOT_AS_STATE.search(before):
        return 1  # "the vocal is not cutting through", "it doesn't sound bright": it lacks it
    window = " ".join(before.split()[-4:])
    if any(has_phrase(window, r) for r in REDUCERS) or re.search(r"\bnot\b", window):
        return -1
    if state and _said_as_state(before) and not re.match(r"\s*enough\b", after):
        return -1
    return 1
