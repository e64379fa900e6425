"""Briefs in engineering terms: "cut 3 dB at 400 Hz", "high-pass the guitar at 120 Hz",
"remove the high pass", "turn off the reverb on the drums", "set the vocal fader to -3 dB".

Each is read into an Ask whose concept names the tool it maps to one-to-one (eq_point,
high_pass, low_pass, send_off, level_set); the phrase is blanked so the descriptive reader
does not read it again ("cut" as a level word, "high" as brightness).
"""

from __future__ import annotations

import re

from mixchat.assistant.reading.asks import Ask

_FREQ = r"(\d+(?:\.\d+)?)\s*(khz|k|hz)\b"
_GAIN = r"(\d+(?:\.\d+)?)\s*db\b"
_CUT_WORDS = r"cut|dip|reduce|pull|take out|scoop|notch|lower"
_BOOST_WORDS = r"boost|lift|add|raise"
_EQ_AT = re.compile(
    rf"\b(?P<verb>{_CUT_WORDS}|{_BOOST_WORDS})\s+(?:(?:of|by)\s+)?(?:{_GAIN}\s+)?"
    rf"(?:at|around|near|@)\s+{_FREQ}"
)
_EQ_BY = re.compile(
    rf"\b(?P<verb>{_CUT_WORDS}|{_BOOST_WORDS})\s+(?:the\s+)?{_FREQ}\s+(?:by\s+)?{_GAIN}"
)
_OFF = r"remove|turn off|take off|kill|disable|bypass|no|lose|get rid of|without"
_FILTER = {
    "high_pass": r"high ?pass(?: filter)?|hpf|low ?cut",
    "low_pass": r"low ?pass(?: filter)?|lpf|high ?cut",
}
_SEND_OFF = re.compile(rf"\b(?:{_OFF})\s+(?:the\s+|any\s+)?(reverb|verb|delay|echo)\b")
_LEVEL_SET = re.compile(
    r"\b(?:set|put|bring)\b(?:\s+\w+){0,4}?\s+(?:fader|level|gain|volume)?\s*(?:to|at)\s+"
    r"(-?\d+(?:\.\d+)?)\s*db\b"
)
DEFAULT_EQ_DB = 3.0


def _hz(number: str, unit: str) -> float:
    return float(number) * (1000.0 if unit in ("k", "khz") else 1.0)


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
            sign = -1 if re.fullmatch(_CUT_WORDS, groups["verb"]) else 1
            asks.append(Ask("eq_point", sign, groups["verb"], value=sign * gain, descriptor=freq))
            text = _blank(text, match)
    for concept, words in _FILTER.items():
        off = re.search(rf"\b(?:{_OFF})\s+(?:the\s+)?(?:{words})\b", text)
        if off:
            asks.append(Ask(concept, -1, "off", value=None))
            text = _blank(text, off)
            continue
        on = re.search(rf"\b(?:{words})\b(?:\s+\w+){{0,4}}?\s+(?:at|to|from)?\s*{_FREQ}", text)
        if on:
            asks.append(Ask(concept, 1, "filter", value=_hz(on.group(1), on.group(2))))
            text = _blank(text, on)
    for match in list(_SEND_OFF.finditer(text)):
        bus = "reverb" if match.group(1) in ("reverb", "verb") else "delay"
        asks.append(Ask("send_off", -1, bus))
        text = _blank(text, match)
    level = _LEVEL_SET.search(text)
    if level:
        asks.append(Ask("level_set", 1, "set", value=float(level.group(1))))
        text = _blank(text, level)
    return asks, text
