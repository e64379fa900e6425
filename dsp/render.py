"""Render: (stems, MixState) -> the pre-master mix, block-wise, cached, deterministic.

The song is processed block by block (``block_s``), every track in turn within a block:

1. Inserts (clean-up, trim ... saturation; the clean-up stages read the stem ahead by their
   latency, see mixchat.dsp.cleanup.stream): a track's output comes from its stem when it has no
   inserts ("passthrough"), from a .npy file in ``cache_dir`` named by a hash of the stem key,
   the insert settings, the rate and ENGINE_VERSION ("cached", memory-mapped), or from its
   insert chain run now with pedalboard's ``process(reset=False)`` and written to that file as
   it goes ("rendered"; the file appears only when complete). Rendered tracks run on a thread
   pool a block ahead of the mix (pedalboard releases the GIL), so they share the cores.
2. Mix (cheap numpy): fader gain x automation, pan/width, sum. Post-fader, post-pan sends
   feed the reverb (summed to mono, which is all its input stage uses) and delay buses.
3. Buses: each bus that needs rendering runs on its own thread, a block behind the mix, so on
   a machine with two cores a bus costs little more than the tracks feeding it. Each bus
   return is cached too, under a hash of exactly what feeds it (the sending tracks' insert
   keys, faders, pans, widths, sends and automation, and the bus settings), so a change to a
   track without sends never re-runs a bus.

Mix-bus (track=None) gain automation scales every track output and bus return, not the
sends. Bus tails stop at the song's end. Fader, pan, width, sends, mute/solo and automation
never re-run a track's inserts. Memory holds the pre-master and a few blocks, never whole
processed tracks. The result does not depend on what was cached: the same samples either way.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.dsp.audio_io import (  # noqa: F401 - prune_cache is part of render's API
    Put,
    audio_writer,
    npy_block_writer,
    open_npy,
    prune_cache,
    release_pages,
)
from mixchat.dsp.automation import automation_gain, matching
from mixchat.dsp.bus_lane import BusLane, open_cached
from mixchat.dsp.cleanup.chain import cleaned_stem
from mixchat.dsp.cleanup.stream import CleanedStem
from mixchat.dsp.errors import StateError
from mixchat.dsp.panning import MIX_CHUNK, Placer, placement_matrix
from mixchat.dsp.processors import (
    INSERT_FIELDS,
    InsertChain,
    bus_chain,
    has_inserts,
    insert_chain,
    pre_delay_frames,
)
from mixchat.dsp.state import MixState, TrackState
from mixchat.dsp.threads import pool_size

ENGINE_VERSION = 3
CLEANUP_VERSION = 2  # the clean-up stages' own version: keys of tracks without them stay valid
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
    bus_files: dict[str, Path] = field(default_factory=dict)  # each return's cache file
    stem_files: list[Path] = field(default_factory=list)


def _digest(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def track_cache_key(track: TrackState, *, stem_key: str, sample_rate: int) -> str:
    """Hash of everything that decides a track's insert output (and nothing else)."""
    inserts = track.model_dump(mode="json", include=set(INSERT_FIELDS))
    if not track.cleanup.stages():
        del inserts["cleanup"]  # keys from before the clean-up stages existed stay valid
    else:
        inserts["cleanup_version"] = CLEANUP_VERSION
    return _digest({"engine": ENGINE_VERSION, "stem": stem_key, "rate": sample_rate, **inserts})


def cleaned_cache_key(track: TrackState, *, stem_key: str, sample_rate: int) -> str:
    """Hash of what decides a track's cleaned stem: the stem and its clean-up stages only."""
    return _digest(
        {
            "engine": ENGINE_VERSION,
            "cleanup_version": CLEANUP_VERSION,
            "stem": stem_key,
            "rate": sample_rate,
            "cleanup": track.cleanup.model_dump(mode="json"),
        }
    )


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


def _part(gain: np.ndarray | float, lo: int, hi: int) -> np.ndarray | float:
    return gain if isinstance(gain, float) else gain[lo:hi]


