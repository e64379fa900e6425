"""The descriptor lexicon: what mixing words mean, loaded from ``prompts/lexicon.json``.

The data (and how it was derived from SocialEQ, Audealize, SocialReverb, SocialFX and SAFE)
lives in the JSON file; ``scripts/build_lexicon.py`` regenerates it. This module only loads,
validates and looks words up. Reading negation and amounts is the planner's job.
"""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from importlib.resources import files
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mixchat.assistant.reading.patterns import lazy_pattern
from mixchat.dsp.errors import StateError
from mixchat.dsp.state import EqBand, build

IntentKind = Literal[
    "cut_offender",  # find the stem(s) carrying band_hz and cut there
    "boost_band",  # lift band_hz (shelf or bell) on the target
    "tilt",  # low shelf + high shelf pair on the target or master
    "transient",  # transient shaper attack/sustain, plus optional compressor
    "compress",  # compressor on a track, group or the master (glue)
    "saturate",  # saturation drive/mix
    "width",  # stereo width delta
    "level",  # gain change of the target
    "send",  # reverb/delay send change
]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Intent(Frozen):
    """A move the planner can act on, choosing the exact stem/frequency from the analysis."""

    kind: IntentKind
    band_hz: tuple[float, float] | None = None
    freq_hz: float | None = None
    q: float | None = None
    shape: Literal["bell", "low_shelf", "high_shelf"] | None = None
    gain_db: float | None = None
    low_shelf_hz: float | None = None
    low_gain_db: float | None = None
    high_shelf_hz: float | None = None
    high_gain_db: float | None = None
    attack_db: float | None = None
    sustain_db: float | None = None
    threshold_rel_db: float | None = None
    ratio: float | None = None
    attack_ms: float | None = None
    release_ms: float | None = None
    drive_db: float | None = None
    mix_pct: float | None = None
    delta: float | None = None
    send_db: float | None = None
    bus: Literal["reverb", "delay"] | None = None
    scope: Literal["track", "group", "master", "any"] = "any"
    also: tuple[Intent, ...] = ()


class Effect(Frozen):
    """What the fitted EQ moves do to pink noise: centroid change and per-band change."""

    centroid_pct: float
    bands_db: dict[str, float]
    up: tuple[str, ...] = ()
    down: tuple[str, ...] = ()


class ReverbSetting(Frozen):
    """SocialReverb settings (raw) mapped onto our reverb bus and a send change."""

    raw: dict[str, float]
    room_size: float = Field(ge=0.0, le=1.0)
    damping: float = Field(ge=0.0, le=1.0)
    width: float = Field(ge=0.0, le=1.0)
    pre_delay_ms: float = Field(ge=0.0, le=250.0)
    lpf_hz: float = Field(ge=1000.0, le=20000.0)
    send_db: float = Field(ge=-12.0, le=12.0)
    agreement: float
    num: int


class CompressorSetting(Frozen):
    """SocialFX median settings (raw) mapped onto our compressor fields."""

    raw: dict[str, float]
    threshold_rel_db: float = Field(ge=-30.0, le=0.0)
    ratio: float = Field(ge=1.0, le=20.0)
    attack_ms: float = Field(ge=0.1, le=300.0)
    release_ms: float = Field(ge=5.0, le=3000.0)
    count: int


class SafeSetting(Frozen):
    """SAFE median 5-band settings for the word, and how well they agree with SocialEQ."""

    count: int
    moves: tuple[EqBand, ...]
    corr_with_socialeq: float | None = None


class Descriptor(Frozen):
    word: str
    polarity: Literal["quality", "problem"] = "quality"
    antonym: str | None = None
    synonyms: tuple[str, ...] = ()
    scannable: bool = True
    eq_curve: tuple[float, ...] | None = None
    eq_peak_db: float | None = None
    eq_curve_db: tuple[float, ...] | None = None
    eq_moves: tuple[EqBand, ...] = ()
    eq_fit_rms_db: float | None = None
    effect: Effect | None = None
    intent: Intent | None = None
    measure: str | None = None
    direction: int | None = Field(default=None, ge=-1, le=1)
    reverb: ReverbSetting | None = None
    compressor: CompressorSetting | None = None
    safe: SafeSetting | None = None
    source: tuple[str, ...] = ()
    note: str | None = None
    agreement: float | None = None
    num: int | None = None
    approximate: bool = False


