"""Feedback on a plugin's settings read from a screenshot, against the knowledge base's ranges.

Each rule names the parameter, its value and the suggested range; problems are returned by
parameter key so callers (and tests) can check what was flagged without reading the wording.
"""

from __future__ import annotations

from mixchat.assistant.knowledge.plugins import load


def _range(low: float, high: float, unit: str) -> str:
    return f"{low:g}–{high:g} {unit}"


def a_source(role: str) -> str:
    """ "a vocal", "an 808", "a drum bus"; a track whose role is not known is "this source"."""
    if role in ("other", ""):
        return "this source"
    name = role.replace("_", " ")
    return ("an " if name[0] in "aeiou" else "a ") + name


def the_sources(role: str) -> str:
    """ "the vocal's"; "the source's" when the role is not known."""
    return "the source's" if role in ("other", "") else f"the {role.replace('_', ' ')}'s"


def _quarter_ms(session_facts) -> float | None:
    bpm = getattr(session_facts, "tempo_bpm", None)
    return 60000.0 / bpm if bpm else None


def _dynamics_feedback(params: dict, role: str, session_facts, limits: dict):
    kb = load()
    point = kb.starting_point(role)
    out: list[tuple[str, str | None]] = []  # (message, problem key or None)
    ratio, threshold = params.get("ratio"), params.get("threshold_db")
    if isinstance(ratio, float) and isinstance(threshold, float):
        implied_gr = max(0.0, (-6.0 - threshold) * (1 - 1 / ratio))
        if ratio >= limits["max_sane_ratio_with_low_threshold"] and (
            threshold <= limits["low_threshold_db"] or implied_gr > limits["max_implied_gr_db"]
        ):
            out.append(
                (
                    f"ratio={ratio:g}:1 with threshold_db={threshold:g} implies about "
                    f"{implied_gr:.0f} dB of gain reduction on -6 dBFS peaks: over-compression. "
                    f"For {a_source(role)} try ratio {_range(*point.ratio, ':1')} and a threshold giving "
                    f"{_range(*point.gr_db, 'dB')} of reduction.",
                    "ratio",
                )
            )
        else:
            out.append(
                (
                    f"ratio={ratio:g}:1 and threshold_db={threshold:g} look sane "
                    f"(about {implied_gr:.0f} dB of reduction on -6 dBFS peaks).",
                    None,
                )
            )
    attack = params.get("attack_ms")
    if isinstance(attack, float):
        floor = limits["min_attack_ms"].get(role, limits["min_attack_ms"]["other"])
        if attack < floor:
            out.append(
                (
                    f"attack_ms={attack:g} ms is so fast it kills {the_sources(role)} transients; "
                    f"start at {_range(*point.attack_ms, 'ms')}.",
                    "attack_ms",
                )
            )
        else:
            out.append(
                (
                    f"attack_ms={attack:g} ms is fine for {a_source(role)} "
                    f"(typical {_range(*point.attack_ms, 'ms')}).",
                    None,
                )
            )
    release = params.get("release_ms")
    if isinstance(release, float):
        quarter = _quarter_ms(session_facts)
        low, high = point.release_ms
        high = max(high, 2 * quarter) if quarter else 2.5 * high
        if release > high or release < low / 3:
            tempo = (
                f" at {60000 / quarter:.0f} BPM (quarter note {quarter:.0f} ms)" if quarter else ""
            )
            out.append(
                (
                    f"release_ms={release:g} ms is far outside {_range(low, high, 'ms')} for "
                    f"{a_source(role)}{tempo}: it will {'pump and never recover' if release > high else 'distort and flutter'}.",
                    "release_ms",
                )
            )
    makeup = params.get("makeup_db")
    if isinstance(makeup, float) and makeup > limits["max_makeup_db"]:
        out.append(
            (
                f"makeup_db={makeup:g} dB is far too much make-up gain; level-match "
                f"(usually 0–{limits['max_makeup_db']} dB, about the gain reduction).",
                "makeup_db",
            )
        )
    return out


def _limiter_feedback(params: dict, limits: dict):
    ceiling = params.get("ceiling_db")
    if not isinstance(ceiling, float):
        return []
    target = limits["streaming_ceiling_dbtp"]
    if ceiling > target:
        return [
            (
                f"ceiling_db={ceiling:g} dB is above {target:g} dBTP: lossy streaming encodes will "
                f"clip; set the ceiling to {target:g} dBTP with true-peak detection on.",
                "ceiling_db",
            )
        ]
    return [(f"ceiling_db={ceiling:g} dB is safe for streaming (≤ {target:g} dBTP).", None)]


