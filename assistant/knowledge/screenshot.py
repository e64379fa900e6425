"""Read a plugin screenshot offline (tesseract OCR) and comment on its settings.

Pipeline: load → grayscale, 2× upscale, Otsu threshold with text made black → tesseract word
boxes → words grouped into phrases by line and gap → phrases classified as labels ("Attack"),
values ("10 ms") or both ("Ratio 4:1") → each label paired with the value beside, below or
above it (the layout that pairs most labels wins) → parameters with units in their names →
plugin type from the labels present → feedback against the knowledge base's ranges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytesseract
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, Field

from mixchat.assistant.knowledge.plugins import find_roles, named_entries, normalise_role, tokens
from mixchat.assistant.knowledge.screenshot_review import review
from mixchat.dsp.errors import StateError

PLUGIN_TYPES = ("compressor", "eq", "limiter", "reverb", "delay", "gate", "de-esser", "saturation")
MODEL_IDS = {
    "1176",
    "la2a",
    "cl1b",
    "ssl_bus",
    "api_2500",
    "distressor",
    "fairchild",
    "pultec_eqp1a",
    "neve_1073",
    "api_550",
}

LABELS: dict[str, str] = {
    "threshold": "threshold_db",
    "thresh": "threshold_db",
    "thr": "threshold_db",
    "ratio": "ratio",
    "attack": "attack_ms",
    "atk": "attack_ms",
    "release": "release_ms",
    "rel": "release_ms",
    "makeup": "makeup_db",
    "make up": "makeup_db",
    "makeup gain": "makeup_db",
    "gain": "makeup_db",
    "output": "output_gain_db",
    "out": "output_gain_db",
    "output gain": "output_gain_db",
    "out gain": "output_gain_db",
    "input": "input_gain_db",
    "in": "input_gain_db",
    "input gain": "input_gain_db",
    "in gain": "input_gain_db",
    "ceiling": "ceiling_db",
    "out ceiling": "ceiling_db",
    "output ceiling": "ceiling_db",
    "true peak ceiling": "ceiling_db",
    "mix": "mix_pct",
    "dry wet": "mix_pct",
    "wet": "mix_pct",
    "blend": "mix_pct",
    "knee": "knee_db",
    "lookahead": "lookahead_ms",
    "look ahead": "lookahead_ms",
    "decay": "decay_s",
    "decay time": "decay_s",
    "rt60": "decay_s",
    "reverb time": "decay_s",
    "pre delay": "pre_delay_ms",
    "predelay": "pre_delay_ms",
    "size": "size_pct",
    "room size": "size_pct",
    "damping": "damping_hz",
    "damp": "damping_hz",
    "hf damping": "damping_hz",
    "feedback": "feedback_pct",
    "fdbk": "feedback_pct",
    "time": "time_ms",
    "delay time": "time_ms",
    "delay": "time_ms",
    "range": "range_db",
    "hold": "hold_ms",
    "frequency": "freq_hz",
    "freq": "freq_hz",
    "drive": "drive_db",
    "q": "q",
    "width": "width_pct",
}
BAND_LABEL = re.compile(
    r"^(?:band\s*)?([1-8])\s*(freq|frequency|gain|q)$|^(freq|frequency|gain|q|f|g)\s*([1-8])$"
)
BAND_HEADER = re.compile(r"^band\s*([1-8])$")
BAND_FIELDS = {
    "freq": "freq_hz",
    "frequency": "freq_hz",
    "f": "freq_hz",
    "gain": "gain_db",
    "g": "gain_db",
    "q": "q",
}
TYPE_WORDS = {
    "limiter": "limiter",
    "maximizer": "limiter",
    "maximiser": "limiter",
    "reverb": "reverb",
    "verb": "reverb",
    "plate": "reverb",
    "hall": "reverb",
    "delay": "delay",
    "echo": "delay",
    "gate": "gate",
    "expander": "gate",
    "deesser": "de-esser",
    "esser": "de-esser",
    "sibilance": "de-esser",
    "saturator": "saturation",
    "saturation": "saturation",
    "eq": "eq",
    "equalizer": "eq",
    "equaliser": "eq",
    "compressor": "compressor",
    "comp": "compressor",
}
VALUE = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(khz|hz|k|dbtp|dbfs|db|ms|us|sec|s|%)?$")


class ScreenshotReport(BaseModel):
    plugin_type: str
    plugin_name: str | None = None
    parameters: dict[str, float | str] = Field(default_factory=dict)
    feedback: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list, description="parameter keys flagged")
    confidence: float = Field(ge=0.0, le=1.0)
    role: str | None = Field(
        default=None, description="the source the feedback is for: given, or read from the title"
    )


@dataclass
class Phrase:
    text: str
    conf: float
    left: int
    top: int
    right: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def cx(self) -> float:
        return (self.left + self.right) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


# --- image and OCR --------------------------------------------------------------------------


def _load(image_path: Path) -> Image.Image:
    try:
        with Image.open(image_path) as image:
            return image.convert("L")
    except FileNotFoundError as error:
        raise StateError(
            f"screenshot {image_path} does not exist; give a PNG or JPEG path"
        ) from error
    except (UnidentifiedImageError, OSError) as error:
        raise StateError(
            f"screenshot {image_path} is not a readable image; give a PNG or JPEG"
        ) from error


def _otsu_threshold(pixels: np.ndarray) -> int:
    hist = np.bincount(pixels.ravel(), minlength=256).astype(float)
    prob = hist / hist.sum()
    weight, mean = np.cumsum(prob), np.cumsum(prob * np.arange(256))
    between = (mean[-1] * weight - mean) ** 2 / (weight * (1 - weight) + 1e-12)
    return int(np.argmax(between))


def _binarise(gray: Image.Image, *, scale: int = 2) -> Image.Image:
    """Upscaled black text on white, whatever the theme (dark, light, coloured)."""
    big = gray.resize((gray.width * scale, gray.height * scale), Image.Resampling.LANCZOS)
    pixels = np.asarray(big)
    bright = pixels > _otsu_threshold(pixels)
    if bright.mean() < 0.5:  # the text is the minority class: make it black on white
        bright = ~bright
    return Image.fromarray((bright * 255).astype(np.uint8))


def _ocr_words(image: Image.Image, *, psm: int = 11) -> list[Phrase]:
    try:
        data = pytesseract.image_to_data(
            image, config=f"--psm {psm}", output_type=pytesseract.Output.DICT
        )
    except pytesseract.TesseractNotFoundError as error:
        raise StateError(
            "tesseract is not installed: install tesseract-ocr (`make install` does it)"
        ) from error
    return [
        Phrase(text.strip(), float(conf), left, top, left + width, top + height)
        for text, conf, left, top, width, height in zip(
            data["text"],
            data["conf"],
            data["left"],
            data["top"],
            data["width"],
            data["height"],
            strict=True,
        )
        if text.strip() and float(conf) >= 0
    ]


def _group_phrases(words: list[Phrase]) -> list[Phrase]:
    """Words on one line joined into phrases, split where the gap exceeds a character height."""
    phrases: list[Phrase] = []
    for word in sorted(words, key=lambda w: (w.left, w.top)):
        for phrase in phrases:
            same_line = abs(phrase.cy - word.cy) < 0.5 * min(phrase.height, word.height) + 4
            near = 0 <= word.left - phrase.right < 1.4 * max(phrase.height, word.height)
            if same_line and near:
                phrase.text += " " + word.text
                phrase.conf = min(phrase.conf, word.conf)
                phrase.right, phrase.top = word.right, min(phrase.top, word.top)
                phrase.bottom = max(phrase.bottom, word.bottom)
                break
        else:
            phrases.append(
                Phrase(word.text, word.conf, word.left, word.top, word.right, word.bottom)
            )
    return phrases


# --- classification -------------------------------------------------------------------------


def _label_text(text: str) -> str:
    cleaned = re.sub(r"\(.*?\)|\[.*?\]", " ", text.lower())
    cleaned = re.sub(r"\bq\s*[li|]\b|\bql\b", "q1", cleaned)
    return " ".join(re.findall(r"[a-z0-9]+", cleaned.replace("-", " ")))


def _label_key(text: str) -> str | None:
    label = _label_text(text)
    if label in LABELS:
        return LABELS[label]
    band = BAND_LABEL.match(label)
    if band:
        number = band.group(1) or band.group(4)
        field = BAND_FIELDS[band.group(2) or band.group(3)]
        return f"band_{number}_{field}"
    return None


def parse_value(text: str) -> tuple[float | str, str | None] | None:
    """'4.0 : 1' → (4.0, ':1'); '-18 dB' → (-18.0, 'db'); '2.5k' → (2.5, 'k'); 'Auto' → ('auto', None)."""
    cleaned = text.lower().replace("µ", "u").replace("−", "-").replace("—", "-").strip(" .|")
    cleaned = re.sub(r"(?<=\d),(?=\d)", ".", cleaned)
    cleaned = re.sub(r"^[o](?=\s*(?:db|ms|%|hz|s\b|\.))", "0", cleaned)
    if cleaned == "auto":
        return "auto", None
    ratio = re.match(r"^(\d+(?:\.\d+)?)\s*:\s*1$", cleaned)
    if ratio:
        return float(ratio.group(1)), ":1"
    value = VALUE.match(cleaned.replace(" ", "") if " " in cleaned else cleaned)
    if value:
        return float(value.group(1)), value.group(2)
    return None


def _split_label_value(text: str) -> tuple[str, tuple] | None:
    """'Ratio 4:1' → ('ratio', (4.0, ':1')): a label followed by its value in one phrase."""
    words = text.split()
    for cut in range(len(words) - 1, 0, -1):
        key = _label_key(" ".join(words[:cut]))
        parsed = parse_value(" ".join(words[cut:]))
        if key and parsed is not None:
            return key, parsed
    return None


# --- pairing ---------------------------------------------------------------------------------


UNITS_FOR = {
    "_db": {"db", "dbfs", "dbtp", None},
    "_ms": {"ms", "s", "sec", "us", None},
    "_hz": {"hz", "khz", "k", None},
    "_pct": {"%", None},
    "_s": {"s", "ms", "sec", None},
}


def fits(key: str, text: str) -> bool:
    """Whether a value's unit suits the parameter (a '100 %' is not a ratio)."""
    parsed = parse_value(text)
    if parsed is None:
        return False
    number, unit = parsed
    if number == "auto":
        return key == "release_ms"
    if key == "ratio":
        return unit in (":1", None)
    suffix = next((s for s in UNITS_FOR if key.endswith(s)), None)
    return unit in UNITS_FOR[suffix] if suffix else unit is None


