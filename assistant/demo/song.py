"""A synthesised demo song: eight dry stems written by numpy/scipy, no samples, no network.

A 100 BPM pop arrangement in A minor (Am-F-C-G), intro / verse / chorus / verse / chorus /
outro. The choruses are denser and louder (a pad, four-on-the-floor kick, sixteenth hats,
driving keys, a higher vocal), so section detection and "the vocal gets buried in the
chorus" have something to find. Mix problems are left in on purpose for the automix: the
vocal is exported far too low and the bass too hot, kick and bass share 60-90 Hz, and the
keys are voiced into the low mids. Every stem peaks below 0 dBFS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from scipy import signal

from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.state import Section

TEMPO_BPM = 100.0
SECTION_PLAN = (
    ("intro", 2),
    ("verse", 4),
    ("chorus", 4),
    ("verse", 4),
    ("chorus", 4),
    ("outro", 2),
)
PROGRESSION = ((45, 48, 52, 57), (41, 45, 48, 53), (48, 52, 55, 60), (43, 47, 50, 55))  # Am F C G
BASS_ROOTS = (33, 29, 36, 31)  # A1 F1 C2 G1: 44-65 Hz, right on top of the kick
PEAK_DBFS = {  # deliberately unbalanced export levels
    "Kick": -3.0,
    "Snare": -7.0,
    "Hats": -15.0,
    "Bass": -0.8,
    "Keys": -4.0,
    "Pad": -12.0,
    "Lead Vocal": -17.0,
    "Guitar": -11.0,
}
ROLES = {
    "Kick": "kick",
    "Snare": "snare",
    "Hats": "hats",
    "Bass": "bass",
    "Keys": "keys",
    "Pad": "pad",
    "Lead Vocal": "vocal",
    "Guitar": "guitar",
}
VOWELS_HZ = {  # (F1, F2, F3) of sung vowels
    "a": (730.0, 1090.0, 2440.0),
    "e": (530.0, 1840.0, 2480.0),
    "i": (300.0, 2200.0, 2900.0),
    "o": (570.0, 840.0, 2410.0),
    "u": (320.0, 870.0, 2240.0),
}


@dataclass(frozen=True)
class DemoSong:
    stems_dir: Path
    sections: list[Section]
    tempo_bpm: float
    roles: dict[str, str]
    sample_rate: int = 44100
    duration_s: float = 48.0
    files: dict[str, Path] = field(default_factory=dict)


def midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


@dataclass(frozen=True)
class Grid:
    """The beat grid: which section and chord every beat falls in."""

    sample_rate: int
    frames: int
    beat_s: float
    sections: tuple[Section, ...]

    def beats(self) -> list[tuple[int, float, str]]:
        """(beat index, time in s, section label) of every beat that starts inside the song."""
        count = int(self.frames / self.sample_rate / self.beat_s)
        return [(b, b * self.beat_s, self.label_at(b * self.beat_s)) for b in range(count)]

    def label_at(self, time_s: float) -> str:
        for section in self.sections:
            if section.start_s <= time_s < section.end_s:
                return section.label
        return self.sections[-1].label

    def chord(self, beat: int) -> int:
        return (beat // 4) % len(PROGRESSION)

    def sample(self, time_s: float) -> int:
        return int(round(time_s * self.sample_rate))


def plan_sections(*, duration_s: float, beat_s: float) -> list[Section]:
    """The section plan scaled to the song's length, snapped to bars (or beats if short)."""
    units_total = duration_s / beat_s / 4.0
    unit_s = 4.0 * beat_s
    if units_total < 10:
        units_total, unit_s = duration_s / beat_s, beat_s
    weights = np.array([w for _, w in SECTION_PLAN], dtype=float)
    bounds = np.round(np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum() * units_total)
    times = [float(b * unit_s) for b in bounds[:-1]] + [float(duration_s)]
    return [
        Section(label=label, start_s=times[i], end_s=times[i + 1])
        for i, (label, _) in enumerate(SECTION_PLAN)
        if times[i + 1] > times[i]
    ]


def _place(buffer: np.ndarray, sound: np.ndarray, start: int, gain: float = 1.0) -> None:
    """Add ``sound`` (ch, m) into ``buffer`` (ch, n) at ``start``, cut at the end."""
    if start >= buffer.shape[1]:
        return
    length = min(sound.shape[-1], buffer.shape[1] - start)
    buffer[:, start : start + length] += gain * sound[..., :length]


