"""Stems as block readers: a stem is read from its file a block at a time, never held whole.

A reader gives ``read(start, stop)``: a (channels, stop - start) float32 block of the stem at
the session rate, silence outside the stem (before 0, after its end), so every stem reads as
the session's length. Three kinds, chosen by :func:`open_stem`:

* ``FileStem``: WAV, AIFF and FLAC already at the session rate are read in place with
  libsndfile (seekable, exact: the same samples ``soundfile.read`` gives), plain 16/24-bit
  and float WAV straight from their data chunk (``mixchat.dsp.pcm``: the same samples, a
  quarter of the time), so a session keeps no second copy of them;
* ``NpyStem``: a float32 ``.npy`` copy, read with plain file reads (no memory map, so reading
  never grows resident memory): stems that had to be resampled or decoded (MP3, OGG), and the
  copies older sessions made;
* ``ResampledStem``: the source decoded and resampled as a stream (soxr's stream gives the
  same samples as its one-shot resample); sequential, it restarts when asked to go back.

``ArrayStem`` wraps an in-memory array (tests, tools that already hold the audio);
``SharedReads`` decodes a reader's blocks once for several consumers of the same blocks.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf

from mixchat.dsp.audio_io import NpyReader, audio_writer, release_pages
from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.pcm import PcmLayout, pcm_layout, read_pcm
from mixchat.dsp.resampling import PiecewiseResampler

SEEKABLE_FORMATS = ("WAV", "WAVEX", "AIFF", "FLAC", "W64", "RF64", "CAF")
STREAM_BLOCK = 1 << 16


class StemReader(Protocol):
    channels: int
    frames: int

    def read(self, start: int, stop: int) -> np.ndarray: ...


def _silence(channels: int, frames: int) -> np.ndarray:
    return np.zeros((channels, max(frames, 0)), dtype=np.float32)


def _clip_range(start: int, stop: int, length: int) -> tuple[int, int]:
    return max(start, 0), min(stop, length)


def _place(channels: int, start: int, stop: int, lo: int, part: np.ndarray) -> np.ndarray:
    """``part`` (samples lo..) inside a silent (channels, stop - start) block."""
    if lo == start and part.shape[1] == stop - start:
        return part
    block = _silence(channels, stop - start)
    block[:, lo - start : lo - start + part.shape[1]] = part
    return block


class ArrayStem:
    """An in-memory (channels, n) array as a reader, ``frames`` long (padded or cut)."""

    def __init__(self, audio: np.ndarray, *, frames: int | None = None) -> None:
        self.audio = np.atleast_2d(audio)
        self.channels = self.audio.shape[0]
        self.frames = self.audio.shape[1] if frames is None else frames

    def read(self, start: int, stop: int) -> np.ndarray:
        lo, hi = _clip_range(start, min(stop, self.frames), self.audio.shape[1])
        if hi <= lo:
            return _silence(self.channels, stop - start)
        part = np.array(self.audio[:, lo:hi], dtype=np.float32)
        release_pages(self.audio)  # a memory-mapped array: do not keep what was read
        return _place(self.channels, start, stop, lo, part)


class FileStem:
    """A seekable file at the session rate, read in place (thread-safe: one handle, locked)."""

    def __init__(self, path: Path, *, frames: int) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._handle = sf.SoundFile(str(self.path))
        except (sf.SoundFileError, RuntimeError, OSError) as error:
            raise AudioFileError(f"{self.path.name} is not readable audio ({error})") from None
        self.channels = self._handle.channels
        self.length = self._handle.frames
        self.sample_rate = self._handle.samplerate
        self.frames = frames
        self._layout: PcmLayout | None = None
        if self._handle.format in ("WAV", "WAVEX") and self._handle.endian == "FILE":
            self._layout = pcm_layout(
                self.path,
                subtype=self._handle.subtype,
                channels=self.channels,
                frames=self.length,
            )
        self._raw = open(self.path, "rb", buffering=0) if self._layout is not None else None

    def read(self, start: int, stop: int) -> np.ndarray:
        lo, hi = _clip_range(start, min(stop, self.frames), self.length)
        if hi <= lo:
            return _silence(self.channels, stop - start)
        if self._raw is not None and self._layout is not None:
            found = read_pcm(self._raw.fileno(), self._layout, lo, hi)
            if found is not None:  # else the file ended early: libsndfile says where
                return _place(self.channels, start, stop, lo, found)
        with self._lock:
            try:
                if self._handle.tell() != lo:
                    self._handle.seek(lo)
                data = self._handle.read(hi - lo, dtype="float32", always_2d=True)
            except (sf.SoundFileError, RuntimeError) as error:  # a file cut short, a bad frame
                raise unreadable(self.path, error, at_s=lo / self.sample_rate) from None
        part = np.ascontiguousarray(data.T)
        return _place(self.channels, start, stop, lo, part)

    def close(self) -> None:
        self._handle.close()
        if self._raw is not None:
            self._raw.close()


class NpyStem:
    """A float32 (channels, n) ``.npy`` copy read with plain reads (never memory-mapped)."""

    def __init__(self, path: Path, *, frames: int | None = None) -> None:
        try:
            self._reader = NpyReader(path)
        except (OSError, ValueError) as error:
            raise AudioFileError(
                f"{Path(path).name} is not a readable stem copy ({error})"
            ) from None
        if self._reader.dtype != np.float32:
            raise AudioFileError(f"{Path(path).name} is not a float32 (channels, n) array")
        self.path = Path(path)
        self.channels, self.length = self._reader.shape
        self.frames = self.length if frames is None else frames

    def read(self, start: int, stop: int) -> np.ndarray:
        lo, hi = _clip_range(start, min(stop, self.frames), self.length)
        if hi <= lo:
            return _silence(self.channels, stop - start)
        return _place(self.channels, start, stop, lo, self._reader.read(lo, hi))


class ResampledStem:
    """A source at another rate (or in a format read only as a stream), decoded and resampled
    in order with soxr's stream; reading backwards restarts it from the top."""

    def __init__(self, path: Path, *, sample_rate: int, frames: int) -> None:
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.frames = frames
        info = sf.info(str(self.path))
        self.channels = info.channels
        self.source_rate = info.samplerate
        self._lock = threading.Lock()
        self._restart()

    def own(self) -> ResampledStem:
        """A reader of its own for one consumer (two at different places would restart
        each other's stream at every block)."""
        return ResampledStem(self.path, sample_rate=self.sample_rate, frames=self.frames)

    def _restart(self) -> None:
        self._blocks = self._stream()
        self._buffer = _silence(self.channels, 0)
        self._position = 0  # session frame of self._buffer[:, 0]

    def _stream(self) -> Iterator[np.ndarray]:
        resampler = None
        if self.source_rate != self.sample_rate:
            resampler = PiecewiseResampler(
                self.source_rate, self.sample_rate, self.channels, dtype="float32", quality="HQ"
            )
        with sf.SoundFile(str(self.path)) as handle:
            while True:
                try:
                    data = handle.read(STREAM_BLOCK, dtype="float32", always_2d=True)
                except (sf.SoundFileError, RuntimeError) as error:
                    raise unreadable(
                        self.path, error, at_s=handle.tell() / self.source_rate
                    ) from None
                last = data.shape[0] < STREAM_BLOCK
                if resampler is not None:
                    data = resampler.resample(data, last=last)
                if data.shape[0]:
                    yield np.ascontiguousarray(data.T)
                if last:
                    return

    def read(self, start: int, stop: int) -> np.ndarray:
        with self._lock:
            lo = max(start, 0)
            if lo < self._position:
                self._restart()
            parts = [self._buffer]
            have = self._position + self._buffer.shape[1]
            while have < min(stop, self.frames):
                block = next(self._blocks, None)
                if block is None:
                    break
                parts.append(block)
                have += block.shape[1]
            buffer = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
            hi = min(stop, self.frames, have)
            part = buffer[:, lo - self._position : max(hi - self._position, lo - self._position)]
            keep_from = max(hi - self._position, 0)
            self._buffer, self._position = buffer[:, keep_from:], self._position + keep_from
        if part.shape[1] == 0:
            return _silence(self.channels, stop - start)
        return _place(self.channels, start, stop, lo, np.ascontiguousarray(part))


