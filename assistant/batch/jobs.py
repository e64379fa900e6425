"""The songs of a catalogue, the options every song gets, and what one task is handed.

A song is a subfolder of SONGS_DIR holding its stems. A task gets paths and options, never
audio; what it may need in memory is estimated from the stem files' headers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import soundfile as sf

from mixchat.assistant.batch.errors import BatchError
from mixchat.dsp.audio_io import AUDIO_SUFFIXES, session_rate
from mixchat.dsp.master import parse_target

ExportFormat = Literal["stems", "dawproject", "reaper"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("stems", "dawproject", "reaper")
OWN_FOLDERS = (".partial", ".failed")  # batch bookkeeping inside OUT, never songs

# What one song's task may need in memory: the interpreter with numpy, pedalboard, librosa and
# the engine loaded, plus a multiple of its stems decoded (float32 at the session rate): the
# stems, the track renders and the mix are each held or mapped whole while measured. Measured
# peaks (RSS, song plus one brief): 336 MB for 20 s of song_1's 7 stems (37 MB decoded), 664 MB
# for all 75 s (139 MB decoded), i.e. ~220 MB + 3.2x; declared with room to spare.
BASE_MEMORY_BYTES = 400 * 1024**2
MEMORY_PER_STEM_BYTE = 4.0


@dataclass(frozen=True)
class BatchOptions:
    """What every song gets after its automix."""

    target: str = "spotify"
    ceiling_dbtp: float = -1.0
    briefs: tuple[str, ...] = ()
    export: ExportFormat | None = None
    target_lufs: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_lufs", parse_target(self.target))
        if not -12.0 <= self.ceiling_dbtp <= 0.0:
            raise BatchError(
                f"--ceiling-db={self.ceiling_dbtp:g} must be between -12 and 0 dBTP (e.g. -1)"
            )
        if self.export is not None and self.export not in EXPORT_FORMATS:
            raise BatchError(f"--export={self.export!r}: use {', '.join(EXPORT_FORMATS)}")

    def key(self) -> str:
        """A digest of everything that changes a song's outputs: a finished song counts as
        finished only for the options it was made with."""
        data = asdict(self)
        data.pop("target")  # "spotify" and "-14" make the same master
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SongJob:
    """One task: a song's stems folder, where its results go, and how it may run."""

    song: str
    stems_dir: Path
    out_root: Path
    options: BatchOptions
    threads: int = 1

    @property
    def final_dir(self) -> Path:
        return self.out_root / self.song

    @property
    def staging_dir(self) -> Path:
        return self.out_root / ".partial" / self.song


def read_briefs(path: Path) -> tuple[str, ...]:
    """One brief per line; blank lines and lines starting with # are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BatchError(f"--briefs {path}: no such file; write one brief per line") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BatchError(
            f"--briefs {path}: cannot read it ({error}); use a UTF-8 text file"
        ) from None
    lines = (line.strip() for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def find_songs(songs_dir: Path, *, out_root: Path) -> list[tuple[str, Path]]:
    """(song, folder) for every subfolder of ``songs_dir``, by name; hidden folders and the
    output folder (when it sits inside) are not songs."""
    songs_dir = Path(songs_dir)
    if not songs_dir.is_dir():
        raise BatchError(
            f"{songs_dir} is not a folder; give the folder that holds one subfolder of stems per song"
        )
    out_resolved = Path(out_root).resolve()
    songs = [
        (folder.name, folder)
        for folder in sorted(songs_dir.iterdir())
        if folder.is_dir() and not folder.name.startswith(".") and folder.resolve() != out_resolved
    ]
    if not songs:
        loose = [p for p in songs_dir.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES]
        hint = (
            "it holds stems directly: put each song's stems in a subfolder (or use `mixchat new`)"
            if loose
            else "put each song's stems in its own subfolder"
        )
        raise BatchError(f"{songs_dir} has no song folders; {hint}")
    return songs


def memory_estimate_bytes(stems_dir: Path) -> int:
    """What a song's task may need in memory, from its stem files' headers: every stem
    decoded to float32 at the session rate and padded to the longest (unreadable files count
    as nothing: the task itself reports them)."""
    infos = []
    for path in sorted(Path(stems_dir).iterdir()):
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            continue
        try:
            infos.append(sf.info(str(path)))
        except (RuntimeError, OSError):  # soundfile's LibsndfileError is a RuntimeError
            continue
    if not infos:
        return BASE_MEMORY_BYTES
    rate = session_rate([int(info.samplerate) for info in infos])
    seconds = max(info.frames / max(info.samplerate, 1) for info in infos)
    channels = sum(max(info.channels, 1) for info in infos)
    decoded = int(seconds * rate) * channels * 4
    return BASE_MEMORY_BYTES + int(MEMORY_PER_STEM_BYTE * decoded)