def _spans(frames: int, block: int) -> list[tuple[int, int]]:
    return [(start, min(start + block, frames)) for start in range(0, frames, block)]


@dataclass
class _TrackFeed:
    """One audible track's output after its inserts, handed out block by block."""

    track: TrackState
    how: str  # passthrough | cached | rendered
    audio: np.ndarray  # the stem (rendered, passthrough) or the cached insert output
    chain: InsertChain | None = None
    put: Put | None = None
    source: CleanedStem | None = None  # the stem through its clean-up stages
    put_cleaned: Put | None = None  # where the cleaned stem is cached as it is read

    def block(self, start: int, stop: int) -> np.ndarray | None:
        stop = min(stop, self.audio.shape[1])
        if start >= stop:
            return None
        if self.chain is None:
            return np.asarray(self.audio)[:, start:stop]  # a plain view: slicing a memmap is slow
        if self.source is not None:
            raw = self.source.read(start, stop)
            if self.put_cleaned is not None:
                self.put_cleaned(start, raw)
        else:
            raw = _read_block(self.audio, start, stop)
        out = self.chain.process(raw, reset=start == 0)
        if self.put is not None:
            self.put(start, out)
        return out


def _open_feed(
    track: TrackState,
    stem: StemSource,
    *,
    sample_rate: int,
    cache: Path | None,
    stack: ExitStack,
) -> _TrackFeed:
    if not has_inserts(track):
        return _TrackFeed(track, "passthrough", stem.audio)
    path = None
    if cache is not None:
        key = track_cache_key(track, stem_key=stem.key, sample_rate=sample_rate)
        path = cache / f"track-{key}.npy"
        cached = open_cached(path, tuple(stem.audio.shape))
        if cached is not None:
            return _TrackFeed(track, "cached", cached)
    chain = insert_chain(track, sample_rate=sample_rate)
    put = None
    if path is not None:
        channels, frames = stem.audio.shape
        put = stack.enter_context(npy_block_writer(path, shape=(channels, frames)))
    if not track.cleanup.stages():
        return _TrackFeed(track, "rendered", stem.audio, chain=chain, put=put)
    # the cleaned stem has its own cache: a change to the track's other inserts reads it
    # instead of cleaning again
    clean_path = None
    if cache is not None:
        key = cleaned_cache_key(track, stem_key=stem.key, sample_rate=sample_rate)
        clean_path = cache / f"cleaned-{key}.npy"
        cleaned = open_cached(clean_path, tuple(stem.audio.shape))
        if cleaned is not None:
            return _TrackFeed(track, "rendered", cleaned, chain=chain, put=put)
    source = cleaned_stem(stem.audio, track.cleanup, sample_rate=sample_rate)
    put_cleaned = None
    if clean_path is not None:
        shape = tuple(stem.audio.shape)
        put_cleaned = stack.enter_context(npy_block_writer(clean_path, shape=shape))
    return _TrackFeed(
        track,
        "rendered",
        stem.audio,
        chain=chain,
        put=put,
        source=source,
        put_cleaned=put_cleaned,
    )


def _track_blocks(
    feeds: list[_TrackFeed], spans: list[tuple[int, int]], pool: ThreadPoolExecutor
) -> Iterator[Iterator[tuple[_TrackFeed, np.ndarray | None]]]:
    """For each span, its (feed, block) pairs in track order. Tracks being rendered run their
    inserts on ``pool`` a block ahead, so they overlap each other and the mixing; each track's
    blocks are still processed one after another, and mixed in the same order."""
    ahead: dict[int, Future[np.ndarray | None]] = {}

    def submit(index: int, span: int) -> None:
        if span < len(spans):
            ahead[index] = pool.submit(feeds[index].block, *spans[span])

    def span_blocks(span: int) -> Iterator[tuple[_TrackFeed, np.ndarray | None]]:
        start, stop = spans[span]
        for index, feed in enumerate(feeds):
            if feed.chain is None:
                yield feed, feed.block(start, stop)
                continue
            out = ahead.pop(index).result()
            submit(index, span + 1)
            yield feed, out

    for index, feed in enumerate(feeds):
        if feed.chain is not None:
            submit(index, 0)
    for span in range(len(spans)):
        yield span_blocks(span)


