"""`mixchat feedback STEM [--role ROLE]`: one stem judged as a stem, for its role.

Clean-up faults, clipping, a limiter already on it, silence at the start and end, timing
against the other stems of a session, a reverb tail printed on it, whether its channel count
makes sense for the role, and the preparation advice a mix engineer gives (session rate,
peaks under -6 dBFS, no master processing, one start point for every stem). A finished
mix's tonal targets are not applied: a bass is meant to be bass-heavy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.assistant.inspection.checks import item
from mixchat.assistant.inspection.cleanup_items import cleanup_items
from mixchat.dsp.analysis import analyze_stem
from mixchat.dsp.audio_io import load_audio
from mixchat.dsp.cleanup.detect import StemFaults, detect_faults
from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.roles import ROLES, infer_role, role_from_name

Item = dict[str, Any]
Progress = Callable[[str, float], None]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
HEADROOM_DBFS = -6.0
SILENT_DBFS = -60.0
FRAME_S = 0.01
TAIL_LONG_S = 1.2
DRY_ROLES = {"vocal", "lead_vocal", "backing_vocal", "bass", "kick", "snare", "guitar", "toms"}
CENTRE_ROLES = {"bass", "kick", "vocal", "lead_vocal", "snare"}
STEREO_ROLES = {"pad", "overheads", "strings", "keys"}
TIMING_MAX_S = 0.05
TIMING_MIN_S = 0.004


def is_stem_file(path: Path, role: str | None) -> bool:
    """A single audio file is judged as a stem when a role is given or its name says one."""
    return role is not None or role_from_name(Path(path).stem) is not None


def check_role(role: str) -> str:
    wanted = role.strip().lower().replace(" ", "_").replace("-", "_")
    if wanted not in ROLES and wanted != "lead_vocal":
        raise AudioFileError(f"--role {role!r} is not a role; use one of {', '.join(ROLES)}")
    return wanted


def _frames_db(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    size = max(1, int(FRAME_S * sample_rate))
    count = audio.shape[1] // size
    framed = audio[:, : count * size].reshape(audio.shape[0], count, size)
    power = np.einsum("cfs,cfs->f", framed, framed, dtype=np.float64) / (audio.shape[0] * size)
    return 10.0 * np.log10(np.maximum(power, 1e-20))


def edge_silence(level_db: np.ndarray) -> tuple[float, float]:
    """(seconds before the first and after the last frame over SILENT_DBFS)."""
    playing = np.flatnonzero(level_db > SILENT_DBFS)
    if playing.size == 0:
        return level_db.size * FRAME_S, 0.0
    return playing[0] * FRAME_S, (level_db.size - 1 - playing[-1]) * FRAME_S


def tail_seconds(level_db: np.ndarray) -> float | None:
    """Median time a phrase end takes to fall from 10 to 40 dB under its level (a printed
    reverb tail keeps falling slowly; a dry part stops). None with too few phrase ends."""
    loud = float(np.percentile(level_db, 95))
    times = []
    i = 1
    while i < level_db.size - 1:
        if level_db[i - 1] >= loud - 15.0 and level_db[i] < level_db[i - 1] - 3.0:
            start = level_db[i - 1]
            ahead = level_db[i : i + int(3.0 / FRAME_S)]
            first = np.flatnonzero(ahead <= start - 10.0)
            last = np.flatnonzero(ahead <= start - 40.0)
            rises = np.flatnonzero(ahead > start - 3.0)
            if first.size and last.size and (not rises.size or rises[0] > last[0]):
                times.append((last[0] - first[0]) * FRAME_S)
                i += int(last[0]) + 1
                continue
        i += 1
    return float(np.median(times)) if len(times) >= 3 else None


def _onset_envelope(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    level = _frames_db(audio, sample_rate)
    return np.maximum(np.diff(level, prepend=level[0]), 0.0)


def timing_offset_s(audio: np.ndarray, others: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """(lag of the stem against the others, correlation there) from onset envelopes."""
    a, b = _onset_envelope(audio, sample_rate), _onset_envelope(others, sample_rate)
    n = min(a.size, b.size)
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    reach = int(TIMING_MAX_S / FRAME_S)
    norm = math.sqrt(float(np.dot(a, a) * np.dot(b, b))) or 1.0
    lags = range(-reach, reach + 1)
    corr = [
        float(np.dot(a[max(k, 0) : n + min(k, 0)], b[max(-k, 0) : n - max(k, 0)])) / norm
        for k in lags
    ]
    best = int(np.argmax(corr))
    return lags[best] * FRAME_S, corr[best]


def _level_items(name: str, metrics: Any) -> list[Item]:
    items = []
    if metrics.clipped_samples > 0:
        items.append(
            item(
                "clipping",
                "high",
                f"{name} is clipped",
                f"{metrics.clipped_samples} samples in {metrics.clipped_runs} runs sit at full scale.",
                f"Re-export {name} with its level down (clip gain or fader, not a limiter); "
                "clipping in the file cannot be undone.",
                stem=name,
                clipped_samples=metrics.clipped_samples,
            )
        )
    if metrics.looks_limited:
        items.append(
            item(
                "limited_stem",
                "medium",
                f"A limiter is already on {name}",
                f"Peaks pile up at {metrics.sample_peak_dbfs:.1f} dBFS with "
                f"{metrics.crest_factor_db:.1f} dB crest factor.",
                "Export without the channel or master-bus limiter: the mix needs the peaks.",
                stem=name,
                sample_peak_dbfs=metrics.sample_peak_dbfs,
                crest_factor_db=metrics.crest_factor_db,
            )
        )
    if metrics.sample_peak_dbfs > HEADROOM_DBFS and metrics.clipped_samples == 0:
        items.append(
            item(
                "stem_headroom",
                "low",
                f"{name} peaks at {metrics.sample_peak_dbfs:.1f} dBFS",
                f"Stems mix best with peaks below {HEADROOM_DBFS:g} dBFS.",
                f"Export {name} {metrics.sample_peak_dbfs - HEADROOM_DBFS:.1f} dB lower "
                "(fader or clip gain).",
                stem=name,
                sample_peak_dbfs=metrics.sample_peak_dbfs,
            )
        )
    return items


def _shape_items(name: str, role: str, audio: np.ndarray, sample_rate: int) -> list[Item]:
    items = []
    level = _frames_db(audio, sample_rate)
    lead, trail = edge_silence(level)
    items.append(
        item(
            "edge_silence",
            "info",
            f"{name}: {lead:.2f} s of silence at the start, {trail:.2f} s at the end",
            "Silence at the start is right when every stem was exported from the same start "
            "point (bar 1 or 0:00).",
            "Export every stem from the same start to the same end; do not trim the silence.",
            stem=name,
            start_silence_s=lead,
            end_silence_s=trail,
        )
    )
    tail = tail_seconds(level)
    if tail is not None and tail >= TAIL_LONG_S and role in DRY_ROLES:
        items.append(
            item(
                "reverb_tail",
                "low",
                f"A reverb tail is printed on {name}",
                f"Phrase ends take {tail:.1f} s to fall from 10 to 40 dB down: a {role.replace('_', ' ')} "
                "usually comes dry.",
                f"Send {name} dry (and the wet version as a separate stem) so the space is set in the mix.",
                stem=name,
                tail_s=tail,
            )
        )
    if audio.shape[0] == 2:
        mid = float(np.mean(np.square((audio[0] + audio[1]) / 2.0, dtype=np.float64)))
        side = float(np.mean(np.square((audio[0] - audio[1]) / 2.0, dtype=np.float64)))
        side_db = 10.0 * math.log10(max(side, 1e-20) / max(mid, 1e-20))
        if side_db < -50.0:
            items.append(
                item(
                    "dual_mono",
                    "info",
                    f"{name} is mono in a stereo file",
                    f"Its two channels are the same (side {side_db:.0f} dB under mid).",
                    "Fine to mix; a mono export halves the size and makes the intent clear.",
                    stem=name,
                    side_vs_mid_db=side_db,
                )
            )
        elif role in CENTRE_ROLES and side_db > -12.0:
            items.append(
                item(
                    "wide_stem",
                    "low",
                    f"{name} is wide for a {role.replace('_', ' ')}",
                    f"Its side signal is {side_db:.0f} dB against the mid; this part usually sits "
                    "in the centre.",
                    "Check a stereo effect was not printed by mistake; export it mono if not.",
                    stem=name,
                    side_vs_mid_db=side_db,
                )
            )
    elif role in STEREO_ROLES:
        items.append(
            item(
                "mono_stem",
                "info",
                f"{name} is mono",
                f"A {role} is often a stereo source.",
                "If it was recorded or programmed in stereo, export both channels.",
                stem=name,
                channels=1,
            )
        )
    return items


def preparation_item(name: str, rate: int, session_rate: int | None) -> Item:
    wanted = session_rate or rate
    return item(
        "stem_preparation",
        "medium" if session_rate and rate != session_rate else "info",
        "Stem preparation",
        f"{name} was exported at {rate} Hz"
        + (f"; the session runs at {session_rate} Hz." if session_rate else "."),
        f"Export every stem at the session rate ({wanted} Hz), 24-bit, peaks below "
        f"{HEADROOM_DBFS:g} dBFS, with no master-bus processing (no limiter, no bus EQ) and "
        "from one start point, so they line up.",
        stem=name,
        sample_rate=rate,
        session_rate=session_rate,
    )


def judge_stem(
    name: str,
    audio: np.ndarray,
    *,
    sample_rate: int,
    role: str,
    file_rate: int,
    session_rate: int | None = None,
    others: np.ndarray | None = None,
    faults: StemFaults | None = None,
) -> list[Item]:
    metrics = analyze_stem(audio, sample_rate=sample_rate, name=name)
    if metrics.is_silent:
        return [
            item(
                "silent_stem",
                "medium",
                f"{name} is silent",
                f"{name} peaks at {metrics.sample_peak_dbfs:.0f} dBFS.",
                f"Re-export {name}.",
                stem=name,
            )
        ]
    found = faults or detect_faults(audio, sample_rate=sample_rate, role=role)
    items = cleanup_items(name, found)
    items += _level_items(name, metrics)
    items += _shape_items(name, role, audio, sample_rate)
    if others is not None:
        lag, corr = timing_offset_s(audio, others, sample_rate)
        if abs(lag) >= TIMING_MIN_S and corr >= 0.2:
            items.append(
                item(
                    "timing",
                    "medium",
                    f"{name} is {abs(lag) * 1000:.0f} ms {'late' if lag > 0 else 'early'}",
                    f"Its onsets line up best with the other stems {lag * 1000:+.0f} ms off "
                    f"(correlation {corr:.2f}).",
                    "Re-export from the same start point, with the DAW's delay compensation on.",
                    stem=name,
                    offset_ms=lag * 1000.0,
                    correlation=corr,
                )
            )
    items.append(preparation_item(name, file_rate, session_rate))
    return sorted(items, key=lambda i: SEVERITY_ORDER[i["severity"]])


def stem_file_feedback(path: Path, *, role: str | None, progress: Progress) -> dict[str, Any]:
    progress("loading", 0.1)
    loaded = load_audio(Path(path))
    name = Path(path).stem
    chosen = (
        check_role(role)
        if role
        else infer_role(name, loaded.audio, sample_rate=loaded.sample_rate).role
    )
    progress("judging the stem", 0.3)
    items = judge_stem(
        name,
        loaded.audio,
        sample_rate=loaded.sample_rate,
        role=chosen,
        file_rate=loaded.source_rate or loaded.sample_rate,
    )
    return {"source": str(path), "kind": "stem", "stem": name, "role": chosen, "items": items}


def session_stem_feedback(
    session_path: Path, stem: str, *, role: str | None, progress: Progress
) -> dict[str, Any]:
    from mixchat.tools.base import resolve_track  # noqa: PLC0415 - the session layer loads late
    from mixchat.tools.cleanup_faults import stem_faults
    from mixchat.tools.engine import Engine
    from mixchat.tools.session import Session

    session = Session.open(Path(session_path))
    state = session.load().state
    track = resolve_track(state, stem)
    engine = Engine.for_session(session)
    sources = engine.stem_sources()
    chosen = check_role(role) if role else track.role
    progress("judging the stem", 0.3)
    audio = sources[track.name].array()
    others = None
    for other in state.tracks:  # one other stem in memory at a time
        if other.name != track.name:
            mono = sources[other.name].array().mean(axis=0)
            others = mono if others is None else others + mono
    meta = next(s for s in session.meta.stems if s.name == track.name)
    items = judge_stem(
        track.name,
        audio,
        sample_rate=session.meta.sample_rate,
        role=chosen,
        file_rate=meta.source_rate or session.meta.sample_rate,
        session_rate=session.meta.sample_rate,
        others=others[None, :] if others is not None else None,
        faults=stem_faults(engine, track.model_copy(update={"role": chosen})),
    )
    return {
        "source": str(session_path),
        "kind": "stem",
        "stem": track.name,
        "role": chosen,
        "items": items,
    }