def _candidates(label: Phrase, value: Phrase, mode: str, key: str) -> float | None:
    if not fits(key, value.text):
        return None
    height = max(label.height, value.height)
    columns_overlap = min(label.right, value.right) - max(label.left, value.left) > -0.5 * height
    if mode == "right":
        gap = value.left - label.right
        return gap if gap > -4 and abs(value.cy - label.cy) < 0.6 * height else None
    gap = value.top - label.bottom if mode == "below" else label.top - value.bottom
    return gap if -4 < gap < 7 * height and columns_overlap else None


def _pair(labels: list[tuple[str, Phrase]], values: list[Phrase], mode: str):
    options = sorted(
        (gap, i, j)
        for i, (key, label) in enumerate(labels)
        for j, value in enumerate(values)
        if (gap := _candidates(label, value, mode, key)) is not None
    )
    used_labels: set[int] = set()
    used_values: set[int] = set()
    pairs: list[tuple[int, int, float]] = []
    for gap, i, j in options:
        if i not in used_labels and j not in used_values:
            used_labels.add(i)
            used_values.add(j)
            pairs.append((i, j, gap))
    return pairs


def _pair_all(labels: list[tuple[str, Phrase]], values: list[Phrase]) -> list[tuple[int, int]]:
    """Pairs (label index, value index): the dominant layout first, then the leftovers."""
    modes = ("right", "below", "above")
    results = {mode: _pair(labels, values, mode) for mode in modes}
    best = max(modes, key=lambda m: (len(results[m]), -sum(g for _, _, g in results[m])))
    pairs = [(i, j) for i, j, _ in results[best]]
    for mode in modes:
        taken_l, taken_v = {i for i, _ in pairs}, {j for _, j in pairs}
        rest_l = [k for k in range(len(labels)) if k not in taken_l]
        rest_v = [k for k in range(len(values)) if k not in taken_v]
        extra = _pair([labels[k] for k in rest_l], [values[k] for k in rest_v], mode)
        pairs += [(rest_l[i], rest_v[j]) for i, j, _ in extra]
    return pairs


