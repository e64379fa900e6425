"""Derive prompts/lexicon.json from the crowd-sourced studies in ../shared/data/semantic.

Run by hand from the repository root (not imported at runtime):

    .venv/bin/python scripts/build_lexicon.py [SEMANTIC_DIR]

The numbers come from the study files; the hand-written knowledge (engineer words, aliases,
antonyms, header) is in the tables at the end of this file. Deterministic: same inputs, same JSON.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy.optimize import least_squares

ROOT = Path(__file__).resolve().parents[1]

from mixchat.assistant.reading.lexicon import eq_response_db, inflection_candidates  # noqa: E402
from mixchat.dsp.state import EqBand  # noqa: E402

SAMPLE_RATE = 48000.0
CENTRES_HZ = np.array(
    [
        20,
        50,
        83,
        120,
        161,
        208,
        259,
        318,
        383,
        455,
        537,
        628,
        729,
        843,
        971,
        1114,
        1273,
        1452,
        1652,
        1875,
        2126,
        2406,
        2719,
        3070,
        3462,
        3901,
        4392,
        4941,
        5556,
        6244,
        7014,
        7875,
        8839,
        9917,
        11124,
        12474,
        13984,
        15675,
        17566,
        19682,
    ],
    dtype=float,
)
ANALYSIS_BANDS = {
    "sub": (20, 60),
    "low": (60, 250),
    "low_mid": (250, 500),
    "mid": (500, 2000),
    "presence": (2000, 6000),
    "air": (6000, 20000),
}
PEAK_DB_RANGE = (4.0, 6.0)
MIN_SAFE_COUNT = 3
MIN_FX_COUNT = 8
SHELF_Q = 0.707


# ---------------------------------------------------------------- EQ fitting


class Move(NamedTuple):
    """A light EqBand stand-in for the fit loop (pydantic validation is too slow there)."""

    kind: str
    freq_hz: float
    gain_db: float
    q: float


def moves_from_params(params: np.ndarray, n_bells: int) -> list[Move]:
    moves = [Move("low_shelf", float(np.exp(params[0])), float(params[1]), SHELF_Q)]
    for k in range(n_bells):
        lf, g, lq = params[2 + 3 * k : 5 + 3 * k]
        moves.append(Move("bell", float(np.exp(lf)), float(g), float(np.exp(lq))))
    moves.append(Move("high_shelf", float(np.exp(params[-2])), float(params[-1]), SHELF_Q))
    return moves


def fit_moves(target_db: np.ndarray, n_bells: int = 2) -> tuple[list[Move], float]:
    """Least-squares fit of low shelf + n bells + high shelf to a dB curve at the 40 centres."""
    lo = [np.log(25), -15] + [np.log(25), -15, np.log(0.3)] * n_bells + [np.log(1000), -15]
    hi = [np.log(1500), 15] + [np.log(18000), 15, np.log(5.0)] * n_bells + [np.log(16000), 15]

    def residual(params: np.ndarray) -> np.ndarray:
        moves = moves_from_params(params, n_bells)
        err = eq_response_db(moves, CENTRES_HZ, sample_rate=SAMPLE_RATE) - target_db
        gains = np.array([m.gain_db for m in moves])
        return np.concatenate([err, 0.05 * gains])

    best = None
    extremes = CENTRES_HZ[[int(np.argmax(target_db)), int(np.argmin(target_db))]]
    for ls_f, hs_f, bell_fs in (
        (150, 5000, extremes),
        (400, 2500, (300, 3000)),
        (100, 8000, (800, 4000)),
    ):
        x0 = [np.log(ls_f), target_db[1]]
        for f in bell_fs[:n_bells]:
            x0 += [np.log(np.clip(f, 30, 17000)), 0.0, np.log(1.0)]
        x0 += [np.log(hs_f), target_db[-3]]
        x0 = np.clip(x0, np.array(lo) + 1e-6, np.array(hi) - 1e-6)
        result = least_squares(residual, x0, bounds=(lo, hi), max_nfev=400)
        if best is None or result.cost < best.cost:
            best = result
    moves = [m for m in moves_from_params(best.x, n_bells) if abs(m.gain_db) >= 0.25]
    moves = [EqBand(kind=m.kind, freq_hz=m.freq_hz, gain_db=m.gain_db, q=m.q) for m in moves]
    return moves, rms_error(moves, target_db)


def rms_error(moves: list[EqBand], target_db: np.ndarray) -> float:
    fitted = eq_response_db(moves, CENTRES_HZ, sample_rate=SAMPLE_RATE)
    return float(np.sqrt(np.mean((fitted - target_db) ** 2)))


def pink_effect(moves: list[EqBand]) -> dict:
    """Centroid change (%) and per-band change (dB) of the moves applied to pink noise."""
    freqs = np.geomspace(20, 20000, 4096)  # uniform weight per log-bin == pink noise power
    power = 10 ** (eq_response_db(moves, freqs, sample_rate=SAMPLE_RATE) / 10)
    before = np.sum(freqs) / len(freqs)
    after = np.sum(freqs * power) / np.sum(power)
    bands = {}
    for name, (f_lo, f_hi) in ANALYSIS_BANDS.items():
        inside = (freqs >= f_lo) & (freqs < f_hi)
        bands[name] = round(float(10 * np.log10(np.mean(power[inside]))), 2)
    return {
        "centroid_pct": round(float(100 * (after / before - 1)), 2),
        "bands_db": bands,
        "up": [b for b, v in bands.items() if v >= 1.0],
        "down": [b for b, v in bands.items() if v <= -1.0],
    }


def measure_from_effect(effect: dict) -> tuple[str, int]:
    if abs(effect["centroid_pct"]) >= 5:
        return "centroid", int(np.sign(effect["centroid_pct"]))
    name, value = max(effect["bands_db"].items(), key=lambda kv: abs(kv[1]))
    return f"band:{name}", int(np.sign(value)) or 1


def round_moves(moves: list[EqBand]) -> list[dict]:
    return [
        {
            "kind": m.kind,
            "freq_hz": round(m.freq_hz, 1),
            "gain_db": round(m.gain_db, 2),
            "q": round(m.q, 3),
        }
        for m in moves
    ]


# ---------------------------------------------------------------- canonical words


def norm(word: str) -> str:
    return " ".join(word.lower().replace("-", " ").replace("_", " ").split())


class Canon:
    """Maps a study word onto its canonical entry (aliases, merged variants, inflections)."""

    def __init__(self, base_words: set[str]) -> None:
        self.base = set(base_words)
        self.aliases = {norm(a): c for a, c in {**ALIASES, **MERGE_VARIANTS}.items()}

    def __call__(self, word: str) -> str:
        word = norm(word)
        if word in self.aliases:
            return self.aliases[word]
        if word in self.base:
            return word
        squashed = word.replace(" ", "")
        if squashed in self.base:
            return squashed
        for cand in inflection_candidates(word):
            if cand in self.aliases:
                return self.aliases[cand]
            if cand in self.base:
                return cand
        return word


# ---------------------------------------------------------------- studies


def load_socialeq(path: Path) -> dict[str, dict]:
    """English SocialEQ/Audealize words, variants merged (num-weighted), as dB curves."""
    rows = [r for r in json.loads(path.read_text()) if r["lang"] == "English"]
    agreements = [r["agreement"] for r in rows]
    a_min, a_max = min(agreements), max(agreements)
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[MERGE_VARIANTS.get(r["word"], r["word"])].append(r)
    words = {}
    for word, members in groups.items():
        weights = np.array([m["num"] for m in members], dtype=float)
        curve = np.average([m["settings"] for m in members], axis=0, weights=weights)
        agreement = float(np.average([m["agreement"] for m in members], weights=weights))
        span = (agreement - a_min) / (a_max - a_min)
        peak_db = PEAK_DB_RANGE[0] + span * (PEAK_DB_RANGE[1] - PEAK_DB_RANGE[0])
        words[word] = {
            "curve": curve,
            "curve_db": curve / np.max(np.abs(curve)) * peak_db,
            "peak_db": peak_db,
            "agreement": agreement,
            "num": int(weights.sum()),
            "merged": sorted(m["word"] for m in members if m["word"] != word),
        }
    return words


def load_safe(path: Path, canon: Canon) -> dict[str, dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            word = canon(row["descriptor"].strip())
            if word and word not in SAFE_IGNORE and word.isalpha():
                groups[word].append(row)
    out = {}
    for word, rows in groups.items():
        if len(rows) < MIN_SAFE_COUNT:
            continue

        def med(col: str, rows: list[dict] = rows) -> float:
            return float(np.median([float(r[col]) for r in rows]))

        moves = [
            EqBand(
                kind="low_shelf",
                freq_hz=med("band1_lowshelf_freq_hz"),
                gain_db=med("band1_lowshelf_gain_db"),
                q=SHELF_Q,
            )
        ]
        for k in (2, 3, 4):
            moves.append(
                EqBand(
                    kind="bell",
                    freq_hz=med(f"band{k}_freq_hz"),
                    gain_db=med(f"band{k}_gain_db"),
                    q=max(0.1, med(f"band{k}_q")),
                )
            )
        moves.append(
            EqBand(
                kind="high_shelf",
                freq_hz=med("band5_highshelf_freq_hz"),
                gain_db=med("band5_highshelf_gain_db"),
                q=SHELF_Q,
            )
        )
        response = eq_response_db(moves, CENTRES_HZ, sample_rate=SAMPLE_RATE)
        out[word] = {"count": len(rows), "moves": moves, "response_db": response}
    return out


def map_reverb(settings: list[float]) -> dict:
    """SocialReverb [delay_time s, decay, stereo_spread, cutoff Hz, wet_gain, wet_dry] → ours."""
    delay_s, decay, spread, cutoff, wet_gain, wet_dry = settings
    damping = 1 - np.log(np.clip(cutoff, 190, 20000) / 190) / np.log(20000 / 190)
    return {
        "raw": {
            "delay_time_s": delay_s,
            "decay": decay,
            "stereo_spread": spread,
            "cutoff_hz": cutoff,
            "wet_gain": wet_gain,
            "wet_dry": wet_dry,
        },
        "room_size": round(float(np.clip(decay, 0, 1)), 3),
        "damping": round(float(np.clip(damping, 0, 1)), 3),
        "width": round(float(np.clip(0.6 + 0.4 * abs(spread) / 0.012, 0, 1)), 3),
        "pre_delay_ms": round(float(np.clip(delay_s * 1000, 0, 250)), 1),
        "lpf_hz": round(float(np.clip(cutoff, 1000, 20000)), 0),
        "send_db": round(float(np.clip(20 * np.log10(max(wet_gain, 1e-3) / 0.483), -6, 6)), 2),
    }


def load_reverb(path: Path, canon: Canon) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for row in json.loads(path.read_text()):
        word = canon(row["word"])
        exact = word == row["word"].lower()
        previous = out.get(word)
        if previous and (previous["exact"] and not exact or previous["num"] >= row["num"]):
            continue
        out[word] = {
            **map_reverb(row["settings"]),
            "agreement": round(row["agreement"], 4),
            "num": int(row["num"]),
            "exact": exact,
        }
    return out


def load_compression(path: Path, canon: Canon) -> dict[str, dict]:
    ratings: dict[str, list[list[float]]] = defaultdict(list)
    every: list[list[float]] = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            params = [float(v) for v in row["params_web_audio_order"].split(",")]
            every.append(params)
            words = {
                canon(w.strip()) for w in (row["words"] + "," + row["agreed_words"]).split(",")
            }
            for word in words - {"", "none of the above", "same", "no change", "no effect"}:
                if word.replace(" ", "").isalpha() and len(word) > 2:
                    ratings[word].append(params)
    global_threshold = float(np.median([p[0] for p in every]))
    out = {}
    for word, rows in ratings.items():
        if len(rows) < MIN_FX_COUNT:
            continue
        threshold, knee, ratio, attack_s, release_s = np.median(rows, axis=0)
        out[word] = {
            "raw": {
                "threshold_db": round(threshold, 2),
                "knee_db": round(knee, 2),
                "ratio": round(ratio, 2),
                "attack_s": round(attack_s, 4),
                "release_s": round(release_s, 4),
            },
            "threshold_rel_db": round(
                float(np.clip(-6 + 0.25 * (threshold - global_threshold), -24, -1)), 2
            ),
            "ratio": round(float(np.clip(ratio, 1, 20)), 2),
            "attack_ms": round(float(np.clip(attack_s * 1000, 0.1, 300)), 2),
            "release_ms": round(float(np.clip(release_s * 1000, 5, 3000)), 1),
            "count": len(rows),
        }
    return out


# ---------------------------------------------------------------- assembly


def eq_block(target_db: np.ndarray) -> dict:
    moves, rms = fit_moves(target_db)
    effect = pink_effect(moves)
    measure, direction = measure_from_effect(effect)
    return {
        "eq_curve_db": [round(float(v), 2) for v in target_db],
        "eq_moves": round_moves(moves),
        "eq_fit_rms_db": round(rms, 3),
        "effect": effect,
        "measure": measure,
        "direction": direction,
    }


def combined_target(eq: dict | None, safe: dict | None) -> tuple[np.ndarray, float | None, str]:
    if safe is None:
        return eq["curve_db"], None, "socialeq"
    shape = safe["response_db"] - np.mean(safe["response_db"])
    if eq is None:
        return shape / np.max(np.abs(shape)) * 5.0, None, "safe"
    corr = float(np.corrcoef(eq["curve_db"], shape)[0, 1])
    if corr <= 0:
        return eq["curve_db"], corr, "socialeq (SAFE disagrees, not averaged)"
    scaled = shape / np.max(np.abs(shape)) * eq["peak_db"]
    return 0.5 * eq["curve_db"] + 0.5 * scaled, corr, "socialeq+safe (equal-weight mean shape)"


def build_entry(
    word: str, eq: dict | None, safe: dict | None, reverb: dict | None, comp: dict | None
) -> dict:
    entry: dict = {"word": word, "source": []}
    if eq is not None or safe is not None:
        target, corr, how = combined_target(eq, safe)
        entry.update(eq_block(target))
        entry["source"].append(how)
    if eq is not None:
        entry.update(
            {
                "eq_curve": [round(float(v), 4) for v in eq["curve"]],
                "eq_peak_db": round(eq["peak_db"], 2),
                "agreement": round(eq["agreement"], 4),
                "num": eq["num"],
            }
        )
        if eq["merged"]:
            entry["note"] = "SocialEQ variants merged (num-weighted): " + ", ".join(eq["merged"])
    if safe is not None:
        entry["safe"] = {
            "count": safe["count"],
            "moves": round_moves(safe["moves"]),
            "corr_with_socialeq": None if corr is None else round(corr, 3),
        }
    if reverb is not None:
        entry["reverb"] = {k: v for k, v in reverb.items() if k != "exact"}
        entry["source"].append("socialreverb")
    if comp is not None:
        entry["compressor"] = comp
        entry["source"].append("socialfx")
    return entry


def apply_manual(entry: dict) -> dict:
    word = entry["word"]
    manual = ENGINEER_WORDS.get(word)
    if manual:
        entry.update({k: v for k, v in manual.items() if k != "note"})
        entry["source"].append("engineering practice (hand-written)")
        entry["note"] = manual.get("note", "") + (" " + entry["note"] if entry.get("note") else "")
    if word in PROBLEM_WORDS:
        entry["polarity"] = "problem"
    if word in ANTONYMS:
        entry["antonym"] = ANTONYMS[word]
    entry["scannable"] = word not in NOT_SCANNABLE and (
        "eq_curve_db" in entry or bool(manual) or word in SPATIAL_WORDS or "compressor" in entry
    )
    return entry


def main(semantic: Path) -> None:
    socialeq = load_socialeq(semantic / "eqdescriptors.json")
    canon = Canon(set(socialeq) | set(ENGINEER_WORDS))
    safe = load_safe(semantic / "safe_eq_userdata.csv", canon)
    reverb = load_reverb(semantic / "reverbdescriptors.json", canon)
    comp = load_compression(semantic / "socialfx_compression.csv", canon)
    comp = {w: c for w, c in comp.items() if w in socialeq or w in ENGINEER_WORDS or w in reverb}
    words = sorted(set(socialeq) | set(ENGINEER_WORDS) | set(safe) | set(reverb) | set(comp))
    entries = [
        apply_manual(build_entry(w, socialeq.get(w), safe.get(w), reverb.get(w), comp.get(w)))
        for w in words
    ]
    aliases = {norm(a): canon(c) for a, c in {**ALIASES, **MERGE_VARIANTS}.items()}
    aliases = {a: c for a, c in aliases.items() if a not in words and c in words}
    out = {
        "header": HEADER,
        "band_centres_hz": CENTRES_HZ.tolist(),
        "aliases": aliases,
        "entries": entries,
    }
    target = ROOT / "prompts" / "lexicon.json"
    target.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")
    fits = [e["eq_fit_rms_db"] for e in entries if "eq_fit_rms_db" in e]
    print(
        f"{len(entries)} entries, {len(aliases)} aliases, {target.stat().st_size / 1e6:.2f} MB; "
        f"EQ fit RMS median {np.median(fits):.3f} dB, p90 {np.percentile(fits, 90):.3f} dB, "
        f"max {max(fits):.3f} dB; SAFE words {len(safe)}, reverb {len(reverb)}, "
        f"compression {len(comp)}"
    )


# ---------------------------------------------------------------- hand-written tables
# (defined after main() reads them at call time; kept here so the derivation reads first)

HEADER = {
    "title": "mixchat descriptor lexicon",
    "generated_by": "scripts/build_lexicon.py (run by hand; deterministic)",
    "studies": [
        "SocialEQ: M. Cartwright and B. Pardo, 'Social-EQ: Crowdsourcing an Equalization "
        "Descriptor Map', ISMIR 2013.",
        "Audealize: P. Seetharaman and B. Pardo, 'Audealize: Crowdsourced Audio Production "
        "Tools', JAES 64(9), 2016 (eqdescriptors.json / reverbdescriptors.json from the "
        "Audealize plug-in, GPLv2).",
        "SocialReverb: P. Seetharaman and B. Pardo, 'Crowdsourcing a Reverberation Descriptor "
        "Map', ACM Multimedia 2014.",
        "SocialFX: T. Zheng, P. Seetharaman and B. Pardo, 'SocialFX: Studying a Crowdsourced "
        "Folksonomy of Audio Effects Terms', ACM Multimedia 2016 (compression ratings).",
        "SAFE: R. Stables, S. Enderby, B. De Man, G. Fazekas and J. D. Reiss, 'SAFE: A System "
        "for the Extraction and Retrieval of Semantic Audio Descriptors', ISMIR 2014 "
        "(Birmingham City University).",
        "Engineer words: hand-written from common mixing practice (Owsinski, The Mixing "
        "Engineer's Handbook; Senior, Mixing Secrets for the Small Studio; Izhaki, Mixing "
        "Audio). They are starting points, not measurements.",
    ],
    "eq_scale": "SocialEQ settings are zero-mean normalised shapes at the 40 band centres. "
    "eq_curve_db = settings / max|settings| * eq_peak_db, where eq_peak_db runs linearly "
    "from 4 dB (least-agreed word) to 6 dB (most-agreed word) with the study's agreement. "
    "That is amount 1.0; the planner scales gains by its amount.",
    "eq_fit": "eq_moves = least-squares fit of low shelf (q 0.707) + 2 bells + high shelf "
    "(q 0.707), RBJ-cookbook magnitude responses at 48 kHz (as pedalboard's filters), "
    "evaluated at the 40 centres, with a small gain penalty; moves under 0.25 dB dropped. "
    "eq_fit_rms_db is the RMS dB error of the fit over the 40 centres.",
    "safe": "SAFE: per word (>= 3 ratings), the median of each of the 5 bands' settings. "
    "Where SocialEQ has the word too and the two shapes correlate positively, the fitted "
    "curve is the equal-weight mean of the two zero-mean shapes (SAFE's rescaled to "
    "eq_peak_db); otherwise SocialEQ alone. SAFE-only words use a 5 dB peak.",
    "effect": "effect = the fitted moves applied to pink noise (20 Hz-20 kHz): spectral "
    "centroid change in percent and per analysis band change in dB (sub 20-60, low 60-250, "
    "low_mid 250-500, mid 500-2000, presence 2000-6000, air 6000-20000 Hz); up/down list "
    "bands moved by >= 1 dB.",
    "reverb_mapping": "SocialReverb settings [delay_time s, decay, stereo_spread, cutoff Hz, "
    "wet_gain, wet_dry] -> room_size = decay; damping = 1 - ln(cutoff/190)/ln(20000/190); "
    "lpf_hz = cutoff clipped to 1-20 kHz; pre_delay_ms = delay_time*1000; width = "
    "0.6 + 0.4*|spread|/0.012; send_db (change of the track's reverb send) = "
    "20*log10(wet_gain/0.483) clipped to +-6 dB (0.483 is the median wet_gain over all words).",
    "compressor_mapping": "SocialFX (Web Audio DynamicsCompressor: threshold dB, knee dB, "
    "ratio, attack s, release s): per word with >= 8 ratings, the median of each. ratio, "
    "attack_ms, release_ms taken directly (clipped to our ranges); threshold_rel_db "
    "(threshold relative to the stem's level) = -6 + 0.25*(word median - median of all "
    "1148 ratings), clipped to -24..-1 dB, since the study's thresholds are absolute on its "
    "own clips. Knee kept in raw only (our compressor has none).",
    "polarity": "quality: the intent, measure and direction make the sound MORE like the "
    "word. problem: the word names a fault ('muddy', 'harsh'); the intent, measure and "
    "direction describe the FIX, i.e. what 'too X', 'less X' or 'it is X' ask for. "
    "eq_moves / eq_curve_db / effect always describe MORE of the word as the raters "
    "heard it; negate the gains for less.",
    "intent_kinds": "cut_offender (find stems carrying band_hz and cut gain_db at q there), "
    "boost_band (shape/freq_hz/gain_db), tilt (low_shelf_hz/low_gain_db + high_shelf_hz/"
    "high_gain_db), transient (attack_db/sustain_db), compress (threshold_rel_db/ratio/"
    "attack_ms/release_ms), saturate (drive_db/mix_pct), width (delta), level (gain_db), "
    "send (bus, send_db); 'also' lists companion moves; scope says where it applies.",
    "measures": "centroid, band:<sub|low|low_mid|mid|presence|air>, level (stem vs the rest "
    "of the band), side_mid, crest (crest factor), reverb_level (wet/dry energy); direction "
    "+1 or -1 is the expected sign of the change.",
}


def _words(text: str) -> set[str]:
    """'a; b c; d' -> {'a', 'b c', 'd'} (compact hand-written word lists)."""
    return {" ".join(w.split()) for w in text.split(";") if w.strip()}


def _table(text: str) -> dict[str, str]:
    """'a=b; c d=e' -> {'a': 'b', 'c d': 'e'}."""
    pairs = (item.split("=") for item in text.split(";") if item.strip())
    return {" ".join(k.split()): " ".join(v.split()) for k, v in pairs}


PROBLEM_WORDS = _words(
    """
    boomy; boxy; brittle; buried; dull; grating; harsh; honky; muddled; muddy; muffled; nasal;
    screeching; shrill; sibilant; thin; tinny
    """
)


def _cut(lo, hi, q, gain, **kw):
    return {"kind": "cut_offender", "band_hz": [lo, hi], "q": q, "gain_db": gain, **kw}


def _boost(lo, hi, shape, freq, gain, q=None, **kw):
    out = {
        "kind": "boost_band",
        "band_hz": [lo, hi],
        "shape": shape,
        "freq_hz": freq,
        "gain_db": gain,
        **kw,
    }
    if q is not None:
        out["q"] = q
    return out


def _tilt(low_hz, low_db, high_hz, high_db):
    return {
        "kind": "tilt",
        "low_shelf_hz": low_hz,
        "low_gain_db": low_db,
        "high_shelf_hz": high_hz,
        "high_gain_db": high_db,
    }


def _w(intent, measure, direction, note):
    return {"intent": intent, "measure": measure, "direction": direction, "note": note}


# fmt: off
ENGINEER_WORDS = {
    "muddy": _w(_cut(200, 500, 1.2, -3.0), "band:low_mid", -1,
                "Low-mid build-up where stems pile up; cut on the stems carrying 200-500 Hz."),
    "boxy": _w(_cut(300, 700, 1.5, -3.0), "band:low_mid", -1,
               "Cardboard-box resonance around 300-700 Hz; narrow cut on the offender."),
    "honky": _w(_cut(700, 1500, 1.5, -3.0), "band:mid", -1,
                "Honk around 700 Hz-1.5 kHz (horn-like midrange)."),
    "nasal": _w(_cut(800, 2000, 1.8, -3.0), "band:mid", -1,
                "Nasal resonance, typically 800 Hz-2 kHz on voices."),
    "harsh": _w(_cut(2000, 5000, 1.5, -3.0), "band:presence", -1,
                "Harshness lives at 2-5 kHz; cut on the stem that carries most of it."),
    "sibilant": _w(_cut(5000, 10000, 3.0, -4.0, scope="track"), "band:air", -1,
                   "Esses at 5-10 kHz on vocals: narrow cut (static de-essing)."),
    "boomy": _w(_cut(60, 200, 1.2, -3.0), "band:low", -1,
                "Boom: too much 60-200 Hz; cut on the stem carrying it (often bass/kick)."),
    "thin": _w(_boost(100, 300, "low_shelf", 200, 3.0), "band:low", 1,
               "Lacks body: lift the lows/low-mids (100-300 Hz)."),
    "tinny": _w(_boost(100, 300, "low_shelf", 250, 3.0, also=[_cut(1000, 4000, 1.2, -2.0)]),
                "band:low", 1, "Small, boxy-top sound: add body, tame 1-4 kHz."),
    "punchy": _w({"kind": "transient", "attack_db": 4.0, "sustain_db": -1.0, "also": [
        {"kind": "compress", "threshold_rel_db": -6.0, "ratio": 4.0, "attack_ms": 30.0,
         "release_ms": 80.0}]}, "crest", 1,
        "Punch: transient emphasis and a slow-attack compressor, not just level."),
    "glue": _w({"kind": "compress", "scope": "group", "threshold_rel_db": -4.0, "ratio": 2.0,
                "attack_ms": 30.0, "release_ms": 100.0}, "crest", -1,
               "Bus compression at 2:1, slow attack, 2-3 dB of gain reduction."),
    "airy": _w(_boost(8000, 20000, "high_shelf", 10000, 3.0), "band:air", 1,
               "Air: a high shelf around 10-12 kHz."),
    "presence": _w(_boost(2000, 5000, "bell", 3500, 2.5, q=1.0), "band:presence", 1,
                   "Presence: a broad lift at 2-5 kHz."),
    "wide": _w({"kind": "width", "delta": 0.3}, "side_mid", 1, "Stereo width up."),
    "narrow": _w({"kind": "width", "delta": -0.3}, "side_mid", -1, "Stereo width down."),
    "upfront": _w({"kind": "level", "gain_db": 2.0, "also": [
        {"kind": "send", "bus": "reverb", "send_db": -2.0}]}, "level", 1,
        "Forward in the mix: louder and a little drier."),
    "buried": _w({"kind": "level", "gain_db": 2.0, "scope": "track", "also": [
        _boost(2000, 5000, "bell", 3000, 1.5, q=1.0)]}, "level", 1,
        "Buried: raise the stem, or carve the competing stems where they mask it."),
    "wet": _w({"kind": "send", "bus": "reverb", "send_db": 4.0}, "reverb_level", 1,
              "More reverb send."),
    "dry": _w({"kind": "send", "bus": "reverb", "send_db": -6.0}, "reverb_level", -1,
              "Less reverb send."),
    "lift": _w({"kind": "level", "gain_db": 1.5, "also": [
        _boost(8000, 20000, "high_shelf", 10000, 1.5)]}, "level", 1,
        "Lift a stem or section: level up plus a touch of air (section-scoped when named)."),
    "energy": _w({**_tilt(150, 0.5, 4000, 2.0), "also": [
        {"kind": "saturate", "drive_db": 3.0, "mix_pct": 30.0},
        {"kind": "transient", "attack_db": 2.0, "sustain_db": 0.0}]}, "centroid", 1,
        "Energy: brighter, a little drive and attack; with a section named, raise it too."),
    "warm": _w(_tilt(250, 2.0, 6000, -1.5), "centroid", -1,
               "Warm: more low-mids (150-400 Hz), slightly softer top."),
    "dark": _w(_tilt(200, 1.0, 3000, -3.0), "centroid", -1, "Dark: less top end."),
    "bright": _w(_tilt(150, -1.0, 4000, 3.0), "centroid", 1, "Bright: more top end."),
    "crisp": _w(_boost(5000, 10000, "bell", 7000, 2.5, q=0.8), "band:air", 1,
                "Crisp: a lift at 5-10 kHz."),
    "smooth": _w(_cut(2000, 6000, 1.0, -2.0), "band:presence", -1,
                 "Smooth: tame 2-6 kHz."),
    "fat": _w(_boost(80, 250, "bell", 120, 2.5, q=0.8, also=[
        {"kind": "saturate", "drive_db": 3.0, "mix_pct": 30.0}]), "band:low", 1,
        "Fat/thick: more 80-250 Hz and some saturation."),
    "clean": _w(_cut(200, 500, 1.2, -2.0), "band:low_mid", -1,
                "Clean: clear low-mid build-up; drop saturation if any."),
    "clear": _w(_cut(200, 500, 1.2, -2.0, also=[_boost(2000, 5000, "bell", 3000, 1.5, q=1.0)]),
                "band:low_mid", -1, "Clear: less low-mid, a touch of presence."),
    "aggressive": _w(_boost(2000, 4000, "bell", 3000, 2.5, q=1.0, also=[
        {"kind": "saturate", "drive_db": 4.0, "mix_pct": 40.0},
        {"kind": "compress", "threshold_rel_db": -8.0, "ratio": 4.0, "attack_ms": 10.0,
         "release_ms": 80.0}]), "band:presence", 1,
        "Aggressive: upper-mid bite, drive and firmer compression."),
    "distant": _w({"kind": "send", "bus": "reverb", "send_db": 5.0, "also": [
        {"kind": "level", "gain_db": -1.5},
        _boost(5000, 20000, "high_shelf", 5000, -2.0)]}, "reverb_level", 1,
        "Distant: more reverb, a little quieter and duller."),
    "intimate": _w({"kind": "send", "bus": "reverb", "send_db": -5.0, "also": [
        _boost(2000, 5000, "bell", 3000, 1.5, q=1.0), {"kind": "level", "gain_db": 1.0}]},
        "reverb_level", -1, "Intimate/close: drier, more presence."),
    "loud": _w({"kind": "level", "gain_db": 2.0}, "level", 1, "Level up."),
    "quiet": _w({"kind": "level", "gain_db": -2.0}, "level", -1, "Level down."),
    "dull": _w(_boost(6000, 20000, "high_shelf", 6000, 3.0), "centroid", 1,
               "Dull: lacks top end; lift it."),
    "muffled": _w(_boost(3000, 20000, "high_shelf", 4000, 3.0, also=[_cut(200, 500, 1.2, -2.0)]),
                  "centroid", 1, "Muffled: more top, less low-mid."),
    "low end": _w(_boost(40, 120, "low_shelf", 100, 3.0), "band:low", 1,
                  "Low end / bottom: a low shelf under ~100 Hz."),
    "body": _w(_boost(150, 400, "bell", 250, 2.5, q=0.9), "band:low_mid", 1,
               "Body: a broad lift at 150-400 Hz."),
    "thump": _w(_boost(50, 100, "bell", 70, 3.0, q=1.2, scope="track"), "band:low", 1,
                "Thump (kick): a lift at 50-100 Hz."),
    "snap": _w({"kind": "transient", "attack_db": 3.0, "sustain_db": 0.0, "also": [
        _boost(3000, 6000, "bell", 4000, 2.0, q=1.0)]}, "crest", 1,
        "Snap (snare): attack and 3-6 kHz crack."),
    "open": _w(_boost(8000, 20000, "high_shelf", 10000, 2.0, also=[_cut(300, 700, 1.5, -2.0)]),
               "centroid", 1, "Open: less boxiness, more air."),
    "dirty": _w({"kind": "saturate", "drive_db": 6.0, "mix_pct": 50.0}, "crest", -1,
                "Dirty/gritty: saturation."),
}
# fmt: on

ANTONYMS = _table(
    """
    bright=dark; dark=bright; warm=cold; cold=warm; clear=muddy; muddy=clear; harsh=smooth;
    smooth=harsh; boomy=thin; thin=fat; fat=thin; full=thin; tinny=full; crisp=dull; airy=dull;
    dull=bright; loud=quiet; quiet=loud; distant=intimate; intimate=distant; aggressive=gentle;
    gentle=aggressive; wet=dry; dry=wet; wide=narrow; narrow=wide; upfront=buried;
    buried=upfront; clean=dirty; dirty=clean; heavy=light; light=heavy; hard=soft; soft=hard;
    big=small; small=big; muffled=clear; open=boxy; boxy=open; rich=thin; shrill=mellow;
    mellow=shrill; low end=thin; body=thin; sharp=smooth; punchy=soft; presence=distant
    """
)

MERGE_VARIANTS = _table(
    """
    darkness=dark; punch=punchy; boom=boomy; crunch=crunchy; sadness=sad; excitement=exciting;
    excited=exciting; energized=energetic; energizing=energetic; whispering=whispered;
    high-pitched=shrill
    """
)

ALIASES = _table(
    """
    cluttered=muddy; clutter=muddy; congested=muddy; sizzly=airy; veiled=dull; oomph=punchy;
    thud=thump; lo fi=tinny; ringy=boxy; papery=thin; glassy=bright; sterile=dull;
    mud=muddy; mudd=muddy; muddyness=muddy; murky=muddy; low mids=muddy; low mid=muddy;
    lowmids=muddy; mudiness=muddy; brite=bright; brigth=bright; bryte=bright; britness=bright;
    brightnes=bright; high end=bright; treble=bright; brilliant=bright; brilliance=bright;
    toppy=bright; top end=airy; darkish=dark; dim=dark; warmth=warm; warmness=warm;
    harshnes=harsh; harsch=harsh; piercing=harsh; ice pick=harsh; icepick=harsh; abrasive=harsh;
    spiky=harsh; edgy=harsh; sibilance=sibilant; esses=sibilant; essy=sibilant; ess=sibilant;
    hissy=sibilant; sibilants=sibilant; de ess=sibilant; deess=sibilant; booming=boomy;
    woofy=boomy; tubby=boomy; bloated=boomy; flabby=boomy; boomey=boomy; weak=thin; anemic=thin;
    anaemic=thin; lean=thin; skinny=thin; tin=tinny; tinnny=tinny; tinney=tinny; phone=tinny;
    telephone=tinny; radio=tinny; lo fi=tinny; impact=punchy; punchey=punchy; knock=punchy;
    punchyness=punchy; glued=glue; gluey=glue; cohesive=glue; gel=glue; glue together=glue;
    air=airy; airiness=airy; sizzle=airy; sheen=airy; shimmer=airy; sparkle=airy; sparkly=airy;
    breathy=airy; airey=airy; present=presence; presense=presence; presance=presence;
    wider=wide; widen=wide; width=wide; wideness=wide; spread=wide; stereo=wide; broad=wide;
    broader=wide; focused=narrow; focussed=narrow; focus=narrow; mono=narrow; narrower=narrow;
    up front=upfront; forward=upfront; in your face=upfront; prominent=upfront; up
    frontt=upfront; bury=buried; lost=buried; drowned=buried; drowning=buried; swamped=buried;
    hidden=buried; masked=buried; sunk=buried; sunken=buried; burried=buried; berried=buried;
    reverb=wet; reverby=wet; reverberant=wet; verby=wet; ambience=wet; wetter=wet; drier=dry;
    dryer=dry; dryness=dry; lifted=lift; life=energy; energetic feel=energy; vibe=energy;
    crispy=crisp; crispness=crisp; silky=smooth; silk=smooth; thick=fat; thicker=fat; phat=fat;
    beefy=fat; beef=fat; agressive=aggressive; aggresive=aggressive; agresive=aggressive;
    aggro=aggressive; far=distant; far away=distant; faraway=distant; distance=distant;
    close=intimate; closer=intimate; intimacy=intimate; near=intimate; louder=loud;
    softer=quiet; lower=quiet; quieter=quiet; muted=muffled; dulled=dull; lifeless=dull; bottom
    end=low end; bottom=low end; low-end=low end; lowend=low end; lows=low end; sub=low end; sub
    bass=low end; weight=low end; heft=low end; box=boxy; honk=honky; nasally=nasal;
    gritty=dirty; grit=dirty; grungy=dirty; distorted=dirty; openness=open; click=snap;
    crack=snap
    """
)

SAFE_IGNORE = _words(
    """
    acoustic; bass; bastard; beef; boost; chitarrini; default; drum; flat; guitar; guitarriche;
    jammy; kickclean; midboost; notchy; tender; test; time; vocal; vocals
    """
)

NOT_SCANNABLE = _words(
    """
    apple; away; awesome; bad; band; bang; bass; bear; beat; better; blast; brass; brave; car;
    caring; cat; clash; computer; corn; cow; death; different; dog; drive; drum; drums; easy;
    even; famous; fast; fast-paced; fire; flat; fleeting; food; forgetful; fun; god; good;
    gradual; great; guitar; hard; hate; hello; helpful; hero; high; higher; honest; humble;
    important; inside; intelligent; kind; light; like; little; long; louder; love; low; lower;
    man; march; mean; melody; metal; morning; mother; nice; noise; odd; old; organ; oxygen;
    party; piano; please; pop; power; pure; quick; rain; ralph; rock; safe; same; similar;
    simple; slow; smart; solid; sound; steep; strange; subtle; sunshine; super; sweet; taco;
    techno; tiger; trimble; very; war; weird; welcome; wise; wow
    """
)

SPATIAL_WORDS = _words(
    """
    ambient; auditorium; big hall; big room; cathedral; cave; cavernous; celestial; chamber;
    church; concert hall; depth; echo; echoed; echoing; empty room; enclosed; enveloping;
    ethereal; expansive; ghostly; hall; haunting; heavenly; large hall; large room; lingering;
    massive; open space; reflective; resonant; roomy; small room; spacey;
    spacious; stadium; tunnel; underwater; vast
    """
)

if __name__ == "__main__":
    default = ROOT.parent / "shared" / "data" / "semantic"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
