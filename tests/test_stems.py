"""Stems read in place block by block give the samples a whole-file load gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixchat.dsp.audio_io import load_audio, npy_block_writer, plan_stems
from mixchat.dsp.stems import FileStem, NpyStem, ResampledStem, open_stem, write_stem_file

RATE = 44100


def tone(seconds: float, rate: int, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    audio = 0.3 * np.sin(2 * np.pi * 330 * t) + 0.01 * np.cos(2 * np.pi * 7 * t)
    return np.tile(audio.astype(np.float32), (channels, 1))


def blocks(reader, frames: int, sizes=(1000, 33333, 7)) -> np.ndarray:
    parts, start, index = [], -500, 0
    while start < frames + 700:
        stop = start + sizes[index % len(sizes)]
        parts.append(reader.read(start, stop))
        start, index = stop, index + 1
    return np.concatenate(parts, axis=1)[:, 500 : 500 + frames]


@pytest.mark.parametrize("subtype,suffix", [("PCM_24", ".wav"), ("PCM_16", ".flac")])
def test_a_file_read_in_place_gives_the_loaded_samples(tmp_path: Path, subtype, suffix) -> None:
    path = tmp_path / f"stem{suffix}"
    sf.write(path, tone(2.0, RATE).T, RATE, subtype=subtype)
    reader = open_stem(path, sample_rate=RATE, frames=int(2.5 * RATE))
    assert isinstance(reader, FileStem)
    got = blocks(reader, reader.frames)
    whole = load_audio(path).audio
    np.testing.assert_array_equal(got[:, : whole.shape[1]], whole)
    assert not got[:, whole.shape[1] :].any()  # padded with silence to the session length


def test_a_stem_at_another_rate_streams_the_one_shot_resample(tmp_path: Path) -> None:
    path = tmp_path / "vox.wav"
    sf.write(path, tone(1.5, 48000, channels=1).T, 48000, subtype="FLOAT")
    others = [_other(tmp_path, name) for name in ("drums", "keys")]  # 44.1 kHz: the most
    infos, rate, frames, notes = plan_stems([path, *others])
    assert rate == RATE and frames == int(2.0 * RATE)
    reader = open_stem(path, sample_rate=RATE, frames=frames)
    assert isinstance(reader, ResampledStem)
    expected = load_audio(path, sample_rate=RATE).audio
    got = blocks(reader, frames)
    np.testing.assert_array_equal(got[:, : expected.shape[1]], expected)
    np.testing.assert_array_equal(reader.read(1000, 5000), expected[:, 1000:5000])  # backwards
    assert any("48000 Hz resampled to 44100 Hz" in n for n in notes)


def _other(folder: Path, name: str) -> Path:
    path = folder / f"{name}.wav"
    sf.write(path, tone(2.0, RATE).T, RATE)
    return path


def test_a_decoded_copy_reads_with_plain_reads(tmp_path: Path) -> None:
    audio = tone(1.0, RATE)
    path = tmp_path / "copy.npy"
    with npy_block_writer(path, shape=audio.shape) as put:
        put(0, audio)
    reader = NpyStem(path, frames=RATE + 100)
    np.testing.assert_array_equal(blocks(reader, RATE), audio)


def test_a_stem_file_is_written_24_bit_unless_it_reaches_full_scale(tmp_path: Path) -> None:
    quiet, loud = tone(0.5, RATE), tone(0.5, RATE) * np.float32(4.0)
    write_stem_file(tmp_path / "q.wav", quiet, sample_rate=RATE)
    write_stem_file(tmp_path / "l.wav", loud, sample_rate=RATE)
    assert sf.info(tmp_path / "q.wav").subtype == "PCM_24"
    assert sf.info(tmp_path / "l.wav").subtype == "FLOAT"
    np.testing.assert_array_equal(sf.read(tmp_path / "l.wav", dtype="float32")[0].T, loud)


def test_shared_reads_read_each_block_once_for_every_consumer():
    import threading

    from mixchat.dsp.stems import ArrayStem, SharedReads

    audio = np.arange(2 * 1000, dtype=np.float32).reshape(2, 1000)
    reads: list[tuple[int, int]] = []

    class Counting(ArrayStem):
        def read(self, start: int, stop: int) -> np.ndarray:
            reads.append((start, stop))
            return super().read(start, stop)

    shared = SharedReads(Counting(audio), consumers=3)
    got: dict[int, list[np.ndarray]] = {}

    def consume(index: int) -> None:
        got[index] = [shared.read(lo, lo + 300) for lo in range(0, 1200, 300)]

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(reads) == [(lo, lo + 300) for lo in range(0, 1200, 300)]
    for blocks in got.values():
        np.testing.assert_array_equal(np.concatenate(blocks, axis=1)[:, :1000], audio)
    assert (shared.channels, shared.frames) == (2, 1000)
