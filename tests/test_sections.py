"""Section detection on the two real songs and on a synthetic song with a different form."""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dsp.sections import detect_sections
from dsp.state import Section
from tests.conftest import shared_path

TOLERANCE_S = 2.0
SYNTH_RATE = 44100
SYNTH_BPM = 96.0
SYNTH_FORM = [  # label, bars
    ("intro", 4),
    ("verse", 8),
    ("pre_chorus", 4),
    ("chorus", 8),
    ("verse", 8),
    ("chorus", 8),
    ("bridge", 8),
    ("chorus", 8),
    ("outro", 4),
]
CHORDS = {  # one chord (MIDI notes) per bar, cycled
    "intro": [[57, 60, 64], [53, 57, 60]],
    "verse": [[57, 60, 64], [53, 57, 60], [48, 52, 55], [55, 59, 62]],
    "pre_chorus": [[50, 53, 57], [52, 55, 59]],
    "chorus": [[53, 57, 60], [55, 59, 62], [48, 52, 55], [57, 60, 64]],
    "bridge": [[50, 53, 57], [52, 56, 59], [53, 57, 60], [52, 56, 59]],
    "outro": [[57, 60, 64], [53, 57, 60]],
}
# per section: kick hits per bar, hat subdivision per beat, bass notes per beat, levels
ARRANGEMENT = {
    "intro": dict(kick=0, snare=False, hats=2, bass=0, keys=0.25, pad=0.0, lead=0.0, vox=0.0),
    "verse": dict(kick=2, snare=True, hats=2, bass=1, keys=0.3, pad=0.0, lead=0.0, vox=0.5),
    "pre_chorus": dict(kick=4, snare=True, hats=4, bass=2, keys=0.4, pad=0.15, lead=0.0, vox=0.55),
    "chorus": dict(kick=4, snare=True, hats=4, bass=2, keys=0.45, pad=0.3, lead=0.25, vox=0.7),
    "bridge": dict(kick=1, snare=False, hats=0, bass=0.25, keys=0.35, pad=0.35, lead=0.0, vox=0.0),
    "outro": dict(kick=0, snare=False, hats=0, bass=0.25, keys=0.25, pad=0.2, lead=0.0, vox=0.0),
}


def midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


@lru_cache(maxsize=None)
def tone(freq_hz: float, dur_s: float, *, harmonics: int = 4, decay_s: float = 1.0) -> np.ndarray:
    t = np.arange(int(dur_s * SYNTH_RATE)) / SYNTH_RATE
    partials = sum(np.sin(2 * np.pi * freq_hz * k * t) / k for k in range(1, harmonics + 1))
    attack = np.minimum(1.0, t / 0.005)
    release = np.minimum(1.0, (dur_s - t) / 0.02)
    return (partials * np.exp(-t / decay_s) * attack * release).astype(np.float32)


@lru_cache(maxsize=None)
def vocal_note(freq_hz: float, dur_s: float) -> np.ndarray:
    """A sung vowel: a vibrato harmonic source shaped by formants near 700 Hz and 1.2 kHz."""
    t = np.arange(int(dur_s * SYNTH_RATE)) / SYNTH_RATE
    phase = 2 * np.pi * np.cumsum(freq_hz * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))) / SYNTH_RATE
    k = np.arange(1, int(4000 / freq_hz) + 1)[:, None]
    formant = np.exp(-(((k * freq_hz - 700) / 250) ** 2)) + 0.6 * np.exp(
        -(((k * freq_hz - 1200) / 300) ** 2)
    )
    voice = (formant * np.sin(k * phase)).sum(axis=0) + 0.1 * np.sin(phase)
    env = np.minimum(1.0, t / 0.04) * np.minimum(1.0, (dur_s - t) / 0.08)
    return (voice * env).astype(np.float32)


def drum_hit(kind: str, rng: np.random.Generator) -> np.ndarray:
    return _drum_hit(kind, int(rng.integers(8)))


