"""Briefs in engineering terms: "cut 3 dB at 400 Hz", "high-pass the guitar at 120 Hz",
"remove the high pass", "turn off the reverb on the drums", "set the vocal fader to -3 dB".

Each is read into an Ask whose concept names the tool it maps to one-to-one (eq_point,
high_pass, low_pass, send_off, level_set); the phrase is blanked so the descriptive reader
does not read it again ("cut" as a level word, "high" as brightness).
"""

from __future__ import annotations

import re
from dataclasses import replace

from mixchat.assistant.reading.asks import Ask
from mixchat.assistant.reading.patterns import lazy_pattern

_FREQ = r"(\d+(?:\.\d+)?)\s*(khz|k|hz)\b"
_GAIN = r"(\d+(?:\.\d+)?)\s*db\b"
_CUT_WORDS = (
    r"cut|dip|reduce|pull|take out|scoop|notch|lower|attenuate|tame|shelve down|shelf down|"
    r"too much|less"  # "the vocal has too much 200 hz": an excess said of a frequency
)
_BOOST_WORDS = r"boost|lift|add|raise|bump|shelf|shelve|push|more|not enough"
_EQ_AT = lazy_pattern(
    rf"\b(?P<verb>{_CUT_WORDS}|{_BOOST_WORDS})\s+(?:(?:of|by)\s+)?(?:{_GAIN}\s+)?"
    rf"(?:at|around|near|@)\s+{_FREQ}"
)
_EQ_BY = lazy_pattern(
    rf"\b(?P<verb>{_CUT_WORDS}|{_BOOST_WORDS})\s+(?:the\s+)?{_FREQ}\s+(?:by\s+)?{_GAIN}"
)
# "cut 300 Hz on the keys", "notch 2.5k", "shelf in some 12k": a frequency right after the
# verb, the gain (if any) anywhere else in the clause.
_EQ_BARE = lazy_pattern(
    rf"\b(?P<verb>{_CUT_WORDS}|{_BOOST_WORDS})\s+(?:in\s+|out\s+|up\s+)?(?:some\s+|a bit of\s+|"
    rf"a little\s+|a touch of\s+|the\s+)?{_FREQ}(?!\s*(?:-|to)\s*\d)"
)
# "scoop some 250-400", "tame the 2-4k region": a range, its unit said once (or not at all)
_EQ_RANGE = lazy_pattern(
    rf"\b(?P<verb>{_CUT_WORDS}|{_BOOST_WORDS})\s+(?:them\s+|it\s+|those\s+|that\s+|em\s+)?"
    r"(?:(?:at|around|near|in|@)\s+)?(?:in\s+|out\s+)?(?:some\s+|the\s+|a bit of\s+)?"
    r"(\d+(?:\.\d+)?)\s*(khz|k|hz)?\s*(?:-|to)\s*(\d+(?:\.\d+)?)\s*(khz|k|hz)?"
    r"(?:\s+(?:region|range|area|band))?"
)
_LOOSE_GAIN = lazy_pattern(r"(?:by\s+)?(\d+(?:\.\d+)?)\s*db\b")
# A frequency said away from its verb: "a nasty ring around 3k", "too much in the 1 kHz
# area", "more chest, around 150", "way too much going on below 40hz", "pull the 60 cycle
# region down". A bare number counts only after a word that places it ("at 300", "some 500").
_UNIT = r"khz|k|hz|cycles?|cps"
_SAID_FREQ = lazy_pattern(
    r"(?:\b(?P<prep>at|around|near|about|@|some|below|under|above|over)\s+"
    r"(?:(?:like|the|roughly|maybe)\s+)*)?"
    rf"\b(?P<low>\d+(?:\.\d+)?)\s*(?P<low_unit>{_UNIT})?"
    rf"(?:\s*(?:-|to)\s*(?P<high>\d+(?:\.\d+)?)\s*(?P<high_unit>{_UNIT})?)?\b"
    r"(?!\s*(?:db|%|ms|sec|seconds?|s\b|mins?|minutes?|bpm|x\b|times|bars?|lufs|percent|:))"
)
_SAID_CUT = lazy_pattern(
    rf"\b(?:{_CUT_WORDS}|ring\w*|resonan\w*|whistl\w*|harsh\w*|mud\w*|boxy|honk\w*|"
    r"nasal\w*|fatigu\w*|piercing|shrill|boom\w*|build ?up|excess\w*|nasty|annoying|"
    r"hurts?|buzz\w*|brittle|painful|bloat\w*|tubby|(?<!bring )(?<!bringing )out(?: of)?|"
    r"darken\w*|soften\w*|smooth\w*|clean\w*)\b"
)
_SAID_BOOST = lazy_pattern(
    rf"\b(?:{_BOOST_WORDS}|need\w*|want\w*|missing|lack\w*|give|bring out|enhance|put|"
    r"brighten\w*|sweeten\w*|emphasi\w*|accentuat\w*|dull|weak|thin|dead|hollow)\b"
)
_BETWEEN = lazy_pattern(
    r"\bbetween\s+(\d+(?:\.\d+)?\s*(?:khz|k|hz)?)\s+and\s+(\d+(?:\.\d+)?\s*(?:khz|k|hz)?)\b"
)
_FILLER = r"some|the|a|an|bit|of|little|touch|lot|more|that|this|those"
_GEAR_NUMBERS = frozenset({"303", "606", "707", "808", "909", "1073", "1176", "2254"})
_PLACE_WORDS = lazy_pattern(r"\b(?:region|range|area|band|zone|frequenc\w*|freqs?|hertz)\b")
_OFF = r"remove|turn off|take off|kill|disable|bypass|no|lose|get rid of|without"
_FILTER = {
    "high_pass": r"high ?pass(?: filter)?|hpf|low ?cut|roll off\s+(?:everything\s+|the lows\s+|all\s+)?below",
    "low_pass": r"low ?pass(?: filter)?|lpf|high ?cut|roll off\s+(?:everything\s+|the highs\s+|all\s+)?above",
}
_NUMBER_HZ = r"(\d+(?:\.\d+)?)\s*(khz|k|hz)?\b"
_SEND_OFF = lazy_pattern(rf"\b(?:{_OFF})\s+(?:the\s+|any\s+)?(reverb|verb|delay|echo)\b")
_LEVEL_SET = lazy_pattern(
    r"\b(?:set|put|bring)\b(?:\s+\w+){0,4}?\s+(?:fader|level|gain|volume)?\s*(?:to|at)\s+"
    r"(-?\d+(?:\.\d+)?)\s*db\b"
)
DEFAULT_EQ_DB = 3.0


