"""Processed stems: every track post-fader with pan, each bus return, mix.wav, and a sidecar
(stems.json + README.txt) that says for every track what was processed and by which move.

Attribution walks the version lineage (version -> parent -> ... -> 0). Every setting that
changed between a version and its parent is credited to that version's origin: the automix,
a brief (quoted), a revert. Version 0 is the untouched import, so a track nobody moved is
reported as not processed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.dsp.audio_io import write_audio
from mixchat.dsp.render import safe_file_stem
from mixchat.dsp.state import MixState
from mixchat.tools.settings_text import master_lines, track_lines

ASSISTANT_KINDS_EXCLUDED = ("new", "manual", "import")


def lineage(session: Any, version: int) -> list[Any]:
    """Versions from the root to ``version`` (inclusive), following parents."""
    chain, seen = [], set()
    current: int | None = version
    while current is not None and current not in seen:
        seen.add(current)
        loaded = session.load(current)
        chain.append(loaded)
        current = loaded.parent
    return list(reversed(chain))


def origin_of(version: Any) -> str:
    if version.kind == "automix":
        return "automix"
    if version.brief:
        return f'brief "{version.brief}"'
    return version.kind + (f" ({version.summary})" if version.summary else "")


def _value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    if isinstance(value, float):
        return round(value, 3)
    return value


def _field_changes(before: dict, after: dict) -> list[dict[str, Any]]:
    return [
        {"field": key, "before": _value(before.get(key)), "after": _value(after.get(key))}
        for key in after
        if key not in ("name", "role") and before.get(key) != after.get(key)
    ]


def _mentions(args: dict[str, Any], names: set[str]) -> bool:
    values = [v for v in args.values()]
    flat = [x for v in values for x in (v if isinstance(v, (list, tuple)) else [v])]
    return any(isinstance(x, str) and x in names for x in flat)


def _moves_for(owner: str, aliases: set[str], get, versions: list[Any]) -> list[dict[str, Any]]:
    """Every change of ``owner``'s settings along the lineage, credited to its origin."""
    moves = []
    for parent, child in zip(versions, versions[1:]):
        before, after = get(parent.state), get(child.state)
        changes = _field_changes(before or {}, after or {})
        if not changes:
            continue
        tools = [c.tool for c in child.tool_calls if _mentions(c.args, aliases)]
        moves.append(
            {
                "version": child.version,
                "origin": origin_of(child),
                "kind": child.kind,
                "planner": child.planner,
                "ai": child.kind not in ASSISTANT_KINDS_EXCLUDED,
                "tools": tools,
                "changes": changes,
            }
        )
    return moves


def _track_dump(name: str):
    def get(state: MixState) -> dict | None:
        for track in state.tracks:
            if track.name == name:
                return track.model_dump(mode="json")
        return None

    return get


def _automation_of(name: str | None):
    def get(state: MixState) -> dict:
        items = [a.model_dump(mode="json") for a in state.automation if a.track == name]
        return {"automation": items} if items else {}

    return get


def attribution(session: Any, version: int) -> dict[str, Any]:
    """What was processed on every track, bus and the master, and which move did it."""
    versions = lineage(session, version)
    final = versions[-1].state
    tracks = {}
    for track in final.tracks:
        aliases = {track.name, track.role}
        moves = _moves_for(track.name, aliases, _track_dump(track.name), versions)
        moves += _moves_for(track.name, aliases, _automation_of(track.name), versions)
        moves.sort(key=lambda m: m["version"])
        tracks[track.name] = {
            "role": track.role,
            "settings": track_lines(track),
            "processed": bool(moves),
            "ai_processed": any(m["ai"] for m in moves),
            "moves": moves,
        }
    buses = {
        bus: {
            "settings": getattr(final, bus).model_dump(mode="json"),
            "moves": _moves_for(
                bus, {bus}, lambda s, b=bus: getattr(s, b).model_dump(mode="json"), versions
            ),
        }
        for bus in ("reverb", "delay")
    }
    master = {
        "settings": master_lines(final.master),
        "moves": _moves_for(
            "master", {"master"}, lambda s: s.master.model_dump(mode="json"), versions
        )
        + _moves_for("master", {"master"}, _automation_of(None), versions),
    }
    return {
        "lineage": [
            {
                "version": v.version,
                "parent": v.parent,
                "origin": origin_of(v),
                "kind": v.kind,
                "planner": v.planner,
                "summary": v.summary,
                "tools": [c.tool for c in v.tool_calls],
            }
            for v in versions
        ],
        "tracks": tracks,
        "buses": buses,
        "master": master,
    }


