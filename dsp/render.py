"""Render: (stems, MixState) -> the pre-master mix, block-wise, cached, deterministic.

1. Inserts (trim ... saturation) per track, block by block with pedalboard's
   ``process(reset=False)``, into a .npy file in ``cache_dir`` named by a hash of the stem key,
   the insert settings, the rate and ENGINE_VERSION. A later render with the same hash
   memory-maps that file instead. A track with no inserts uses its stem as is ("passthrough").
2. Mix, block by block (cheap numpy): fader gain x automation, pan/width, sum. Post-fader,
   post-pan sends feed the reverb and delay buses. Each bus return is cached too, under a hash
   of exactly what feeds it (the sending tracks' insert keys, faders, pans, widths, sends and
   automation, and the bus settings), so a change to a track without sends never re-runs a bus.
   Mix-bus (track=None) gain automation scales every track output and bus return, not the
   sends. Bus tails stop at the song's end.

Fader, pan, width, sends, mute/solo and automation never re-run a track's inserts. Memory
holds the pre-master and the send buses, never all processed tracks at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from dsp.audio_io import (  # noqa: F401 - prune_cache is part of render's API
    Put,
    audio_writer,
    npy_block_writer,
    open_npy,
    prune_cache,
    release_pages,
)
from dsp.automation import automation_gain, matching
from dsp.errors import StateError
from dsp.panning import mix_into, placement_matrix
from dsp.processors import (
    INSERT_FIELDS,
    bus_board,
    has_inserts,
    insert_chain,
    pre_delay_frames,
)
from dsp.state import MixState, TrackState

ENGINE_VERSION = 1
BUSES = (("reverb", "reverb_send_db"), ("delay", "delay_send_db"))
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class StemSource:
    name: str
    key: str
    audio: np.ndarray


@dataclass
class RenderResult:
    premaster: np.ndarray
    sample_rate: int
    rendered: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    passthrough: list[str] = field(default_factory=list)
    buses: list[str] = field(default_factory=list)
    buses_cached: list[str] = field(default_factory=list)
    stem_files: list[Path] = field(default_factory=list)


def _digest(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def track_cache_key(track: TrackState, *, stem_key: str, sample_rate: int) -> str:
    """Hash of everything that decides a track's insert output (and nothing else)."""
    inserts = track.model_dump(mode="json", include=set(INSERT_FIELDS))
    return _digest({"engine": ENGINE_VERSION, "stem": stem_key, "rate": sample_rate, **inserts})


def bus_cache_key(
    state: MixState,
    *,
    bus: str,
    stems: Mapping[str, StemSource],
    sample_rate: int,
    frames: int,
    block: int,
) -> str:
    """Hash of everything that decides a bus return (before mix-bus automation)."""
    send_field = f"{bus}_send_db"
    senders = [
        {
            "inserts": track_cache_key(t, stem_key=stems[t.name].key, sample_rate=sample_rate),
            "mix": t.model_dump(mode="json", include={"gain_db", "pan", "width", send_field}),
            "automation": [
                a.model_dump(mode="json") for a in state.automation if a.track == t.name
            ],
        }
        for t in state.audible_tracks()
        if getattr(t, send_field) is not None
    ]
    mixbus_sends = [
        a.model_dump(mode="json")
        for a in state.automation
        if a.track is None and getattr(a, send_field) != 0.0
    ]
    return _digest(
        {
            "engine": ENGINE_VERSION,
            "bus": bus,
            "rate": sample_rate,
            "frames": frames,
            "block": block,
            "settings": getattr(state, bus).model_dump(mode="json"),
            "senders": senders,
            "mixbus_sends": mixbus_sends,
        }
    )