def _hz(number: str, unit: str | None, *, other_unit: str | None = None) -> float:
    """Hz from a number and its unit; a bare number is Hz from 20 up and kHz under it (a
    range's unit, said once, is both ends': "2-4k")."""
    unit = unit or other_unit
    value = float(number)
    if unit in ("k", "khz") or (unit is None and value < 20):
        return value * 1000.0
    return value


def _blank(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]


def find_parameter_asks(text: str) -> tuple[list[Ask], str]:
    """The engineering-term asks in ``text`` and the text with their phrases blanked."""
    asks: list[Ask] = []
    for pattern in (_EQ_AT, _EQ_BY):
        for match in list(pattern.finditer(text)):
            groups = match.groupdict()
            numbers = [g for g in match.groups()[1:] if g is not None]
            if pattern is _EQ_AT:
                gain = float(numbers[0]) if len(numbers) == 3 else DEFAULT_EQ_DB
                freq = _hz(numbers[-2], numbers[-1])
            else:
                freq, gain = _hz(numbers[0], numbers[1]), float(numbers[2])
            asks.append(_eq_ask(groups["verb"], freq, gain))
            text = _blank(text, match)
    for match in list(_EQ_RANGE.finditer(text)):
        low_unit, high_unit = match.group(3), match.group(5)
        low = _hz(match.group(2), low_unit, other_unit=high_unit)
        high = _hz(match.group(4), high_unit, other_unit=low_unit)
        if high <= low:
            continue
        gain = _loose_gain(text, match)
        text = _blank(text, match)
        asks.append(_eq_ask(match.group("verb"), (low * high) ** 0.5, gain, span=(low, high)))
    for match in list(_EQ_BARE.finditer(text)):
        freq = _hz(match.group(2), match.group(3))
        said = _said_gain(text, match)
        text = _blank(text, match)
        ask = _eq_ask(match.group("verb"), freq, DEFAULT_EQ_DB if said is None else said)
        asks.append(ask if said is not None else replace(ask, value=None))  # no dB said
    loose, text = _said_frequencies(text)
    asks += loose
    if any(a.concept == "eq_point" for a in asks):  # "the 1 kHz area": where, said again
        text = _PLACE_WORDS.sub(lambda m: " " * len(m.group(0)), text)
    for concept, words in _FILTER.items():
        off = re.search(rf"\b(?:{_OFF})\s+(?:the\s+)?(?:{words})\b", text)
        if off:
            asks.append(Ask(concept, -1, "off", value=None))
            text = _blank(text, off)
            continue
        on = re.search(
            rf"\b(?:{words})\b(?:\s+[a-z]+){{0,4}}?\s+(?:at|to|from|@|below|above|under)?\s*{_NUMBER_HZ}",
            text,
        ) or re.search(rf"\b(?:{words})\s+{_NUMBER_HZ}", text)
        if on:
            asks.append(Ask(concept, 1, "filter", value=_hz(on.group(1), on.group(2))))
            text = _blank(text, on)
            continue
        bare = re.search(rf"\b(?:{words})\b", text)
        if bare:  # "low cut the pad": no frequency said, the move picks one
            asks.append(Ask(concept, 1, "filter", value=None))
            text = _blank(text, bare)
    for match in list(_SEND_OFF.finditer(text)):
        bus = "reverb" if match.group(1) in ("reverb", "verb") else "delay"
        asks.append(Ask("send_off", -1, bus))
        text = _blank(text, match)
    level = _LEVEL_SET.search(text)
    if level:
        asks.append(Ask("level_set", 1, "set", value=float(level.group(1))))
        text = _blank(text, level)
    return asks, text


