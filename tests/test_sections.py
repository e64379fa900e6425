"""Section detection on the two real songs and on a synthetic song with a different form."""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import shared_path

from mixchat.dsp.sections import detect_sections
from mixchat.dsp.state import Section

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


@cache
def tone(freq_hz: float, dur_s: float, *, harmonics: int = 4, decay_s: float = 1.0) -> np.ndarray:
    t = np.arange(int(dur_s * SYNTH_RATE)) / SYNTH_RATE
    partials = sum(np.sin(2 * np.pi * freq_hz * k * t) / k for k in range(1, harmonics + 1))
    attack = np.minimum(1.0, t / 0.005)
    release = np.minimum(1.0, (dur_s - t) / 0.02)
    return (partials * np.exp(-t / decay_s) * attack * release).astype(np.float32)


@cache
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


@cache
def _drum_hit(kind: str, variant: int) -> np.ndarray:
    rng = np.random.default_rng(variant)
    t = np.arange(int(0.25 * SYNTH_RATE)) / SYNTH_RATE
    if kind == "kick":
        return (
            np.sin(2 * np.pi * (50 * t + 60 * (1 - np.exp(-t / 0.03)))) * np.exp(-t / 0.12)
        ).astype(np.float32)
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
    stems = {
        name: np.zeros(length, np.float32)
        for name in ("drums", "bass", "keys", "pad", "lead", "vox")
    }
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
            add(
                stems["bass"],
                start + k * step,
                tone(midi_hz(chord[0] - 24), step, harmonics=2),
                0.5,
            )
    for beat in range(4):
        for note in chord:
            add(
                stems["keys"],
                start + beat * beat_s,
                tone(midi_hz(note), beat_s, decay_s=0.4),
                part["keys"] / 3,
            )
    if part["pad"]:
        for note in chord:
            pad = tone(midi_hz(note + 12), 4 * beat_s, harmonics=6, decay_s=8.0)
            add(stems["pad"], start, pad, part["pad"] / 3)
    if part["lead"]:
        for beat in range(4):
            note = chord[(beat + bar_index) % 3] + 24
            add(
                stems["lead"],
                start + beat * beat_s,
                tone(midi_hz(note), beat_s, harmonics=3, decay_s=2.0),
                part["lead"],
            )
    if part["vox"] and bar_index % 2 == 0:
        for beat, step in enumerate((0, 2, 4, 2, 0, -1)):
            note = chord[0] + 12 + step
            add(
                stems["vox"],
                start + beat * 1.25 * beat_s,
                vocal_note(midi_hz(note), beat_s),
                part["vox"] * 0.4,
            )


def boundary_f_measure(found: list[Section], truth: list[Section]) -> float:
    """F-measure of inner boundaries (0 and the end excluded), each matched once within ±2 s."""
    est = [s.start_s for s in found[1:]]
    ref = [s.start_s for s in truth[1:]]
    unmatched, hits = list(ref), 0
    for time_s in est:
        near = [r for r in unmatched if abs(r - time_s) <= TOLERANCE_S]
        if near:
            unmatched.remove(min(near, key=lambda r: abs(r - time_s)))
            hits += 1
    if not est or not hits:
        return 0.0
    precision, recall = hits / len(est), hits / len(ref)
    return 2 * precision * recall / (precision + recall)


def label_accuracy(found: list[Section], truth: list[Section]) -> float:
    """Share of truth verses and choruses whose midpoint falls in a section with the same label."""
    checked = [s for s in truth if s.label in ("verse", "chorus")]
    right = 0
    for section in checked:
        middle = (section.start_s + section.end_s) / 2
        label = next((f.label for f in found if f.start_s <= middle < f.end_s), None)
        right += label == section.label
    return right / len(checked)


