"""Playing versions through the sound card when `sounddevice` and an output device exist.

`sounddevice` is optional (`pip install mixchat[audio]`); without it, or without an output
device, :func:`audio_output` says why and the UI offers to write WAVs instead.

:class:`Player` plays a version from a position: its blocks come from the engine's
``OutputStream`` (rendered on a thread ahead of the playhead; a version a brief just made is
read straight from the render cache), and the sound card's callback takes them from a small
queue. ``play(version)`` while playing switches version at the same position, so a producer
hears a revision from where they were listening as soon as its first block is there.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.tools.session import Session

QUEUE_BLOCKS = 8  # blocks (0.25 s each) taken from the stream ahead of the sound card


def audio_output() -> tuple[Any | None, str]:
    """(the sounddevice module, "") when playback works, else (None, the reason)."""
    try:
        import sounddevice  # type: ignore[import-not-found]
    except (ImportError, OSError):
        return None, "no audio output: sounddevice is not installed (pip install sounddevice)"
    try:
        sounddevice.query_devices(kind="output")
    except Exception as error:  # PortAudioError or ValueError: no default output device
        return None, f"no audio output device ({str(error).splitlines()[0]})"
    return sounddevice, ""


class Player:
    """One session's playback on one output device (the sounddevice module or a look-alike
    with ``OutputStream(samplerate=, channels=, dtype=, callback=)``)."""

    def __init__(self, device_module: Any, session: Session) -> None:
        from mixchat.tools.engine import Engine  # the engine imports slowly: only to play

        self.device = device_module
        self.session = session
        self.engine = Engine.for_session(session)
        self.sample_rate = session.meta.sample_rate
        self.version: int | None = None
        self._lock = threading.Lock()
        self._blocks: deque[np.ndarray] = deque()
        self._position = 0  # frames handed to the sound card
        self._source: Any = None
        self._feeder: threading.Thread | None = None
        self._output: Any = None
        self._generation = 0

    @property
    def playing(self) -> bool:
        return self._output is not None

    @property
    def position_s(self) -> float:
        return self._position / self.sample_rate

    def play(self, version: int, *, start_s: float | None = None) -> float:
        """Play ``version`` from ``start_s`` (default: where playback is now, or the top).
        Returns the seconds until its first block was ready."""
        started = time.perf_counter()
        position = self.position_s if start_s is None else max(0.0, start_s)
        state = self.session.load(version).state
        self._close_source()
        source = self.engine.stream(state, start_s=position)
        first = next(source, None)
        with self._lock:
            self._generation += 1
            self._blocks.clear()
            if first is not None:
                self._position, block = first
                self._blocks.append(block)
            self._source, self.version = source, version
        ready = time.perf_counter() - started
        self._feeder = threading.Thread(
            target=self._feed, args=(source, self._generation), name="playback", daemon=True
        )
        self._feeder.start()
        if self._output is None:
            self._output = self.device.OutputStream(
                samplerate=self.sample_rate, channels=2, dtype="float32", callback=self._callback
            )
            self._output.start()
        return ready

    def _feed(self, source: Any, generation: int) -> None:
        for _, block in source:
            while True:
                with self._lock:
                    if generation != self._generation:
                        return
                    if len(self._blocks) < QUEUE_BLOCKS:
                        self._blocks.append(block)
                        break
                time.sleep(0.02)

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """The sound card asks for ``frames`` (frames, 2) samples: from the queue, silence
        where it has run dry (a render falling behind, or the song's end)."""
        written = 0
        with self._lock:
            while written < frames and self._blocks:
                block = self._blocks[0]
                take = min(frames - written, block.shape[1])
                outdata[written : written + take] = block[:, :take].T
                written += take
                if take == block.shape[1]:
                    self._blocks.popleft()
                else:
                    self._blocks[0] = block[:, take:]
            self._position += written
        outdata[written:] = 0.0

    def _close_source(self) -> None:
        with self._lock:
            self._generation += 1
            source, self._source = self._source, None
        if source is not None:
            source.close()

    def stop(self) -> None:
        self._close_source()
        output, self._output = self._output, None
        if output is not None:
            output.stop()
            output.close()
        with self._lock:
            self._blocks.clear()


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