def unreadable(path: Path, error: BaseException, *, at_s: float) -> AudioFileError:
    """A stem whose header opened but whose audio stops decoding part-way (cut short)."""
    why = " ".join(str(error).split()) or type(error).__name__
    where = f" past {at_s:.1f} s" if at_s > 0 else ""
    return AudioFileError(
        f"{path.name} is not readable audio{where} ({why}); re-export it as WAV or FLAC"
    )


def readable_in_place(path: Path, *, sample_rate: int) -> bool:
    """True when libsndfile can seek ``path`` exactly and it is at ``sample_rate``."""
    try:
        info = sf.info(str(path))
    except (sf.SoundFileError, RuntimeError, OSError):
        return False
    return info.format in SEEKABLE_FORMATS and info.samplerate == sample_rate and info.frames > 0


def open_stem(path: Path, *, sample_rate: int, frames: int) -> StemReader:
    """The reader for a stem file: in place when it can be, else a resampling stream."""
    if readable_in_place(path, sample_rate=sample_rate):
        return FileStem(path, frames=frames)
    return ResampledStem(path, sample_rate=sample_rate, frames=frames)


class SharedReads:
    """One reader for ``consumers`` readers of the same blocks, each reading every block
    exactly once and in order (a track's old and new insert chains in one render): each
    block is read once, by whichever consumer asks first, and handed to the others as the
    same array (read-only). A block is dropped once every consumer has had it."""

    def __init__(self, reader: StemReader, *, consumers: int) -> None:
        self._reader = reader
        self._consumers = consumers
        self._lock = threading.Lock()
        self._blocks: dict[tuple[int, int], tuple[Future[np.ndarray], list[int]]] = {}
        self.channels = reader.channels
        self.frames = reader.frames

    def read(self, start: int, stop: int) -> np.ndarray:
        with self._lock:
            entry = self._blocks.get((start, stop))
            first = entry is None
            if entry is None:
                entry = self._blocks[(start, stop)] = (Future(), [self._consumers])
            found, left = entry
            left[0] -= 1
            if not left[0]:
                del self._blocks[(start, stop)]
        if first:
            try:
                found.set_result(self._reader.read(start, stop))
            except BaseException as error:
                found.set_exception(error)
                raise
        return found.result()


