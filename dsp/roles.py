"""Stem roles (kick, bass, vocal, keys...) from the name a producer gave the file, else the audio.

Names are split into words (separators, digits and case ignored; camelCase split), noise
words such as take, comp, L/R, DI and print are dropped, and the remaining words are matched
against a vocabulary of the abbreviations producers use ("Vox", "BV", "Gtr", "OH", "KD", "808").
When the name says nothing ("Audio_03", "Track 7"), cheap spectral and temporal features of
the signal give a role with an honest confidence.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import soxr

from mixchat.dsp import fft
from mixchat.dsp.errors import AudioFileError, StateError

ROLES: tuple[str, ...] = (
    "kick", "snare", "hats", "toms", "overheads", "drums", "percussion", "bass", "vocal",
    "backing_vocal", "guitar", "keys", "pad", "synth", "lead", "strings", "brass", "fx", "other",
)  # fmt: skip

# role -> the words producers use for it; matched against each word of the name
ROLE_WORDS: dict[str, str] = {
    "kick": "kick kik kck kd bd bassdrum",
    "snare": "snare snr sn sd rim rimshot clap",
    "hats": "hat hats hh hihat hihats hhat ride cymbal cymbals crash china splash",
    "toms": "tom toms floortom rack racktom ft",
    "overheads": "oh ohs overhead overheads room rooms amb ambience",
    "drums": "drum drums kit drumkit beat beats loop break breakbeat",
    "percussion": "perc percs percussion shaker shakers tamb tambourine conga congas bongo "
    "bongos cowbell clave claves triangle timbale timbales cajon woodblock guiro",
    "bass": "bass bas bs sub subbass 808 808s upright contrabass basssynth synthbass",
    "vocal": "vocal vocals vox vx vo voc vocs voice singer sing lv leadvox leadvocal rap "
    "rapper adlib adlibs spoken acapella",
    "backing_vocal": "bv bvs bgv bgvs bvox backing backings backup harmony harmonies harm "
    "choir double doubles dbl gang ooh oohs aah aahs",
    "guitar": "guitar guitars gtr gtrs gt git gtar acoustic ac electric elec eg ag banjo "
    "mandolin ukulele uke riff strum dobro sitar",
    "keys": "keys key keyboard keyboards kbd piano pno pn rhodes wurli wurlitzer ep epiano "
    "organ org hammond b3 clav clavinet harpsichord celesta vibes marimba xylophone glock "
    "glockenspiel bells mallets grand",
    "pad": "pad pads atmos atmosphere drone texture textures swell bed",
    "synth": "synth synths syn arp arps pluck plucks moog juno saw seq sequence stab stabs chords",
    "lead": "lead leads melody mel hook topline solo whistle flute theremin",
    "strings": "strings string str strs violin violins vln viola vla cello celli vc orchestra "
    "orch harp quartet",
    "brass": "brass horn horns trumpet trumpets tpt trombone trombones tbn sax saxophone tuba "
    "flugel winds woodwinds",
    "fx": "fx sfx riser risers sweep sweeps impact impacts downlifter uplifter whoosh noise "
    "reverse rev transition boom hit hits foley vinyl",
}
WORD_ROLES: dict[str, str] = {
    word: role for role, words in ROLE_WORDS.items() for word in words.split()
}
# words that carry no role information and never make a name ambiguous
NOISE_WORDS = frozenset(
    "take tk comp comped main final print printed bounce bounced stem stems mix raw clean dry wet "
    "edit edited fixed tuned new old copy l r left right lr st stereo mono di dry in out top "
    "bottom bot up down ch chan channel trk v ver version alt the a of and mic mics close far "
    "amp dist wav flac aif aiff mp3 rec recording audio track untitled bus group grp sum".split()
)
# multi-word phrases checked before single words
PHRASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("backing", "vocal"), "backing_vocal"),
    (("backing", "vocals"), "backing_vocal"),
    (("backing", "vox"), "backing_vocal"),
    (("bg", "vox"), "backing_vocal"),
    (("bg", "vocals"), "backing_vocal"),
    (("ad", "lib"), "vocal"),
    (("ad", "libs"), "vocal"),
    (("lead", "vocal"), "vocal"),
    (("lead", "vocals"), "vocal"),
    (("lead", "vox"), "vocal"),
    (("lead", "synth"), "lead"),
    (("synth", "lead"), "lead"),
    (("synth", "pad"), "pad"),
    (("bass", "drum"), "kick"),
    (("kick", "drum"), "kick"),
    (("snare", "drum"), "snare"),
    (("hi", "hat"), "hats"),
    (("hi", "hats"), "hats"),
    (("floor", "tom"), "toms"),
    (("drum", "loop"), "drums"),
    (("electric", "piano"), "keys"),
    (("e", "piano"), "keys"),
    (("synth", "bass"), "bass"),
    (("sub", "bass"), "bass"),
    (("bass", "synth"), "bass"),
)
# when two words name different roles, the more specific one wins
SPECIFICITY = {
    "backing_vocal": 9, "kick": 8, "snare": 8, "hats": 8, "toms": 8, "overheads": 7,
    "percussion": 7, "bass": 6, "vocal": 6, "strings": 6, "brass": 6, "pad": 6, "lead": 5,
    "guitar": 6, "keys": 6, "fx": 5, "synth": 4, "drums": 3, "other": 0,
}  # fmt: skip


DRUM_PIECES = {"drums", "kick", "snare", "hats", "toms", "overheads", "percussion"}
# words of these roles beside the best one do not make a name ambiguous ("Vox Lead", "Pad Synth")
COMPATIBLE: dict[str, set[str]] = {
    **{piece: DRUM_PIECES for piece in DRUM_PIECES},
    "vocal": {"lead"},
    "backing_vocal": {"vocal", "lead"},
    "lead": {"synth"},
    "pad": {"synth", "keys", "strings"},
    "bass": {"synth", "guitar"},
    "keys": {"synth"},
    "fx": {"synth", "drums", "vocal"},
}


@dataclass(frozen=True)
class RoleGuess:
    role: str
    confidence: float
    source: str  # "name" | "audio"


def name_words(name: str) -> list[str]:
    """Lower-case words of a stem name: separators, digits-only tokens and extensions dropped."""
    stem = re.sub(r"\.(wav|flac|aiff?|mp3|ogg)$", "", name.strip(), flags=re.IGNORECASE)
    stem = re.sub(r"([a-z])([A-Z])", r"\1 \2", stem)
    tokens = re.split(r"[\s_\-.()\[\]+,&/]+", stem.lower())
    words = []
    for token in tokens:
        if not token:
            continue
        if token in ("808", "909", "b3"):
            words.append(token)
            continue
        if token.isdigit():
            continue
        if token.startswith("808"):
            words.append("808")
            continue
        words.append(re.sub(r"\d+$", "", token) or token)
    return words


def role_from_name(name: str) -> tuple[str, float] | None:
    """The role a producer's stem name states, with a confidence, or None if it says nothing."""
    words = [w for w in name_words(name) if w not in NOISE_WORDS]
    found: list[str] = []
    consumed: set[int] = set()
    for i in range(len(words) - 1):
        for phrase, role in PHRASES:
            if tuple(words[i : i + len(phrase)]) == phrase:
                found.append(role)
                consumed.update(range(i, i + len(phrase)))
    for i, word in enumerate(words):
        if i in consumed:
            continue
        word_role = WORD_ROLES.get(word) or WORD_ROLES.get(word.rstrip("s"))
        if word_role:
            found.append(word_role)
    if not found:
        return None
    best = max(found, key=lambda r: (SPECIFICITY[r], -found.index(r)))
    distinct = set(found) - {best}
    conflicting = distinct - COMPATIBLE.get(best, set())
    confidence = 0.95 if not conflicting else 0.75
    return best, confidence