class _Mixer:
    """Places each track's block into the pre-master and the send blocks of the buses that
    need rendering, adds the bus returns at the end, and writes per-track files on request."""

    def __init__(
        self,
        state: MixState,
        *,
        sample_rate: int,
        frames: int,
        stems_out: Path | None,
        subtype: str,
        stack: ExitStack,
    ) -> None:
        self.state = state
        self.sample_rate = sample_rate
        self.stems_out = stems_out
        self.subtype = subtype
        self.stack = stack
        self.premaster = np.zeros((2, frames), dtype=np.float32)
        self.files: list[Path] = []
        self._placer = Placer()
        self._writers: dict[str, Any] = {}
        self._matrices: dict[str, np.ndarray] = {}
        self._mixbus_block: tuple[tuple[int, int], np.ndarray | float] = ((-1, -1), 1.0)

    def open_writer(self, key: str, file_name: str) -> None:
        if self.stems_out is None:
            return
        path = self.stems_out / file_name
        self.files.append(path)
        self._writers[key] = self.stack.enter_context(
            audio_writer(path, sample_rate=self.sample_rate, channels=2, subtype=self.subtype)
        )

    def _gain(self, owners, field_name: str, static_db: float, start: int, stop: int):
        return automation_gain(
            self.state.automation,
            owners=owners,
            field=field_name,
            static_db=static_db,
            start=start,
            frames=stop - start,
            sample_rate=self.sample_rate,
        )

    def add_track(
        self,
        track: TrackState,
        block: np.ndarray | None,
        sends: dict[str, np.ndarray],
        start: int,
        stop: int,
    ) -> None:
        """Place one block of a track (post fader, pan, width) into the pre-master, the send
        blocks and its stem file, chunk by chunk so each chunk is read once from memory."""
        writer = self._writers.get(track.name)
        frames = 0 if block is None else block.shape[1]
        if block is not None:
            matrix = self._matrix(track, block.shape[0])
            fader = (
                self._gain((track.name,), "gain_db", track.gain_db, start, stop)
                if matching(self.state.automation, track=track.name)
                else 10.0 ** (track.gain_db / 20.0)
            )
            if isinstance(fader, float):
                matrix, fader = (matrix * fader).astype(np.float32), None
            send_gains = [
                (
                    sends[bus],
                    self._gain((track.name, None), send, getattr(track, send), start, stop),
                )
                for bus, send in BUSES
                if bus in sends and getattr(track, send) is not None
            ]
            mixbus = self._mixbus_gain(start, stop)
            for lo in range(0, frames, MIX_CHUNK):
                hi = min(lo + MIX_CHUNK, frames)
                placed = self._placer.place(
                    block[:, lo:hi], matrix, None if fader is None else fader[lo:hi]
                )
                for target, gain in send_gains:
                    scaled = (
                        self._placer.summed(placed, _part(gain, lo, hi))
                        if target.shape[0] == 1
                        else self._placer.scaled(placed, _part(gain, lo, hi))
                    )
                    target[:, lo:hi] += scaled
                if not (isinstance(mixbus, float) and mixbus == 1.0):
                    placed *= _part(mixbus, lo, hi)
                self.premaster[:, start + lo : start + hi] += placed
                if writer is not None:
                    writer.write(placed)
        if writer is not None and frames < stop - start:
            writer.write(np.zeros((2, stop - start - frames), dtype=np.float32))

    def _mixbus_gain(self, start: int, stop: int) -> np.ndarray | float:
        """The mix bus's gain automation for these samples, computed once per block."""
        if self._mixbus_block[0] != (start, stop):
            self._mixbus_block = ((start, stop), self._gain((None,), "gain_db", 0.0, start, stop))
        return self._mixbus_block[1]

    def _matrix(self, track: TrackState, channels: int) -> np.ndarray:
        if track.name not in self._matrices:
            self._matrices[track.name] = placement_matrix(
                pan=track.pan, width=track.width, channels=channels
            ).astype(np.float32)
        return self._matrices[track.name]

    def add_return(self, bus: str, output: np.ndarray, *, delay: int, block: int) -> None:
        """Add a bus return, shifted by ``delay`` frames, after the mix-bus automation."""
        writer = self._writers.get(bus)
        for start, stop in _spans(self.premaster.shape[1], block):
            audio = _read_block(output, start - delay, stop - delay)
            mixbus = self._mixbus_gain(start, stop)
            if not (isinstance(mixbus, float) and mixbus == 1.0):
                audio = audio * (np.float32(mixbus) if isinstance(mixbus, float) else mixbus)
            self.premaster[:, start:stop] += audio
            if writer is not None:
                writer.write(audio)


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
    spans = _spans(frames, block)
    used = [bus for bus, send in BUSES if any(getattr(t, send) is not None for t in audible)]
    cache = Path(cache_dir) if cache_dir is not None else None
    bus_paths: dict[str, Path | None] = dict.fromkeys(used)
    if cache is not None:
        for bus in used:
            key = bus_cache_key(
                state, bus=bus, stems=stems, sample_rate=sample_rate, frames=frames, block=block
            )
            bus_paths[bus] = cache / f"bus-{bus}-{key}.npy"
    bus_outputs = {
        bus: hit
        for bus, path in bus_paths.items()
        if path is not None and (hit := open_cached(path, (2, frames))) is not None
    }
    pending = [bus for bus in used if bus not in bus_outputs]
    if stems_out is not None:
        stems_out = Path(stems_out)
        stems_out.mkdir(parents=True, exist_ok=True)
        _remove_stale_stems(stems_out, state, used)
    units = max(len(spans) * len(audible) + len(used), 1)
    done = 0

    def report(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(label, min(done / units, 1.0))

    with ExitStack() as stack:
        feeds = [
            _open_feed(t, stems[t.name], sample_rate=sample_rate, cache=cache, stack=stack)
            for t in audible
        ]
        mixer = _Mixer(
            state,
            sample_rate=sample_rate,
            frames=frames,
            stems_out=stems_out,
            subtype=stems_subtype,
            stack=stack,
        )
        for track in audible:
            mixer.open_writer(track.name, f"{safe_file_stem(track.name)}.wav")
        for bus in used:
            mixer.open_writer(bus, f"{bus}_return.wav")
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=max(len(pending), 1)))
        lanes = {
            bus: BusLane(
                bus_chain(state, bus, sample_rate=sample_rate),
                shape=(2, frames),
                path=bus_paths[bus],
                pool=pool,
            )
            for bus in pending
        }
        rendering = sum(feed.chain is not None for feed in feeds)
        track_pool = stack.enter_context(
            ThreadPoolExecutor(max_workers=pool_size(at_most=rendering))
        )
        try:
            for (start, stop), blocks in zip(spans, _track_blocks(feeds, spans, track_pool)):
                sends = {bus: lane.send_block(stop - start) for bus, lane in lanes.items()}
                for feed, out in blocks:
                    mixer.add_track(feed.track, out, sends, start, stop)
                    release_pages(feed.audio)
                    report(f"mixing {feed.track.name}")
                for bus, lane in lanes.items():
                    lane.feed(start, sends[bus])
            bus_outputs.update({bus: lane.result() for bus, lane in lanes.items()})
        except BaseException:
            for lane in lanes.values():
                lane.abort()
            raise
        for bus in used:
            delay = (
                pre_delay_frames(state.reverb, sample_rate=sample_rate) if bus == "reverb" else 0
            )
            output = bus_outputs.pop(bus)
            mixer.add_return(bus, output, delay=delay, block=block)
            release_pages(output)
            report(f"{bus} bus")
    result = RenderResult(
        premaster=mixer.premaster,
        sample_rate=sample_rate,
        buses=list(used),
        buses_cached=[bus for bus in used if bus not in pending],
        bus_files={bus: path for bus, path in bus_paths.items() if path is not None},
        stem_files=mixer.files,
    )
    for feed in feeds:
        getattr(result, feed.how).append(feed.track.name)
    if progress is not None:
        progress("done", 1.0)
    return result
