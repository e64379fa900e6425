"""Text for the chat UI: track rows, what changed, version rows, meters and tables (settings
themselves are written by ``mixchat.tools.settings_text``, in its compact register).

Pure functions of states, versions and metrics, so the widgets stay thin and these stay testable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from mixchat.dsp.state import MixState, TrackState
from mixchat.tools.settings_text import dynamics_compact, eq_compact, hz, pan, sends_compact

CHANGED_STYLE = "bold black on yellow"
SECTION_STYLES = ("on #2d4f6c", "on #5c3d62", "on #3f5f3a", "on #6b4a2b", "on #3c3c6e")
BAND_LABELS = {
    "sub": "sub",
    "low": "low",
    "low_mid": "lo-mid",
    "mid": "mid",
    "presence": "pres",
    "air": "air",
}


# --- numbers -------------------------------------------------------------------------
def seconds(value_s: float) -> str:
    minutes, rest = divmod(round(max(0.0, value_s)), 60)
    return f"{minutes}:{rest:02d}"


# --- one track, one line -------------------------------------------------------------
def changed_fields(
    track: TrackState,
    before: TrackState | None,
    *,
    rides: tuple = (),
    rides_before: tuple = (),
) -> set[str]:
    """Which of gain (fader and section rides) / pan / eq / dynamics / sends changed."""
    if before is None:
        return set()
    pairs = {
        "gain": (track.gain_db, track.trim_db, track.mute, rides),
        "pan": (track.pan, track.width),
        "eq": (eq_compact(track), track.eq),
        "dynamics": (track.gate, track.compressor, track.transient, track.saturation),
        "sends": (track.reverb_send_db, track.delay_send_db),
    }
    old = {
        "gain": (before.gain_db, before.trim_db, before.mute, rides_before),
        "pan": (before.pan, before.width),
        "eq": (eq_compact(before), before.eq),
        "dynamics": (before.gate, before.compressor, before.transient, before.saturation),
        "sends": (before.reverb_send_db, before.delay_send_db),
    }
    return {key for key, value in pairs.items() if value != old[key]}


def _cell(text: str, changed: bool, *, justify: str = "left") -> Text:
    return Text(text, style=CHANGED_STYLE if changed else "", justify=justify)  # type: ignore[arg-type]


def track_row(
    track: TrackState,
    before: TrackState | None,
    *,
    rides: tuple = (),
    rides_before: tuple = (),
) -> tuple[Text, ...]:
    """Name, role, gain (~ when it rides per section), pan and a one-line EQ · dynamics ·
    sends summary, with what changed since ``before`` highlighted."""
    changed = changed_fields(track, before, rides=rides, rides_before=rides_before)
    gain = "mute" if track.mute else f"{track.gain_db:+.1f}" + ("~" if rides else " ")
    processing = Text()
    for key, text in (
        ("eq", eq_compact(track)),
        ("dynamics", dynamics_compact(track)),
        ("sends", sends_compact(track)),
    ):
        if not text and key in changed:
            text = f"{key} off"
        if not text:
            continue
        if processing:
            processing.append(" · ", style="dim")
        processing.append(text, style=CHANGED_STYLE if key in changed else "")
    return (
        Text(track.name, style="bold" if changed else ""),
        Text(track.role, style="dim"),
        _cell(gain, "gain" in changed, justify="right"),
        _cell(pan(track.pan), "pan" in changed, justify="right"),
        processing or Text("—", style="dim"),
    )


def rides_of(state: MixState, name: str) -> tuple:
    return tuple(a for a in state.automation if a.track == name)


def track_rows(state: MixState, parent: MixState | None) -> list[tuple[Text, ...]]:
    before = {t.name: t for t in parent.tracks} if parent else {}
    return [
        track_row(
            t,
            before.get(t.name) if parent else None,
            rides=rides_of(state, t.name),
            rides_before=rides_of(parent, t.name) if parent else (),
        )
        for t in state.tracks
    ]


def changed_tracks(state: MixState, parent: MixState | None) -> list[str]:
    if parent is None:
        return []
    before = {t.name: t for t in parent.tracks}
    return [
        t.name
        for t in state.tracks
        if changed_fields(
            t,
            before.get(t.name),
            rides=rides_of(state, t.name),
            rides_before=rides_of(parent, t.name),
        )
    ]


# --- versions ------------------------------------------------------------------------
def version_marks(number: int, *, current: int | None, a: int | None, b: int | None) -> Text:
    marks = Text()
    marks.append("▶" if number == current else " ", style="bold green")
    marks.append("A" if number == a else " ", style="bold cyan")
    marks.append("B" if number == b else " ", style="bold magenta")
    return marks


def version_title(version: Any) -> str:
    if version.brief:
        return version.brief
    return {"new": "unity sum", "automix": "automix"}.get(version.kind, version.kind)


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def version_row(version: Any, *, current: int | None, a: int | None, b: int | None) -> tuple:
    return (
        version_marks(version.version, current=current, a=a, b=b),
        Text(f"v{version.version}", justify="right"),
        Text(clip(version_title(version), 30), style="bold" if version.version == current else ""),
        Text(clip(version.summary or "", 34), style="dim"),
    )


# --- meters --------------------------------------------------------------------------
def spectrum_values(mix: dict[str, Any]) -> list[float]:
    """Band shares (dB, ≤ 0) lifted to positive bar heights for a Sparkline."""
    shares = mix.get("band_shares_db") or {}
    return [max(0.0, 60.0 + float(shares[band])) for band in BAND_LABELS if band in shares]


def spectrum_caption(mix: dict[str, Any]) -> str:
    shares = mix.get("band_shares_db") or {}
    return " ".join(f"{BAND_LABELS[b]} {shares[b]:.0f}" for b in BAND_LABELS if b in shares)


def loudness_text(mix: dict[str, Any], master_enabled: bool) -> Text:
    if not mix:
        return Text("not measured yet", style="dim")
    text = Text()
    text.append(f"{mix.get('integrated_lufs', float('nan')):.1f}", style="bold")
    text.append(" LUFS  ")
    peak = mix.get("true_peak_dbtp", float("nan"))
    text.append(f"{peak:+.1f}", style="bold red" if peak > -1.0 else "bold")
    text.append(" dBTP  ")
    if "loudness_range_lu" in mix:
        text.append(f"LRA {mix['loudness_range_lu']:.1f}  ", style="dim")
    if "spectral_centroid_hz" in mix:
        text.append(f"centroid {hz(mix['spectral_centroid_hz'])}  ", style="dim")
    text.append("master on" if master_enabled else "master off", style="dim")
    return text


def sections_bar(sections: list[dict[str, Any]], *, width: int, duration_s: float) -> Text:
    """One line of labelled spans, each as wide as its share of the song, with its start time."""
    if not sections or width < 8 or duration_s <= 0:
        return Text("no sections detected", style="dim")
    bar = Text()
    used = 0
    for index, section in enumerate(sections):
        end = width if index == len(sections) - 1 else round(width * section["end_s"] / duration_s)
        span = max(1, end - used)
        label = f"{section['label']} {seconds(section['start_s'])}"
        level = section.get("lufs")
        if level is not None and len(label) + 8 <= span:
            label += f" {level:.0f} LU"
        bar.append(
            f" {label}"[:span].ljust(span), style=SECTION_STYLES[index % len(SECTION_STYLES)]
        )
        used += span
    return bar


# --- chat ----------------------------------------------------------------------------
HEADER_LINE = re.compile(r"^\*\*Version \d+\*\* \([^)]*\)$")


def reply_markdown(text: str) -> str:
    """Replies separate paragraphs with single newlines; Markdown needs blank lines.

    A bare "**Version N** (from …)" header line is dropped: the log titles each reply itself.
    """
    lines = text.splitlines()
    if lines and HEADER_LINE.match(lines[0].strip()):
        lines = lines[1:]
    out: list[str] = []
    for line in lines:
        is_item = line.lstrip().startswith(("- ", "* ", "|"))
        previous_item = bool(out) and out[-1].lstrip().startswith(("- ", "* ", "|"))
        if out and out[-1] and not (is_item and previous_item):
            out.append("")
        out.append(line)
    return "\n".join(out)


def call_text(tool: str, args: dict[str, Any]) -> str:
    shown = ", ".join(f"{key}={value!r}" for key, value in args.items())
    return f"{tool}({shown})"


METRIC_LABELS = {
    "integrated_lufs": "loudness (LUFS)",
    "true_peak_dbtp": "true peak (dBTP)",
    "loudness_range_lu": "loudness range (LU)",
    "plr_db": "PLR (dB)",
    "spectral_centroid_hz": "centroid (Hz)",
    "spectral_tilt_db_per_octave": "tilt (dB/oct)",
    "stereo_width": "stereo width",
    "correlation": "correlation",
}


def metric_label(metric: str) -> str:
    if metric.startswith("band "):
        return f"{BAND_LABELS.get(metric[5:], metric[5:])} share (dB)"
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def comparison_title(data: dict[str, Any]) -> Text:
    return Text.assemble(
        (f"A/B  v{data['a']} vs v{data['b']}", "bold"),
        f"  level-matched at {data['matched_lufs']:.1f} LUFS "
        f"(A {data['gain_a_db']:+.1f} dB, B {data['gain_b_db']:+.1f} dB)",
    )


def comparison_table(data: dict[str, Any]) -> Table:
    """The level-matched metrics side by side; differences that matter in bold."""
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), show_edge=False)
    table.add_column("metric")
    table.add_column(f"A v{data['a']}", justify="right", style="cyan")
    table.add_column(f"B v{data['b']}", justify="right", style="magenta")
    table.add_column("Δ B−A", justify="right")
    for row in data["metrics"]:
        delta = row["delta"]
        small = abs(delta) < (0.005 if abs(row["a"]) < 2 else 0.05)
        table.add_row(
            metric_label(row["metric"]),
            f"{row['a']:.2f}",
            f"{row['b']:.2f}",
            Text(f"{delta:+.2f}", style="dim" if small else "bold yellow"),
        )
    return table


def settings_summary(data: dict[str, Any]) -> str:
    """Which tracks / buses the two versions' settings differ on."""
    places: list[str] = []
    for item in data["settings"]:
        parts = item["setting"].split(".")
        place = parts[1] if parts[0] == "tracks" and len(parts) > 1 else parts[0]
        place = place.split("[")[0]
        if place not in places:
            places.append(place)
    if not places:
        return "The two versions have the same settings."
    return f"{len(data['settings'])} setting(s) differ, on: {', '.join(places)}."


# --- session folders -----------------------------------------------------------------
def session_path_for(stems_dir: Path) -> Path:
    """``<stems_dir>.mix`` beside the stems, or ``<stems_dir>-2.mix`` … when taken."""
    stems_dir = Path(stems_dir).resolve()
    candidate = stems_dir.with_name(f"{stems_dir.name}.mix")
    number = 2
    while candidate.exists():
        candidate = stems_dir.with_name(f"{stems_dir.name}-{number}.mix")
        number += 1
    return candidate
