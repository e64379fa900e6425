"""Reading and writing audio: stems in (checked, resampled, aligned), WAV/FLAC out (atomic).

Audio is float32 shaped (channels, frames); soundfile's (frames, channels) is transposed here
and nowhere else. Unusable files raise AudioFileError with one line naming the file and what
to do; recoverable oddities (other sample rate, other length, silence) become warnings.
"""

from __future__ import annotations

import hashlib
import io
import mmap
import os
import re
import uuid
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from mixchat.dsp.errors import AudioFileError, AudioWriteError

AUDIO_SUFFIXES = (".wav", ".flac", ".aif", ".aiff", ".mp3", ".ogg")
SILENCE_PEAK_DBFS = -90.0
LENGTH_WARNING_S = 0.001
TEMP_NPY = re.compile(r"^\..+\.(\d+)\.\w+\.tmp\.npy$")  # see temp_npy_path
_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".aif": "AIFF", ".aiff": "AIFF", ".ogg": "OGG"}


@dataclass(frozen=True)
class LoadedAudio:
    audio: np.ndarray
    sample_rate: int
    source_rate: int
    channels: int
    frames: int
    subtype: str
    path: Path
    warnings: tuple[str, ...] = ()


def _read_soundfile(path: Path) -> tuple[np.ndarray, int, str]:
    info = sf.info(str(path))
    if info.channels > 2:
        raise AudioFileError(
            f"{path.name} has {info.channels} channels; export it as mono or stereo"
        )
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data.T, int(rate), str(info.subtype)


def _read_fallback(path: Path) -> tuple[np.ndarray, int, str]:
    import librosa  # slow import: only for formats libsndfile cannot open

    data, rate = librosa.load(str(path), sr=None, mono=False)
    return np.atleast_2d(np.asarray(data, dtype=np.float32)), int(rate), "DECODED"


def _read_any(path: Path) -> tuple[np.ndarray, int, str]:
    try:
        return _read_soundfile(path)
    except (sf.SoundFileError, RuntimeError, ValueError) as error:
        if path.suffix.lower() not in (".mp3", ".ogg", ".m4a"):
            raise AudioFileError(
                f"{path.name} is not readable audio ({_short(error)}); re-export it as WAV or FLAC"
            ) from None
    try:
        return _read_fallback(path)
    except Exception as error:  # noqa: BLE001 - audioread/librosa raise many kinds
        raise AudioFileError(
            f"{path.name} is not readable audio ({_short(error)}); re-export it as WAV or FLAC"
        ) from None


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _check(path: Path, audio: np.ndarray) -> None:
    if audio.shape[0] > 2:
        raise AudioFileError(
            f"{path.name} has {audio.shape[0]} channels; export it as mono or stereo"
        )
    if audio.shape[1] == 0:
        raise AudioFileError(f"{path.name} is empty (0 samples); re-export it with audio in it")
    if not np.isfinite(audio).all():
        raise AudioFileError(
            f"{path.name} contains NaN or infinite samples; re-export it from your DAW"
        )


def resample(audio: np.ndarray, *, source_rate: int, sample_rate: int) -> np.ndarray:
    """Resample (channels, frames) float32 audio with soxr HQ."""
    if source_rate == sample_rate:
        return audio
    out = soxr.resample(audio.T, source_rate, sample_rate, quality="HQ")
    return np.ascontiguousarray(np.atleast_2d(out.T) if out.ndim == 1 else out.T, np.float32)


def _resampled(loaded: LoadedAudio, sample_rate: int) -> LoadedAudio:
    if loaded.sample_rate == sample_rate:
        return loaded
    audio = resample(loaded.audio, source_rate=loaded.sample_rate, sample_rate=sample_rate)
    note = f"{loaded.path.name}: {loaded.sample_rate} Hz resampled to {sample_rate} Hz"
    return replace(
        loaded,
        audio=audio,
        sample_rate=sample_rate,
        frames=audio.shape[1],
        warnings=(*loaded.warnings, note),
    )


