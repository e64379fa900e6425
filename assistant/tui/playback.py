"""Playing a version through the sound card when `sounddevice` and an output device exist.

`sounddevice` is optional (`pip install mixchat[audio]`); without it, or without an output
device, :func:`audio_output` says why and the UI offers to write WAVs instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mixchat.tools.session import Session


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


def render_for_playback(session: Session, version: int) -> tuple[np.ndarray, int]:
    from mixchat.tools.engine import Engine

    engine = Engine.for_session(session)
    rendered = engine.render(session.load(version).state)
    return rendered.audio, rendered.sample_rate


def play(device_module: Any, audio: np.ndarray, *, sample_rate: int) -> None:
    device_module.stop()
    device_module.play(np.ascontiguousarray(audio.T), samplerate=sample_rate)


def stop(device_module: Any) -> None:
    device_module.stop()


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
