"""WAV samples read from the data chunk with numpy are libsndfile's, to the bit."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixchat.dsp.pcm import pcm_layout
from mixchat.dsp.stems import FileStem

RATE = 44100


def noise(frames: int, channels: int, seed: int = 0) -> np.ndarray:
    """(frames, channels) with every level from full scale to the last bit, and clipping."""
    rng = np.random.default_rng(seed)
    levels = 10.0 ** rng.uniform(-7, 0.2, size=(frames, 1))
    return (rng.standard_normal((frames, channels)) * levels).astype(np.float32)


def read_all(reader: FileStem, sizes=(1000, 33333, 7, 65536)) -> np.ndarray:
    parts, start, index = [], 0, 0
    while start < reader.length:
        stop = min(start + sizes[index % len(sizes)], reader.length)
        parts.append(reader.read(start, stop))
        start, index = stop, index + 1
    return np.concatenate(parts, axis=1)


def with_chunk_before_data(path: Path, chunk: bytes, body: bytes) -> None:
    """Insert a chunk (odd-sized: padded) between the format and the data chunks."""
    raw = path.read_bytes()
    at = raw.index(b"data")
    padded = body + (b"\0" if len(body) % 2 else b"")
    out = raw[:at] + chunk + struct.pack("<I", len(body)) + padded + raw[at:]
    path.write_bytes(out[:4] + struct.pack("<I", len(out) - 8) + out[8:])


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_the_samples_are_libsndfiles(tmp_path: Path, subtype: str, channels: int) -> None:
    path = tmp_path / "stem.wav"
    audio = noise(100_003, channels)
    sf.write(path, audio, RATE, subtype=subtype)
    with_chunk_before_data(path, b"LIST", b"odd")
    reader = FileStem(path, frames=110_000)
    assert reader._layout is not None  # read by numpy, not libsndfile
    expected, _ = sf.read(path, dtype="float32", always_2d=True)
    got = read_all(reader)
    assert got.dtype == np.float32 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, expected.T)
    assert not reader.read(100_003, 110_000).any()  # silence past the file's end


def test_other_layouts_are_left_to_libsndfile(tmp_path: Path) -> None:
    for subtype, name in (("PCM_U8", "u8.wav"), ("PCM_32", "i32.wav"), ("PCM_24", "s.flac")):
        path = tmp_path / name
        sf.write(path, noise(1000, 2), RATE, subtype=subtype)
        reader = FileStem(path, frames=1000)
        assert reader._layout is None
        expected, _ = sf.read(path, dtype="float32", always_2d=True)
        np.testing.assert_array_equal(reader.read(0, 1000), expected.T)


def test_a_data_chunk_shorter_than_its_frames_is_not_read_here(tmp_path: Path) -> None:
    path = tmp_path / "stem.wav"
    sf.write(path, noise(1000, 2), RATE, subtype="PCM_24")
    assert pcm_layout(path, subtype="PCM_24", channels=2, frames=1000) is not None
    assert pcm_layout(path, subtype="PCM_24", channels=2, frames=1001) is None
    assert pcm_layout(path, subtype="PCM_16", channels=2, frames=1000) is None
    assert pcm_layout(path, subtype="PCM_24", channels=1, frames=1000) is None