def _table_pairs(phrases: list[Phrase], values: list[Phrase]):
    """EQ tables: 'Band N' column headers × row labels (Freq / Gain / Q) → band keys."""
    headers = [
        (int(m.group(1)), p) for p in phrases if (m := BAND_HEADER.match(_label_text(p.text)))
    ]
    rows = [
        (BAND_FIELDS[_label_text(p.text)], p)
        for p in phrases
        if _label_text(p.text) in ("freq", "frequency", "gain", "q")
    ]
    found: list[tuple[str, Phrase]] = []
    if len(headers) < 2:
        return found
    for value in values:
        above = [(abs(h.cx - value.cx), n) for n, h in headers if h.bottom <= value.top + 4]
        line = [
            (abs(r.cy - value.cy), f)
            for f, r in rows
            if abs(r.cy - value.cy) < r.height and r.right < value.left
        ]
        unit = (parse_value(value.text) or (0, None))[1]
        field = {"hz": "freq_hz", "khz": "freq_hz", "k": "freq_hz", "db": "gain_db"}.get(unit or "")
        field = field or (min(line)[1] if line else "q")
        if above:
            found.append((f"band_{min(above)[1]}_{field}", value))
    return found


# --- values with units -------------------------------------------------------------------------


def _repair_seconds(number: float, raw: str, *, most_s: float) -> float:
    """Tesseract drops the point in DejaVu 'N.N s' ('9.5 s' → '95s' or '955s'): restore it."""
    if number <= most_s or "." in raw:
        return number
    digits = str(int(number))
    digits = digits[:-1] if len(digits) >= 3 and digits.endswith("5") else digits
    return float(f"{digits[0]}.{digits[1:]}")


