"""The synthesised demo song: real, loadable stems with the structure and problems it promises."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from mixchat.assistant.demo.song import DemoSong, build_demo_stems
from mixchat.dsp.errors import AudioFileError


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSong:
    return build_demo_stems(tmp_path_factory.mktemp("demo"), duration_s=12.0, seed=3)


def _load(demo: DemoSong) -> dict[str, np.ndarray]:
    return {name: sf.read(str(path), always_2d=True)[0].T for name, path in demo.files.items()}


def _rms_db(audio: np.ndarray) -> float:
    return float(10.0 * np.log10(np.mean(np.square(audio)) + 1e-20))


def test_stems_exist_load_and_share_one_length(demo: DemoSong) -> None:
    stems = _load(demo)
    assert 6 <= len(stems) <= 8
    assert {"Kick", "Bass", "Keys", "Pad", "Lead Vocal"} <= set(stems)
    assert {stem.shape[1] for stem in stems.values()} == {12 * 44100}
    assert stems["Bass"].shape[0] == 1 and stems["Lead Vocal"].shape[0] == 1
    assert stems["Keys"].shape[0] == 2 and stems["Pad"].shape[0] == 2
    assert set(demo.roles) == set(stems)
    for name, audio in stems.items():
        peak = float(np.max(np.abs(audio)))
        assert 1e-3 < peak < 0.99, f"{name} peak {peak}"


def test_truth_json_matches_the_song(demo: DemoSong) -> None:
    truth = json.loads((demo.stems_dir / "truth.json").read_text())
    assert truth["bpm"] == demo.tempo_bpm == 100.0
    labels = [s["name"] for s in truth["sections"]]
    assert labels == ["intro", "verse", "chorus", "verse", "chorus", "outro"]
    assert truth["sections"][-1]["end_s"] == pytest.approx(12.0)
    ends = [s["end_s"] for s in truth["sections"]]
    starts = [s["start_s"] for s in truth["sections"]]
    assert starts[1:] == ends[:-1]
    assert set(truth["stems"]) == {p.name for p in demo.files.values()}


def test_chorus_is_louder_and_denser_than_verse(demo: DemoSong) -> None:
    stems = _load(demo)
    mix = sum(np.mean(a, axis=0) for a in stems.values())
    rate = demo.sample_rate

    def section_rms(label: str) -> float:
        parts = [s for s in demo.sections if s.label == label]
        return float(
            np.mean([_rms_db(mix[int(s.start_s * rate) : int(s.end_s * rate)]) for s in parts])
        )

    assert section_rms("chorus") > section_rms("verse") + 1.0
    pad = stems["Pad"]
    verse = demo.sections[1]
    chorus = demo.sections[2]
    assert _rms_db(pad[:, int(verse.start_s * rate) : int(verse.end_s * rate)]) < -90
    assert _rms_db(pad[:, int(chorus.start_s * rate) : int(chorus.end_s * rate)]) > -40


def test_vocal_has_formant_energy_and_is_exported_low(demo: DemoSong) -> None:
    stems = _load(demo)
    vocal = stems["Lead Vocal"][0]
    power = np.abs(np.fft.rfft(vocal)) ** 2
    freqs = np.fft.rfftfreq(vocal.size, 1.0 / demo.sample_rate)

    def share(lo_hz: float, hi_hz: float) -> float:
        return float(power[(freqs >= lo_hz) & (freqs < hi_hz)].sum() / power.sum())

    assert share(300, 3000) > 0.45
    assert share(800, 3000) > 0.08  # F2/F3 region, not just the fundamental
    assert share(0, 150) < 0.01 and share(5000, 22050) < 0.02
    assert _rms_db(vocal) < _rms_db(stems["Bass"]) - 15.0  # buried on purpose


def test_vocal_formants_move_between_vowels(demo: DemoSong) -> None:
    vocal = _load(demo)["Lead Vocal"][0]
    freqs, _, spectrum = signal.stft(vocal, fs=demo.sample_rate, nperseg=2048)
    power = np.abs(spectrum) ** 2
    energy = power.sum(axis=0)
    voiced = energy > 0.05 * energy.max()
    centroid = (freqs[:, None] * power).sum(axis=0) / (energy + 1e-20)
    assert voiced.sum() > 50
    assert np.std(centroid[voiced]) > 80.0


def test_kick_and_bass_collide_in_the_low_end(demo: DemoSong) -> None:
    stems = _load(demo)
    for name in ("Kick", "Bass"):
        audio = stems[name][0]
        power = np.abs(np.fft.rfft(audio)) ** 2
        freqs = np.fft.rfftfreq(audio.size, 1.0 / demo.sample_rate)
        assert power[(freqs >= 40) & (freqs <= 100)].sum() / power.sum() > 0.3, name


def test_same_seed_same_audio(tmp_path) -> None:
    first = build_demo_stems(tmp_path / "a", duration_s=5.0, seed=7)
    second = build_demo_stems(tmp_path / "b", duration_s=5.0, seed=7)
    for name in first.files:
        a = sf.read(str(first.files[name]))[0]
        b = sf.read(str(second.files[name]))[0]
        assert np.array_equal(a, b), name


def test_too_short_duration_is_refused(tmp_path) -> None:
    with pytest.raises(AudioFileError, match="duration_s=1"):
        build_demo_stems(tmp_path, duration_s=1.0)