class LexiconFile(Frozen):
    header: dict[str, object]
    band_centres_hz: tuple[float, ...]
    aliases: dict[str, str]
    entries: tuple[Descriptor, ...]


Span = tuple[int, int]

_SUFFIX_RULES: tuple[tuple[str, str], ...] = (
    ("iness", "y"),
    ("ier", "y"),
    ("iest", "y"),
    ("ily", "y"),
    ("ness", ""),
    ("ened", ""),
    ("ening", ""),
    ("en", ""),
    ("er", ""),
    ("est", ""),
    ("th", ""),
    ("ed", ""),
    ("ing", ""),
    ("s", ""),
    ("ly", ""),
)


def normalise(word: str) -> str:
    """Lower case, hyphens/underscores to spaces, other punctuation dropped."""
    text = re.sub(r"[-_/]+", " ", word.lower())
    text = re.sub(r"[^a-z' ]+", "", text).replace("'", "")
    return " ".join(text.split())


def inflection_candidates(word: str) -> list[str]:
    """Possible base forms: darker→dark, wider→wide, fatter→fat, muddiness→muddy."""
    out: list[str] = []
    for suffix, repl in _SUFFIX_RULES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            stem = word[: -len(suffix)] + repl
            out.append(stem)
            out.append(stem + "e")
            if len(stem) > 2 and stem[-1] == stem[-2]:
                out.append(stem[:-1])
    return out