def safe_file_stem(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "track"


def _read_block(audio: np.ndarray, start: int, stop: int) -> np.ndarray:
    """float32 contiguous (ch, stop-start) block; zeros outside ``audio`` (start may be < 0)."""
    lo, hi = max(start, 0), min(stop, audio.shape[1])
    if lo == start and hi == stop:
        return np.ascontiguousarray(audio[:, start:stop], dtype=np.float32)
    block = np.zeros((audio.shape[0], stop - start), dtype=np.float32)
    if hi > lo:
        block[:, lo - start : hi - start] = audio[:, lo:hi]
    return block


def _spans(frames: int, block: int) -> list[tuple[int, int]]:
    return [(start, min(start + block, frames)) for start in range(0, frames, block)]


def _open_cached(path: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    cached = open_npy(path, shape=shape)
    if cached is not None:
        with suppress(OSError):
            os.utime(path)  # mark as recently used, for prune_cache
    return cached


def _cached_array(
    path: Path | None, shape: tuple[int, ...], fill: Callable[[Put], None]
) -> np.ndarray:
    """Let ``fill`` put blocks into a new (channels, n) float32 array: in memory, or into the
    .npy file ``path`` (atomic), which is then memory-mapped."""
    if path is None:
        out = np.empty(shape, dtype=np.float32)

        def put_memory(start: int, block: np.ndarray) -> None:
            out[:, start : start + block.shape[1]] = block

        fill(put_memory)
        return out
    with npy_block_writer(path, shape=(shape[0], shape[1])) as put_file:
        fill(put_file)
    return np.load(path, mmap_mode="r")


class _Stage:
    """Per-render settings and the progress callback (fraction over all units of work)."""

    def __init__(
        self, *, sample_rate: int, block: int, frames: int, units: int, progress: Progress | None
    ) -> None:
        self.sample_rate = sample_rate
        self.block = block
        self.frames = frames
        self.spans = _spans(frames, block)
        self._units = max(units, 1)
        self._done = 0
        self._progress = progress

    def report(self, label: str, stop: int, total: int) -> None:
        if self._progress is not None:
            fraction = (self._done + stop / max(total, 1)) / self._units
            self._progress(label, min(fraction, 1.0))

    def finish_unit(self) -> None:
        self._done += 1


def _insert_output(
    track: TrackState, stem: StemSource, stage: _Stage, cache_dir: Path | None
) -> tuple[np.ndarray, str]:
    """The track after its inserts, and how it was obtained: passthrough/cached/rendered."""
    if not has_inserts(track):
        return stem.audio, "passthrough"
    shape = tuple(stem.audio.shape)
    path = None
    if cache_dir is not None:
        key = track_cache_key(track, stem_key=stem.key, sample_rate=stage.sample_rate)
        path = cache_dir / f"track-{key}.npy"
        cached = _open_cached(path, shape)
        if cached is not None:
            return cached, "cached"

    def fill(put: Put) -> None:
        chain = insert_chain(track, sample_rate=stage.sample_rate)
        length = shape[1]
        for start, stop in _spans(length, stage.block):
            put(start, chain.process(_read_block(stem.audio, start, stop), reset=start == 0))
            stage.report(f"inserts {track.name}", stop, length)

    return _cached_array(path, shape, fill), "rendered"


class _Mixer:
    """Sums track outputs and bus returns into the pre-master, fills the send buses that need
    rendering (one contiguous array per block), and writes per-track files on request."""

    def __init__(
        self,
        state: MixState,
        stage: _Stage,
        *,
        feeds: list[str],
        stems_out: Path | None,
        subtype: str,
    ) -> None:
        self.state = state
        self.stage = stage
        self.stems_out = stems_out
        self.subtype = subtype
        self.premaster = np.zeros((2, stage.frames), dtype=np.float32)
        self.sends = {
            bus: [np.zeros((2, stop - start), dtype=np.float32) for start, stop in stage.spans]
            for bus in feeds
        }
        self.files: list[Path] = []
        self.mixbus_automated = bool(matching(state.automation, track=None))

    def _writer(self, name: str):
        if self.stems_out is None:
            return nullcontext()
        path = self.stems_out / name
        self.files.append(path)
        return audio_writer(
            path, sample_rate=self.stage.sample_rate, channels=2, subtype=self.subtype
        )

    def _gain(self, owners, field_name: str, static_db: float, start: int, stop: int):
        return automation_gain(
            self.state.automation,
            owners=owners,
            field=field_name,
            static_db=static_db,
            start=start,
            frames=stop - start,
            sample_rate=self.stage.sample_rate,
        )

    def add_track(self, track: TrackState, source: np.ndarray) -> None:
        stage = self.stage
        matrix = placement_matrix(pan=track.pan, width=track.width, channels=source.shape[0])
        automated = bool(matching(self.state.automation, track=track.name))
        sends = any(
            getattr(track, send) is not None for _, send in BUSES
        )  # same path cached or not
        direct = self.stems_out is None and not sends and not self.mixbus_automated
        with self._writer(f"{safe_file_stem(track.name)}.wav") as writer:
            for index, (start, stop) in enumerate(stage.spans):
                fader = (
                    self._gain((track.name,), "gain_db", track.gain_db, start, stop)
                    if automated
                    else 10.0 ** (track.gain_db / 20.0)
                )
                weights, gain = (
                    (matrix * fader, None) if isinstance(fader, float) else (matrix, fader)
                )
                block = source[:, start : min(stop, source.shape[1])]
                if direct:
                    target = self.premaster[:, start : start + block.shape[1]]
                    mix_into(target, block, weights, gain)
                else:
                    placed = np.zeros((2, stop - start), dtype=np.float32)
                    mix_into(placed[:, : block.shape[1]], block, weights, gain)
                    self._feed_sends(track, placed, index, start, stop)
                    self._add(placed, start, stop, writer)
                stage.report(f"mix {track.name}", stop, stage.frames)

    def _feed_sends(
        self, track: TrackState, placed: np.ndarray, index: int, start: int, stop: int
    ) -> None:
        for bus, blocks in self.sends.items():
            send_field = f"{bus}_send_db"
            send_db = getattr(track, send_field)
            if send_db is not None:
                gain = self._gain((track.name, None), send_field, send_db, start, stop)
                blocks[index] += _scaled(placed, gain)

    def render_bus(self, bus: str, put: Put) -> None:
        board = bus_board(self.state, bus)
        blocks = self.sends[bus]
        for index, (start, stop) in enumerate(self.stage.spans):
            put(start, board.process(blocks[index], self.stage.sample_rate, reset=start == 0))
            blocks[index] = np.empty((2, 0), dtype=np.float32)  # free it once through the bus
            self.stage.report(f"{bus} bus", stop, self.stage.frames)

    def add_return(self, bus: str, output: np.ndarray, *, delay: int = 0) -> None:
        with self._writer(f"{bus}_return.wav") as writer:
            for start, stop in self.stage.spans:
                self._add(_read_block(output, start - delay, stop - delay), start, stop, writer)

    def _add(self, audio: np.ndarray, start: int, stop: int, writer) -> None:
        mixbus = self._gain((None,), "gain_db", 0.0, start, stop)
        if not (isinstance(mixbus, float) and mixbus == 1.0):
            audio = _scaled(audio, mixbus)
        self.premaster[:, start:stop] += audio
        if writer is not None:
            writer.write(audio)


def _scaled(audio: np.ndarray, gain: np.ndarray | float) -> np.ndarray:
    return audio * (np.float32(gain) if isinstance(gain, float) else gain)


def _bus_path(
    cache: Path | None,
    state: MixState,
    bus: str,
    stems: Mapping[str, StemSource],
    sample_rate: int,
    frames: int,
    block: int,
) -> Path | None:
    if cache is None:
        return None
    key = bus_cache_key(
        state, bus=bus, stems=stems, sample_rate=sample_rate, frames=frames, block=block
    )
    return cache / f"bus-{bus}-{key}.npy"


def _remove_stale_stems(stems_out: Path, state: MixState, used: list[str]) -> None:
    """Delete files an earlier render wrote for tracks or buses that are silent now, so the
    folder still sums to the pre-master. Files with other names are left alone."""
    audible = {t.name for t in state.audible_tracks()}
    names = [f"{safe_file_stem(t.name)}.wav" for t in state.tracks if t.name not in audible]
    names += [f"{bus}_return.wav" for bus, _ in BUSES if bus not in used]
    for name in names:
        (stems_out / name).unlink(missing_ok=True)


def _check_inputs(stems: Mapping[str, StemSource], state: MixState, block_s: float) -> None:
    if block_s <= 0:
        raise StateError(f"block_s={block_s} must be > 0")
    for track in state.tracks:
        if track.name not in stems:
            raise StateError(f"track={track.name!r} has no stem; stems are {sorted(stems)}")
        shape = np.shape(stems[track.name].audio)
        if len(shape) != 2 or shape[0] not in (1, 2):
            raise StateError(
                f"stem {track.name!r} has shape {shape}; it must be (1 or 2 channels, samples)"
            )


def render_mix(
    *,
    stems: Mapping[str, StemSource],
    state: MixState,
    sample_rate: int,
    cache_dir: Path | None = None,
    stems_out: Path | None = None,
    stems_subtype: str = "FLOAT",
    block_s: float = 10.0,
    progress: Progress | None = None,
) -> RenderResult:
    """Render the pre-master mix (2, n) float32: every audible track post-fader plus the bus
    returns, before any master stage. See the module docstring for the stages and caches."""
    _check_inputs(stems, state, block_s)
    frames = max((stems[t.name].audio.shape[1] for t in state.tracks), default=0)
    audible = state.audible_tracks()
    block = max(1, int(round(block_s * sample_rate)))
    used = [bus for bus, send in BUSES if any(getattr(t, send) is not None for t in audible)]
    stage = _Stage(
        sample_rate=sample_rate,
        block=block,
        frames=frames,
        units=2 * len(audible) + len(used),
        progress=progress,
    )
    cache = Path(cache_dir) if cache_dir is not None else None
    bus_paths = {
        bus: _bus_path(cache, state, bus, stems, sample_rate, frames, block) for bus in used
    }
    bus_outputs = {
        bus: hit
        for bus, path in bus_paths.items()
        if path is not None and (hit := _open_cached(path, (2, frames))) is not None
    }
    if stems_out is not None:
        stems_out = Path(stems_out)
        stems_out.mkdir(parents=True, exist_ok=True)
        _remove_stale_stems(stems_out, state, used)
    mixer = _Mixer(
        state,
        stage,
        feeds=[b for b in used if b not in bus_outputs],
        stems_out=stems_out,
        subtype=stems_subtype,
    )
    result = RenderResult(
        premaster=mixer.premaster,
        sample_rate=sample_rate,
        buses=list(used),
        buses_cached=list(bus_outputs),
    )
    for track in audible:
        source, how = _insert_output(track, stems[track.name], stage, cache)
        getattr(result, how).append(track.name)
        stage.finish_unit()
        mixer.add_track(track, source)
        stage.finish_unit()
        release_pages(source)
        release_pages(stems[track.name].audio)
    pending = [bus for bus in used if bus not in bus_outputs]
    if pending:  # the buses are independent and pedalboard releases the GIL: run them together
        with ThreadPoolExecutor(max_workers=len(pending)) as pool:
            futures = {
                bus: pool.submit(
                    _cached_array, bus_paths[bus], (2, frames), partial(mixer.render_bus, bus)
                )
                for bus in pending
            }
            bus_outputs.update({bus: future.result() for bus, future in futures.items()})
    for bus in used:
        delay = pre_delay_frames(state.reverb, sample_rate=sample_rate) if bus == "reverb" else 0
        output = bus_outputs.pop(bus)
        mixer.add_return(bus, output, delay=delay)
        release_pages(output)
        stage.finish_unit()
    result.stem_files = mixer.files
    if progress is not None:
        progress("done", 1.0)
    return result
