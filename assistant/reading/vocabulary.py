"""The reader's vocabulary in a few lines, for a model asked to rephrase a brief the reader
could not place (``BriefReading.placed`` is False) into words it reads.

``rephrase_vocabulary()`` lists what the reader understands: qualities by concept (a few
words each, with their direction), the parts and sections it recognises, amount words from
small to large, and sentence shapes it reads ("the X is buried", "X is masking Y", "pan X
to the left", "cut 300 Hz on X"). Compact on purpose: a small local model's context is short.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from mixchat.assistant.reading.vocab import (
    AMOUNT_WORDS,
    CONCEPT_WORDS,
    GROUP_WORDS,
    ROLE_WORDS,
    SECTION_WORDS,
)

WORDS_PER_CONCEPT = 4
SHAPES = (
    "make it darker / brighter / warmer / wider / narrower / punchier",
    "the vocal is buried / too loud / too quiet; bring the bass up 2 dB",
    "the keys are masking the vocal; the kick and bass are fighting",
    "less mud / less harsh / more air / more low end (on the mix or on a part)",
    "more reverb on the vocal; less reverb; longer reverb; more delay on the guitar",
    "pan the keys to the left; hard right; centre the bass",
    "compress the vocal; glue the mix; saturate the bass",
    "make the chorus louder than the verse; the vocal gets lost in the chorus",
    "cut 300 Hz on the keys; high pass the guitar at 150 Hz; boost 3 dB at 5k on the vocal",
    "master it for Spotify; master to -12 LUFS",
    "moods: dreamy, vintage, aggressive, intimate, huge, lofi",
)


@lru_cache(maxsize=1)
def rephrase_vocabulary() -> str:
    by_concept: dict[tuple[str, int], list[str]] = defaultdict(list)
    for word, (concept, sign) in CONCEPT_WORDS.items():
        if len(by_concept[(concept, sign)]) < WORDS_PER_CONCEPT:
            by_concept[(concept, sign)].append(word)
    qualities = "; ".join(
        f"{concept}{'+' if sign > 0 else '-'}: {', '.join(words)}"
        for (concept, sign), words in sorted(by_concept.items())
    )
    parts = ", ".join(
        v.replace("_", " ") for v in sorted(set(ROLE_WORDS.values()) | set(GROUP_WORDS.values()))
    )
    sections = ", ".join(sorted(set(SECTION_WORDS)))
    ladder = sorted({scale: phrase for phrase, scale in AMOUNT_WORDS}.items())
    amounts = " < ".join(f'"{phrase}"' for _, phrase in ladder)
    lines = [
        "Words the offline reader understands (rephrase into these):",
        f"Qualities: {qualities}.",
        f"Parts: {parts}.",
        f"Sections: {sections} (first/second/last chorus).",
        f"Amounts, small to large: {amounts}; or a number in dB.",
        "Sentence shapes:",
        *(f"- {shape}" for shape in SHAPES),
    ]
    return "\n".join(lines)