def _decay(seconds: float, tau_s: float, sample_rate: int, attack_s: float = 0.002) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return np.minimum(t / attack_s, 1.0) * np.exp(-t / tau_s)


def _lowpass(
    audio: np.ndarray, cutoff_hz: float | list[float], sample_rate: int, kind: str = "lowpass"
) -> np.ndarray:
    sos = signal.butter(2, cutoff_hz, btype=kind, fs=sample_rate, output="sos")
    return signal.sosfilt(sos, audio, axis=-1)


# --- drums ------------------------------------------------------------------------------
def kick(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    sr = grid.sample_rate
    t = np.arange(int(0.45 * sr)) / sr
    freq = 52.0 + 110.0 * np.exp(-t / 0.035)
    body = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / 0.22)
    click = rng.standard_normal(t.size) * np.exp(-t / 0.002) * 0.3
    hit = (body + click)[None, :]
    out = np.zeros((1, grid.frames))
    for beat, time_s, label in grid.beats():
        pos = beat % 4
        if label == "chorus" or (pos in (0, 2) and label != "intro"):
            _place(out, hit, grid.sample(time_s))
        if label == "chorus" and pos in (1, 3) and beat % 8 >= 4:  # pushes on the and
            _place(out, hit, grid.sample(time_s + grid.beat_s / 2), 0.7)
        if label == "verse" and pos == 2:
            _place(out, hit, grid.sample(time_s + grid.beat_s / 2), 0.6)
    return out


