"""Human-readable output of the command line (rich tables); JSON goes through console.print_json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mixchat.assistant.cli.console import out
from mixchat.assistant.turn.summaries import role_rows, session_summary


def _table(*columns: str, **options: Any) -> Any:
    """A rich ``Table`` (imported here: a command that prints none does not load it)."""
    from rich.table import Table

    return Table(*columns, **options)


def _num(value: Any, digits: int = 1) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            return "–"
        return f"{value:.{digits}f}"
    return str(value)


def print_session(session: Any) -> None:
    data = session_summary(session)
    out.print(
        f"[bold]Session[/] {data['session']}: {len(data['stems'])} stems, {data['duration_s']:.1f} s at {data['sample_rate']} Hz"
        + (f", ~{data['tempo_bpm']:g} BPM" if data["tempo_bpm"] else "")
    )
    print_roles(role_rows(session))
    print_sections(data["sections"])
    out.print(
        "Version 0 (unity sum) saved. Next: [bold]mixchat automix -s " + data["session"] + "[/]"
    )


def print_sections(sections: list[dict[str, Any]]) -> None:
    if sections:
        out.print(
            "Sections: "
            + "  ".join(f"{s['label']} {s['start_s']:.1f}–{s['end_s']:.1f}s" for s in sections)
        )


def print_roles(rows: list[dict[str, Any]]) -> None:
    table = _table("track", "role", "confidence", "from", box=None)
    for row in rows:
        table.add_row(row["track"], row["role"], f"{row['confidence']:.2f}", row["source"])
    out.print(table)


def print_versions(rows: list[dict[str, Any]]) -> None:
    table = _table("v", "parent", "brief", "summary", "created", box=None)
    for row in rows:
        mark = "*" if row["current"] else " "
        table.add_row(
            f"{mark}{row['version']}",
            "" if row["parent"] is None else str(row["parent"]),
            row["brief"] or row["kind"],
            row["summary"][:70],
            row["created"][:19],
        )
    out.print(table)


def print_diff(data: dict[str, Any]) -> None:
    out.print(f"[bold]Settings[/] v{data['a']} → v{data['b']}")
    if not data["settings"]:
        out.print("  identical settings")
    for row in data["settings"]:
        out.print(f"  {row['setting']}: {row['a']} → {row['b']}")
    print_metric_table(data["metrics"], data["a"], data["b"])


def print_metric_table(rows: list[dict[str, Any]], a: int, b: int) -> None:
    table = _table("metric", f"v{a}", f"v{b}", "Δ", box=None)
    for row in rows:
        digits = 0 if row["metric"].endswith("_hz") else 2 if row["unit"] == "" else 1
        table.add_row(
            f"{row['metric']} {row['unit']}".strip(),
            _num(row["a"], digits),
            _num(row["b"], digits),
            _num(row["delta"], digits),
        )
    out.print(table)


def print_ab(data: dict[str, Any]) -> None:
    out.print(
        f"[bold]A/B[/] v{data['a']} vs v{data['b']}, level-matched to {_num(data['matched_lufs'])} LUFS (gains {data['gain_a_db']:+.1f} / {data['gain_b_db']:+.1f} dB)"
    )
    for row in data["settings"][:30]:
        out.print(f"  {row['setting']}: {row['a']} → {row['b']}")
    if len(data["settings"]) > 30:
        out.print(f"  … and {len(data['settings']) - 30} more settings")
    print_metric_table(data["metrics"], data["a"], data["b"])
    for path in data.get("files", []):
        out.print(f"  wrote {path}")


def print_render(data: dict[str, Any]) -> None:
    out.print(
        f"Rendered v{data['version']} to {data['output']}: {_num(data['integrated_lufs'])} LUFS, true peak {_num(data['true_peak_dbtp'])} dBTP"
        + (" (mastered)" if data["mastered"] else "")
    )
    if data.get("stems_dir"):
        out.print(f"  {len(data['stem_files'])} post-fader files in {data['stems_dir']}")
    for note in data.get("notes", []):
        out.print(f"  [yellow]note:[/] {note}")


def print_analysis(data: dict[str, Any]) -> None:
    mix = data.get("mix") or {}
    if mix:
        out.print(
            f"[bold]Mix[/]: {_num(mix['integrated_lufs'])} LUFS, true peak {_num(mix['true_peak_dbtp'])} dBTP, "
            f"LRA {_num(mix['loudness_range_lu'])} LU, PLR {_num(mix['plr_db'])} dB, centroid {mix['spectral_centroid_hz']:.0f} Hz, "
            f"width {mix['stereo_width']:.2f}, correlation {mix['correlation']:.2f}"
        )
        out.print(
            "  bands (dB of total): "
            + "  ".join(f"{k} {v:+.1f}" for k, v in mix["band_shares_db"].items())
        )
    if data.get("stems"):
        table = _table("stem", "role", "LUFS", "dBTP", "crest dB", "centroid Hz", box=None)
        for stem in data["stems"]:
            table.add_row(
                stem["name"],
                stem.get("role", ""),
                _num(stem["lufs"]),
                _num(stem["true_peak_dbtp"]),
                _num(stem["crest_factor_db"]),
                f"{stem['spectral_centroid_hz']:.0f}",
            )
        out.print(table)
    print_sections(data.get("sections", []))
    for conflict in data.get("masking", [])[:6]:
        out.print(f"  masking: {conflict['summary']}")
    for path in data.get("plots", []):
        out.print(f"  plot: {path}")


def print_feedback(data: dict[str, Any]) -> None:
    colours = {"high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
    for item in data["items"]:
        colour = colours.get(item["severity"], "white")
        out.print(
            f"[{colour}]{item['severity'].upper():6}[/] [bold]{item['title']}[/]: {item['detail']}"
        )
        out.print(f"        → {item['action']}")
    for path in data.get("plots", []):
        out.print(f"  plot: {path}")


def print_master(data: dict[str, Any]) -> None:
    out.print(
        f"Mastered {data['input']} → {data['output']}: {_num(data['input_lufs'])} → {_num(data['output_lufs'])} LUFS "
        f"(target {_num(data['target_lufs'])}), true peak {_num(data['true_peak_dbtp'], 2)} dBTP (ceiling {_num(data['ceiling_dbtp'])}), "
        f"limiter up to {_num(data['limiter_reduction_db'])} dB"
    )
    for note in data.get("notes", []):
        out.print(f"  note: {note}")


def print_answer(data: dict[str, Any]) -> None:
    if data.get("note"):
        out.print(f"[yellow]note:[/] {data['note']}")
    out.print(data["answer"])
    if data.get("sources"):
        out.print("[dim]Sources: " + "; ".join(data["sources"]) + "[/]")


def print_screenshot(data: dict[str, Any]) -> None:
    kind = data["plugin_type"]
    kind = "type not recognised" if kind == "unknown" else kind
    out.print(f"[bold]{data.get('plugin_name') or 'Plugin'}[/] ({kind})")
    for key, value in data["parameters"].items():
        out.print(f"  {key}: {value}")
    for line in data["feedback"]:
        out.print(f"  • {line}")
    if data.get("llm_feedback"):
        out.print(f"[bold]Model's view[/] ({data.get('planner', 'llm')}): {data['llm_feedback']}")
    if data.get("note"):
        out.print(f"[yellow]note:[/] {data['note']}")


def batch_progress_line(row: dict[str, Any], finished: int, total: int) -> str:
    """One song that ended, as a log line (``batch`` on stderr when it is not a terminal)."""
    measured = (
        f" {_num(row['lufs'])} LUFS, {_num(row['true_peak_dbtp'], 2)} dBTP"
        if row["lufs"] is not None and row["true_peak_dbtp"] is not None
        else ""
    )
    took = f" in {_num(row['seconds'])} s" if row["seconds"] else ""
    reason = f": {row['reason']}" if row["reason"] and row["status"] != "skipped" else ""
    return f"[{finished}/{total}] {row['song']} {row['status']}{measured}{took}{reason}"


def print_batch(data: dict[str, Any], output: Path) -> None:
    table = _table("song", "status", "LUFS", "dBTP", "s", "reason", box=None)
    for row in data["songs"]:
        style = {"done": "green", "failed": "red"}.get(row["status"], "dim")
        table.add_row(
            row["song"],
            f"[{style}]{row['status']}[/]",
            _num(row["lufs"]) if row["lufs"] is not None else "–",
            _num(row["true_peak_dbtp"], 2) if row["true_peak_dbtp"] is not None else "–",
            _num(row["seconds"]),
            row["reason"] or "",
        )
    out.print(table)
    summary = data["summary"]
    rate = summary.get("songs_per_minute")
    pace = f", {rate:g} songs/min" if rate else ""
    out.print(
        f"{summary['done']} made, {summary['skipped']} already finished, {summary['failed']} failed"
        f"{pace} → {output / 'batch.json'}"
    )
