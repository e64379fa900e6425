"""REAPER export: a plain-text .rpp with the stems copied into a "Media" folder beside it.

Each stem is a track named like the stem with one media item, its fader (VOLPAN: linear
volume, pan -1..1), mute/solo (MUTESOLO), post-fader sends (AUXRECV on the "Reverb" and
"Delay" bus tracks), and its section automation as a volume envelope (VOLENV2, linear,
1.0 = 0 dB on top of the fader). Sections are project markers and the tempo is set.

ReaEQ and ReaComp keep their settings in a binary plug-in state that cannot be written
faithfully from here, so every track's processing is written, readably, in its <NOTES>
block (and all of it in the project notes).

Pan law: mixchat pans mono stems with constant power (-3 dB per side at centre); REAPER's
default balance leaves a centred mono item at 0 dB, so mono items carry -3 dB item gain to
keep the centre level equal (hard-panned mono tracks then differ by up to 3 dB).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mixchat.dsp.render import safe_file_stem
from mixchat.dsp.state import MixState, Section, TrackState
from mixchat.dsp.stems import StemReader, as_reader, write_stem_file
from mixchat.tools import settings_text
from mixchat.tools.export.common import (
    db_to_linear,
    envelope_points,
)

MONO_ITEM_GAIN = math.sqrt(0.5)
POST_FADER_MODE = 0  # AUXRECV mode 0: post-fader (post-pan)


def quote(text: str) -> str:
    """REAPER's quoting: double quotes, else single quotes, else back-ticks."""
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return "`" + text.replace("`", "'") + "`"


def guid(*parts: object) -> str:
    return (
        "{"
        + str(uuid.uuid5(uuid.NAMESPACE_URL, "mixchat:" + ":".join(map(str, parts)))).upper()
        + "}"
    )


def number(value: float) -> str:
    return f"{value:.10g}"


def notes_block(lines: Sequence[str], indent: str) -> list[str]:
    body = [f"{indent}  |{line}" for line in lines] or [f"{indent}  |"]
    return [f"{indent}<NOTES 0 2", *body, f"{indent}>"]


def volume_envelope(points: list[tuple[float, float]], *, name: str) -> list[str]:
    if not points:
        return []
    lines = [
        "    <VOLENV2",
        f"      EGUID {guid('env', name)}",
        "      ACT 1 -1",
        "      VIS 1 1 1",
        "      LANEHEIGHT 0 0",
        "      ARM 0",
        "      DEFSHAPE 0 -1 -1",
    ]
    lines += [f"      PT {number(t)} {number(db_to_linear(db))} 0" for t, db in points]
    return [*lines, "    >"]


def track_lines(
    track: TrackState,
    *,
    index: int,
    media: str,
    channels: int,
    duration_s: float,
    envelope: list[tuple[float, float]],
) -> list[str]:
    item_gain = MONO_ITEM_GAIN if channels == 1 else 1.0
    lines = [
        f"  <TRACK {guid('track', index, track.name)}",
        f"    NAME {quote(track.name)}",
        f"    VOLPAN {number(db_to_linear(track.gain_db))} {number(track.pan)} -1 -1 1",
        f"    MUTESOLO {int(track.mute)} {2 if track.solo else 0} 0",
        f"    IPHASE {int(track.polarity_inverted)}",
        "    NCHAN 2",
        "    MAINSEND 1 0",
        *notes_block(settings_text.track_lines(track), "    "),
        *volume_envelope(envelope, name=f"{index}:{track.name}"),
        "    <ITEM",
        "      POSITION 0",
        f"      LENGTH {number(duration_s)}",
        "      LOOP 0",
        f"      NAME {quote(track.name)}",
        f"      VOLPAN {number(item_gain)} 0 1 -1",
        "      SOFFS 0",
        f"      IGUID {guid('item', index, track.name)}",
        "      <SOURCE WAVE",
        f"        FILE {quote(media)}",
        "      >",
        "    >",
        "  >",
    ]
    return lines