def load_audio(path: str | os.PathLike[str], *, sample_rate: int | None = None) -> LoadedAudio:
    """Read one audio file as float32 (channels, frames), resampled to ``sample_rate`` if given."""
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: no such audio file; check the path")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path.name} is an empty file (0 bytes); export the stem again")
    audio, rate, subtype = _read_any(path)
    _check(path, audio)
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    warnings: tuple[str, ...] = ()
    peak = float(np.max(np.abs(audio)))
    if peak < 10.0 ** (SILENCE_PEAK_DBFS / 20.0):
        warnings = (f"{path.name} is silent (peak below {SILENCE_PEAK_DBFS:g} dBFS)",)
    loaded = LoadedAudio(
        audio=audio,
        sample_rate=rate,
        source_rate=rate,
        channels=audio.shape[0],
        frames=audio.shape[1],
        subtype=subtype,
        path=path,
        warnings=warnings,
    )
    return _resampled(loaded, sample_rate) if sample_rate else loaded


@dataclass(frozen=True)
class AudioFileInfo:
    path: Path
    channels: int
    sample_rate: int
    frames: int
    subtype: str
    streamable: bool  # libsndfile reads it (else it has to be decoded whole, by librosa)


def probe_audio(path: str | os.PathLike[str]) -> AudioFileInfo:
    """What ``load_audio`` would find, without decoding (one-line errors as it gives)."""
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: no such audio file; check the path")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path.name} is an empty file (0 bytes); export the stem again")
    try:
        info = sf.info(str(path))
        channels, rate, frames, subtype = info.channels, info.samplerate, info.frames, info.subtype
        streamable = True
    except (sf.SoundFileError, RuntimeError, ValueError):
        audio, rate, subtype = _read_any(path)  # raises the one-line error when unreadable
        channels, frames, streamable = audio.shape[0], audio.shape[1], False
    if channels > 2:
        raise AudioFileError(f"{path.name} has {channels} channels; export it as mono or stereo")
    if frames == 0:
        raise AudioFileError(f"{path.name} is empty (0 samples); re-export it with audio in it")
    return AudioFileInfo(path, channels, int(rate), int(frames), str(subtype), streamable)


def resampled_frames(frames: int, *, source_rate: int, sample_rate: int) -> int:
    """The length soxr gives ``frames`` samples resampled (rounded half up)."""
    if source_rate == sample_rate:
        return frames
    return int(frames * sample_rate / source_rate + 0.5)


def plan_stems(
    paths: Sequence[str | os.PathLike[str]],
) -> tuple[list[AudioFileInfo], int, int, list[str]]:
    """Probe stems: their infos, the session rate (the most common), the session length
    (the longest stem at that rate) and the notes ``load_stems`` would give about rates and
    lengths (silence is only known once the stems are read)."""
    if not paths:
        raise AudioFileError("no audio stems given; pass a folder with WAV/FLAC/AIFF/MP3 files")
    infos = [probe_audio(p) for p in paths]
    rate = session_rate([i.sample_rate for i in infos])
    lengths = [
        resampled_frames(i.frames, source_rate=i.sample_rate, sample_rate=rate) for i in infos
    ]
    frames = max(lengths)
    notes = []
    for info, length in zip(infos, lengths, strict=True):
        if info.sample_rate != rate:
            notes.append(f"{info.path.name}: {info.sample_rate} Hz resampled to {rate} Hz")
        seconds = (frames - length) / rate
        if seconds >= LENGTH_WARNING_S:
            notes.append(
                f"{info.path.name} is {seconds:.3f} s shorter than the longest stem; "
                "padded with silence at the end"
            )
    return infos, rate, frames, notes


def session_rate(rates: Sequence[int]) -> int:
    """The most common rate; ties go to the higher rate."""
    counts = Counter(rates)
    return max(counts, key=lambda rate: (counts[rate], rate))


