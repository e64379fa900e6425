"""DAWproject 1.0 export: a zip of project.xml, metadata.xml and the stems as WAV.

Mapping (schema: Project.xsd of DAWproject 1.0):
* one audio track per stem, its clip at 0 s on a seconds timeline; Volume is linear gain
  (1.0 = 0 dB), Pan is normalized (0 = left, 0.5 = centre, 1 = right), Mute, solo;
* inserts in the engine's order: Equalizer (InputGain = trim, HPF/LPF as order-2 highPass/
  lowPass bands, then shelves and bells), NoiseGate, Compressor (OutputGain = makeup);
* the reverb and delay buses are effect tracks fed by post-fader sends;
* section automation becomes linear volume points (and send-volume points);
* sections are markers, the tempo goes in the transport;
* the master track carries the master EQ, the glue Compressor and a Limiter.
What has no built-in device (polarity, transient shaper, saturation, width, the reverb and
delay algorithms) is written in the track's ``comment`` and listed in the notes.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lxml import etree

from mixchat.dsp.render import safe_file_stem
from mixchat.dsp.state import Compressor, EqBand, MasterState, MixState, TrackState
from mixchat.dsp.stems import StemReader, as_reader, write_stem_file
from mixchat.tools.export.common import (
    db_to_linear,
    envelope_points,
    staged_file,
)
from mixchat.tools.settings_text import master_lines, track_lines

APP_VERSION = "0.1.0"
DEFAULT_TEMPO_BPM = 120.0
ROLE_COLOURS = {
    "vocal": "#E05A47",
    "bass": "#3F7FBF",
    "kick": "#8C5A2B",
    "drums": "#8C5A2B",
    "snare": "#A8743F",
    "keys": "#5BAF6A",
    "guitar": "#D9A441",
    "pad": "#8E6BBF",
}


class Ids:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"id{self.count}"


@dataclass(frozen=True)
class SongFacts:
    """What the project needs besides the state: timing, sections, where the audio went."""

    sample_rate: int
    duration_s: float
    tempo_bpm: float
    sections: tuple
    audio: Mapping[str, tuple[str, int]]  # track name -> (path inside the zip, channels)


def _el(parent: etree._Element, tag: str, **attrs: object) -> etree._Element:
    return etree.SubElement(parent, tag, {k: _text(v) for k, v in attrs.items() if v is not None})


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _real(parent, tag: str, ids: Ids, *, value: float, unit: str, **extra) -> etree._Element:
    return _el(parent, tag, id=ids(), value=float(value), unit=unit, **extra)


# --- devices -----------------------------------------------------------------------------
def _band(parent, ids: Ids, kind: str, *, freq_hz: float, gain_db=None, q=None, order=None):
    band = _el(parent, "Band", type=kind, order=order)
    _real(band, "Freq", ids, value=freq_hz, unit="hertz")
    if gain_db is not None:
        _real(band, "Gain", ids, value=gain_db, unit="decibel")
    if q is not None:
        _real(band, "Q", ids, value=q, unit="linear")
    _el(band, "Enabled", id=ids(), value=True)


def _eq_band(parent, ids: Ids, band: EqBand) -> None:
    if band.kind == "notch":  # the engine's notch is a deep bell cut, not an infinite notch
        _band(parent, ids, "bell", freq_hz=band.freq_hz, gain_db=band.applied_gain_db, q=band.q)
    elif band.gain_db != 0.0:
        kind = {"low_shelf": "lowShelf", "high_shelf": "highShelf"}.get(band.kind, "bell")
        _band(parent, ids, kind, freq_hz=band.freq_hz, gain_db=band.gain_db, q=band.q)


def _device(devices, ids: Ids, tag: str, *, name: str, params=(), **attrs) -> etree._Element:
    """A built-in device, enabled, with its RealParameters (label, value, unit) in order.

    A value of None makes a BoolParameter set to false (AutoMakeup)."""
    device_name = attrs.pop("deviceName", tag)
    dev = _el(
        devices,
        tag,
        id=ids(),
        name=name,
        deviceName=device_name,
        deviceRole="audioFX",
        loaded=True,
        **attrs,
    )
    _el(dev, "Enabled", id=ids(), value=True)
    for label, value, unit in params:
        if value is None:
            _el(dev, label, id=ids(), value=False)
        else:
            _real(dev, label, ids, value=value, unit=unit)
    return dev


def _equalizer(devices, ids: Ids, *, name: str, bands=(), hpf_hz=None, lpf_hz=None, trim_db=0.0):
    eq = _device(devices, ids, "Equalizer", name=name)
    if hpf_hz is not None:  # two stacked first-order filters: order 2, Q 0.5
        _band(eq, ids, "highPass", freq_hz=hpf_hz, q=0.5, order=2)
    if lpf_hz is not None:
        _band(eq, ids, "lowPass", freq_hz=lpf_hz, q=0.5, order=2)
    for band in bands:
        _eq_band(eq, ids, band)
    if trim_db:
        _real(eq, "InputGain", ids, value=trim_db, unit="decibel")


def _dynamics_params(unit, *, makeup_db=None) -> list[tuple[str, float | None, str]]:
    params = [("Attack", unit.attack_ms / 1000.0, "seconds")]
    if makeup_db is not None:
        params += [("AutoMakeup", None, ""), ("OutputGain", makeup_db, "decibel")]
    return params + [
        ("Ratio", unit.ratio, "linear"),
        ("Release", unit.release_ms / 1000.0, "seconds"),
        ("Threshold", unit.threshold_db, "decibel"),
    ]


def _compressor(devices, ids: Ids, comp: Compressor, *, name: str) -> None:
    _device(
        devices,
        ids,
        "Compressor",
        name=name,
        params=_dynamics_params(comp, makeup_db=comp.makeup_db),
    )


def _track_devices(channel, ids: Ids, track: TrackState) -> None:
    devices = _el(channel, "Devices")
    if track.trim_db or track.hpf_hz or track.lpf_hz or track.eq:
        _equalizer(
            devices,
            ids,
            name=f"{track.name} EQ",
            bands=track.eq,
            hpf_hz=track.hpf_hz,
            lpf_hz=track.lpf_hz,
            trim_db=track.trim_db,
        )
    if track.gate is not None:
        _device(
            devices,
            ids,
            "NoiseGate",
            name=f"{track.name} Gate",
            params=_dynamics_params(track.gate),
        )
    if track.compressor is not None:
        _compressor(devices, ids, track.compressor, name=f"{track.name} Compressor")
    if not len(devices):
        channel.remove(devices)


def _master_devices(channel, ids: Ids, master: MasterState, notes: list[str]) -> None:
    if not master.enabled:
        return
    devices = _el(channel, "Devices")
    if master.eq:
        _equalizer(devices, ids, name="Master EQ", bands=master.eq)
    if master.glue is not None:
        _compressor(devices, ids, master.glue, name="Glue Compressor")
    loudness = (
        f"loudness normalised to {master.target_lufs:g} LUFS before it"
        if master.loudness_enabled
        else "no loudness normalisation"
    )
    _device(
        devices,
        ids,
        "Limiter",
        name="Limiter",
        params=[("Threshold", master.ceiling_dbtp, "decibel")],
        comment=f"true-peak ceiling {master.ceiling_dbtp:g} dBTP; {loudness}",
    )
    if master.loudness_enabled:
        notes.append(
            f"master: set the Limiter's input gain to reach {master.target_lufs:g} "
            "LUFS (mixchat measures it at render time)"
        )


def _bus_device(devices, ids: Ids, name: str, params: list[tuple[str, float, str]]) -> None:
    dev = _el(
        devices,
        "BuiltinDevice",
        id=ids(),
        name=name,
        deviceName=name,
        deviceRole="audioFX",
        loaded=True,
    )
    holder = _el(dev, "Parameters")
    for label, value, unit in params:
        _real(holder, "RealParameter", ids, value=value, unit=unit, name=label)
    _el(dev, "Enabled", id=ids(), value=True)


# --- tracks ------------------------------------------------------------------------------
def _channel(track_el, ids: Ids, *, role: str, destination: str | None, solo=None):
    return _el(
        track_el,
        "Channel",
        id=ids(),
        role=role,
        audioChannels=2,
        destination=destination,
        solo=solo,
    )


def _mixer_controls(channel, ids: Ids, *, mute: bool, pan: float, volume_db: float, sends=()):
    _el(channel, "Mute", id=ids(), value=mute)
    _real(channel, "Pan", ids, value=(pan + 1.0) / 2.0, unit="normalized", min=0.0, max=1.0)
    send_ids = {}
    if sends:
        holder = _el(channel, "Sends")
        for bus, destination, send_db in sends:
            send = _el(
                holder,
                "Send",
                id=ids(),
                name=f"{bus.title()} send",
                destination=destination,
                type="post",
            )
            send_ids[bus] = _real(
                send, "Volume", ids, value=db_to_linear(send_db), unit="linear"
            ).get("id")
    volume = _real(channel, "Volume", ids, value=db_to_linear(volume_db), unit="linear", min=0.0)
    return volume.get("id"), send_ids


def _bus_tracks(structure, ids: Ids, state: MixState, master_channel: str) -> dict[str, str]:
    specs = {
        "reverb": [
            ("Room size", state.reverb.room_size, "normalized"),
            ("Damping", state.reverb.damping, "normalized"),
            ("Width", state.reverb.width, "normalized"),
            ("Pre-delay", state.reverb.pre_delay_ms / 1000.0, "seconds"),
        ],
        "delay": [
            ("Time", state.delay.delay_ms / 1000.0, "seconds"),
            ("Feedback", state.delay.feedback, "normalized"),
        ],
    }
    channels = {}
    for bus, params in specs.items():
        settings = getattr(state, bus)
        track_el = _el(
            structure,
            "Track",
            id=ids(),
            name=bus.title(),
            contentType="audio",
            loaded=True,
            comment=f"mixchat {bus} bus (pedalboard "
            f"{'Reverb (Freeverb)' if bus == 'reverb' else 'Delay'}): "
            + ", ".join(f"{k} {v:g}" for k, v, _ in params),
        )
        channel = _channel(track_el, ids, role="effect", destination=master_channel)
        devices = _el(channel, "Devices")
        _bus_device(devices, ids, bus.title(), params)
        _equalizer(
            devices,
            ids,
            name=f"{bus.title()} filters",
            hpf_hz=settings.hpf_hz,
            lpf_hz=settings.lpf_hz,
        )
        _mixer_controls(channel, ids, mute=False, pan=0.0, volume_db=settings.return_db)
        channels[bus] = channel.get("id")
    return channels


def _automation_points(
    lanes,
    ids: Ids,
    state: MixState,
    *,
    owners,
    field: str,
    base_db: float,
    target: str,
    facts: SongFacts,
) -> None:
    points = envelope_points(
        state,
        owners=owners,
        field=field,
        sample_rate=facts.sample_rate,
        duration_s=facts.duration_s,
    )
    if not points:
        return
    holder = _el(lanes, "Points", id=ids(), unit="linear")
    _el(holder, "Target", parameter=target)
    for time_s, offset_db in points:
        _el(
            holder,
            "RealPoint",
            time=round(time_s, 6),
            value=_text(db_to_linear(base_db + offset_db)),
            interpolation="linear",
        )


def project_xml(state: MixState, facts: SongFacts, notes: list[str]) -> etree._Element:
    ids = Ids()
    project = etree.Element("Project", version="1.0")
    _el(project, "Application", name="mixchat", version=APP_VERSION)
    transport = _el(project, "Transport")
    _real(transport, "Tempo", ids, value=facts.tempo_bpm, unit="bpm", min=20.0, max=999.0)
    _el(transport, "TimeSignature", id=ids(), numerator=4, denominator=4)
    structure = _el(project, "Structure")
    master_track = _el(
        structure,
        "Track",
        id=ids(),
        name="Master",
        contentType="audio",
        loaded=True,
        comment="; ".join(master_lines(state.master)),
    )
    master_channel = _channel(master_track, ids, role="master", destination=None)
    _master_devices(master_channel, ids, state.master, notes)
    master_volume, _ = _mixer_controls(master_channel, ids, mute=False, pan=0.0, volume_db=0.0)
    bus_channels = _bus_tracks(structure, ids, state, master_channel.get("id"))
    arrangement = _el(project, "Arrangement", id=ids())
    lanes = _el(arrangement, "Lanes", id=ids(), timeUnit="seconds")
    for track in state.tracks:
        _audio_track(
            structure,
            lanes,
            ids,
            track,
            state=state,
            facts=facts,
            master=master_channel.get("id"),
            buses=bus_channels,
        )
        _unmapped_notes(track, notes)
    master_lanes = _el(lanes, "Lanes", id=ids(), track=master_track.get("id"))
    _automation_points(
        master_lanes,
        ids,
        state,
        owners=(None,),
        field="gain_db",
        base_db=0.0,
        target=master_volume,
        facts=facts,
    )
    if not len(master_lanes):
        lanes.remove(master_lanes)
    else:
        notes.append(
            "mix-bus automation is on the master volume (after the master devices; "
            "mixchat applies it before them)"
        )
    for early in (*structure.findall("Track")[1:3], master_track):
        structure.append(early)  # stems first, then the buses, then the master
    if facts.sections:
        markers = _el(arrangement, "Markers", id=ids(), timeUnit="seconds")
        for section in facts.sections:
            _el(markers, "Marker", name=section.label, time=float(section.start_s))
    return project


def _audio_track(structure, lanes, ids: Ids, track: TrackState, *, state, facts, master, buses):
    track_el = _el(
        structure,
        "Track",
        id=ids(),
        name=track.name,
        contentType="audio",
        loaded=True,
        color=ROLE_COLOURS.get(track.role),
        comment="; ".join(track_lines(track)),
    )
    channel = _channel(track_el, ids, role="regular", destination=master, solo=track.solo)
    _track_devices(channel, ids, track)
    sends = [
        (bus, buses[bus], getattr(track, f"{bus}_send_db"))
        for bus in ("reverb", "delay")
        if getattr(track, f"{bus}_send_db") is not None
    ]
    volume_id, send_ids = _mixer_controls(
        channel, ids, mute=track.mute, pan=track.pan, volume_db=track.gain_db, sends=sends
    )
    track_lanes = _el(lanes, "Lanes", id=ids(), track=track_el.get("id"))
    clips = _el(track_lanes, "Clips", id=ids())
    clip = _el(clips, "Clip", name=track.name, time=0.0, duration=facts.duration_s, playStart=0.0)
    path, channels = facts.audio[track.name]
    audio = _el(
        clip,
        "Audio",
        id=ids(),
        channels=channels,
        sampleRate=facts.sample_rate,
        duration=facts.duration_s,
    )
    _el(audio, "File", path=path)
    _automation_points(
        track_lanes,
        ids,
        state,
        owners=(track.name,),
        field="gain_db",
        base_db=track.gain_db,
        target=volume_id,
        facts=facts,
    )
    for bus, send_id in send_ids.items():
        _automation_points(
            track_lanes,
            ids,
            state,
            owners=(track.name, None),
            field=f"{bus}_send_db",
            base_db=getattr(track, f"{bus}_send_db"),
            target=send_id,
            facts=facts,
        )


def _unmapped_notes(track: TrackState, notes: list[str]) -> None:
    missing = [
        label
        for label, on in (
            ("polarity inversion", track.polarity_inverted),
            ("transient shaper", track.transient is not None),
            ("saturation", track.saturation is not None),
            (f"stereo width {track.width:g}", track.width != 1.0),
        )
        if on
    ]
    if missing:
        notes.append(
            f"{track.name}: {', '.join(missing)} has no DAWproject device; "
            "it is written in the track comment"
        )


def metadata_xml(*, title: str, genre: str | None, comment: str) -> etree._Element:
    meta = etree.Element("MetaData")
    etree.SubElement(meta, "Title").text = title
    if genre:
        etree.SubElement(meta, "Genre").text = genre
    etree.SubElement(meta, "Comment").text = comment
    return meta


def _to_bytes(element: etree._Element) -> bytes:
    return etree.tostring(
        element, xml_declaration=True, encoding="UTF-8", pretty_print=True, standalone=True
    )


def write_dawproject(
    out: Path,
    *,
    state: MixState,
    sources: Mapping[str, np.ndarray | StemReader],
    sample_rate: int,
    tempo_bpm: float,
    sections: tuple,
    title: str,
    genre: str | None,
    comment: str,
    notes: list[str],
    progress=None,
) -> None:
    """Write the .dawproject zip to ``out`` atomically (temp file + rename)."""
    frames = max(as_reader(a).frames for a in sources.values())
    audio_paths = {}
    with (
        tempfile.TemporaryDirectory(prefix=".mixchat-dawproject.", dir=out.parent) as tmp,
        staged_file(out) as staged,
    ):
        with zipfile.ZipFile(staged, "w") as archive:
            for index, track in enumerate(state.tracks):
                if progress:
                    progress(f"audio {track.name}", index / max(len(state.tracks), 1))
                inner = f"audio/{index + 1:02d}_{safe_file_stem(track.name)}.wav"
                wav = Path(tmp) / Path(inner).name
                channels = write_stem_file(wav, sources[track.name], sample_rate=sample_rate)
                archive.write(wav, inner, compress_type=zipfile.ZIP_STORED)
                wav.unlink()
                audio_paths[track.name] = (inner, channels)
            facts = SongFacts(
                sample_rate=sample_rate,
                duration_s=frames / sample_rate,
                tempo_bpm=tempo_bpm,
                sections=tuple(sections),
                audio=audio_paths,
            )
            project = project_xml(state, facts, notes)
            archive.writestr("project.xml", _to_bytes(project), zipfile.ZIP_DEFLATED)
            meta = metadata_xml(title=title, genre=genre, comment=comment)
            archive.writestr("metadata.xml", _to_bytes(meta), zipfile.ZIP_DEFLATED)