class Lexicon:
    def __init__(self, data: LexiconFile) -> None:
        self.header = data.header
        self.band_centres_hz = np.asarray(data.band_centres_hz, dtype=float)
        self._aliases = dict(data.aliases)
        for d in data.entries:
            for syn in d.synonyms:
                self._aliases.setdefault(syn, d.word)
        by_word: dict[str, set[str]] = {}
        for alias, word in self._aliases.items():
            by_word.setdefault(word, set()).add(alias)
        self._entries = {
            d.word: d.model_copy(update={"synonyms": tuple(sorted(by_word.get(d.word, ())))})
            for d in data.entries
        }
        self._keys = sorted(set(self._entries) | set(self._aliases))
        self._fuzzy_keys = [k for k in self._keys if self._resolve(k).scannable and len(k) >= 4]

    def words(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[Descriptor]:
        return [self._entries[w] for w in self.words()]

    def _resolve(self, key: str) -> Descriptor:
        return self._entries[self._aliases.get(key, key)]

    def __getitem__(self, word: str) -> Descriptor:
        return self._entries[word]

    def _exact(self, key: str) -> Descriptor | None:
        if key in self._aliases:
            return self._entries[self._aliases[key]]
        if key in self._entries:
            return self._entries[key]
        squashed = key.replace(" ", "")
        if squashed != key and squashed in self._entries:
            return self._entries[squashed]
        return None

    def lookup(self, word: str, *, approximate: bool = True) -> Descriptor | None:
        """The descriptor for a word, its synonyms, misspellings and inflections.

        A close spelling match (difflib ratio >= 0.85) is returned with ``approximate=True``.
        """
        key = normalise(word)
        if not key:
            return None
        found = self._exact(key)
        if found is not None:
            return found
        for candidate in inflection_candidates(key):
            found = self._exact(candidate)
            if found is not None:
                return found
        if not approximate or len(key) < 4:
            return None
        close = difflib.get_close_matches(key, self._fuzzy_keys, n=1, cutoff=0.85)
        if not close:
            return None
        return self._resolve(close[0]).model_copy(update={"approximate": True})


_TOKEN = lazy_pattern(r"[A-Za-z]+(?:['\-][A-Za-z]+)*")
# Words that are never descriptors in a brief, even if spelled close to one.
_NOT_DESCRIPTORS = frozenset(
    "the and but with this that what more less much very too bit touch little lot way "
    "make makes made sound sounds vocal vocals vox voice guitar guitars bass drums drum kick "
    "snare keys piano synth synths pad pads lead chorus verse verses bridge intro outro master "
    "mix song track tracks stem stems please could would should some".split()
)


def find_descriptors(text: str, *, lexicon: Lexicon | None = None) -> list[tuple[Descriptor, Span]]:
    """Descriptors in a sentence with their character spans, longest phrase first (3..1 words)."""
    lex = lexicon or load_lexicon()
    tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    found: list[tuple[Descriptor, Span]] = []
    i = 0
    while i < len(tokens):
        match = _match_at(lex, tokens, i)
        if match is None:
            i += 1
            continue
        descriptor, n_tokens = match
        found.append((descriptor, (tokens[i][1], tokens[i + n_tokens - 1][2])))
        i += n_tokens
    return found


def _match_at(lex: Lexicon, tokens: list[tuple[str, int, int]], i: int):
    for n in (3, 2):
        if i + n <= len(tokens):
            phrase = normalise(" ".join(t[0] for t in tokens[i : i + n]))
            hit = lex._exact(phrase)
            if hit is not None and hit.scannable:
                return hit, n
    word = normalise(tokens[i][0])
    if word in _NOT_DESCRIPTORS or len(word) < 3:
        return None
    hit = lex.lookup(word, approximate=len(word) >= 5)
    if hit is not None and hit.scannable:
        return hit, 1
    return None


def eq_response_db(
    moves: tuple[EqBand, ...] | list[EqBand], freqs_hz: np.ndarray, *, sample_rate: float = 48000.0
) -> np.ndarray:
    """Summed magnitude response (dB) of RBJ-cookbook biquads, as pedalboard's filters use."""
    freqs = np.asarray(freqs_hz, dtype=float)
    total = np.zeros_like(freqs)
    for band in moves:
        b, a = rbj_coefficients(
            band.kind, band.freq_hz, band.gain_db, band.q, sample_rate=sample_rate
        )
        z = np.exp(-1j * 2.0 * np.pi * freqs / sample_rate)
        num = b[0] + b[1] * z + b[2] * z * z
        den = a[0] + a[1] * z + a[2] * z * z
        total += 20.0 * np.log10(np.abs(num / den) + 1e-12)
    return total


def rbj_coefficients(
    kind: str, freq_hz: float, gain_db: float, q: float, *, sample_rate: float = 48000.0
) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of one RBJ Audio-EQ-Cookbook biquad (bell, low_shelf, high_shelf, notch).

    A notch is rendered as the engine does: a bell cut of gain_db if negative, else -30 dB.
    """
    if kind == "notch":
        gain_db = gain_db if gain_db < 0 else -30.0
    amp = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * min(freq_hz, 0.49 * sample_rate) / sample_rate
    cos_w, alpha = np.cos(w0), np.sin(w0) / (2.0 * q)
    root = 2.0 * np.sqrt(amp) * alpha
    if kind == "low_shelf":
        b = amp * np.array(
            [
                (amp + 1) - (amp - 1) * cos_w + root,
                2 * ((amp - 1) - (amp + 1) * cos_w),
                (amp + 1) - (amp - 1) * cos_w - root,
            ]
        )
        a = np.array(
            [
                (amp + 1) + (amp - 1) * cos_w + root,
                -2 * ((amp - 1) + (amp + 1) * cos_w),
                (amp + 1) + (amp - 1) * cos_w - root,
            ]
        )
    elif kind == "high_shelf":
        b = amp * np.array(
            [
                (amp + 1) + (amp - 1) * cos_w + root,
                -2 * ((amp - 1) + (amp + 1) * cos_w),
                (amp + 1) + (amp - 1) * cos_w - root,
            ]
        )
        a = np.array(
            [
                (amp + 1) - (amp - 1) * cos_w + root,
                2 * ((amp - 1) - (amp + 1) * cos_w),
                (amp + 1) - (amp - 1) * cos_w - root,
            ]
        )
    else:
        b = np.array([1 + alpha * amp, -2 * cos_w, 1 - alpha * amp])
        a = np.array([1 + alpha / amp, -2 * cos_w, 1 - alpha / amp])
    return b / a[0], a / a[0]


def lexicon_from_json(text: str) -> Lexicon:
    return Lexicon(build(LexiconFile, json.loads(text)))


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The packaged lexicon (cached). Raises StateError if the file is missing or invalid."""
    resource = files("mixchat.prompts") / "lexicon.json"
    try:
        text = resource.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as error:
        raise StateError(
            f"lexicon file={resource} cannot be read ({error}); run scripts/build_lexicon.py"
        ) from None
    return lexicon_from_json(text)