def _eq_ask(
    verb: str, freq_hz: float, gain_db: float, span: tuple[float, float] | None = None
) -> Ask:
    sign = -1 if re.fullmatch(_CUT_WORDS, verb) else 1
    return Ask("eq_point", sign, verb, value=sign * gain_db, descriptor=span or freq_hz)


def _said_gain(text: str, match: re.Match[str]) -> float | None:
    """The gain said elsewhere in the clause ("dip 400hz on the bass 3db"), if any."""
    found = _LOOSE_GAIN.search(text[: match.start()] + " " + text[match.end() :])
    return float(found.group(1)) if found else None


def _loose_gain(text: str, match: re.Match[str]) -> float:
    """The gain said elsewhere in the clause, else the default."""
    said = _said_gain(text, match)
    return DEFAULT_EQ_DB if said is None else said


def _said_frequencies(text: str) -> tuple[list[Ask], str]:
    """EQ asks for the frequencies said away from a verb, each going the way of the nearest
    word in the clause that says one (a cut or a problem word; a boost or a lack), and the
    text with the frequency and that word blanked. A frequency with no such word is left to
    the rest of the reader."""
    asks: list[Ask] = []
    # "between 1 and 2k": a range, said as "1-2k" is
    text = _BETWEEN.sub(lambda m: f"{m.group(1)}-{m.group(2)}".ljust(len(m.group(0))), text)
    for match in list(_SAID_FREQ.finditer(text)):
        unit, prep = match.group("low_unit") or match.group("high_unit"), match.group("prep")
        if unit is None and not (
            (prep is not None and float(match.group("low")) >= 20.0) or _verb_number(text, match)
        ):
            continue  # "chorus 2", "v3", "at 5", "the 808": a number, not a frequency
        low = _hz(match.group("low"), match.group("low_unit"), other_unit=match.group("high_unit"))
        span: tuple[float, float] | None = None
        if match.group("high") is not None:
            high = _hz(match.group("high"), match.group("high_unit"), other_unit=unit)
            span = (low, high) if high > low else None
        elif prep in ("below", "under"):
            span = (20.0, low)
        elif prep in ("above", "over"):
            span = (low, 20000.0)
        if not 20.0 <= low <= 20000.0:
            continue
        way = _nearest_way(text, match)
        if way is None:
            continue
        sign, said = way
        gain = _said_gain(text, match)
        for start, end in sorted([match.span(), said.span()], reverse=True):
            text = text[:start] + " " * (end - start) + text[end:]
        value = None if gain is None else sign * gain  # None: no dB said
        asks.append(Ask("eq_point", sign, said.group(0), value=value, descriptor=span or low))
    return asks, text


def _verb_number(text: str, number: re.Match[str]) -> bool:
    """A bare number right after a word that cuts or boosts ("less 300 on it", "cut some 250
    out"): a frequency, unless it is small or names gear ("more 808")."""
    low = float(number.group("low"))
    if low < 30.0 or number.group("low") in _GEAR_NUMBERS:
        return False
    before = text[: number.start()]
    return any(
        re.fullmatch(rf"\s*(?:(?:{_FILLER})\s+)*", before[m.end() :])
        for m in [*_SAID_CUT.finditer(before), *_SAID_BOOST.finditer(before)]
    )


def _nearest_way(text: str, freq: re.Match[str]) -> tuple[int, re.Match[str]] | None:
    """(+1 or -1, the word) nearest the frequency that says which way it goes, if any."""
    found = [(-1, m) for m in _SAID_CUT.finditer(text)] + [
        (1, m) for m in _SAID_BOOST.finditer(text)
    ]
    found = [(sign, m) for sign, m in found if m.end() <= freq.start() or m.start() >= freq.end()]
    if not found:
        return None

    def distance(item: tuple[int, re.Match[str]]) -> tuple[int, int]:
        m = item[1]
        before = m.end() <= freq.start()
        return (freq.start() - m.end() if before else m.start() - freq.end(), 0 if before else 1)

    return min(found, key=distance)