def load_song(folder: Path) -> tuple[dict[str, np.ndarray], int, list[Section]]:
    truth_json = json.loads((folder / "truth.json").read_text())
    stems, rate = {}, 0
    for path in sorted(folder.glob("*.flac")):
        data, rate = sf.read(path, dtype="float32", always_2d=True)
        stems[path.stem] = np.repeat(data.T, 2, axis=0) if data.shape[1] == 1 else data.T
    truth = [
        Section(label=s["name"], start_s=s["start_s"], end_s=s["end_s"])
        for s in truth_json["sections"]
    ]
    return stems, rate, truth


@pytest.fixture(scope="module")
def songs() -> dict[str, tuple[dict[str, np.ndarray], int, list[Section]]]:
    loaded = {name: load_song(shared_path("songs", name)) for name in ("song_1", "song_2")}
    stems, truth = make_synthetic_song()
    loaded["synthetic"] = (stems, SYNTH_RATE, truth)
    return loaded


def show(
    name: str, found: list[Section], elapsed_s: float, f_measure: float, accuracy: float
) -> None:
    print(
        f"\n{name}: {elapsed_s:.2f} s, boundary F={f_measure:.2f}, verse/chorus labels {accuracy:.0%}"
    )
    for s in found:
        print(f"  {s.label:<11} {s.start_s:7.2f} - {s.end_s:7.2f}")


@pytest.mark.parametrize("name", ["song_1", "song_2", "synthetic"])
def test_sections_with_stems_match_truth(songs, name):
    stems, rate, truth = songs[name]
    mix = sum(stems.values())
    started = time.perf_counter()
    found = detect_sections(mix, sample_rate=rate, stems=stems)
    elapsed = time.perf_counter() - started
    f_measure, accuracy = boundary_f_measure(found, truth), label_accuracy(found, truth)
    show(name, found, elapsed, f_measure, accuracy)
    assert f_measure >= 0.8
    assert accuracy >= 0.8


@pytest.mark.parametrize("name", ["song_1", "song_2", "synthetic"])
def test_sections_cover_the_song_contiguously(songs, name):
    stems, rate, _ = songs[name]
    mix = sum(stems.values())
    found = detect_sections(mix, sample_rate=rate)
    f_measure = boundary_f_measure(found, songs[name][2])
    show(f"{name} (mix only)", found, 0.0, f_measure, label_accuracy(found, songs[name][2]))
    assert found[0].start_s == 0.0
    assert found[-1].end_s == pytest.approx(mix.shape[1] / rate, abs=1e-3)
    assert all(a.end_s == b.start_s for a, b in zip(found, found[1:]))
    labels = {"intro", "verse", "pre_chorus", "chorus", "bridge", "outro"}
    assert {s.label for s in found} <= labels


def test_synthetic_song_names_its_pre_chorus_and_bridge(songs):
    stems, rate, truth = songs["synthetic"]
    found = detect_sections(sum(stems.values()), sample_rate=rate, stems=stems)
    for wanted in ("pre_chorus", "bridge"):
        section = next(s for s in truth if s.label == wanted)
        middle = (section.start_s + section.end_s) / 2
        assert next(f.label for f in found if f.start_s <= middle < f.end_s) == wanted


def test_given_tempo_gives_the_same_boundaries(songs):
    stems, rate, truth = songs["song_2"]
    found = detect_sections(sum(stems.values()), sample_rate=rate, stems=stems, tempo_bpm=126.0)
    assert boundary_f_measure(found, truth) >= 0.8


def test_silence_and_short_audio():
    rate = 22050
    silent = np.zeros((2, rate * 20), np.float32)
    found = detect_sections(silent, sample_rate=rate)
    assert found[0].start_s == 0.0 and found[-1].end_s == pytest.approx(20.0)


def test_material_shorter_than_a_second_is_one_section() -> None:
    blip = np.zeros((2, 22050), dtype=np.float32)
    blip[:, 100:200] = 0.5
    sections = detect_sections(blip, sample_rate=44100)
    assert [(s.label, s.start_s, s.end_s) for s in sections] == [("verse", 0.0, 0.5)]