def iter_blocks(
    reader: StemReader, *, block: int, start: int = 0
) -> Iterator[tuple[int, np.ndarray]]:
    """(start, block) pairs covering ``start .. reader.frames`` in order."""
    for lo in range(start, reader.frames, block):
        yield lo, reader.read(lo, min(lo + block, reader.frames))


def file_identity(path: Path) -> tuple[int, int]:
    """(size in bytes, modification time in ns): what tells a stem file was not touched."""
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


WRITE_BLOCK = 1 << 19


def as_reader(audio: np.ndarray | StemReader) -> StemReader:
    """A reader of ``audio`` (an array, or already a reader)."""
    if isinstance(audio, np.ndarray):
        return ArrayStem(audio)
    return audio


def write_stem_file(path: Path, source: np.ndarray | StemReader, *, sample_rate: int) -> int:
    """Write a stem as WAV, block by block: 24-bit, or 32-bit float when it reaches full
    scale (one pass to find the peak, one to write). Returns its channel count."""
    reader = as_reader(source)
    peak = 0.0
    for _, block in iter_blocks(reader, block=WRITE_BLOCK):
        peak = max(peak, float(np.max(np.abs(block), initial=0.0)))
    subtype = "FLOAT" if peak >= 1.0 else "PCM_24"
    with audio_writer(
        path, sample_rate=sample_rate, channels=reader.channels, subtype=subtype
    ) as out:
        for _, block in iter_blocks(reader, block=WRITE_BLOCK):
            out.write(block)
    return reader.channels