def parse_role_assignments(text: str, *, known_tracks: Iterable[str]) -> dict[str, str]:
    """``"Audio_03=keys, Audio_04=bass"`` -> {track: role}; unknown names raise StateError."""
    tracks = list(known_tracks)
    pairs = re.findall(r"([^\s,;=]+(?:\s+[^\s,;=]+)*?)\s*[=:]\s*([A-Za-z_\-]+)", text)
    if not pairs:
        raise StateError(f"roles={text!r}: write TRACK=ROLE, e.g. 'Audio_03=keys'")
    result: dict[str, str] = {}
    for raw_track, raw_role in pairs:
        track = _match_track(raw_track.strip(), tracks)
        role = raw_role.strip().lower().replace("-", "_")
        if role not in ROLES:
            close = difflib.get_close_matches(role, ROLES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise StateError(f"role={raw_role!r} is not a role; {hint}roles are {', '.join(ROLES)}")
        result[track] = role
    return result


def _match_track(raw: str, tracks: list[str]) -> str:
    if raw in tracks:
        return raw
    folded = {t.lower(): t for t in tracks}
    if raw.lower() in folded:
        return folded[raw.lower()]
    close = difflib.get_close_matches(raw, tracks, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise StateError(f"track={raw!r} is not in this session; {hint}tracks are {', '.join(tracks)}")


ANALYSIS_RATE = 22050
N_FFT = 2048
HOP = 512
EXCERPT_S = 30.0


def role_from_audio(
    audio: np.ndarray, *, sample_rate: int, activity: float | None = None
) -> tuple[str, float]:
    """A role from the signal (drums, bass, vocal, keys, guitar, pad, lead...) and a
    confidence; ``activity``: ``audio`` is already the stem's loudest excerpt and this is the
    stem's audible share (see ``loudest_excerpt``)."""
    features = audio_features(audio, sample_rate=sample_rate, activity=activity)
    if features["activity"] < 0.005:
        return "other", 0.2
    scores = _role_scores(features)
    ranked = sorted(scores, key=lambda r: -scores[r])
    best, second = ranked[0], ranked[1]
    margin = scores[best] - scores[second]
    confidence = float(np.clip(0.35 + 0.5 * margin, 0.3, 0.8))
    return best, round(confidence, 2)


def infer_role(
    name: str, audio: np.ndarray | None, *, sample_rate: int, activity: float | None = None
) -> RoleGuess:
    """The name's role when it states one, otherwise the audio's (``activity``: see
    ``role_from_audio``)."""
    from_name = role_from_name(name)
    if from_name is not None:
        return RoleGuess(role=from_name[0], confidence=from_name[1], source="name")
    if audio is None:
        return RoleGuess(role="other", confidence=0.1, source="name")
    role, confidence = role_from_audio(audio, sample_rate=sample_rate, activity=activity)
    return RoleGuess(role=role, confidence=confidence, source="audio")


def audio_features(
    audio: np.ndarray, *, sample_rate: int, activity: float | None = None
) -> dict[str, float]:
    """Cheap descriptors of the loudest half minute of a stem (decimated mono, 22.05 kHz);
    with ``activity`` given, ``audio`` is that excerpt already."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None, :]
    if audio.ndim != 2 or audio.shape[1] < sample_rate // 10:
        raise AudioFileError(f"audio shape={audio.shape} must be (channels, samples), >= 0.1 s")
    if activity is None:
        start, stop, activity = _loudest_excerpt(audio, sample_rate)
    else:
        start, stop = 0, audio.shape[1]
    excerpt = audio[:, start:stop]
    mono = excerpt.mean(axis=0)
    side = 0.5 * (excerpt[0] - excerpt[-1])
    width = float(np.sum(side**2) / (np.sum(mono**2) + 1e-12))
    y = soxr.resample(mono, sample_rate, ANALYSIS_RATE).astype(np.float32)
    spec = _power_spectrogram(y)
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / ANALYSIS_RATE)
    frame_power = spec.sum(axis=0)
    loud = frame_power > frame_power.max() * 10 ** (-40 / 10)
    active = spec[:, loud] if loud.sum() > 4 else spec
    total = active.sum() + 1e-12
    band = active[(freqs > 100) & (freqs < 6000)] + 1e-12
    flatness = np.exp(np.mean(np.log(band), axis=0)) / np.mean(band, axis=0)
    log_bands = np.log10(_octave_bands(spec, freqs) + 1e-10)
    flux = np.maximum(0.0, np.diff(log_bands, axis=1)).sum(axis=0)
    envelope_db = 10 * np.log10(frame_power + 1e-12)
    return {
        "activity": activity,
        "width": width,
        "low_share": float(active[freqs < 150].sum() / total),
        "sub_share": float(active[freqs < 80].sum() / total),
        "high_share": float(active[freqs > 4000].sum() / total),
        "centroid_hz": float((freqs[:, None] * active).sum() / total),
        "flatness": float(np.median(flatness)),
        "flux": float(np.mean(flux[loud[1:]]) if loud[1:].any() else np.mean(flux)),
        "syllabic": _syllabic_modulation(envelope_db),
        "gaps": float(np.mean(envelope_db[loud.argmax() :] < envelope_db.max() - 30)),
        "peakiness": _peakiness(active),
    }


def _loudest_excerpt(audio: np.ndarray, sample_rate: int) -> tuple[int, int, float]:
    """The loudest EXCERPT_S window (sample range) and the share of the stem that is audible."""
    block = max(1, sample_rate // 10)
    n_blocks = audio.shape[1] // block
    framed = audio[:, : n_blocks * block].reshape(audio.shape[0], n_blocks, block)
    power = np.einsum("cnb,cnb->n", framed, framed) / block
    return loudest_excerpt(power, sample_rate=sample_rate, frames=audio.shape[1])


def loudest_excerpt(power: np.ndarray, *, sample_rate: int, frames: int) -> tuple[int, int, float]:
    """``_loudest_excerpt`` from the stem's 100 ms block powers (summed over channels)."""
    block = max(1, sample_rate // 10)
    if power.size == 0 or power.max() <= 0:
        return 0, frames, 0.0
    activity = float(np.mean(power > power.max() * 1e-4))
    window = min(power.size, int(EXCERPT_S * 10))
    sums = np.convolve(power, np.ones(window), mode="valid")
    first = int(np.argmax(sums))
    return first * block, (first + window) * block, activity


def _power_spectrogram(y: np.ndarray) -> np.ndarray:
    y = np.pad(y, (N_FFT // 2, N_FFT // 2))
    frames = np.lib.stride_tricks.sliding_window_view(y, N_FFT)[::HOP]
    window = np.hanning(N_FFT).astype(np.float32)
    return (np.abs(fft.rfft(frames * window, axis=1, workers=2)) ** 2).T


def _octave_bands(spec: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    edges = [0, 60, 120, 250, 500, 1000, 2000, 4000, 8000, ANALYSIS_RATE]
    return np.array(
        [spec[(freqs >= lo) & (freqs < hi)].sum(axis=0) for lo, hi in zip(edges, edges[1:])]
    )


def _syllabic_modulation(envelope_db: np.ndarray) -> float:
    """Share of the level envelope's modulation energy at 2-8 Hz (speech and singing syllables)."""
    fps = ANALYSIS_RATE / HOP
    env = np.maximum(envelope_db, envelope_db.max() - 50)
    env = env - env.mean()
    spectrum = np.abs(np.fft.rfft(env)) ** 2
    mod_hz = np.fft.rfftfreq(env.size, 1.0 / fps)
    in_band = spectrum[(mod_hz >= 2) & (mod_hz <= 8)].sum()
    return float(in_band / (spectrum[(mod_hz >= 0.25) & (mod_hz <= 20)].sum() + 1e-12))


def _peakiness(spec: np.ndarray) -> float:
    """How concentrated each frame's spectrum is (1 = a single bin): tonal vs dense."""
    share = spec / (spec.sum(axis=0, keepdims=True) + 1e-12)
    return float(np.median(np.sum(share**2, axis=0)))


def _ramp(value: float, low: float, high: float) -> float:
    """0 below ``low``, 1 above ``high``, linear between."""
    return float(np.clip((value - low) / (high - low), 0.0, 1.0))


def _role_scores(f: dict[str, float]) -> dict[str, float]:
    """Hand-set evidence per role, each term about 0..1 (tuned on GM-rendered and real stems)."""
    noisy = _ramp(f["flatness"], 0.02, 0.1)
    low = _ramp(f["low_share"], 0.1, 0.3)
    mono = 1.0 - _ramp(f["width"], 0.05, 0.3)
    part_time = 1.0 - _ramp(f["activity"], 0.55, 0.85)
    moderate_flux = _ramp(f["flux"], 0.7, 1.0) * (1.0 - _ramp(f["flux"], 1.6, 2.2))
    return {
        "drums": 1.5 * noisy + 0.5 * _ramp(f["flux"], 1.5, 2.5) + 0.3 * low,
        "bass": _ramp(f["low_share"], 0.15, 0.4)
        + 0.6 * _ramp(f["activity"], 0.6, 0.85)
        + 0.5 * _ramp(f["flux"], 0.6, 1.0)
        - noisy,
        "vocal": _ramp(f["gaps"], 0.3, 0.5)
        + _ramp(f["flux"], 1.6, 2.3)
        + _ramp(f["high_share"], 0.01, 0.04)
        - 1.5 * noisy
        - low
        - _ramp(f["width"], 0.1, 0.4),
        "lead": 0.5 * mono
        + 0.5 * _ramp(f["gaps"], 0.2, 0.35)
        + 0.7 * _ramp(f["peakiness"], 0.08, 0.2)
        + 0.5 * part_time
        - low
        - 0.5 * _ramp(f["high_share"], 0.01, 0.03)
        - noisy,
        "pad": 1.0
        - _ramp(f["flux"], 0.6, 1.0)
        + 0.5 * part_time
        + 0.5 * _ramp(f["width"], 0.1, 0.5),
        "keys": 0.8 * _ramp(f["activity"], 0.6, 0.9) + 0.5 * (1.0 - low) + 0.3 * moderate_flux,
        "guitar": 0.5 * _ramp(f["centroid_hz"], 700.0, 1500.0)
        + 0.5 * (1.0 - _ramp(f["peakiness"], 0.05, 0.15))
        + 0.3 * moderate_flux
        + 0.3 * (1.0 - low),
        "other": 0.5,
    }
