"""A WAV file's samples read straight from its data chunk with numpy, as libsndfile gives them.

libsndfile turns 24-bit PCM into float32 one sample at a time and hands the frames
interleaved, which then have to be split into channels: about 4 ns a sample, as much as a
light insert chain, and a session decodes every stem in ``new``, again in the automix's
passes and for every revision of a trimmed track. Read here, a block is one ``pread`` of its
bytes and a few whole-array numpy passes, channel by channel: a quarter of the time.

The samples are libsndfile's to the bit: it scales a 16-bit sample by 2**-15 and a 24-bit
one (placed in the top three bytes of an int32) by 2**-31, exact powers of two applied to
integers a float32 holds exactly, and copies 32-bit float samples as they are. Only the
plainest layout is read this way (RIFF little-endian, PCM 16/24-bit or 32-bit float, one
data chunk long enough for every frame libsndfile counts); anything else is left to
libsndfile (``pcm_layout`` is None).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WAVE_FORMAT_PCM = 1
WAVE_FORMAT_IEEE_FLOAT = 3
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
SUBTYPES = {
    "PCM_16": (WAVE_FORMAT_PCM, 2),
    "PCM_24": (WAVE_FORMAT_PCM, 3),
    "FLOAT": (WAVE_FORMAT_IEEE_FLOAT, 4),
}
_HEADER_SCAN_BYTES = 1 << 20  # chunks before the data chunk (LIST, bext, ...) are small


@dataclass(frozen=True)
class PcmLayout:
    """Where a WAV file's frames are and how a sample is stored."""

    offset: int  # of the first frame, in bytes
    channels: int
    frames: int
    sample_bytes: int  # 2, 3 (PCM) or 4 (float)


def pcm_layout(path: Path, *, subtype: str, channels: int, frames: int) -> PcmLayout | None:
    """The layout of a WAV file libsndfile reports as ``subtype`` with ``channels`` and
    ``frames``, when its samples can be read here; None otherwise."""
    if subtype not in SUBTYPES or channels < 1 or frames < 1 or not hasattr(os, "preadv"):
        return None
    tag, sample_bytes = SUBTYPES[subtype]
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEADER_SCAN_BYTES)
    except OSError:
        return None
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    position, found_format = 12, False
    while position + 8 <= len(head):
        chunk, size = struct.unpack_from("<4sI", head, position)
        body = position + 8
        if chunk == b"fmt ":
            found_format = _format_matches(head[body : body + size], tag, channels, sample_bytes)
            if not found_format:
                return None
        elif chunk == b"data":
            if not found_format or size < frames * channels * sample_bytes:
                return None
            return PcmLayout(
                offset=body, channels=channels, frames=frames, sample_bytes=sample_bytes
            )
        position = body + size + (size & 1)
    return None


def _format_matches(fmt: bytes, tag: int, channels: int, sample_bytes: int) -> bool:
    if len(fmt) < 16:
        return False
    format_tag, fmt_channels, _, _, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if format_tag == WAVE_FORMAT_EXTENSIBLE and len(fmt) >= 26:
        format_tag = struct.unpack_from("<H", fmt, 24)[0]  # the sub-format GUID's first field
    return (
        format_tag == tag
        and fmt_channels == channels
        and block_align == channels * sample_bytes
        and bits == 8 * sample_bytes
    )


def read_pcm(fd: int, layout: PcmLayout, start: int, stop: int) -> np.ndarray | None:
    """Frames ``start .. stop`` (within the file) as (channels, n) float32, read with
    ``os.pread`` (safe to share ``fd`` between threads); None when the file ends early."""
    channels, width = layout.channels, layout.sample_bytes
    frames = stop - start
    nbytes = frames * channels * width
    spare = 1 if width == 3 else 0  # a 24-bit sample is read as the top three bytes of an int32
    raw = np.empty(nbytes + spare, dtype=np.uint8)
    position = layout.offset + start * channels * width
    if os.preadv(fd, [raw[spare:].data], position) != nbytes:
        return None
    out = np.empty((channels, frames), dtype=np.float32)
    if width == 4:
        out[...] = np.ndarray((channels, frames), "<f4", raw, strides=(4, 4 * channels))
        return out
    if width == 2:
        out[...] = np.ndarray((channels, frames), "<i2", raw, strides=(2, 2 * channels))
        out *= np.float32(2.0**-15)
        return out
    words = np.ndarray((channels, frames), "<i4", raw, strides=(3, 3 * channels))
    whole = np.empty((channels, frames), dtype=np.int32)
    np.bitwise_and(words, np.int32(-256), out=whole)  # the spare or previous byte cleared
    out[...] = whole
    out *= np.float32(2.0**-31)
    return out