def _to_unit(key: str, parsed: tuple[float | str, str | None], raw: str) -> float | str | None:
    number, unit = parsed
    if isinstance(number, str):  # parse_value's only text value: 'auto', without a unit
        return "auto" if key == "release_ms" else None
    if unit in ("s", "sec") and key in ("release_ms", "decay_s"):
        number = _repair_seconds(number, raw, most_s=10.0 if key == "release_ms" else 30.0)
    if unit == ":1" and key != "ratio":
        return None
    if key.endswith("_ms"):
        seconds = unit is None and key == "release_ms" and number < 10  # '2.5' = 2.5 s
        factor = {"s": 1000.0, "sec": 1000.0, "us": 0.001}.get(
            unit or "", 1000.0 if seconds else 1.0
        )
        return number * factor
    if key == "decay_s":
        return number / 1000.0 if unit == "ms" else number
    if key.endswith("_hz"):
        is_khz = unit in ("k", "khz") or (unit is None and number < 30)
        return number * 1000.0 if is_khz else number
    if key in ("threshold_db", "ceiling_db") and number > 0 and not raw.strip().startswith("+"):
        return -number  # tesseract often drops a leading minus; these are ≤ 0 dB in practice
    return number


def _plain_key(key: str, plugin_type: str) -> str:
    if key == "makeup_db" and plugin_type == "limiter":
        return "input_gain_db"
    return key


def _number_bands(params: dict, plain: list[tuple[str, Phrase, float | str]]) -> None:
    """Repeated unnumbered Freq/Gain/Q labels become band_1, band_2... in layout order."""
    for field in ("freq_hz", "gain_db", "q"):
        items = [(p, v) for k, p, v in plain if k == field]
        if len(items) < 2:
            continue
        xs, ys = [p.cx for p, _ in items], [p.cy for p, _ in items]
        order = sorted(items, key=lambda pv: pv[0].cx if np.ptp(xs) >= np.ptp(ys) else pv[0].cy)
        for n, (_, value) in enumerate(order, start=1):
            params[f"band_{n}_{field}"] = value


