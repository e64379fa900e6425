"""The plugin knowledge base (prompts/plugins.json): typed access and BM25 retrieval.

Shared by ``mixchat.assistant.knowledge.ask`` (questions) and ``mixchat.assistant.knowledge.screenshot`` (settings feedback).
Retrieval scores every entry with BM25 over its text, plus a strong bonus when the query
names the entry by one of its aliases ("cl-1b", "tube tech", "la2a", "g-bus"...).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, Field

from mixchat.dsp.errors import StateError


class Control(BaseModel):
    name: str
    range: str
    unit: str = ""
    note: str = ""


class Lack(BaseModel):
    control: str
    note: str


class Setting(BaseModel):
    role: str
    genre: str = ""
    text: str


class Entry(BaseModel):
    """A unit (1176, Pultec...) or a technique (mud, sidechain...) from the knowledge base."""

    id: str
    kind: str
    category: str
    name: str
    type: str = ""
    aliases: list[str] = Field(default_factory=list)
    controls: list[Control] = Field(default_factory=list)
    lacks: list[Lack] = Field(default_factory=list)
    settings: list[Setting] = Field(default_factory=list)
    character: str = ""
    text: str = ""
    values: dict = Field(default_factory=dict)
    sources: list[str] = Field(default_factory=list)

    def search_text(self) -> str:
        parts = [self.name, self.type, self.category, " ".join(self.aliases), self.text]
        parts += [f"{c.name} {c.range} {c.unit} {c.note}" for c in self.controls]
        parts += [f"no {lack.control} {lack.note}" for lack in self.lacks]
        parts += [f"{s.role} {s.genre} {s.text}" for s in self.settings]
        return " ".join(parts + [self.character])

    def lack(self, control: str) -> Lack | None:
        return next((lack for lack in self.lacks if lack.control == control), None)

    def control(self, name: str) -> Control | None:
        return next((c for c in self.controls if name in c.name), None)


class StartingPoint(BaseModel):
    role: str
    genre: str = ""
    process: str
    ratio: tuple[float, float]
    attack_ms: tuple[float, float]
    release_ms: tuple[float, float]
    gr_db: tuple[float, float]
    text: str = ""
    sources: list[str] = Field(default_factory=list)


class KnowledgeBase(BaseModel):
    version: int
    sources: dict[str, str]
    entries: list[Entry]
    starting_points: list[StartingPoint]
    screenshot_limits: dict

    def entry(self, entry_id: str) -> Entry:
        found = next((e for e in self.entries if e.id == entry_id), None)
        if found is None:
            raise StateError(f"knowledge entry {entry_id!r} is not in prompts/plugins.json")
        return found

    def cite(self, keys: list[str]) -> list[str]:
        return [self.sources.get(key, key) for key in keys]

    def starting_point(self, role: str | None, genre: str | None = None) -> StartingPoint:
        """The role×genre starting point, falling back to the role's generic one, then 'other'."""
        role = role or "other"
        candidates = [s for s in self.starting_points if s.role == role] or [
            s for s in self.starting_points if s.role == "other"
        ]
        exact = [s for s in candidates if genre and s.genre == genre]
        generic = [s for s in candidates if not s.genre]
        return (exact or generic or candidates)[0]


@lru_cache(maxsize=1)
def load() -> KnowledgeBase:
    """The knowledge base, parsed and validated once."""
    text = resources.files("mixchat.prompts").joinpath("plugins.json").read_text(encoding="utf-8")
    return KnowledgeBase.model_validate(json.loads(text))


# --- text normalisation and alias matching -----------------------------------------------

ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "drum bus": ("drum bus", "drums bus", "drum buss", "drum group", "drums", "kit"),
    "mix bus": (
        "mix bus",
        "master bus",
        "mix buss",
        "stereo bus",
        "2 bus",
        "two bus",
        "master",
        "mix",
        "glue",
        "mastering",
    ),
    "vocal": ("vocal", "vocals", "vox", "voice", "singer", "lead vocal", "rap vocal", "rapper"),
    "kick": ("kick", "kick drum", "bass drum", "808"),
    "snare": ("snare", "snare drum", "clap"),
    "tom": ("tom", "toms"),
    "bass": ("bass", "bass guitar", "synth bass", "sub bass"),
    "guitar": ("guitar", "guitars", "acoustic guitar", "electric guitar", "gtr"),
    "piano": ("piano", "keys", "keyboard", "rhodes"),
}
GENRE_WORDS: dict[str, tuple[str, ...]] = {
    "ballad": ("ballad", "ballads", "slow song", "soft", "intimate", "singer songwriter"),
    "rap": ("rap", "hip hop", "hip-hop", "hiphop", "trap", "drill", "rapper"),
    "rock": ("rock", "metal", "punk", "grunge", "indie rock"),
    "pop": ("pop",),
    "edm": ("edm", "house", "techno", "dance", "electronic", "club", "dubstep"),
}


def tokens(text: str) -> list[str]:
    """Lower-case alphanumeric tokens, keeping decimals ("2.5") together."""
    return re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text.lower().replace("µ", "u"))


