"""Briefs in engineering terms: "cut 3 dB at 400 Hz", "high-pass the guitar at 120 Hz",
"remove the high pass", "turn off the reverb on the drums", "set the vocal fader to -3 dB".

Each is read into an Ask whose concept names the tool it maps to one-to-one (eq_point,
high_pass, low_pass, send_off, level_set); the phrase is blanked so the descriptive reader
does not read it again ("cut" as a level word, "high" as brightness).
"""

from __future__ import annotations

import re

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
        gain = _loose_gain(text, match)
        text = _blank(text, match)
        asks.append(_eq_ask(match.group("verb"), freq, gain))
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


def _loose_gain(text: str, match: re.Match[str]) -> float:
    """The gain said elsewhere in the clause ("dip 400hz on the bass 3db"), else the default."""
    rest = text[: match.start()] + " " + text[match.end() :]
    found = _LOOSE_GAIN.search(rest)
    return float(found.group(1)) if found else DEFAULT_EQ_DB