def _padded(loaded: LoadedAudio, frames: int) -> LoadedAudio:
    missing = frames - loaded.frames
    if missing <= 0:
        return loaded
    audio = np.zeros((loaded.channels, frames), dtype=np.float32)
    audio[:, : loaded.frames] = loaded.audio
    notes = loaded.warnings
    seconds = missing / loaded.sample_rate
    if seconds >= LENGTH_WARNING_S:
        notes = (
            *notes,
            f"{loaded.path.name} is {seconds:.3f} s shorter than the longest stem; "
            "padded with silence at the end",
        )
    return replace(loaded, audio=audio, frames=frames, warnings=notes)


def load_stems(
    paths: Sequence[str | os.PathLike[str]], *, sample_rate: int | None = None
) -> tuple[list[LoadedAudio], int, list[str]]:
    """Load stems at one session rate (given, else the most common) and one length."""
    if not paths:
        raise AudioFileError("no audio stems given; pass a folder with WAV/FLAC/AIFF/MP3 files")
    native = [load_audio(p) for p in paths]
    rate = sample_rate or session_rate([s.source_rate for s in native])
    stems = [_resampled(s, rate) for s in native]
    longest = max(s.frames for s in stems)
    stems = [_padded(s, longest) for s in stems]
    warnings = [note for s in stems for note in s.warnings]
    return stems, rate, warnings


