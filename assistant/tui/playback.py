"""Playing versions through the sound card (sounddevice over PortAudio), with A/B switching.

:func:`audio_output` finds the output device, or says why there is none (the UI then says so
once and offers WAVs). :class:`Player` plays one version from a position on one output
stream. Its blocks come from the engine's ``OutputStream`` (rendered on a thread ahead of the
playhead; a version a brief just made is read straight from the render cache), each version
through a :class:`_Feed` that keeps a few blocks queued for the sound card's callback.

:meth:`Player.switch` changes to another version at the same position, at a given gain (the
level match of an A/B), with a short equal-gain crossfade inside the callback: the new
version's stream starts at the playhead, the old one plays on meanwhile, and the callback
crossfades as soon as the new one holds the audio at the playhead (the blocks it played
meanwhile are dropped), so the switch has no gap, no click and no jump back.
:meth:`Player.seek` moves the playhead. The callback only copies blocks already in memory.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mixchat.tools.session import Session

CROSSFADE_MS = 30.0
PRE_ROLL_S = 0.25  # silence a new stream starts with: some devices drop their first blocks
LATENCY = 0.1  # seconds of output buffer: low enough for A/B, no underruns on a busy machine
QUEUE_BLOCKS = 8  # blocks (0.25 s each) taken from a version's stream ahead of the sound card
SWITCH_WAIT_S = 5.0  # a switch still not ready after this is made at once (a jump)


class BlockSource(Protocol):
    """A version's output from a position: ``(frame, block)`` pairs in order, (2, n) float32
    blocks (the engine's ``OutputStream``); ``close()`` stops it."""

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]: ...

    def __next__(self) -> tuple[int, np.ndarray]: ...

    def close(self) -> None: ...


OpenSource = Callable[[int, float], BlockSource]  # (version, start_s) -> its blocks


def audio_output() -> tuple[Any | None, str]:
    """(the sounddevice module, "") when playback works, else (None, the reason)."""
    try:
        import sounddevice
    except (ImportError, OSError) as error:
        return None, f"no audio output: PortAudio is missing ({str(error).splitlines()[0]})"
    try:
        sounddevice.query_devices(kind="output")
    except Exception as error:  # PortAudioError or ValueError: no default output device
        return None, f"no audio output device ({str(error).splitlines()[0]})"
    return sounddevice, ""


def version_lufs(session: Session, version: int) -> float:
    """A version's integrated loudness as played (stored with it; measured when missing)."""
    stored = session.load(version).metrics.get("mix", {}).get("integrated_lufs")
    if stored is not None:
        return float(stored)
    from mixchat.dsp.loudness import integrated_lufs
    from mixchat.tools.engine import Engine

    rendered = Engine.for_session(session).render(session.load(version).state, measure=False)
    return integrated_lufs(rendered.audio, sample_rate=rendered.sample_rate)


def matched_gains_db(lufs: dict[int, float]) -> dict[int, float]:
    """Gains that bring every version to the quietest one's loudness (never louder)."""
    finite = {v: level for v, level in lufs.items() if np.isfinite(level)}
    if not finite:
        return {v: 0.0 for v in lufs}
    target = min(finite.values())
    return {v: (target - finite[v]) if v in finite else 0.0 for v in lufs}


class _Feed:
    """One version's blocks from one source, queued by a thread ahead of the callback.
    ``retire()`` stops it (the thread closes the source); never blocks the caller."""

    def __init__(self, source: BlockSource, *, version: int, gain_db: float) -> None:
        self.source = source
        self.version = version
        self.gain_db = gain_db
        self.gain = np.float32(10.0 ** (gain_db / 20.0))
        self.blocks: deque[tuple[int, np.ndarray]] = deque()
        self.lock = threading.Lock()
        self.ended = False
        self.error: BaseException | None = None
        self.retired = False
        self.thread = threading.Thread(target=self._fill, name="playback-feed", daemon=True)
        self.thread.start()

    def _fill(self) -> None:
        try:
            for item in self.source:
                while not self.retired:
                    with self.lock:
                        if len(self.blocks) < QUEUE_BLOCKS:
                            self.blocks.append(item)
                            break
                    time.sleep(0.02)
                if self.retired:
                    break
        except BaseException as error:  # noqa: BLE001 - raised by play() and switch()
            self.error = error
        finally:
            self.ended = True
            self.source.close()

    def retire(self) -> None:
        self.retired = True

    def first_frame(self) -> int | None:
        with self.lock:
            return self.blocks[0][0] if self.blocks else None

    def holds(self, position: int, frames: int) -> bool:
        """Whether ``frames`` frames from ``position`` are queued (or the song ends in them)."""
        with self.lock:
            if not self.blocks or self.blocks[0][0] > position:
                return False
            last, block = self.blocks[-1]
            return last + block.shape[1] >= position + frames or self.ended

    def read(self, position: int, frames: int) -> np.ndarray | None:
        """``frames`` frames from ``position`` at the feed's gain, dropping what is before it;
        None when they are not all queued yet (silence past the song's end)."""
        if not self.holds(position, frames):
            return None
        out = np.zeros((2, frames), dtype=np.float32)
        with self.lock:
            while self.blocks and self.blocks[0][0] + self.blocks[0][1].shape[1] <= position:
                self.blocks.popleft()
            for start, block in self.blocks:
                lo, hi = max(position, start), min(position + frames, start + block.shape[1])
                if lo >= hi:
                    if start >= position + frames:
                        break
                    continue
                out[:, lo - position : hi - position] = block[:, lo - start : hi - start]
        out *= self.gain
        return out


