"""Feedback names the real problems of a flawed mix and invents none on a clean one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixchat.assistant.demo.song import build_demo_stems
from mixchat.assistant.inspection.feedback import feedback_for_path
from mixchat.assistant.turn.actions import run_automix
from mixchat.tools.workspace import create_session

SECONDS = 20.0


def _kick_fundamental_hz(kick: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(kick.mean(axis=0)))
    freqs = np.fft.rfftfreq(kick.shape[1], 1 / rate)
    inside = (freqs >= 40) & (freqs <= 100)
    return float(freqs[inside][np.argmax(spectrum[inside])])


def _read(path: Path) -> tuple[np.ndarray, int]:
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return audio.T.copy(), rate


@pytest.fixture(scope="module")
def flawed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("flawed")
    song = build_demo_stems(root / "clean", duration_s=SECONDS)
    out = root / "stems"
    out.mkdir()
    stems = {p.stem: _read(p) for p in sorted(song.stems_dir.glob("*.flac"))}
    rate = stems["Kick"][1]
    kick_hz = _kick_fundamental_hz(stems["Kick"][0], rate)
    t = np.arange(stems["Bass"][0].shape[1]) / rate
    bass = stems["Bass"][0][0]
    active = (np.abs(bass) > 0.02).astype(np.float32)
    doubled = bass * 0.5 + 0.35 * np.sin(2 * np.pi * kick_hz * t) * active
    wide = 0.25 * np.sin(2 * np.pi * 60.0 * t)
    stems["Bass"] = (np.stack([doubled + wide, doubled - wide]).astype(np.float32), rate)
    guitar = stems["Guitar"][0]
    stems["Guitar"] = (np.clip(guitar / np.abs(guitar).max() * 4.0, -1, 1), rate)
    stems["Lead Vocal"] = (stems["Lead Vocal"][0] * np.float32(10 ** (-12 / 20)), rate)
    for name, (audio, r) in stems.items():
        sf.write(str(out / f"{name}.wav"), audio.T, r, subtype="FLOAT")
    plots = root / "plots"
    return {"report": feedback_for_path(out, plots_dir=plots), "plots": plots}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("clean")
    song = build_demo_stems(root / "stems", duration_s=SECONDS)
    session, _ = create_session(song.stems_dir, root / "s.mix")
    run_automix(session)
    return feedback_for_path(root / "s.mix")


def _keys(report: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for item in report["items"]:
        found.setdefault(item["key"], []).append(item)
    return found


def test_items_are_complete_and_sorted(flawed: dict) -> None:
    items = flawed["report"]["items"]
    order = ["high", "medium", "low", "info"]
    assert [order.index(i["severity"]) for i in items] == sorted(
        order.index(i["severity"]) for i in items
    )
    for item in items:
        assert item["title"] and item["detail"] and item["action"]
        assert isinstance(item["measured"], dict) and item["measured"]


def test_clipped_stem_named(flawed: dict) -> None:
    clipping = _keys(flawed["report"]).get("clipping", [])
    assert [i["measured"]["stem"] for i in clipping] == ["Guitar"]
    assert clipping[0]["severity"] == "high"
    assert clipping[0]["measured"]["clipped_samples"] > 100


def test_buried_vocal_named(flawed: dict) -> None:
    buried = _keys(flawed["report"]).get("buried_vocal", [])
    assert buried and buried[0]["measured"]["stem"] == "Lead Vocal"
    assert buried[0]["measured"]["vocal_vs_band_lu"] < -6.0


def test_kick_bass_clash_named(flawed: dict) -> None:
    clash = _keys(flawed["report"]).get("kick_bass_masking", [])
    assert clash
    assert {clash[0]["measured"]["masker"], clash[0]["measured"]["masked"]} == {"Kick", "Bass"}
    assert clash[0]["measured"]["low_hz"] < 120.0
    assert clash[0]["severity"] in ("high", "medium")


def test_wide_low_end_named(flawed: dict) -> None:
    wide = _keys(flawed["report"]).get("wide_low_end", [])
    assert wide and wide[0]["severity"] == "high"
    assert wide[0]["measured"]["low_end_width"] > 0.25


def test_clean_automix_has_no_serious_items(clean: dict) -> None:
    severities = {i["severity"] for i in clean["items"]}
    assert "high" not in severities
    keys = set(_keys(clean))
    assert not keys & {"clipping", "buried_vocal", "wide_low_end", "true_peak", "premaster_hot"}


def test_plots_written(flawed: dict) -> None:
    paths = [Path(p) for p in flawed["report"]["plots"]]
    assert {p.name for p in paths} == {"spectrum.png", "loudness.png", "masking.png"}
    for path in paths:
        assert path.stat().st_size > 10_000
        with path.open("rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