def _format_for(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise AudioWriteError(f"{path.name}: cannot write {path.suffix!r} audio; use .wav or .flac")
    return fmt


class _BlockWriter:
    def __init__(self, handle: sf.SoundFile, channels: int) -> None:
        self._handle = handle
        self._channels = channels

    def write(self, block: np.ndarray) -> None:
        block = np.atleast_2d(block)
        if block.shape[0] != self._channels:
            raise AudioWriteError(f"block has {block.shape[0]} channels, expected {self._channels}")
        self._handle.write(block.T)


@contextmanager
def audio_writer(
    path: str | os.PathLike[str], *, sample_rate: int, channels: int, subtype: str = "PCM_24"
) -> Iterator[_BlockWriter]:
    """Write (channels, n) blocks to a temp file, renamed over ``path`` only on success."""
    path = Path(path)
    fmt = _format_for(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        handle = sf.SoundFile(
            str(tmp),
            "w",
            samplerate=int(sample_rate),
            channels=channels,
            subtype=subtype,
            format=fmt,
        )
    except (sf.SoundFileError, RuntimeError, ValueError, OSError) as error:
        raise AudioWriteError(
            f"{path}: cannot write audio ({_short(error)}); check the folder exists and is writable"
        ) from None
    try:
        with handle:
            yield _BlockWriter(handle, channels)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_audio(
    path: str | os.PathLike[str],
    audio: np.ndarray,
    *,
    sample_rate: int,
    subtype: str = "PCM_24",
) -> None:
    """Write (channels, n) float audio atomically (temp file in the same folder + rename)."""
    audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    if audio.ndim != 2:
        raise AudioWriteError(f"audio shape {audio.shape} must be (channels, samples)")
    with audio_writer(
        path, sample_rate=sample_rate, channels=audio.shape[0], subtype=subtype
    ) as writer:
        writer.write(audio)


Put = Callable[[int, np.ndarray], None]


def _npy_header(shape: tuple[int, ...], dtype: str = "<f4") -> bytes:
    header = io.BytesIO()
    descr = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(header, descr)
    return header.getvalue()


def npy_nbytes(shape: tuple[int, int], dtype: str = "<f4") -> int:
    """The size of a (channels, n) .npy file written by ``npy_block_writer``."""
    return len(_npy_header(shape, dtype)) + np.dtype(dtype).itemsize * shape[0] * shape[1]


@contextmanager
def npy_block_writer(path: Path, *, shape: tuple[int, int], dtype: str = "<f4") -> Iterator[Put]:
    """Yield ``put(start_frame, block)`` that writes (channels, k) blocks into a new
    (channels, n) .npy file (float32 unless ``dtype`` says otherwise) with plain writes (no
    memmap page faults; no fsync, it is meant for caches). The file appears at ``path``
    (temp + rename) only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_npy_path(path)
    header = _npy_header(shape, dtype)
    channels, frames = shape
    size = np.dtype(dtype).itemsize
    try:
        with open(tmp, "wb") as handle:
            handle.write(header)
            handle.truncate(len(header) + size * channels * frames)

            def put(start: int, block: np.ndarray) -> None:
                for channel in range(channels):
                    handle.seek(len(header) + size * (channel * frames + start))
                    handle.write(np.ascontiguousarray(block[channel], dtype=dtype).data)

            yield put
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class NpyReader:
    """Blocks of a (channels, n) .npy file read with plain reads (never memory-mapped, so
    reading does not grow resident memory); raises OSError/ValueError if it is not one. The
    file stays open while the reader lives, so a cache eviction (an unlink) during a render
    cannot take the samples from under it; ``pread`` makes it safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with open(self.path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(handle)
            self._offset = handle.tell()
            size = handle.seek(0, os.SEEK_END)
            if len(shape) != 2 or fortran:
                raise ValueError(f"{self.path.name} is not a (channels, n) array")
            self.dtype = np.dtype(dtype)
            self.shape = (int(shape[0]), int(shape[1]))
            if size < self._offset + self.dtype.itemsize * self.shape[0] * self.shape[1]:
                raise ValueError(f"{self.path.name} is cut short")
            self._fd = os.dup(handle.fileno())
        weakref.finalize(self, os.close, self._fd)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start .. stop`` (within the array) of every channel."""
        channels, frames = self.shape
        out = np.empty((channels, max(stop - start, 0)), dtype=self.dtype)
        if stop <= start:
            return out
        for channel in range(channels):
            offset = self._offset + self.dtype.itemsize * (channel * frames + start)
            view = memoryview(out[channel]).cast("B")
            got = 0
            while got < view.nbytes:
                count = os.preadv(self._fd, [view[got:]], offset + got)
                if not count:
                    raise ValueError(f"{self.path.name} is cut short")
                got += count
        return out


def open_reader(path: Path, *, shape: tuple[int, int], dtype: str = "<f4") -> NpyReader | None:
    """An ``NpyReader`` of ``path`` if it holds a complete array of this shape and type."""
    try:
        reader = NpyReader(path)
    except (OSError, ValueError):
        return None
    return reader if reader.shape == shape and reader.dtype == np.dtype(dtype) else None


def open_npy(path: Path, *, shape: tuple[int, ...]) -> np.ndarray | None:
    """Memory-map a float32 .npy file of this shape, or None if absent or different."""
    try:
        array = np.load(path, mmap_mode="r")
    except (OSError, ValueError):
        return None
    return array if array.shape == shape and array.dtype == np.float32 else None


def release_pages(array: np.ndarray) -> None:
    """Let go of a read-only memory map's resident pages (they stay in the OS page cache), so
    resident memory does not grow with the number or length of stems."""
    mapping = getattr(array, "_mmap", None)
    if mapping is not None and hasattr(mapping, "madvise"):
        with suppress(OSError, ValueError):
            mapping.madvise(mmap.MADV_DONTNEED)


def temp_npy_path(path: Path) -> Path:
    """Where ``path`` is written before its atomic rename: hidden, and named with the
    writing process's id, so a file left by a killed process can be told from one that is
    still being written (remove_orphaned_temps)."""
    return path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex}.tmp.npy")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_orphaned_temps(folder: Path) -> list[Path]:
    """Delete the temporary .npy files of processes that are gone (killed mid-write)."""
    removed = []
    for path in Path(folder).glob(".*.tmp.npy"):
        match = TEMP_NPY.match(path.name)
        if match and not _process_alive(int(match[1])):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def prune_cache(cache_dir: Path, *, max_bytes: int) -> list[Path]:
    """Delete files left by killed renders, then the least recently used cache files until
    the folder holds <= max_bytes (files still being written are left alone)."""
    removed = remove_orphaned_temps(cache_dir)
    files = sorted(
        (p for p in Path(cache_dir).glob("*.npy") if not TEMP_NPY.match(p.name)),
        key=lambda p: p.stat().st_mtime,
    )
    total = sum(p.stat().st_size for p in files)
    for path in files:
        if total <= max_bytes:
            break
        total -= path.stat().st_size
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