def _change_text(change: dict[str, Any]) -> str:
    return f"{change['field']}: {json.dumps(change['before'])} -> {json.dumps(change['after'])}"


def readme_text(
    report: dict[str, Any], *, version: int, files: dict[str, str], subtype: str, rate: int
) -> str:
    depth = "24-bit" if subtype == "PCM_24" else "32-bit float"
    lines = [
        f"mixchat processed stems of version {version}",
        "",
        f"Every file is {depth} WAV at {rate} Hz, post-fader with pan and automation,",
        "before the master chain; the files sum to mix.wav (the pre-master mix).",
        "",
        "Lineage: " + " -> ".join(f"v{v['version']} ({v['origin']})" for v in report["lineage"]),
        "",
    ]
    for name, info in report["tracks"].items():
        status = "AI-processed" if info["ai_processed"] else "not processed (as imported)"
        lines.append(f"{files.get(name, name)}  [{name}, role {info['role']}]: {status}")
        lines += [f"    now: {line}" for line in info["settings"]]
        for move in info["moves"]:
            lines.append(f"    v{move['version']} {move['origin']}:")
            lines += [f"        {_change_text(c)}" for c in move["changes"]]
        lines.append("")
    for bus, info in report["buses"].items():
        lines.append(f"{bus}_return.wav  [{bus} bus]")
        for move in info["moves"]:
            lines += [
                f"    v{move['version']} {move['origin']}: {_change_text(c)}"
                for c in move["changes"]
            ]
    lines += ["", "master (not applied to the stems):"]
    lines += [f"    {line}" for line in report["master"]["settings"]]
    for move in report["master"]["moves"]:
        lines += [
            f"    v{move['version']} {move['origin']}: {_change_text(c)}" for c in move["changes"]
        ]
    return "\n".join(lines) + "\n"


def write_stems(
    folder: Path,
    *,
    engine: Any,
    session: Any,
    version: int,
    state: MixState,
    progress=None,
) -> tuple[list[Path], list[str]]:
    """Render the stems, bus returns, mix.wav (and master.wav) and the sidecars into folder."""
    notes: list[str] = []
    subtype = "PCM_24"
    rendered = engine.render(
        state,
        master=state.master.enabled,
        stems_out=folder,
        stems_subtype=subtype,
        progress=progress,
    )
    peak = float(np.max(np.abs(rendered.premaster), initial=0.0))
    if peak >= 1.0:  # 24-bit would clip: write float files (the track renders are cached)
        subtype = "FLOAT"
        for stale in folder.glob("*.wav"):
            stale.unlink()
        rendered = engine.render(
            state,
            master=state.master.enabled,
            stems_out=folder,
            stems_subtype=subtype,
            progress=progress,
        )
        notes.append(
            f"the pre-master mix peaks at {20 * np.log10(peak):+.1f} dBFS, so the "
            "stems and mix.wav are 32-bit float WAV (24-bit would clip)"
        )
    rate = rendered.sample_rate
    write_audio(folder / "mix.wav", rendered.premaster, sample_rate=rate, subtype=subtype)
    files = sorted(p for p in folder.glob("*.wav"))
    if rendered.master_result is not None:
        write_audio(folder / "master.wav", rendered.audio, sample_rate=rate, subtype="PCM_24")
        files.append(folder / "master.wav")
        notes.append("master.wav is the mastered mix; the stems sum to mix.wav (pre-master)")
    silent = [t.name for t in state.tracks if t not in state.audible_tracks()]
    if silent:
        notes.append(f"muted or not soloed, so not written: {', '.join(silent)}")
    report = attribution(session, version)
    names = {t.name: f"{safe_file_stem(t.name)}.wav" for t in state.audible_tracks()}
    sidecar = {
        "version": version,
        "sample_rate": rate,
        "subtype": subtype,
        "files": {
            "mix": "mix.wav",
            "tracks": names,
            "returns": sorted(p.name for p in files if p.name.endswith("_return.wav")),
            "master": "master.wav" if rendered.master_result is not None else None,
        },
        **report,
    }
    (folder / "stems.json").write_text(
        json.dumps(sidecar, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (folder / "README.txt").write_text(
        readme_text(report, version=version, files=names, subtype=subtype, rate=rate),
        encoding="utf-8",
    )
    return [*files, folder / "stems.json", folder / "README.txt"], notes
