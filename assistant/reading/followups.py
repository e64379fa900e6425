"""Briefs that refer to the conversation rather than the sound: more, too much, undo,
version numbers, compare, explain, plugin questions. Input is normalised (lower case) text."""

from __future__ import annotations

import re

from mixchat.assistant.reading.patterns import lazy_pattern
from mixchat.assistant.reading.vocab import CONCEPT_WORDS, GROUP_WORDS, ROLE_WORDS

_VERSION = r"(?:version|ver|v|#|number)?\s*(\d+)"
_PLUGIN_TERMS = lazy_pattern(
    r"\b(?:1176|la ?2a|cl ?1b|pultec|ssl|fairchild|distressor|neve|api|plugin|plug in|"
    r"attack|release|ratio|threshold|knee|setting|settings|preset|q factor|should i|"
    r"do i set|to set|would you set|recommend|which eq|which compressor)\b"
)
_QUESTION_START = lazy_pattern(
    r"^(?:how|what|which|why|when|where|should|is|are|do|does|can i|could i|would)\b"
)
_REPEAT = lazy_pattern(
    r"^(?:(?:ok(?:ay)?|yes|yeah|nice|good|great|cool|better|that's better)[, ]+)?(?:and |now )?"
    r"(?:(?:even|a (?:bit|touch|little|tad|lot)|slightly|way|much|just a (?:bit|touch)|"
    r"little bit) )?"
    r"(?:more(?: of that| please)?|again|keep going|further|go further|push it further|"
    r"stronger|same again|do (?:that|it) again|once more|one more time|more more|"
    r"even more|take it further)[.! ]*$"
)
_BACK_OFF = lazy_pattern(
    r"\b(?:too much|too far|halfway|half way|back off|tone it down|dial it back|dial back|"
    r"pull it back|rein it in|overdone|overkill|a (?:bit|little|touch) less|less of that|"
    r"half of that|went too far|too strong|that's too|thats too|not so much|ease off|"
    r"ease up|too extreme|overcooked)\b|^less[.! ]*$"
)


_FREQUENCY_SAID = lazy_pattern(r"\b\d+(?:\.\d+)?\s*(?:khz|k|hz)\b")


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\b(?:version|ver|v|#)?\s*(\d+)\b", text))


def classify_followup(text: str) -> tuple[str, tuple[int, ...], float] | None:
    """(intent, versions, scale) for a conversational brief, or None for a mix brief."""
    text = text.strip()
    if re.search(r"\b(?:compare|a ?/ ?b|ab|difference between|versus|vs\.?)\b", text):
        numbers = _numbers(text)
        if numbers:
            return "compare", numbers[:2], 1.0
        if re.search(r"\b(?:last|previous|before|earlier|prior|original)\b", text):
            return "compare", (), 1.0  # this version against the one before it
    m = re.search(
        rf"\b(?:go(?:ing)? back to|back to|revert(?: back)? to|restore|return to|"
        rf"switch(?: back)? to|roll back to|use|load|reload|prefer(?:red)?|"
        rf"liked|bring back)\s+(?:the\s+)?{_VERSION}\b",
        text,
    )
    if m and re.search(r"\b(?:version|ver|v|#)\s*\d|\b(?:restore|revert|back to)\s+\d", text):
        return "revert", (int(m.group(1)),), 1.0
    if re.search(
        r"\bwhat (?:did|have|has) (?:you|it|that) (?:just )?(?:change|changed|do|done)\b|"
        r"\bwhat (?:was )?changed\b|\bwhy did you\b|\bexplain (?:that|what|the|your|it)\b|"
        r"^why\??$|\bwhat did that do\b|\bwhat were the changes\b|"
        r"\bwhat did you just do\b",
        text,
    ):
        return "explain", (), 1.0
    if _QUESTION_START.search(text) and _PLUGIN_TERMS.search(text):
        return "question", (), 1.0
    if _BACK_OFF.search(text) and not _mentions_sound(text):
        fraction = 0.75 if re.search(r"\bway too|much too|far too\b", text) else 0.5
        if re.search(r"\b(?:a (?:bit|little|touch)|slightly) too\b", text):
            fraction = 0.35
        return "back_off", (), fraction
    if re.search(
        r"^(?:please )?(?:undo|revert|scrap|cancel|take (?:that|it) back|never ?mind|"
        r"forget (?:it|that))\b(?!\s+to\b)|\b(?:undo|revert) (?:that|it|this|the last|"
        r"last)\b|^(?:go|change it|put it|set it) back(?: how it was| to how it was|"
        r" to before)?[.! ]*$|\bi (?:don't|dont) like (?:that|it)\b",
        text,
    ):
        return "undo", (), 1.0
    m = _REPEAT.search(text)
    if m:
        scale = 1.0
        if re.search(r"\b(?:a (?:bit|touch|little|tad)|slightly|little bit|just a)\b", text):
            scale = 0.6
        elif re.search(r"\b(?:a lot|way|much)\b", text):
            scale = 1.5
        return "repeat", (), scale
    return None


def _mentions_sound(text: str) -> bool:
    """True when a back-off phrase names what to change ("too much reverb")."""
    if _FREQUENCY_SAID.search(text):  # "too much in the 1 kHz area"
        return True
    words = set(re.findall(r"[a-z0-9']+", text))
    stripped = {w.rstrip("s") for w in words} | {w.removesuffix("ness") for w in words}
    vocab = set(CONCEPT_WORDS) | set(ROLE_WORDS) | set(GROUP_WORDS) | BAND_WORDS
    return bool((words | stripped) & vocab - {"level", "more"})


# qualities said by a noun the vocabulary has as an adjective, and where in the spectrum
# ("ease off the top", "back off the lows", "dial back the compression")
BAND_WORDS = frozenset(
    {"low", "high", "highs", "mids", "top", "bottom", "lows", "treble", "compression", "distortion"}
)