def _eq_feedback(params: dict, limits: dict):
    low, high = limits["harsh_band_hz"]
    out = []
    bands = sorted({k.split("_")[1] for k in params if k.startswith("band_")})
    for n in bands:
        freq, gain, q = (params.get(f"band_{n}_{f}") for f in ("freq_hz", "gain_db", "q"))
        if not isinstance(gain, float):
            continue
        harsh = isinstance(freq, float) and low <= freq <= high
        if (
            harsh
            and gain >= limits["harsh_boost_db"]
            and isinstance(q, float)
            and q >= limits["harsh_q"]
        ):
            out.append(
                (
                    f"band_{n}_gain_db=+{gain:g} dB at band_{n}_freq_hz={freq:g} Hz with band_{n}_q="
                    f"{q:g} is a big narrow boost in the harsh {low / 1000:g}–{high / 1000:g} kHz band; "
                    f"keep it under +{limits['harsh_boost_db'] - 3} dB with Q 1–2, or cut instead.",
                    f"band_{n}_gain_db",
                )
            )
        elif gain > limits["max_eq_boost_db"]:
            out.append(
                (
                    f"band_{n}_gain_db=+{gain:g} dB is an extreme boost; over "
                    f"+{limits['max_eq_boost_db']} dB usually means the wrong tool.",
                    f"band_{n}_gain_db",
                )
            )
    return out or [("The EQ moves are moderate: no big narrow boost in the harsh band.", None)]


def _space_feedback(plugin_type: str, params: dict, role: str, session_facts, limits: dict):
    out = []
    quarter = _quarter_ms(session_facts)
    decay = params.get("decay_s")
    if isinstance(decay, float):
        most = limits["reverb_decay_s"]["max_default"]
        if quarter:
            most = min(most, limits["reverb_decay_s"]["max_quarter_notes"] * quarter / 1000)
        if role in ("snare", "kick", "drum bus", "vocal") and not quarter:
            most = min(most, 3.0)
        key = "decay_s" if decay > most else None
        verdict = "is far too long and will wash the mix" if key else "is reasonable"
        out.append((f"decay_s={decay:g} s {verdict} (aim for up to {most:.1f} s here).", key))
    feedback = params.get("feedback_pct")
    if isinstance(feedback, float) and feedback >= limits["delay_feedback_max_pct"]:
        out.append((f"feedback_pct={feedback:g}% runs away; keep it at 15–40%.", "feedback_pct"))
    return out


def _detail_feedback(plugin_type: str, params: dict, role: str, limits: dict):
    out = []
    attack = params.get("attack_ms")
    if (
        plugin_type == "gate"
        and isinstance(attack, float)
        and attack > limits["gate_attack_max_ms_drums"]
    ):
        out.append(
            (
                f"attack_ms={attack:g} ms lets the gate open late and chops {the_sources(role)} "
                f"transient; use 0.01–1 ms on drums.",
                "attack_ms",
            )
        )
    if plugin_type == "de-esser":
        low, high = limits["deesser_freq_hz"]
        freq, depth = params.get("freq_hz"), params.get("range_db")
        if isinstance(freq, float) and not low <= freq <= high:
            out.append(
                (
                    f"freq_hz={freq:g} Hz is outside the sibilance band {low / 1000:g}–"
                    f"{high / 1000:g} kHz; sweep for the esses (usually 5–8 kHz).",
                    "freq_hz",
                )
            )
        if isinstance(depth, float) and abs(depth) > limits["deesser_max_range_db"]:
            out.append(
                (
                    f"range_db={depth:g} dB of de-essing will make the singer lisp; "
                    f"3–6 dB is typical.",
                    "range_db",
                )
            )
    drive = params.get("drive_db")
    if isinstance(drive, float) and drive > limits["saturation_drive_max_db"]:
        out.append(
            (
                f"drive_db={drive:g} dB is heavy distortion; blend with mix_pct or use 3–8 dB.",
                "drive_db",
            )
        )
    return out


def review(plugin_type: str, params: dict, *, role: str | None, session_facts=None):
    """Feedback lines ('problem: ...' or 'ok: ...') and the parameter keys flagged."""
    limits = load().screenshot_limits
    role = role or "other"
    items = []
    if plugin_type in ("compressor", "limiter") or "ratio" in params:
        items += _dynamics_feedback(params, role, session_facts, limits)
    if plugin_type == "limiter":
        items += _limiter_feedback(params, limits)
    if plugin_type == "eq":
        items += _eq_feedback(params, limits)
    items += _space_feedback(plugin_type, params, role, session_facts, limits)
    items += _detail_feedback(plugin_type, params, role, limits)
    if not params:
        return [
            "note: no plugin settings could be read from this screenshot; a crop of the "
            "plugin window at 100% zoom or larger, with its labels and values, reads best"
        ], []
    if not items:
        items = [("No settings I can judge were read from this screenshot.", None)]
    feedback = [f"{'problem' if key else 'ok'}: {message}" for message, key in items]
    problems = [key for _, key in items if key]
    return feedback, problems
