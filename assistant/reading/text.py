"""Brief text as people type it, made readable: text speak, stretched letters, "2" for
"too", shorthand pans; and the lemma of a word over the reader's own vocabulary.

The lemmatiser is hand-written on purpose: the reader only needs the lemmas of its own
vocabulary, and most of what it meets is derivation (harshness → harsh, widen → wide,
brighten → bright, muddier → muddy) that a general lemmatiser (lemminflect, simplemma)
leaves alone. Candidates come from suffix rules and a short table of irregular verbs, and
only a candidate the vocabulary knows is accepted, so over-stripping is harmless.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from mixchat.assistant.reading.patterns import lazy_pattern

# Whole words typed fast -> what they stand for.
TEXT_SPEAK: dict[str, str] = {
    "u": "you",
    "em": "them",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "thx": "thanks",
    "ty": "thanks",
    "abit": "a bit",
    "alil": "a little",
    "alittle": "a little",
    "alot": "a lot",
    "moar": "more",
    "mor": "more",
    "lil": "little",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "needa": "need to",
    "kinda": "kind of",
    "sorta": "sort of",
    "tho": "though",
    "rly": "really",
    "realy": "really",
    "af": "really",
    "asf": "really",
    "sooo": "so",
    "w/": "with",
    "w/o": "without",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "dont": "don't",
    "cant": "can't",
    "cannot": "can't",
    "couldnt": "couldn't",
    "isnt": "isn't",
    "doesnt": "doesn't",
    "wont": "won't",
    "its": "it's",
    "thats": "that's",
    "theres": "there's",
    "verb": "reverb",
    "verbs": "reverb",
    "reverbs": "reverb",
    "vox": "vocal",
    "voc": "vocal",
    "vocs": "vocals",
    "bgvs": "backing vocals",
    "bvs": "backing vocals",
    "bv": "backing vocals",
    "gtr": "guitar",
    "gtrs": "guitars",
    "gtrs.": "guitars",
    "pno": "piano",
    "kik": "kick",
    "bas": "bass",
    "base": "bass",
    "drms": "drums",
    "snr": "snare",
    "hh": "hi hats",
    "ohs": "overheads",
    "eq'd": "equalised",
    "idk": "i don't know",
    "imo": "",
    "tbh": "",
    "lmk": "",
    "bro": "",
    "dude": "",
    "mate": "",
    "fam": "",
    "pleaseee": "please",
    "thru": "through",
    "n": "and",
    "&": "and",
    "+": "and",
}
# A digit 2 before one of these is "too"; before anything else it is "to".
_TOO_BEFORE = lazy_pattern(
    r"\b2\s+(?=(?:much|many|loud|quiet|soft|bright|dark|dull|harsh|muddy|boomy|thin|wide|"
    r"narrow|wet|dry|big|small|busy|compressed|squashed|buried|low|high|hot|quiet|present|"
    r"far|close|sharp|fizzy|sizzly|boxy|nasal|sibilant|\w+y\b|\w+er\b))"
)
# "to" typed for "too": after a verb of being or a hedge, before an amount or a quality
_TO_FOR_TOO = lazy_pattern(
    r"(^|\b(?:is|are|was|were|its|it's|sounds?|feels?|way|far|bit|little|slightly|just|"
    r"kinda|also|bass|vocals?|drums|mix)\s+)to\s+(?=(?:much|many|loud|quiet|soft|bright|dark|"
    r"dull|harsh|muddy|boomy|thin|wide|narrow|wet|dry|big|small|busy|compressed|low|high|hot|"
    r"present|far|sharp|\w+y\b))"
)
# "the bass lost its punch": the part lacks the quality now, it is not lost in the mix
_LOST_ITS = lazy_pattern(
    r"\b(?:lost|loses|losing)\s+((?:(?:all|some)\s+(?:of\s+)?)?(?:its|their|his|her)\b)"
)
_PAN_SHORTHAND = lazy_pattern(r"\b([lr])\s?(\d{1,3})\b")


def _stretched(word: str, known: Callable[[str], bool]) -> str:
    """ "waaay" → "way", "mudddy" → "muddy", "widerrr" → "wider": runs of three or more
    letters shortened to one or two, whichever the vocabulary knows (else two)."""
    if not re.search(r"(\w)\1\1", word):
        return word
    single = re.sub(r"(\w)\1{2,}", r"\1", word)
    double = re.sub(r"(\w)\1{2,}", r"\1\1", word)
    for candidate in (single, double):
        if known(candidate):
            return candidate
    return single if len(single) >= 3 else double


def expand_text_speak(text: str, known: Callable[[str], bool] = lambda w: False) -> str:
    """Lower-cased text with text speak spelled out (the rest of normalising is the
    reader's): "cant hear the vox pls" → "can't hear the vocal please"."""
    text = re.sub(r"\bpretty much\b\s*", "", text)  # "almost": neither a quality nor an amount
    text = _TOO_BEFORE.sub("too ", text)
    text = _LOST_ITS.sub(r"lacks \1", text)
    text = _TO_FOR_TOO.sub(r"\1too ", text)
    text = re.sub(
        r"(?<![\w+\-.])2\s+(?=(?:come|go|be|make|get|hit|sound|hear|have|the|a|sit|stand|cut|"
        r"pop|punch|breathe|shine)\b|-\d)",
        "to ",
        text,
    )
    text = _PAN_SHORTHAND.sub(
        lambda m: f"pan {'left' if m.group(1) == 'l' else 'right'} {m.group(2)}%", text
    )
    out = []
    for token in re.split(r"(\s+)", text):
        core = token.strip(".,!?;:")
        if core and not token.isspace():
            word = _stretched(core, known)
            replaced = TEXT_SPEAK.get(word, word)
            token = token.replace(core, replaced, 1)
        out.append(token)
    return " ".join("".join(out).split())


# --- lemmas --------------------------------------------------------------------------------
IRREGULAR: dict[str, str] = {
    "lost": "lose",
    "sat": "sit",
    "sits": "sit",
    "sitting": "sit",
    "got": "get",
    "gotten": "get",
    "brought": "bring",
    "hid": "hide",
    "hidden": "hide",
    "ate": "eat",
    "eaten": "eat",
    "swallowed": "swallow",
    "fell": "fall",
    "falls": "fall",
    "felt": "feel",
    "went": "go",
    "gone": "go",
    "made": "make",
    "took": "take",
    "taken": "take",
    "stuck": "stick",
    "buried": "bury",
    "buries": "bury",
    "burying": "bury",
    "drowned": "drown",
    "worse": "bad",
    "better": "good",
    "less": "little",
    "fewer": "few",
    "heard": "hear",
    "ran": "run",
    "spread": "spread",
    "cut": "cut",
    "put": "put",
    "set": "set",
}
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("iness", "y"),
    ("iest", "y"),
    ("ier", "y"),
    ("ily", "y"),
    ("ies", "y"),
    ("ied", "y"),
    ("ying", "y"),
    ("ness", ""),
    ("ened", ""),
    ("ening", ""),
    ("ens", ""),
    ("en", ""),
    ("est", ""),
    ("er", ""),
    ("ing", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
    ("ly", ""),
    ("th", ""),
    ("y", ""),
)


# words that only look inflected: "evening" is not "even" + -ing, nor "strings" a verb
NOT_INFLECTED = frozenset(
    {
        "evening", "morning", "string", "strings", "ceiling", "thing", "things", "nothing",
        "something", "everything", "anything", "spring", "king", "wing", "ring", "sing",
        "during", "heaven", "garden", "oven", "kitten", "chicken", "kitchen", "listen",
    }
)  # fmt: skip


def lemma_candidates(word: str) -> list[str]:
    """Possible base forms, most likely first: darker → dark, wider → wide, fatter → fat,
    muddiness → muddy, tucked → tuck, sitting → sit, brightened → bright."""
    if word in NOT_INFLECTED:
        return []
    out = [IRREGULAR[word]] if word in IRREGULAR else []
    for suffix, replacement in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            stem = word[: -len(suffix)] + replacement
            out.append(stem)
            out.append(stem + "e")
            if len(stem) > 2 and stem[-1] == stem[-2]:
                out.append(stem[:-1])
    return out


def lemma(word: str, vocabulary: Collection[str]) -> str:
    """The word's base form if the vocabulary knows it, else the word itself."""
    if word in vocabulary:
        return word
    for candidate in lemma_candidates(word):
        if candidate in vocabulary:
            return candidate
    return word
