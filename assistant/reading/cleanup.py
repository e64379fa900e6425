"""Briefs about recording faults: "there's hum on the bass", "the vocal is noisy between
phrases", "the esses are killing me", "get rid of the clicks", "too much rumble on the
vocal", "the p's are popping", "remove the DC offset".

Each fault phrase becomes an Ask whose concept is the fault's key (``hum``, ``noise``,
``clicks``, ``dc_offset``, ``rumble``, ``plosives``, ``sibilance``) with direction -1 (less
of it); the phrase is blanked so the descriptive reader does not read it again ("noise" as
the fx role, "rumble" as boom, "thump" as punch, "pop" as a genre).
"""

from __future__ import annotations

import re

from mixchat.assistant.reading.asks import Ask

CLEANUP_CONCEPTS = ("hum", "noise", "clicks", "dc_offset", "rumble", "plosives", "sibilance")

_PHRASES: tuple[tuple[str, str], ...] = (
    ("dc_offset", r"\bdc(?: offset)?\b|\boffset\b"),
    (
        "hum",
        r"\b(?:mains |ground loop |electrical |60 ?(?:hz|cycle) |50 ?(?:hz|cycle) )?hum(?:s|my|ming)?\b|\bbuzz(?:ing|y)?\b|\bground loop\b",
    ),
    (
        "plosives",
        r"\bplosives?\b|\b[pb] ?'?s\b(?= (?:are|is)? ?pop)|\b(?:p|b) pops?\b|\bpopping\b|\bpops?\b(?= (?:on|in) (?:the )?(?:vocal|vox|voice))|\bmic pops?\b",
    ),
    (
        "clicks",
        # "more click" is an attack; "the clicks on the bass" are a fault (a single click
        # beside the kick is its attack: ``_fault_clicks``)
        r"(?<!more )(?<!some )(?<!needs )(?<!need )(?<!add )(?<!the )(?<!much )(?<!no )"
        r"(?<!enough )(?<!any )\bclick\b|"
        r"(?<!more )(?<!some )(?<!add )\bclick(?:s|ing)\b(?! (?:on|of|in) the (?:kick|beater))|"
        r"\bcrackl\w*|\bticks\b|\bpops and clicks\b|\bclicks and pops\b",
    ),
    (
        "rumble",
        r"\brumbl\w*|\bhandling noise\b|\bthumps?\b(?= (?:on|in) (?:the )?(?:vocal|vox|voice))",
    ),
    (
        "sibilance",
        r"\bde ?ess(?:er|ing)?\b|\besses\b|\bess\b|\bs'?s\b|\bsibilan\w*|\bessy\b|\bsss+\b",
    ),
    (
        "noise",
        r"\b(?:background |broadband |white )?nois(?:e|y|iness)\b|\bhiss(?:y|ing)?\b|\bnoise floor\b|\bnoisy between phrases\b",
    ),
)


def find_cleanup_asks(text: str) -> tuple[list[Ask], str]:
    """The fault asks in ``text`` and the text with their phrases blanked."""
    asks: list[Ask] = []
    fault_click = _FAULT_CLICK.search(text)
    for concept, pattern in _PHRASES:
        matches = list(re.finditer(pattern, text))
        if concept == "clicks":
            matches = _fault_clicks(text, matches, fault_click)
        if not matches:
            continue
        if not any(a.concept == concept for a in asks):
            asks.append(Ask(concept, -1, matches[0].group(0)))
        for match in matches:
            text = text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]
    if asks:  # "get rid of", "remove", "kill": the verb is the ask's, not a level move
        text = re.sub(
            r"\b(?:get rid of|remove|kill|clean(?: up)?|fix|lose|reduce|too much|killing me|"
            r"between (?:the )?(?:phrases|lines|words)|there'?s|there is|on|in)\b",
            " ",
            text,
        )
    return asks, text


# "there's a click on the kick at 1:02", "i hear clicks": a click heard as a fault, said so
_FAULT_CLICK = re.compile(
    r"\b(?:there'?s|there is|there are|hear(?:ing)?|got|getting) (?:a |an |one |some |these )?"
    r"(?:\w+ )?clicks?\b|\bclicks?\b(?: \w+){0,4} at \d+:\d\d"
)
_CLICK_WORD = re.compile(r"\bclicks?\b")
_KICK = re.compile(r"\b(?:kick|kik|beater|bd)\w*")


def _fault_clicks(
    text: str, matches: list[re.Match[str]], said: re.Match[str] | None
) -> list[re.Match[str]]:
    """The click phrases that name a fault: a single "click" beside the kick is its attack
    ("the kick is missing its click"), unless the brief says it is heard as a fault."""
    if said is not None:
        word = _CLICK_WORD.search(text, said.start())
        return [m for m in matches if word is None or m.start() != word.start()] + (
            [word] if word else []
        )
    if _KICK.search(text):
        return [m for m in matches if m.group(0) != "click"]
    return matches