class Player:
    """One output stream playing one version at a time (see the module docstring). The
    device is the sounddevice module or a look-alike with ``OutputStream(samplerate=,
    channels=, dtype=, callback=, latency=)``; ``open_source(version, start_s)`` gives a
    version's blocks (:meth:`for_session`: the engine's stream)."""

    def __init__(
        self,
        device_module: Any,
        *,
        sample_rate: int,
        open_source: OpenSource,
        duration_s: float = float("inf"),
    ) -> None:
        self.device = device_module
        self.sample_rate = sample_rate
        self.open_source = open_source
        self.duration_s = duration_s
        self._lock = threading.Lock()
        self._output: Any = None
        self._feed: _Feed | None = None
        self._next: _Feed | None = None  # a switch waiting for its first blocks
        self._fade: tuple[_Feed, int] | None = None  # (the version fading out, frames done)
        self._position = 0  # song frame of the next frame handed to the card
        self._pre_roll = 0  # frames of silence still to hand over before it
        self.version: int | None = None
        self.underflows = 0  # blocks the device asked for too late (a busy machine): gaps
        self.switched_at: int | None = None  # song frame where the last switch's crossfade began
        self.fade_frames = max(1, int(CROSSFADE_MS / 1000 * sample_rate))

    @classmethod
    def for_session(cls, device_module: Any, session: Session) -> Player:
        from mixchat.tools.engine import Engine  # the engine imports slowly: only to play

        engine = Engine.for_session(session)

        def open_source(version: int, start_s: float) -> BlockSource:
            return engine.stream(session.load(version).state, start_s=start_s)

        return cls(
            device_module,
            sample_rate=session.meta.sample_rate,
            open_source=open_source,
            duration_s=session.meta.duration_s,
        )

    @property
    def playing(self) -> bool:
        return self._output is not None

    @property
    def position_s(self) -> float:
        return self._position / self.sample_rate

    # --- transport -------------------------------------------------------------------
    def play(self, version: int, *, start_s: float | None = None, gain_db: float = 0.0) -> float:
        """Play ``version`` from ``start_s`` (default: where playback is or last was) at
        ``gain_db``. Returns the seconds until its first block was there."""
        started = time.perf_counter()
        feed = self._start(version, start_s=start_s, gain_db=gain_db)
        ready = self._wait_for_first(feed)
        if self._output is None:
            self.underflows = 0
            self._output = self.device.OutputStream(
                samplerate=self.sample_rate,
                channels=2,
                dtype="float32",
                callback=self._callback,
                latency=LATENCY,
            )
            self._output.start()
        return ready or time.perf_counter() - started

    def _start(self, version: int, *, start_s: float | None, gain_db: float) -> _Feed:
        """``version`` becomes what plays, from ``start_s`` (a jump; silence until its first
        block is there)."""
        position = self.position_s if start_s is None else start_s
        position = min(max(0.0, position), self.duration_s)
        feed = _Feed(self.open_source(version, position), version=version, gain_db=gain_db)
        with self._lock:
            self._retire_all()
            self._feed, self.version = feed, version
            self._position = int(round(position * self.sample_rate))
            if self._output is None:
                self._pre_roll = int(PRE_ROLL_S * self.sample_rate)
        return feed

    def switch(self, version: int, *, gain_db: float = 0.0) -> float:
        """Play ``version`` from where playback is, crossfading from the current one (which
        fades out at the gain it was playing at). Returns the seconds until the switch was
        heard; a switch whose version is not ready in SWITCH_WAIT_S jumps instead."""
        if not self.playing:
            return self.play(version, gain_db=gain_db)
        started = time.perf_counter()
        feed = _Feed(self.open_source(version, self.position_s), version=version, gain_db=gain_db)
        with self._lock:
            if self._next is not None:
                self._next.retire()
            self._next = feed
        deadline = started + SWITCH_WAIT_S
        while self._next is feed and time.perf_counter() < deadline:
            if feed.error is not None:
                raise feed.error
            time.sleep(0.01)
        with self._lock:
            if self._next is feed:  # it never caught up with the playhead: a jump to it
                self._next = None
                for old in (self._feed, self._fade[0] if self._fade else None):
                    if old is not None:
                        old.retire()
                self._fade = None
                self._feed, self.version = feed, version
                first = feed.first_frame()
                if first is not None:
                    self._position = first
        return time.perf_counter() - started

    def seek(self, seconds: float) -> None:
        """Move the playhead (a jump: the version plays on from there as soon as its blocks
        are read; does not wait for them)."""
        if self.version is None:
            return
        if not self.playing:
            with self._lock:
                seconds = min(max(0.0, seconds), self.duration_s)
                self._position = int(round(seconds * self.sample_rate))
            return
        gain_db = self._feed.gain_db if self._feed is not None else 0.0
        self._start(self.version, start_s=seconds, gain_db=gain_db)

    def stop(self) -> None:
        output, self._output = self._output, None
        if output is not None:
            output.stop()
            output.close()
        with self._lock:
            self._retire_all()
            self._feed = None

    def _retire_all(self) -> None:
        for feed in (self._feed, self._next, self._fade[0] if self._fade else None):
            if feed is not None:
                feed.retire()
        self._next, self._fade = None, None

    @staticmethod
    def _wait_for_first(feed: _Feed, timeout_s: float = 30.0) -> float | None:
        started = time.perf_counter()
        while feed.first_frame() is None and not feed.ended:
            if time.perf_counter() - started > timeout_s:
                return None
            time.sleep(0.005)
        if feed.error is not None:
            raise feed.error
        return time.perf_counter() - started

    # --- the sound card's thread -----------------------------------------------------
    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """The card asks for ``frames`` (frames, 2): the pre-roll's silence, then the current
        version (crossfaded from the last one after a switch); silence, with the playhead
        held, where its render has not arrived yet."""
        if status is not None and getattr(status, "output_underflow", False):
            self.underflows += 1
        with self._lock:
            block = self._next_block(frames)
        if block is None:
            outdata.fill(0.0)
        else:
            outdata[:] = block.T

    def _next_block(self, frames: int) -> np.ndarray | None:
        if self._pre_roll > 0:
            lead = min(self._pre_roll, frames)
            self._pre_roll -= lead
            rest = self._next_block(frames - lead) if frames > lead else None
            out = np.zeros((2, frames), dtype=np.float32)
            if rest is not None:
                out[:, lead:] = rest
            return out
        position = self._position
        if self._next is not None and self._next.holds(position, frames):
            if self._feed is not None:
                self._fade = (self._feed, 0)
            self._feed, self.version, self._next = self._next, self._next.version, None
            self.switched_at = position
        if self._feed is None:
            return None
        first = self._feed.first_frame()
        if first is not None and first > position:  # its stream starts later: go there
            position = self._position = first
        block = self._feed.read(position, frames)
        if block is None:
            return None
        if self._fade is not None:
            block = self._crossfade(self._fade, block, position, frames)
        self._position = position + frames
        return block

    def _crossfade(
        self, fade: tuple[_Feed, int], block: np.ndarray, position: int, frames: int
    ) -> np.ndarray:
        old, done = fade
        previous = old.read(position, frames)
        if previous is None:  # the old version ran dry: the switch is a cut
            old.retire()
            self._fade = None
            return block
        ramp = np.clip(
            (np.arange(frames, dtype=np.float32) + done) / np.float32(self.fade_frames), 0.0, 1.0
        )
        mixed = previous * (1.0 - ramp) + block * ramp
        done += frames
        if done >= self.fade_frames:
            old.retire()
            self._fade = None
        else:
            self._fade = (old, done)
        return mixed.astype(np.float32, copy=False)


def write_wavs(
    session: Session, *, version: int, a: int | None, b: int | None, progress: Any = None
) -> list[str]:
    """The version's render in <session>/renders/, and the level-matched A/B pair if marked."""
    from mixchat.assistant.turn.comparison import ab_compare, render_version

    folder = session.path / "renders"
    folder.mkdir(parents=True, exist_ok=True)
    output = Path(folder) / f"v{version:04d}.wav"
    files = [render_version(session, output=output, version=version, progress=progress)["output"]]
    if a is not None and b is not None and a != b:
        files += ab_compare(session, a, b, output=folder / f"ab_v{a}_v{b}")["files"]
    return files
