"""Playing versions through the sound card (sounddevice over PortAudio), with A/B switching.

:func:`audio_output` finds the output device, or says why there is none (the UI then says so
once and offers WAVs). :class:`Player` plays one version from a position on one output
stream: :meth:`Player.switch` changes to another version at the same position, level-matched
(each version played at its gain), with a short equal-gain crossfade inside the sound card's
callback, so the switch has no gap and no click. :meth:`Player.seek` moves the playhead.

The stream's callback runs on PortAudio's thread: it only copies from renders already in
memory; renders are made by the caller (a worker thread) before a switch.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.tools.session import Session

CROSSFADE_MS = 30.0
PRE_ROLL_S = 0.25  # silence a new stream starts with: some devices drop their first blocks
LATENCY = 0.1  # seconds of output buffer: low enough for A/B, no underruns on a busy machine


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


def render_for_playback(session: Session, version: int) -> tuple[np.ndarray, int, float]:
    """(the version's render as (2, n) float32, its rate, its integrated loudness)."""
    from mixchat.dsp.loudness import integrated_lufs
    from mixchat.tools.engine import Engine

    rendered = Engine.for_session(session).render(session.load(version).state)
    audio = np.ascontiguousarray(rendered.audio, dtype=np.float32)
    return audio, rendered.sample_rate, integrated_lufs(audio, sample_rate=rendered.sample_rate)


def matched_gains_db(lufs: dict[int, float]) -> dict[int, float]:
    """Gains that bring every version to the quietest one's loudness (never louder)."""
    finite = {v: level for v, level in lufs.items() if np.isfinite(level)}
    if not finite:
        return {v: 0.0 for v in lufs}
    target = min(finite.values())
    return {v: (target - finite[v]) if v in finite else 0.0 for v in lufs}


class Player:
    """One output stream playing one version at a time (see the module docstring). The
    device is the sounddevice module or a look-alike with ``OutputStream(samplerate=,
    channels=, dtype=, callback=, latency=)``."""

    def __init__(self, device_module: Any, *, sample_rate: int) -> None:
        self.device = device_module
        self.sample_rate = sample_rate
        self._renders: dict[int, np.ndarray] = {}
        self._gains: dict[int, float] = {}
        self._lock = threading.Lock()
        self._stream: Any = None
        self._audio: np.ndarray | None = None
        self._gain = 1.0
        self._position = 0
        self._fade: tuple[np.ndarray, float, int] | None = None  # (old audio, old gain, done)
        self.version: int | None = None
        self.underflows = 0  # blocks the device asked for too late (a busy machine): heard as gaps
        self.fade_frames = max(1, int(CROSSFADE_MS / 1000 * sample_rate))

    # --- what it holds ---------------------------------------------------------------
    def load(self, version: int, audio: np.ndarray, *, gain_db: float = 0.0) -> None:
        """Keep ``version``'s render (2, n) to play at ``gain_db``."""
        with self._lock:
            self._renders[version] = np.ascontiguousarray(audio, dtype=np.float32)
            self._gains[version] = float(gain_db)
            if version == self.version:
                self._gain = 10.0 ** (gain_db / 20.0)

    def set_gains(self, gains_db: dict[int, float]) -> None:
        with self._lock:
            self._gains.update(gains_db)
            if self.version in gains_db:
                self._gain = 10.0 ** (gains_db[self.version] / 20.0)

    def has(self, version: int) -> bool:
        return version in self._renders

    @property
    def playing(self) -> bool:
        return self._stream is not None

    @property
    def position_s(self) -> float:
        return max(0, self._position) / self.sample_rate

    @property
    def duration_s(self) -> float:
        return 0.0 if self._audio is None else self._audio.shape[1] / self.sample_rate

    # --- transport -------------------------------------------------------------------
    def play(self, version: int, *, start_s: float = 0.0) -> None:
        """Start (or restart) playback of a loaded ``version`` at ``start_s``."""
        with self._lock:
            self._select(version)
            self._position = self._frame(start_s)
            self._fade = None
            if self._stream is None:
                self._position -= int(PRE_ROLL_S * self.sample_rate)
        if self._stream is None:
            self.underflows = 0
            self._stream = self.device.OutputStream(
                samplerate=self.sample_rate,
                channels=2,
                dtype="float32",
                callback=self._callback,
                latency=LATENCY,
            )
            self._stream.start()

    def switch(self, version: int, *, gains_db: dict[int, float] | None = None) -> None:
        """Play ``version`` from where playback is now, crossfading from the current one
        (which fades out at the gain it was playing at); ``gains_db`` sets the versions'
        gains from now on (the level match)."""
        with self._lock:
            old, old_gain = self._audio, self._gain
            self._gains.update(gains_db or {})
            self._select(version)
            if old is not None and self._stream is not None:
                self._fade = (old, old_gain, 0)

    def seek(self, seconds: float) -> None:
        with self._lock:
            self._position = self._frame(seconds)
            self._fade = None

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()

    def _select(self, version: int) -> None:
        self._audio = self._renders[version]
        self._gain = 10.0 ** (self._gains.get(version, 0.0) / 20.0)
        self.version = version

    def _frame(self, seconds: float) -> int:
        length = 0 if self._audio is None else self._audio.shape[1]
        return int(min(max(0.0, seconds) * self.sample_rate, length))

    # --- the sound card's thread -----------------------------------------------------
    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status is not None and getattr(status, "output_underflow", False):
            self.underflows += 1
        with self._lock:
            audio, start = self._audio, self._position
            if audio is None:
                outdata.fill(0.0)
                return
            block = _slice(audio, start, frames) * np.float32(self._gain)
            if self._fade is not None:
                block = self._crossfade(self._fade, block, start, frames)
            self._position = min(start + frames, audio.shape[1])
        outdata[:] = block.T

    def _crossfade(
        self, fade: tuple[np.ndarray, float, int], block: np.ndarray, start: int, frames: int
    ) -> np.ndarray:
        old, old_gain, done = fade
        ramp = np.clip(
            (np.arange(frames, dtype=np.float32) + done) / np.float32(self.fade_frames), 0.0, 1.0
        )
        previous = _slice(old, start, frames) * np.float32(old_gain)
        mixed = previous * (1.0 - ramp) + block * ramp
        done += frames
        self._fade = None if done >= self.fade_frames else (old, old_gain, done)
        return mixed.astype(np.float32, copy=False)


def _slice(audio: np.ndarray, start: int, frames: int) -> np.ndarray:
    """``frames`` frames of ``audio`` from ``start``, silence before its start (the pre-roll)
    and past its end."""
    if start < 0:
        lead = min(-start, frames)
        rest = _slice(audio, 0, frames - lead) if frames > lead else audio[:, :0]
        return np.concatenate([np.zeros((audio.shape[0], lead), np.float32), rest], axis=1)
    block = audio[:, start : start + frames]
    if block.shape[1] < frames:
        block = np.pad(block, ((0, 0), (0, frames - block.shape[1])))
    return block


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
