"""Synthetic plugin screenshots drawn with Pillow, each with known values and a known problem.

Layouts: ``beside`` (label, then value to its right), ``above`` (label over its value),
``knobs`` (a grid of knob circles, value over the knob's label) and ``eq_columns`` (one column
per band headed "Band N", rows Freq / Gain / Q). Themes: dark, light and coloured panels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

THEMES = {
    "dark": {
        "bg": (28, 30, 34),
        "panel": (44, 47, 54),
        "label": (170, 178, 190),
        "value": (235, 240, 245),
        "title": (255, 196, 64),
    },
    "light": {
        "bg": (236, 236, 232),
        "panel": (250, 250, 247),
        "label": (70, 70, 80),
        "value": (10, 10, 10),
        "title": (20, 60, 140),
    },
    "blue": {
        "bg": (20, 48, 96),
        "panel": (30, 70, 130),
        "label": (190, 215, 255),
        "value": (255, 255, 255),
        "title": (255, 230, 120),
    },
    "orange": {
        "bg": (196, 96, 30),
        "panel": (220, 120, 50),
        "label": (40, 20, 10),
        "value": (0, 0, 0),
        "title": (255, 255, 255),
    },
    "green": {
        "bg": (22, 60, 40),
        "panel": (30, 84, 56),
        "label": (160, 230, 190),
        "value": (240, 255, 245),
        "title": (240, 240, 240),
    },
}
FONTS = ("DejaVu Sans", "DejaVu Sans Mono", "DejaVu Serif", "DejaVu Sans:bold")


@dataclass(frozen=True)
class ScreenshotSpec:
    """What to draw and what a reader should get back."""

    name: str
    title: str
    plugin_type: str
    layout: str
    theme: str
    font: str
    font_size: int
    fields: tuple[tuple[str, str], ...]  # (label text, value text) as drawn
    expected: dict = field(default_factory=dict)  # parameter key -> value (float or "auto")
    role: str | None = None
    problem_keys: tuple[str, ...] = ()
    eq_bands: tuple[tuple[str, str, str], ...] = ()  # (freq, gain, q) texts per band


def _font(spec: ScreenshotSpec, size: int) -> ImageFont.FreeTypeFont:
    family, _, weight = spec.font.partition(":")
    path = font_manager.findfont(
        font_manager.FontProperties(family=family, weight=weight or "normal")
    )
    return ImageFont.truetype(path, size)


def _canvas(spec: ScreenshotSpec, width: int, height: int):
    theme = THEMES[spec.theme]
    image = Image.new("RGB", (width, height), theme["bg"])
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((12, 12, width - 12, height - 12), radius=14, fill=theme["panel"])
    draw.text(
        (32, 24), spec.title, font=_font(spec, int(spec.font_size * 1.3)), fill=theme["title"]
    )
    return image, draw, theme


def _draw_beside(spec: ScreenshotSpec):
    size = spec.font_size
    rows = len(spec.fields)
    image, draw, theme = _canvas(spec, 40 + size * 22, 90 + rows * int(size * 2.4))
    font = _font(spec, size)
    for i, (label, value) in enumerate(spec.fields):
        y = 30 + int(size * 3) + i * int(size * 2.4)
        draw.text((40, y), label, font=font, fill=theme["label"])
        draw.text((40 + size * 11, y), value, font=font, fill=theme["value"])
    return image


def _draw_above(spec: ScreenshotSpec, *, columns: int = 3):
    size = spec.font_size
    col_w, row_h = size * 11, int(size * 4.2)
    rows = -(-len(spec.fields) // columns)
    image, draw, theme = _canvas(spec, 60 + columns * col_w, 80 + int(size * 1.5) + rows * row_h)
    font = _font(spec, size)
    for i, (label, value) in enumerate(spec.fields):
        x = 40 + (i % columns) * col_w
        y = 40 + int(size * 2.2) + (i // columns) * row_h
        draw.text((x, y), label, font=font, fill=theme["label"])
        draw.text((x, y + int(size * 1.6)), value, font=font, fill=theme["value"])
    return image


def _draw_knobs(spec: ScreenshotSpec, *, columns: int = 4):
    size = spec.font_size
    col_w, row_h = size * 10, size * 8
    rows = -(-len(spec.fields) // columns)
    image, draw, theme = _canvas(spec, 40 + columns * col_w, 70 + int(size * 1.5) + rows * row_h)
    font = _font(spec, size)
    for i, (label, value) in enumerate(spec.fields):
        cx = 30 + (i % columns) * col_w + col_w // 2
        top = 40 + int(size * 2.2) + (i // columns) * row_h
        draw.text((cx, top), value, font=font, fill=theme["value"], anchor="mt")
        radius = int(size * 1.5)
        knob_y = top + int(size * 1.4) + radius
        draw.ellipse(
            (cx - radius, knob_y - radius, cx + radius, knob_y + radius),
            outline=theme["label"],
            width=3,
        )
        draw.line((cx, knob_y, cx + radius // 2, knob_y - radius + 4), fill=theme["value"], width=3)
        draw.text(
            (cx, knob_y + radius + int(size * 0.5)),
            label,
            font=font,
            fill=theme["label"],
            anchor="mt",
        )
    return image


def _draw_eq_columns(spec: ScreenshotSpec):
    size = spec.font_size
    col_w = size * 9
    bands = spec.eq_bands
    image, draw, theme = _canvas(spec, 60 + size * 6 + len(bands) * col_w, 110 + size * 9)
    font = _font(spec, size)
    top = 40 + int(size * 2.4)
    for row, label in enumerate(("Freq", "Gain", "Q")):
        draw.text((40, top + int(size * 2) * (row + 1)), label, font=font, fill=theme["label"])
    for b, band in enumerate(bands):
        x = 40 + size * 6 + b * col_w
        draw.text((x, top), f"Band {b + 1}", font=font, fill=theme["title"])
        for row, text in enumerate(band):
            draw.text((x, top + int(size * 2) * (row + 1)), text, font=font, fill=theme["value"])
    return image


def draw(spec: ScreenshotSpec) -> Image.Image:
    layouts = {
        "beside": _draw_beside,
        "above": _draw_above,
        "knobs": _draw_knobs,
        "eq_columns": _draw_eq_columns,
    }
    return layouts[spec.layout](spec)


def write(spec: ScreenshotSpec, folder: Path) -> Path:
    path = folder / f"{spec.name}.png"
    draw(spec).save(path)
    return path


def _spec(
    name, title, plugin_type, layout, theme, font, size, fields, expected, **kw
) -> ScreenshotSpec:
    return ScreenshotSpec(
        name, title, plugin_type, layout, theme, font, size, tuple(fields), expected, **kw
    )


def catalogue() -> list[ScreenshotSpec]:
    """Fourteen screenshots: six plugin types, four layouts, five themes, four fonts."""
    return [
        _spec(
            "comp_snare_fast_attack",
            "Snare Comp",
            "compressor",
            "beside",
            "dark",
            "DejaVu Sans",
            20,
            [
                ("Threshold", "-18.0 dB"),
                ("Ratio", "4.0 : 1"),
                ("Attack", "0.1 ms"),
                ("Release", "80 ms"),
                ("Makeup", "3.0 dB"),
            ],
            {
                "threshold_db": -18.0,
                "ratio": 4.0,
                "attack_ms": 0.1,
                "release_ms": 80.0,
                "makeup_db": 3.0,
            },
            role="snare",
            problem_keys=("attack_ms",),
        ),
        _spec(
            "comp_vocal_overcompressed",
            "VOCAL COMPRESSOR",
            "compressor",
            "above",
            "light",
            "DejaVu Serif",
            22,
            [
                ("Threshold", "-40 dB"),
                ("Ratio", "20:1"),
                ("Attack", "10 ms"),
                ("Release", "120 ms"),
                ("Makeup", "6 dB"),
                ("Knee", "2 dB"),
            ],
            {
                "threshold_db": -40.0,
                "ratio": 20.0,
                "attack_ms": 10.0,
                "release_ms": 120.0,
                "makeup_db": 6.0,
                "knee_db": 2.0,
            },
            role="vocal",
            problem_keys=("ratio",),
        ),
        _spec(
            "comp_bus_knobs_makeup",
            "Bus Compressor",
            "compressor",
            "knobs",
            "blue",
            "DejaVu Sans:bold",
            18,
            [
                ("Threshold", "-12 dB"),
                ("Ratio", "2:1"),
                ("Attack", "30 ms"),
                ("Release", "Auto"),
                ("Makeup", "18 dB"),
                ("Mix", "100 %"),
            ],
            {
                "threshold_db": -12.0,
                "ratio": 2.0,
                "attack_ms": 30.0,
                "release_ms": "auto",
                "makeup_db": 18.0,
                "mix_pct": 100.0,
            },
            role="mix bus",
            problem_keys=("makeup_db",),
        ),
        _spec(
            "comp_kick_cl1b_release",
            "CL 1B Kick",
            "compressor",
            "beside",
            "orange",
            "DejaVu Sans Mono",
            20,
            [
                ("Threshold", "-20 dB"),
                ("Ratio", "4:1"),
                ("Attack", "15 ms"),
                ("Release", "2.5 s"),
                ("Gain", "4 dB"),
            ],
            {
                "threshold_db": -20.0,
                "ratio": 4.0,
                "attack_ms": 15.0,
                "release_ms": 2500.0,
                "makeup_db": 4.0,
            },
            role="kick",
            problem_keys=("release_ms",),
        ),
        _spec(
            "limiter_ceiling_zero",
            "TRUE PEAK LIMITER",
            "limiter",
            "beside",
            "dark",
            "DejaVu Sans Mono",
            20,
            [
                ("Input Gain", "+6.0 dB"),
                ("Ceiling", "0.0 dB"),
                ("Release", "50 ms"),
                ("Lookahead", "2 ms"),
            ],
            {"input_gain_db": 6.0, "ceiling_db": 0.0, "release_ms": 50.0, "lookahead_ms": 2.0},
            role="mix bus",
            problem_keys=("ceiling_db",),
        ),
        _spec(
            "limiter_knobs_ceiling",
            "Maximizer",
            "limiter",
            "knobs",
            "green",
            "DejaVu Sans",
            18,
            [("Input", "4 dB"), ("Ceiling", "-0.1 dB"), ("Release", "100 ms")],
            {"input_gain_db": 4.0, "ceiling_db": -0.1, "release_ms": 100.0},
            problem_keys=("ceiling_db",),
        ),
        _spec(
            "eq_harsh_boost_columns",
            "Parametric EQ",
            "eq",
            "eq_columns",
            "dark",
            "DejaVu Sans",
            20,
            [],
            {
                "band_1_freq_hz": 80.0,
                "band_1_gain_db": -3.0,
                "band_1_q": 0.7,
                "band_2_freq_hz": 400.0,
                "band_2_gain_db": -2.0,
                "band_2_q": 1.5,
                "band_3_freq_hz": 3500.0,
                "band_3_gain_db": 9.0,
                "band_3_q": 6.0,
                "band_4_freq_hz": 12000.0,
                "band_4_gain_db": 2.0,
                "band_4_q": 0.7,
            },
            role="vocal",
            problem_keys=("band_3_gain_db",),
            eq_bands=(
                ("80 Hz", "-3.0 dB", "0.7"),
                ("400 Hz", "-2.0 dB", "1.5"),
                ("3.5 kHz", "+9.0 dB", "6.0"),
                ("12 kHz", "+2.0 dB", "0.7"),
            ),
        ),
        _spec(
            "eq_harsh_boost_beside",
            "EQ",
            "eq",
            "beside",
            "light",
            "DejaVu Sans",
            20,
            [
                ("Freq 1", "100 Hz"),
                ("Gain 1", "-2 dB"),
                ("Q 1", "1.0"),
                ("Freq 2", "2.8k"),
                ("Gain 2", "+8 dB"),
                ("Q 2", "5.0"),
                ("Freq 3", "8 kHz"),
                ("Gain 3", "+1.5 dB"),
                ("Q 3", "0.8"),
            ],
            {
                "band_1_freq_hz": 100.0,
                "band_1_gain_db": -2.0,
                "band_1_q": 1.0,
                "band_2_freq_hz": 2800.0,
                "band_2_gain_db": 8.0,
                "band_2_q": 5.0,
                "band_3_freq_hz": 8000.0,
                "band_3_gain_db": 1.5,
                "band_3_q": 0.8,
            },
            role="guitar",
            problem_keys=("band_2_gain_db",),
        ),
        _spec(
            "reverb_long_decay",
            "Hall Reverb",
            "reverb",
            "above",
            "blue",
            "DejaVu Sans",
            20,
            [("Pre-Delay", "20 ms"), ("Decay", "9.5 s"), ("Size", "80 %"), ("Mix", "35 %")],
            {"pre_delay_ms": 20.0, "decay_s": 9.5, "size_pct": 80.0, "mix_pct": 35.0},
            role="vocal",
            problem_keys=("decay_s",),
        ),
        _spec(
            "reverb_knobs_decay",
            "PLATE",
            "reverb",
            "knobs",
            "orange",
            "DejaVu Serif",
            20,
            [("Predelay", "40 ms"), ("Decay", "7.0 s"), ("Damping", "6 kHz"), ("Mix", "25 %")],
            {"pre_delay_ms": 40.0, "decay_s": 7.0, "damping_hz": 6000.0, "mix_pct": 25.0},
            role="snare",
            problem_keys=("decay_s",),
        ),
        _spec(
            "gate_slow_attack",
            "Noise Gate",
            "gate",
            "beside",
            "green",
            "DejaVu Sans:bold",
            20,
            [
                ("Threshold", "-35 dB"),
                ("Range", "-40 dB"),
                ("Attack", "25 ms"),
                ("Hold", "50 ms"),
                ("Release", "120 ms"),
            ],
            {
                "threshold_db": -35.0,
                "range_db": -40.0,
                "attack_ms": 25.0,
                "hold_ms": 50.0,
                "release_ms": 120.0,
            },
            role="snare",
            problem_keys=("attack_ms",),
        ),
        _spec(
            "deesser_low_freq",
            "De-Esser",
            "de-esser",
            "above",
            "dark",
            "DejaVu Sans Mono",
            22,
            [("Frequency", "2.0 kHz"), ("Threshold", "-30 dB"), ("Range", "6 dB")],
            {"freq_hz": 2000.0, "threshold_db": -30.0, "range_db": 6.0},
            role="vocal",
            problem_keys=("freq_hz",),
        ),
        _spec(
            "deesser_deep_range",
            "DEESSER",
            "de-esser",
            "knobs",
            "light",
            "DejaVu Sans",
            18,
            [("Freq", "6.5 kHz"), ("Threshold", "-24 dB"), ("Range", "18 dB")],
            {"freq_hz": 6500.0, "threshold_db": -24.0, "range_db": 18.0},
            role="vocal",
            problem_keys=("range_db",),
        ),
        _spec(
            "comp_drumbus_attack_us",
            "Drum Bus 1176",
            "compressor",
            "above",
            "green",
            "DejaVu Sans",
            20,
            [
                ("Input", "0 dB"),
                ("Output", "-2 dB"),
                ("Attack", "250 us"),
                ("Release", "50 ms"),
                ("Ratio", "8:1"),
            ],
            {
                "input_gain_db": 0.0,
                "output_gain_db": -2.0,
                "attack_ms": 0.25,
                "release_ms": 50.0,
                "ratio": 8.0,
            },
            role="drum bus",
            problem_keys=("attack_ms",),
        ),
    ]