def _phrase_spans(query_tokens: list[str], phrase: str) -> list[tuple[int, int]]:
    """Token spans where the phrase occurs, spaced ("cl 1b") or squashed ("cl1b")."""
    phrase_tokens = tokens(phrase)
    squashed = "".join(phrase_tokens)
    spans = []
    for start in range(len(query_tokens)):
        for length in range(1, 4):
            window = query_tokens[start : start + length]
            if len(window) < length:
                break
            if window == phrase_tokens or "".join(window) == squashed:
                spans.append((start, start + length))
    return spans


def _outermost(matches: list[tuple[str, tuple[int, int]]]) -> list[tuple[str, tuple[int, int]]]:
    """Drop matches whose span lies strictly inside a longer match ('tube' in 'tube tech')."""
    kept = []
    for key, (a, b) in matches:
        inside = any(
            (c <= a and b <= d) and (d - c) > (b - a) for other, (c, d) in matches if other != key
        )
        if not inside:
            kept.append((key, (a, b)))
    return kept


def named_entries(query: str, *, kind: str | None = None) -> list[Entry]:
    """Entries the query names by alias, in the order they appear in the query."""
    kb = load()
    query_tokens = tokens(query)
    matches = [
        (entry.id, span)
        for entry in kb.entries
        if kind is None or entry.kind == kind
        for alias in [entry.id, *entry.aliases]
        for span in _phrase_spans(query_tokens, alias)
    ]
    first_seen: dict[str, int] = {}
    for key, (a, _) in _outermost(matches):
        first_seen[key] = min(first_seen.get(key, a), a)
    return [kb.entry(key) for key in sorted(first_seen, key=first_seen.__getitem__)]


def _find_words(query: str, table: dict[str, tuple[str, ...]]) -> list[str]:
    query_tokens = tokens(query)
    matches = [
        (key, span)
        for key, words in table.items()
        for w in words
        for span in _phrase_spans(query_tokens, w)
    ]
    first_seen: dict[str, int] = {}
    for key, (a, _) in _outermost(matches):
        first_seen[key] = min(first_seen.get(key, a), a)
    return sorted(first_seen, key=first_seen.__getitem__)


def find_roles(query: str) -> list[str]:
    """Source roles the text mentions, in order ("kick", "vocal", "mix bus"...)."""
    return _find_words(query, ROLE_WORDS)


def find_genres(query: str) -> list[str]:
    return _find_words(query, GENRE_WORDS)


def normalise_role(role: str | None) -> str | None:
    if not role:
        return None
    found = find_roles(role)
    return found[0] if found else role.lower()


# --- BM25 retrieval -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _index() -> tuple[list[Counter], list[int], dict[str, int]]:
    docs = [Counter(tokens(entry.search_text())) for entry in load().entries]
    lengths = [sum(doc.values()) for doc in docs]
    doc_freq: Counter = Counter()
    for doc in docs:
        doc_freq.update(doc.keys())
    return docs, lengths, dict(doc_freq)


STOPWORDS = frozenset(
    "a an the on in of for to and or with what how do i my is it should set setting settings "
    "use be at as from this that which whats s".split()
)


def _bm25_scores(query: str, *, k1: float = 1.4, b: float = 0.75) -> list[float]:
    docs, lengths, doc_freq = _index()
    n_docs, mean_len = len(docs), sum(lengths) / len(lengths)
    terms = [t for t in tokens(query) if t not in STOPWORDS]
    scores = []
    for doc, length in zip(docs, lengths, strict=True):
        score = 0.0
        for term in terms:
            tf = doc.get(term, 0)
            if tf:
                idf = math.log(1 + (n_docs - doc_freq[term] + 0.5) / (doc_freq[term] + 0.5))
                score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / mean_len))
        scores.append(score)
    return scores


ALIAS_BONUS = 25.0


def retrieve(query: str, *, k: int = 5) -> list[Entry]:
    """The k entries most relevant to the query: alias-named entries first, then BM25."""
    entries = load().entries
    named = {entry.id for entry in named_entries(query)}
    scores = [
        score + (ALIAS_BONUS + (entry.kind == "unit") if entry.id in named else 0.0)
        for entry, score in zip(entries, _bm25_scores(query), strict=True)
    ]
    ranked = sorted(range(len(entries)), key=lambda i: -scores[i])
    return [entries[i] for i in ranked[:k] if scores[i] > 0]


def compact_text(entry: Entry) -> str:
    """One entry as a few dense lines, for grounding a model or showing a reference."""
    lines = [f"## {entry.name}" + (f" ({entry.type})" if entry.type else "")]
    if entry.text:
        lines.append(entry.text)
    if entry.controls:
        lines.append(
            "Controls: " + "; ".join(f"{c.name} {c.range} {c.unit}".strip() for c in entry.controls)
        )
    lines += [f"Lacks {lack.control}: {lack.note}" for lack in entry.lacks]
    for s in entry.settings:
        where = " ".join(part for part in (s.genre, s.role) if part)
        lines.append(f"Start ({where}): {s.text}")
    if entry.character:
        lines.append(f"Character: {entry.character}")
    lines.append("Sources: " + "; ".join(load().cite(entry.sources)))
    return "\n".join(lines)
