"""A session's stems as block readers, read from the producer's files where they can be.

WAV, AIFF and FLAC at the session rate are read in place: the session keeps no copy of them
(a DAW project does not copy its audio either). A file that was changed since ``new`` (its
size or time differs and so does its content hash) is refused with a clear message rather
than mixed silently. Stems that had to be resampled or decoded (MP3, OGG) are decoded once
into ``cache/stems/`` (float32, read with plain reads) when the cache has room, and streamed
from the file otherwise. Copies older sessions made there are used as they are.
"""

from __future__ import annotations

from pathlib import Path

from mixchat.dsp.audio_io import file_sha256, npy_block_writer, npy_nbytes
from mixchat.dsp.cache import MIX, CacheBudget, touch
from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.render import StemSource
from mixchat.dsp.stems import (
    FileStem,
    NpyStem,
    ResampledStem,
    StemReader,
    file_identity,
    iter_blocks,
    readable_in_place,
)
from mixchat.tools.session import SessionMeta, StemInfo

COPY_BLOCK = 1 << 19


def stem_key(stem: StemInfo, meta: SessionMeta) -> str:
    return f"{stem.sha256}:{meta.sample_rate}:{meta.frames}"


def copy_path(cache_dir: Path, stem: StemInfo, meta: SessionMeta) -> Path:
    return Path(cache_dir) / "stems" / f"{stem.sha256[:24]}_{meta.sample_rate}_{meta.frames}.npy"


def stem_sources(meta: SessionMeta, cache_dir: Path, budget: CacheBudget) -> dict[str, StemSource]:
    return {
        stem.name: StemSource(
            stem.name, stem_key(stem, meta), open_session_stem(stem, meta, cache_dir, budget)
        )
        for stem in meta.stems
    }


def open_session_stem(
    stem: StemInfo, meta: SessionMeta, cache_dir: Path, budget: CacheBudget
) -> StemReader:
    rate, frames = meta.sample_rate, meta.frames
    copy = copy_path(cache_dir, stem, meta)
    if copy.exists():
        try:
            reader = NpyStem(copy, frames=frames)
        except AudioFileError:
            reader = None
        if reader is not None and reader.length == frames and reader.channels == stem.channels:
            touch(copy)
            return reader
        copy.unlink(missing_ok=True)  # damaged: rebuilt from the stem file below
    path = Path(stem.file)
    if not path.exists():
        raise AudioFileError(
            f"{stem.file}: the stem file is gone and the session keeps no copy of it; put it "
            f"back to render {stem.name}"
        )
    check_unchanged(stem, path)
    if readable_in_place(path, sample_rate=rate):
        return FileStem(path, frames=frames)
    stream = ResampledStem(path, sample_rate=rate, frames=frames)
    return decoded_copy(stream, copy, budget) or stream


def check_unchanged(stem: StemInfo, path: Path) -> None:
    if stem.size and (stem.size, stem.mtime_ns) == file_identity(path):
        return
    if file_sha256(path) != stem.sha256:
        raise AudioFileError(
            f"{path}: this stem changed since the session was made (its content differs); "
            "put the original back, or make a new session from the new stems"
        )


def decoded_copy(stream: StemReader, path: Path, budget: CacheBudget) -> NpyStem | None:
    """Decode a stream once into ``path`` (float32) when the cache has room for it."""
    shape = (stream.channels, stream.frames)
    nbytes = npy_nbytes(shape)
    if not budget.reserve(nbytes, rank=MIX):
        return None
    reserved = True
    try:
        with npy_block_writer(path, shape=shape) as put:
            budget.release(nbytes)  # the file now counts at its full size
            reserved = False
            for start, block in iter_blocks(stream, block=COPY_BLOCK):
                put(start, block)
    finally:
        if reserved:
            budget.release(nbytes)
    return NpyStem(path, frames=stream.frames)
