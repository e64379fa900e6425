"""A stand-in for sounddevice that plays when pulled: the test is the sound card's clock."""

from __future__ import annotations

import time

import numpy as np


class FakeOutputStream:
    def __init__(self, *, samplerate: int, channels: int, dtype: str, callback, **_) -> None:
        self.samplerate, self.channels, self.callback = samplerate, channels, callback
        self.started = self.stopped = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def close(self) -> None:
        pass

    def pull(self, frames: int) -> np.ndarray:
        """What the sound card would play next (frames, 2)."""
        out = np.zeros((frames, self.channels), dtype=np.float32)
        self.callback(out, frames, None, None)
        return out


class FakeSoundDevice:
    def __init__(self) -> None:
        self.streams: list[FakeOutputStream] = []

    def OutputStream(self, **kwargs) -> FakeOutputStream:  # noqa: N802 - sounddevice's name
        self.streams.append(FakeOutputStream(**kwargs))
        return self.streams[-1]


def skip_pre_roll(stream: FakeOutputStream) -> None:
    """A new stream starts with PRE_ROLL_S of silence (some devices drop their first blocks)."""
    from mixchat.assistant.tui.playback import PRE_ROLL_S

    assert not np.any(stream.pull(int(PRE_ROLL_S * stream.samplerate)))


def pull_seconds(stream: FakeOutputStream, seconds: float) -> np.ndarray:
    """Pull audio the way a sound card does, waiting for the render where it lags."""
    frames = int(seconds * stream.samplerate)
    parts, got = [], 0
    deadline = time.monotonic() + 30
    while got < frames and time.monotonic() < deadline:
        part = stream.pull(min(4096, frames - got))
        if not np.any(part):
            time.sleep(0.01)
            continue
        parts.append(part)
        got += part.shape[0]
    return np.concatenate(parts).T