def snare(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    sr = grid.sample_rate
    t = np.arange(int(0.3 * sr)) / sr
    noise = _lowpass(rng.standard_normal(t.size), [900.0, 7000.0], sr, "bandpass")
    body = np.sin(2 * np.pi * 185.0 * t) * np.exp(-t / 0.05)
    hit = (0.9 * noise * np.exp(-t / 0.07) / np.max(np.abs(noise)) + 0.6 * body)[None, :]
    out = np.zeros((1, grid.frames))
    for beat, time_s, label in grid.beats():
        if label in ("verse", "chorus", "outro") and beat % 4 in (1, 3):
            _place(out, hit, grid.sample(time_s))
        if label == "chorus" and beat % 4 == 3:  # extra sixteenth ghosts in the chorus
            _place(out, hit, grid.sample(time_s + 0.75 * grid.beat_s), 0.35)
    return out


def hats(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    sr = grid.sample_rate
    noise = _lowpass(rng.standard_normal(int(0.4 * sr)), 7000.0, sr, "highpass")
    closed = (noise * _decay(0.4, 0.025, sr, 0.0005))[None, :]
    opened = (noise * _decay(0.4, 0.16, sr, 0.0005))[None, :]
    out = np.zeros((1, grid.frames))
    for _, time_s, label in grid.beats():
        steps = 4 if label == "chorus" else 2
        for step in range(steps):
            accent = 1.0 if step == 0 else 0.6
            sound = opened if label == "chorus" and step == 2 else closed
            _place(out, sound, grid.sample(time_s + step * grid.beat_s / steps), accent)
    return out


# --- tonal parts ------------------------------------------------------------------------
def bass(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    sr = grid.sample_rate
    eighth = grid.beat_s / 2
    t = np.arange(int(eighth * 0.95 * sr)) / sr
    env = np.minimum(t / 0.004, 1.0) * (0.55 + 0.45 * np.exp(-t / 0.08))
    env *= np.minimum((t[-1] - t) / 0.01, 1.0)
    harmonics = np.arange(1, 9)[:, None]
    cache: dict[int, np.ndarray] = {}

    def tone(note: int) -> np.ndarray:
        if note not in cache:
            partials = np.sin(2 * np.pi * midi_hz(note) * harmonics * t) / harmonics**1.6
            cache[note] = (partials.sum(axis=0) * env)[None, :]
        return cache[note]

    out = np.zeros((1, grid.frames))
    for beat, time_s, label in grid.beats():
        if label == "intro":
            continue
        root = BASS_ROOTS[grid.chord(beat)]
        for half in range(2):
            note = root + (12 if label == "chorus" and half == 1 and beat % 2 else 0)
            level = 1.0 if label == "chorus" or half == 0 else 0.7
            _place(out, tone(note), grid.sample(time_s + half * eighth), level)
    return out


def _electric_piano(note: int, seconds: float, sr: int) -> np.ndarray:
    """One electric-piano-ish note: a few decaying harmonics and a short metallic tine."""
    t = (np.arange(int(seconds * sr)) / sr).astype(np.float32)
    partials = np.array([1.0, 2.0, 3.0, 4.0, 14.0], dtype=np.float32)[:, None]
    amps = np.array([1.0, 0.55, 0.22, 0.1, 0.04], dtype=np.float32)[:, None]
    decays = np.exp(-t / np.array([1.2, 0.6, 0.35, 0.25, 0.05], dtype=np.float32)[:, None])
    cycles = np.float32(midi_hz(note)) * t
    tone = (np.sin(np.float32(2 * np.pi) * ((partials * cycles) % 1.0)) * amps * decays).sum(0)
    return tone * np.minimum(t / 0.003, 1.0) * np.minimum((t[-1] - t) / 0.02, 1.0)


def keys(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    """Chords voiced low (A2-C4): the low-mid mud is intended. Notes spread by pitch."""
    sr = grid.sample_rate
    notes: dict[int, np.ndarray] = {}
    chords: dict[int, np.ndarray] = {}

    def chord_sound(chord_index: int, length_s: float) -> np.ndarray:
        if chord_index not in chords:
            stereo = np.zeros((2, int(4 * grid.beat_s * sr)), dtype=np.float32)
            for note in PROGRESSION[chord_index]:
                if note not in notes:
                    notes[note] = _electric_piano(note, 4 * grid.beat_s, sr)
                theta = (np.clip((note - 50) / 12.0, -0.7, 0.7) + 1.0) * np.pi / 4.0
                stereo += notes[note] * np.array([[np.cos(theta)], [np.sin(theta)]], np.float32)
            chords[chord_index] = stereo
        length = min(int(length_s * sr), chords[chord_index].shape[1])
        release = np.minimum(np.arange(length, 0, -1) / (0.02 * sr), 1.0)
        return chords[chord_index][:, :length] * release

    out = np.zeros((2, grid.frames))
    for beat, time_s, label in grid.beats():
        if label in ("intro", "outro"):
            hits = [0.0] if beat % 4 == 0 else []
        elif label == "chorus":
            hits = [0.0, 0.5] if beat % 2 else [0.0]
        else:
            hits = [0.0] if beat % 2 == 0 else []
        for offset in hits:
            length = 4 * grid.beat_s if label in ("intro", "outro") else 1.6 * grid.beat_s
            _place(
                out,
                chord_sound(grid.chord(beat), length),
                grid.sample(time_s + offset * grid.beat_s),
                0.9 if label == "chorus" else 0.75,
            )
    return out


def _saw(freq_hz: float, t: np.ndarray) -> np.ndarray:
    return 2.0 * ((freq_hz * t) % 1.0) - 1.0


def pad(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    sr = grid.sample_rate
    out = np.zeros((2, grid.frames))
    bar_s = 4 * grid.beat_s
    t = np.arange(int((bar_s + 0.5) * sr)) / sr
    env = np.minimum(t / 0.35, 1.0) * np.clip((t[-1] - t) / 0.5, 0.0, 1.0)
    cache: dict[int, np.ndarray] = {}

    def chord_sound(chord_index: int) -> np.ndarray:
        if chord_index not in cache:
            notes = [n + 12 for n in PROGRESSION[chord_index]]
            sides = []
            for cents in (-8.0, 8.0):
                freqs = [midi_hz(n) * 2 ** (cents / 1200) for n in notes]
                sides.append(sum(_saw(f, t + rng.random()) for f in freqs) * env)
            cache[chord_index] = _lowpass(np.stack(sides), 2200.0, sr)
        return cache[chord_index]

    for beat, time_s, label in grid.beats():
        if label == "chorus" and beat % 4 == 0:
            _place(out, chord_sound(grid.chord(beat)), grid.sample(time_s))
    return out


def guitar(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    """Karplus-Strong plucks: a noise burst through a damped comb (lfilter), one per pitch."""
    sr = grid.sample_rate
    cache: dict[int, np.ndarray] = {}

    def pluck(note: int) -> np.ndarray:
        if note not in cache:
            delay = int(round(sr / midi_hz(note)))
            excitation = np.zeros(int(1.4 * sr))
            excitation[:delay] = _lowpass(rng.uniform(-1, 1, delay), 5000.0, sr)
            denominator = np.zeros(delay + 2)
            denominator[0], denominator[delay], denominator[delay + 1] = 1.0, -0.497, -0.497
            string = signal.lfilter([1.0], denominator, excitation)
            cache[note] = string * np.minimum((string.size - np.arange(string.size)) / 800, 1.0)
        return cache[note]

    mono = np.zeros((1, grid.frames))
    for beat, time_s, label in grid.beats():
        if label not in ("verse", "chorus"):
            continue
        chord = PROGRESSION[grid.chord(beat)]
        pattern = (0, 2, 3, 2) if label == "verse" else (0, 3, 1, 3)
        for half in range(2):
            note = chord[pattern[(2 * beat + half) % 4]] + 12
            _place(mono, pluck(note)[None, :], grid.sample(time_s + half * grid.beat_s / 2), 0.8)
    theta = (0.45 + 1.0) * np.pi / 4.0  # placed right of centre
    return np.concatenate([mono * np.cos(theta), mono * np.sin(theta)])


# --- the vocal ---------------------------------------------------------------------------
def _vocal_notes(grid: Grid, rng: np.random.Generator) -> list[tuple[float, float, int, str]]:
    """(start_s, end_s, midi note, vowel) for every sung syllable."""
    notes = []
    for beat, time_s, label in grid.beats():
        if label not in ("verse", "chorus") or beat % 8 >= 6:  # breathe every other bar
            continue
        chord = PROGRESSION[grid.chord(beat)]
        base = 12 if label == "verse" else 19
        subdivisions = [0.0, 0.5] if label == "verse" and rng.random() < 0.6 else [0.0]
        for offset in subdivisions:
            start = time_s + offset * grid.beat_s
            length = grid.beat_s / len(subdivisions) * 0.92
            pitch = int(chord[rng.integers(1, 4)] + base)
            notes.append((start, start + length, pitch, str(rng.choice(list(VOWELS_HZ)))))
    return notes


def _source(f0_hz: np.ndarray, sample_rate: int) -> np.ndarray:
    """A band-limited sawtooth (polyBLEP) at a time-varying pitch: the glottal buzz."""
    step = f0_hz / sample_rate
    phase = np.cumsum(step) % 1.0
    saw = 2.0 * phase - 1.0
    head = phase < step
    x = phase[head] / step[head]
    saw[head] -= x + x - x * x - 1.0
    tail = phase > 1.0 - step
    x = (phase[tail] - 1.0) / step[tail]
    saw[tail] -= x * x + x + x + 1.0
    return saw  # -6 dB/oct: glottal flow (-12 dB/oct) plus lip radiation (+6 dB/oct)


def vocal(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    """Synthesised at half rate (a voice has little above 11 kHz), then resampled up."""
    notes = _vocal_notes(grid, rng)
    if not notes:
        return np.zeros((1, grid.frames))
    rate = grid.sample_rate // 2 if grid.sample_rate >= 32000 else grid.sample_rate
    voice = _sing(notes, sr=rate, frames=int(grid.frames * rate / grid.sample_rate) + 1, rng=rng)
    voice = soxr.resample(voice, rate, grid.sample_rate)[: grid.frames]
    return np.pad(voice, (0, grid.frames - voice.size))[None, :]


def _sing(notes: list, *, sr: int, frames: int, rng: np.random.Generator) -> np.ndarray:
    starts = np.array([n[0] for n in notes])
    ends = np.array([n[1] for n in notes])
    t = np.arange(frames) / sr
    index = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(notes) - 1)
    midi = np.array([n[2] for n in notes], dtype=float)[index]
    midi = signal.lfilter([0.004], [1.0, -0.996], midi - midi[0]) + midi[0]  # portamento
    since_onset = t - starts[index]
    vibrato = 0.3 * np.minimum(since_onset / 0.3, 1.0) * np.sin(2 * np.pi * 5.4 * t)
    f0 = 440.0 * 2.0 ** ((midi + vibrato - 69.0) / 12.0)
    gate = (since_onset >= 0) & (t < ends[index])
    envelope = (
        gate * np.minimum(since_onset / 0.03, 1.0) * np.minimum((ends[index] - t) / 0.06, 1.0)
    )
    envelope = signal.lfilter([0.01], [1.0, -0.99], envelope)
    buzz = _source(f0, sr) + 0.02 * rng.standard_normal(frames)
    voiced = _formant_filter(buzz, notes, sr=sr)
    consonant = _lowpass(rng.standard_normal(frames), 3500.0, sr, "highpass")
    burst = np.clip(1.0 - since_onset / 0.04, 0.0, 1.0) * (since_onset >= 0) * (index % 3 == 0)
    return voiced * envelope + 0.15 * consonant * burst


def _formant_filter(source: np.ndarray, notes: list, *, sr: int) -> np.ndarray:
    """Shape the buzz with three formant resonances gliding between each syllable's vowel."""
    hop, size = 128, 512
    freqs, times, spectrum = signal.stft(source, fs=sr, nperseg=size, noverlap=size - hop)
    centres = np.array([(n[0] + n[1]) / 2 for n in notes])
    targets = np.array([VOWELS_HZ[n[3]] for n in notes])
    bandwidths, gains = (100.0, 140.0, 200.0), (1.0, 0.9, 0.6)
    shape = np.full(spectrum.shape, 0.01)
    for k in range(3):
        track = np.interp(times, centres, targets[:, k])
        shape += gains[k] / (1.0 + ((freqs[:, None] - track[None, :]) / (bandwidths[k] / 2)) ** 2)
    _, out = signal.istft(spectrum * shape, fs=sr, nperseg=size, noverlap=size - hop)
    return (
        out[: source.size] if out.size >= source.size else np.pad(out, (0, source.size - out.size))
    )


GENERATORS = {
    "Kick": kick,
    "Snare": snare,
    "Hats": hats,
    "Bass": bass,
    "Keys": keys,
    "Pad": pad,
    "Lead Vocal": vocal,
    "Guitar": guitar,
}


def _at_peak(audio: np.ndarray, peak_dbfs: float) -> np.ndarray:
    peak = float(np.max(np.abs(audio)))
    if peak == 0.0:
        return audio.astype(np.float32)
    return (audio * (10.0 ** (peak_dbfs / 20.0) / peak)).astype(np.float32)


def synthesize(
    *, duration_s: float, sample_rate: int, seed: int
) -> tuple[dict[str, np.ndarray], list[Section]]:
    """The stems as float32 (channels, frames) at their export levels, and the sections."""
    if not 4.0 <= duration_s <= 600.0:
        raise AudioFileError(f"duration_s={duration_s} must be between 4 and 600 seconds")
    beat_s = 60.0 / TEMPO_BPM
    sections = plan_sections(duration_s=duration_s, beat_s=beat_s)
    grid = Grid(sample_rate, int(round(duration_s * sample_rate)), beat_s, tuple(sections))
    stems = {}
    for offset, (name, make) in enumerate(GENERATORS.items()):
        rng = np.random.default_rng([seed, offset])
        stems[name] = _at_peak(make(grid, rng), PEAK_DBFS[name])
    return stems, sections


def build_demo_stems(
    out_dir: Path, *, duration_s: float = 48.0, sample_rate: int = 44100, seed: int = 0
) -> DemoSong:
    """Write the demo stems (24-bit FLAC) and truth.json into ``out_dir``."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise AudioFileError(
            f"cannot create {out_dir} ({error.strerror}); choose a writable folder"
        ) from None
    stems, sections = synthesize(duration_s=duration_s, sample_rate=sample_rate, seed=seed)
    files = {}
    for name, audio in stems.items():
        path = out_dir / f"{name}.flac"
        sf.write(str(path), audio.T, sample_rate, subtype="PCM_24", format="FLAC")
        files[name] = path
    truth = {
        "seed": seed,
        "bpm": TEMPO_BPM,
        "sr": sample_rate,
        "duration_s": duration_s,
        "sections": [{"name": s.label, "start_s": s.start_s, "end_s": s.end_s} for s in sections],
        "stems": {f"{name}.flac": ROLES[name] for name in stems},
        "export_peaks_dbfs": {ROLES[name]: PEAK_DBFS[name] for name in stems},
        "problems": [
            "Lead Vocal exported about 10 dB too low",
            "Bass exported hot (peak -0.8 dBFS)",
            "Kick and Bass overlap around 50-90 Hz",
            "Keys voiced low: low-mid build-up around 200-400 Hz",
        ],
    }
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return DemoSong(
        stems_dir=out_dir,
        sections=sections,
        tempo_bpm=TEMPO_BPM,
        roles=dict(ROLES),
        sample_rate=sample_rate,
        duration_s=duration_s,
        files=files,
    )