@lru_cache(maxsize=None)
def _drum_hit(kind: str, variant: int) -> np.ndarray:
    rng = np.random.default_rng(variant)
    t = np.arange(int(0.25 * SYNTH_RATE)) / SYNTH_RATE
    if kind == "kick":
        return (np.sin(2 * np.pi * (50 * t + 60 * (1 - np.exp(-t / 0.03)))) * np.exp(-t / 0.12)).astype(
            np.float32
        )
    noise = rng.standard_normal(t.size)
    if kind == "snare":
        body = np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05)
        return (0.6 * noise * np.exp(-t / 0.06) + body).astype(np.float32)
    hats = np.diff(noise, prepend=0.0) * np.exp(-t / 0.015)
    return (0.25 * hats).astype(np.float32)


def add(track: np.ndarray, start_s: float, sound: np.ndarray, gain: float) -> None:
    i = int(start_s * SYNTH_RATE)
    n = min(sound.size, track.size - i)
    if n > 0:
        track[i : i + n] += gain * sound[:n]


def make_synthetic_song(seed: int = 7) -> tuple[dict[str, np.ndarray], list[Section]]:
    """Mono stems (1, n) and the truth sections of a 60-bar song at 96 BPM."""
    rng = np.random.default_rng(seed)
    beat_s = 60.0 / SYNTH_BPM
    bar_s = 4 * beat_s
    total_bars = sum(bars for _, bars in SYNTH_FORM)
    length = int((total_bars * bar_s + 2.0) * SYNTH_RATE)
    stems = {name: np.zeros(length, np.float32) for name in ("drums", "bass", "keys", "pad", "lead", "vox")}
    truth, bar = [], 0
    for label, bars in SYNTH_FORM:
        truth.append(Section(label=label, start_s=bar * bar_s, end_s=(bar + bars) * bar_s))
        part = ARRANGEMENT[label]
        for b in range(bars):
            start = (bar + b) * bar_s
            chord = CHORDS[label][b % len(CHORDS[label])]
            add_bar(stems, rng, start, beat_s, chord, part, bar_index=b)
        bar += bars
    stems = {name: audio[None, :] for name, audio in stems.items()}
    return stems, truth


def add_bar(stems, rng, start, beat_s, chord, part, *, bar_index):
    for k in range(int(part["kick"])):
        add(stems["drums"], start + k * 4 / part["kick"] * beat_s, drum_hit("kick", rng), 0.8)
    if part["snare"]:
        for beat in (1, 3):
            add(stems["drums"], start + beat * beat_s, drum_hit("snare", rng), 0.5)
    for k in range(int(4 * part["hats"])):
        add(stems["drums"], start + k * beat_s / part["hats"], drum_hit("hats", rng), 0.5)
    if part["bass"]:
        step = beat_s / part["bass"]
        for k in range(int(4 * part["bass"])):
            add(stems["bass"], start + k * step, tone(midi_hz(chord[0] - 24), step, harmonics=2), 0.5)
    for beat in range(4):
        for note in chord:
            add(stems["keys"], start + beat * beat_s, tone(midi_hz(note), beat_s, decay_s=0.4), part["keys"] / 3)
    if part["pad"]:
        for note in chord:
            pad = tone(midi_hz(note + 12), 4 * beat_s, harmonics=6, decay_s=8.0)
            add(stems["pad"], start, pad, part["pad"] / 3)
    if part["lead"]:
        for beat in range(4):
            note = chord[(beat + bar_index) % 3] + 24
            add(stems["lead"], start + beat * beat_s, tone(midi_hz(note), beat_s, harmonics=3, decay_s=2.0), part["lead"])
    if part["vox"] and bar_index % 2 == 0:
        for beat, step in enumerate((0, 2, 4, 2, 0, -1)):
            note = chord[0] + 12 + step
            add(stems["vox"], start + beat * 1.25 * beat_s, vocal_note(midi_hz(note), beat_s), part["vox"] * 0.4)