def _detect_type(keys: set[str], words: set[str]) -> str:
    scores = dict.fromkeys(PLUGIN_TYPES, 0.0)
    for word in words:
        if word in TYPE_WORDS:
            scores[TYPE_WORDS[word]] += 2.5
    bands = sum(1 for k in keys if k.startswith("band_"))
    scores["eq"] += 2.0 * min(bands, 3)
    scores["limiter"] += 4 * ("ceiling_db" in keys) + ("lookahead_ms" in keys)
    scores["reverb"] += 3 * bool(keys & {"decay_s", "pre_delay_ms", "size_pct", "damping_hz"})
    scores["delay"] += 3 * bool(keys & {"feedback_pct", "time_ms"})
    scores["gate"] += 3 * ("hold_ms" in keys) + ("range_db" in keys and "freq_hz" not in keys)
    scores["de-esser"] += 3 * ("freq_hz" in keys and not bands) + ("range_db" in keys)
    scores["saturation"] += 3 * ("drive_db" in keys)
    scores["compressor"] += 3 * ("ratio" in keys) + bool(
        keys & {"attack_ms", "release_ms", "makeup_db", "knee_db"}
    )
    best = max(PLUGIN_TYPES, key=lambda t: scores[t])
    return best if scores[best] > 0 else "unknown"


def read_screenshot(image_path, *, role: str | None = None, session_facts=None) -> ScreenshotReport:
    """The plugin type, name, parameters (units in names) and feedback read from a screenshot."""
    path = Path(image_path)
    phrases = _group_phrases(_ocr_words(_binarise(_load(path))))
    inline, labels, values, other = [], [], [], []
    for phrase in phrases:
        key, split = _label_key(phrase.text), _split_label_value(phrase.text)
        if key:
            labels.append((key, phrase))
        elif parse_value(phrase.text) is not None:
            values.append(phrase)
        elif split:
            inline.append((split[0], phrase, split[1]))
        elif not BAND_HEADER.match(_label_text(phrase.text)):
            other.append(phrase)
    found: list[tuple[str, Phrase, Phrase]] = []  # key, label phrase, value phrase
    table = _table_pairs(phrases, values)
    table_values = {id(v) for _, v in table}
    free_values = [v for v in values if id(v) not in table_values]
    free_labels = (
        labels
        if not table
        else [(k, p) for k, p in labels if k not in ("freq_hz", "makeup_db", "q")]
    )
    for i, j in _pair_all(free_labels, free_values):
        found.append((free_labels[i][0], free_labels[i][1], free_values[j]))

    words = {t for p in phrases for t in tokens(p.text)}
    keys = {k for k, _, _ in found} | {k for k, _, _ in inline} | {k for k, _ in table}
    plugin_type = _detect_type(keys, words)

    params: dict[str, float | str] = {}
    plain: list[tuple[str, Phrase, float | str]] = []
    confs: list[float] = []
    entries = [(k, lp, vp.text, parse_value(vp.text), vp.conf) for k, lp, vp in found]
    entries += [(k, p, p.text.split(maxsplit=1)[-1], parsed, p.conf) for k, p, parsed in inline]
    entries += [(k, v, v.text, parse_value(v.text), v.conf) for k, v in table]
    for key, label, raw, parsed, conf in entries:
        if parsed is None:  # never: every value phrase above was kept because it parses
            continue
        if plugin_type == "eq" and key in ("freq_hz", "makeup_db", "q"):
            key = {"makeup_db": "gain_db"}.get(key, key)
            value = _to_unit(key, parsed, raw)
            if value is not None:
                plain.append((key, label, value))
                confs.append(conf)
            continue
        key = _plain_key(key, plugin_type)
        value = _to_unit(key, parsed, raw)
        if value is not None and key not in params:
            params[key] = value
            confs.append(conf)
    if plain:
        singles = {k for k, _, _ in plain if sum(1 for kk, _, _ in plain if kk == k) == 1}
        params.update({f"band_1_{k}": v for k, _, v in plain if k in singles})
        _number_bands(params, plain)

    title_text = " ".join(p.text for p in sorted(other, key=lambda p: p.top))
    model_text = re.sub(r"(?i)\b(?:bus|glue) compressor\b|\bopto\b|\bfet\b", " ", title_text)
    names = [e for e in named_entries(model_text, kind="unit") if e.id in MODEL_IDS]
    role = normalise_role(role) or next(iter(find_roles(title_text)), None)
    feedback, problems = review(plugin_type, params, role=role, session_facts=session_facts)
    confidence = (float(np.mean(confs)) / 100.0 if confs else 0.0) * (1.0 if params else 0.3)
    return ScreenshotReport(
        plugin_type=plugin_type,
        plugin_name=names[0].name if names else None,
        parameters=dict(sorted(params.items())),
        feedback=feedback,
        problems=problems,
        confidence=round(min(max(confidence, 0.0), 1.0), 2),
        role=role,
    )
