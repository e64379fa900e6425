"""Screenshot reading on synthetic Pillow images: values, type and the known problem."""

from __future__ import annotations

import os
import shutil

import pytest
from screenshot_factory import catalogue, write

from mixchat.assistant.knowledge.screenshot import parse_value, read_screenshot
from mixchat.dsp.errors import StateError

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract-ocr is not installed (make install)"
)


def _matches(expected, got) -> bool:
    if isinstance(expected, str) or isinstance(got, str):
        return expected == got
    return got is not None and abs(got - expected) <= 1e-6 + 0.01 * abs(expected)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr is not installed (make install)")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # tesseract is faster single-threaded here
    folder = tmp_path_factory.mktemp("shots")
    return [(spec, read_screenshot(write(spec, folder), role=spec.role)) for spec in catalogue()]


def test_catalogue_is_varied():
    specs = catalogue()
    assert len(specs) >= 12
    assert {s.layout for s in specs} >= {"beside", "above", "knobs", "eq_columns"}
    assert len({s.theme for s in specs}) >= 4 and len({s.font for s in specs}) >= 3
    assert {s.plugin_type for s in specs} >= {
        "compressor",
        "eq",
        "limiter",
        "reverb",
        "gate",
        "de-esser",
    }


@needs_tesseract
def test_values_read_correctly_overall(reports):
    total = sum(len(spec.expected) for spec, _ in reports)
    correct = sum(
        _matches(value, report.parameters.get(key))
        for spec, report in reports
        for key, value in spec.expected.items()
    )
    assert correct / total >= 0.85, f"{correct}/{total} values read"


@needs_tesseract
def test_plugin_type_on_every_image(reports):
    wrong = {spec.name: r.plugin_type for spec, r in reports if r.plugin_type != spec.plugin_type}
    assert not wrong


@needs_tesseract
def test_feedback_names_each_known_problem(reports):
    for spec, report in reports:
        for key in spec.problem_keys:
            assert key in report.problems, (spec.name, report.problems)
            assert any(line.startswith("problem") and key in line for line in report.feedback)


@needs_tesseract
def test_sane_settings_are_confirmed_not_flagged(tmp_path):
    from screenshot_factory import ScreenshotSpec

    spec = ScreenshotSpec(
        "sane",
        "Vocal Comp",
        "compressor",
        "beside",
        "light",
        "DejaVu Sans",
        22,
        (("Threshold", "-20 dB"), ("Ratio", "3:1"), ("Attack", "10 ms"), ("Release", "150 ms")),
        {"threshold_db": -20.0, "ratio": 3.0, "attack_ms": 10.0, "release_ms": 150.0},
    )
    report = read_screenshot(write(spec, tmp_path), role="vocal")
    assert report.problems == []
    assert any(line.startswith("ok") and "attack_ms" in line for line in report.feedback)


@needs_tesseract
def test_release_checked_against_session_tempo(tmp_path):
    from screenshot_factory import ScreenshotSpec

    from mixchat.assistant.knowledge.ask import SessionFacts

    spec = ScreenshotSpec(
        "tempo",
        "Snare",
        "compressor",
        "beside",
        "dark",
        "DejaVu Sans",
        22,
        (("Threshold", "-20 dB"), ("Ratio", "4:1"), ("Attack", "10 ms"), ("Release", "1.5 s")),
        {},
    )
    report = read_screenshot(
        write(spec, tmp_path), role="snare", session_facts=SessionFacts(tempo_bpm=128)
    )
    assert report.parameters["release_ms"] == pytest.approx(1500)
    assert "release_ms" in report.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4:1", (4.0, ":1")),
        ("4.0 : 1", (4.0, ":1")),
        ("-18.0dB", (-18.0, "db")),
        ("10 ms", (10.0, "ms")),
        ("1.2 s", (1.2, "s")),
        ("250 µs", (250.0, "us")),
        ("2.5k", (2.5, "k")),
        ("2.5 kHz", (2.5, "khz")),
        ("Auto", ("auto", None)),
        ("50 %", (50.0, "%")),
    ],
)
def test_parse_value_units(text, expected):
    assert parse_value(text) == expected


def test_missing_or_unreadable_image_is_one_line_error(tmp_path):
    with pytest.raises(StateError, match="does not exist"):
        read_screenshot(tmp_path / "nope.png")
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    with pytest.raises(StateError, match="bad.png"):
        read_screenshot(bad)


def test_missing_tesseract_says_how_to_install(tmp_path, monkeypatch):
    import pytesseract
    from screenshot_factory import catalogue as specs

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(StateError, match="tesseract-ocr"):
        read_screenshot(write(specs()[0], tmp_path))


@needs_tesseract
def test_an_image_without_plugin_text_is_not_called_a_compressor(tmp_path):
    import numpy as np
    from PIL import Image

    noise = (np.random.default_rng(1).random((300, 400, 3)) * 255).astype("uint8")
    Image.fromarray(noise).save(tmp_path / "noise.png")
    report = read_screenshot(tmp_path / "noise.png")
    assert report.plugin_type == "unknown" and report.parameters == {}
    assert report.problems == [] and len(report.feedback) == 1
    assert report.feedback[0].startswith("note: no plugin settings could be read")