def bus_lines(state: MixState, bus: str, *, index: int) -> list[str]:
    settings = getattr(state, bus)
    receives = []
    for source, track in enumerate(state.tracks):
        send_db = getattr(track, f"{bus}_send_db")
        if send_db is not None:
            receives.append(
                f"    AUXRECV {source} {POST_FADER_MODE} {number(db_to_linear(send_db))} 0 0 0 0 0 0 -1:U 0 -1 ''"
            )
    described = ", ".join(f"{k} {v:g}" for k, v in settings.model_dump().items())
    return [
        f"  <TRACK {guid('bus', bus)}",
        f"    NAME {quote(bus.title())}",
        f"    VOLPAN {number(db_to_linear(settings.return_db))} 0 -1 -1 1",
        "    MUTESOLO 0 0 0",
        "    NCHAN 2",
        "    MAINSEND 1 0",
        *receives,
        *notes_block(
            [
                f"mixchat {bus} bus: {described}",
                "add a reverb/delay plug-in here with these settings",
            ],
            "    ",
        ),
        "  >",
    ]


def rpp_text(
    state: MixState,
    *,
    media: Mapping[str, tuple[str, int]],
    sample_rate: int,
    duration_s: float,
    tempo_bpm: float,
    sections: Sequence[Section],
    project_notes: list[str],
) -> str:
    lines = [
        '<REAPER_PROJECT 0.1 "7.0/mixchat" 0',
        "  RIPPLE 0",
        f"  TEMPO {number(tempo_bpm)} 4 4",
        f"  SAMPLERATE {sample_rate} 0 0",
        "  MASTER_VOLUME 1 0 -1 -1 1",
        *notes_block(project_notes, "  "),
    ]
    for number_, section in enumerate(sections, start=1):
        lines.append(f"  MARKER {number_} {number(section.start_s)} {quote(section.label)} 0")
    for index, track in enumerate(state.tracks):
        path, channels = media[track.name]
        envelope = envelope_points(
            state,
            owners=(track.name, None),
            field="gain_db",
            sample_rate=sample_rate,
            duration_s=duration_s,
        )
        lines += track_lines(
            track,
            index=index,
            media=path,
            channels=channels,
            duration_s=duration_s,
            envelope=envelope,
        )
    lines += bus_lines(state, "reverb", index=len(state.tracks))
    lines += bus_lines(state, "delay", index=len(state.tracks) + 1)
    return "\n".join([*lines, ">", ""])


def project_notes(state: MixState, header: list[str]) -> list[str]:
    lines = [
        *header,
        "",
        "MASTER",
        *[f"  {line}" for line in settings_text.master_lines(state.master)],
    ]
    for track in state.tracks:
        lines += [
            "",
            track.name.upper(),
            *[f"  {line}" for line in settings_text.track_lines(track)],
        ]
    lines += [f"automation {settings_text.automation(item)}" for item in state.automation]
    lines += ["", "Mono stems carry -3 dB item gain (mixchat's constant-power pan law at centre)."]
    return lines


def write_reaper(
    folder: Path,
    *,
    rpp_name: str,
    state: MixState,
    sources: Mapping[str, np.ndarray | StemReader],
    sample_rate: int,
    tempo_bpm: float,
    sections: Sequence[Section],
    header: list[str],
    progress=None,
) -> list[Path]:
    """Write ``rpp_name`` and Media/*.wav into ``folder`` (a staging folder). Returns files."""
    media_dir = folder / "Media"
    media_dir.mkdir(exist_ok=True)
    media, files = {}, []
    frames = max(as_reader(a).frames for a in sources.values())
    for index, track in enumerate(state.tracks):
        if progress:
            progress(f"media {track.name}", index / max(len(state.tracks), 1))
        name = f"{index + 1:02d}_{safe_file_stem(track.name)}.wav"
        channels = write_stem_file(media_dir / name, sources[track.name], sample_rate=sample_rate)
        media[track.name] = (f"Media/{name}", channels)
        files.append(media_dir / name)
    text = rpp_text(
        state,
        media=media,
        sample_rate=sample_rate,
        duration_s=frames / sample_rate,
        tempo_bpm=tempo_bpm,
        sections=sections,
        project_notes=project_notes(state, header),
    )
    (folder / rpp_name).write_text(text, encoding="utf-8")
    return [folder / rpp_name, *files]
