"""Loading, checking, resampling, aligning and writing audio files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixchat.dsp.audio_io import (
    AUDIO_SUFFIXES,
    file_sha256,
    load_audio,
    load_stems,
    write_audio,
)
from mixchat.dsp.errors import AudioFileError, AudioWriteError

RATE = 44100


def sine(
    freq_hz: float, seconds: float, *, rate: int = RATE, channels: int = 1, level: float = 0.5
) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = (level * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
    return np.tile(mono, (channels, 1))


def write(path: Path, audio: np.ndarray, *, rate: int = RATE, subtype: str = "PCM_24") -> Path:
    sf.write(str(path), audio.T, rate, subtype=subtype)
    return path


def rms_db(audio: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))


def test_wav_stereo_loads_as_channels_first_float32(tmp_path):
    audio = sine(440, 0.5, channels=2)
    audio[1] *= 0.5
    loaded = load_audio(write(tmp_path / "keys.wav", audio, subtype="PCM_16"))
    assert loaded.audio.dtype == np.float32
    assert loaded.audio.shape == (2, audio.shape[1])
    assert (loaded.channels, loaded.frames, loaded.subtype) == (2, audio.shape[1], "PCM_16")
    assert loaded.sample_rate == loaded.source_rate == RATE
    np.testing.assert_allclose(loaded.audio, audio, atol=1e-4)
    assert loaded.warnings == ()


@pytest.mark.parametrize("suffix", [".flac", ".aiff"])
def test_flac_and_aiff_mono(tmp_path, suffix):
    audio = sine(220, 0.3)
    loaded = load_audio(write(tmp_path / f"bass{suffix}", audio))
    assert loaded.audio.shape == (1, audio.shape[1])
    np.testing.assert_allclose(loaded.audio, audio, atol=1e-6)


def test_audio_suffixes_cover_the_stem_formats():
    assert {".wav", ".flac", ".aif", ".aiff", ".mp3"} <= set(AUDIO_SUFFIXES)


def _corrupt(path: Path) -> Path:
    good = write(path.with_name("good.wav"), sine(440, 0.2))
    data = bytearray(good.read_bytes())
    data[:12] = np.random.default_rng(3).integers(0, 256, 12, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def _empty(path: Path) -> Path:
    return write(path, np.zeros((1, 0), dtype=np.float32))


def _nan(path: Path) -> Path:
    audio = sine(440, 0.2)
    audio[0, 100] = np.nan
    return write(path, audio, subtype="FLOAT")


def _inf(path: Path) -> Path:
    audio = sine(440, 0.2)
    audio[0, 5] = np.inf
    return write(path, audio, subtype="FLOAT")


def _three_channels(path: Path) -> Path:
    return write(path, sine(440, 0.2, channels=3))


def _zero_bytes(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _text(path: Path) -> Path:
    path.write_text("these are my lyrics, not audio\n")
    return path


@pytest.mark.parametrize(
    "make",
    [_corrupt, _empty, _zero_bytes, _nan, _inf, _three_channels, _text],
    ids=["corrupt", "empty", "zero-bytes", "nan", "inf", "3ch", "text"],
)
def test_bad_files_refused_with_the_file_name(tmp_path, make):
    path = make(tmp_path / "Bad Stem #1.wav")
    with pytest.raises(AudioFileError) as error:
        load_audio(path)
    message = str(error.value)
    assert "Bad Stem #1.wav" in message
    assert "\n" not in message


def test_three_channels_says_how_many(tmp_path):
    with pytest.raises(AudioFileError, match="3 channels"):
        load_audio(_three_channels(tmp_path / "surround.wav"))


def test_missing_file_refused(tmp_path):
    with pytest.raises(AudioFileError, match="nothere.wav"):
        load_audio(tmp_path / "nothere.wav")


def test_silent_stem_accepted_with_warning(tmp_path):
    loaded = load_audio(write(tmp_path / "quiet.wav", np.zeros((1, 1000), np.float32)))
    assert loaded.frames == 1000
    assert any("quiet.wav" in w and "silent" in w for w in loaded.warnings)


def test_load_audio_resamples_keeping_pitch_and_level(tmp_path):
    path = write(tmp_path / "vox.wav", sine(1000, 1.0, rate=48000), rate=48000)
    loaded = load_audio(path, sample_rate=RATE)
    assert (loaded.sample_rate, loaded.source_rate) == (RATE, 48000)
    assert abs(loaded.frames - RATE) <= 1
    spectrum = np.abs(np.fft.rfft(loaded.audio[0, 1000:-1000]))
    peak_hz = np.argmax(spectrum) * RATE / (loaded.frames - 2000)
    assert abs(peak_hz - 1000) < 2
    assert abs(rms_db(loaded.audio[:, 1000:-1000]) - rms_db(sine(1000, 1.0))) < 0.05
    assert any("48000 Hz resampled to 44100 Hz" in w for w in loaded.warnings)


def test_load_stems_mixed_rates_and_lengths(tmp_path):
    paths = [
        write(tmp_path / "drums.wav", sine(100, 2.0, channels=2)),
        write(tmp_path / "bass.wav", sine(55, 2.0)),
        write(tmp_path / "vocal.wav", sine(300, 2.0, rate=48000), rate=48000),
        write(tmp_path / "short.flac", sine(500, 1.5)),
    ]
    stems, rate, warnings = load_stems(paths)
    assert rate == RATE
    assert {s.frames for s in stems} == {2 * RATE}
    assert all(s.audio.shape[1] == 2 * RATE and s.sample_rate == RATE for s in stems)
    assert any("vocal.wav" in w and "48000 Hz resampled to 44100 Hz" in w for w in warnings)
    assert any("short.flac" in w and "0.500 s" in w for w in warnings)
    short = stems[3].audio
    assert np.all(short[:, int(1.5 * RATE) :] == 0)
    np.testing.assert_allclose(short[:, : int(1.5 * RATE)], sine(500, 1.5), atol=1e-6)


def test_load_stems_explicit_rate_and_tie_to_higher_rate(tmp_path):
    a = write(tmp_path / "a.wav", sine(100, 0.5, rate=48000), rate=48000)
    b = write(tmp_path / "b.wav", sine(100, 0.5))
    assert load_stems([a, b])[1] == 48000
    stems, rate, _ = load_stems([a, b], sample_rate=22050)
    assert rate == 22050 and all(s.sample_rate == 22050 for s in stems)


def test_load_stems_refuses_an_empty_list():
    with pytest.raises(AudioFileError):
        load_stems([])


@pytest.mark.parametrize("subtype,atol", [("FLOAT", 0.0), ("PCM_24", 2e-7), ("PCM_16", 5e-5)])
def test_write_audio_round_trip_and_no_temp_left(tmp_path, subtype, atol):
    audio = sine(440, 0.5, channels=2) * np.float32(0.9)
    out = tmp_path / "mix.wav"
    write_audio(out, audio, sample_rate=RATE, subtype=subtype)
    back, rate = sf.read(str(out), dtype="float32", always_2d=True)
    assert rate == RATE and sf.info(str(out)).subtype == subtype
    np.testing.assert_allclose(back.T, audio, atol=atol)
    assert [p.name for p in tmp_path.iterdir()] == ["mix.wav"]


def test_write_audio_flac_and_bad_suffix(tmp_path):
    write_audio(tmp_path / "mix.flac", sine(440, 0.1), sample_rate=RATE)
    assert sf.info(str(tmp_path / "mix.flac")).format == "FLAC"
    with pytest.raises(AudioWriteError, match="mix.xyz"):
        write_audio(tmp_path / "mix.xyz", sine(440, 0.1), sample_rate=RATE)
    with pytest.raises(AudioWriteError):
        write_audio(tmp_path / "no" / "such" / "mix.wav", sine(440, 0.1), sample_rate=RATE)


def test_write_audio_failure_keeps_the_old_file(tmp_path):
    out = tmp_path / "mix.wav"
    write_audio(out, sine(440, 0.1), sample_rate=RATE)
    before = out.read_bytes()
    with pytest.raises(AudioWriteError):
        write_audio(out, np.zeros((3, 4, 5), np.float32), sample_rate=RATE)
    assert out.read_bytes() == before


def test_file_sha256_matches_hashlib(tmp_path):
    path = tmp_path / "blob.bin"
    data = np.random.default_rng(0).integers(0, 256, 3_000_000, dtype=np.uint8).tobytes()
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_song_1_loads_as_one_rate_and_length(song_1):
    paths = sorted(song_1.glob("*.flac"))[:3]
    stems, rate, _ = load_stems(paths)
    assert rate == RATE
    assert len({s.frames for s in stems}) == 1
    assert all(s.audio.dtype == np.float32 and s.audio.shape[0] in (1, 2) for s in stems)


def test_mp3_loads_when_libsndfile_can_encode_it(tmp_path):
    path = tmp_path / "idea.mp3"
    try:
        sf.write(
            str(path), sine(440, 1.0, channels=2).T, RATE, format="MP3", subtype="MPEG_LAYER_III"
        )
    except (sf.SoundFileError, RuntimeError, ValueError, TypeError):
        pytest.skip("this libsndfile cannot write MP3 to make the test file")
    loaded = load_audio(path)
    assert loaded.channels == 2 and loaded.sample_rate == RATE
    assert abs(rms_db(loaded.audio[:, 4000:40000]) - rms_db(sine(440, 1.0))) < 0.5


@pytest.mark.parametrize("session_rate", [44100, 48000])  # read in place, and resampled
def test_a_stem_cut_short_is_refused_with_its_name(tmp_path, session_rate):
    """The header opens, the audio stops decoding part-way: one line naming the file."""
    from mixchat.dsp.stems import iter_blocks, open_stem

    rng = np.random.default_rng(3)
    whole = tmp_path / "whole.flac"
    sf.write(whole, 0.3 * rng.standard_normal((44100 * 4, 2)).astype(np.float32), 44100)
    cut = tmp_path / "drums.flac"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    reader = open_stem(cut, sample_rate=session_rate, frames=int(4 * session_rate))
    with pytest.raises(AudioFileError, match=r"^drums\.flac is not readable audio.*re-export"):
        for _ in iter_blocks(reader, block=8192):
            pass
