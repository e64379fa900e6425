"""``PiecewiseResampler``: soxr's samples, whatever the block size, in bounded memory."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soxr

from mixchat.dsp.resampling import METER_PIECE_FRAMES, PIECE_FRAMES, PiecewiseResampler


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("quality", ["HQ", "MQ"])
@pytest.mark.parametrize("piece", [PIECE_FRAMES, METER_PIECE_FRAMES])
def test_the_same_samples_as_one_soxr_stream(channels: int, quality: str, piece: int) -> None:
    audio = np.random.default_rng(3).standard_normal((3 * PIECE_FRAMES * 5 + 77, channels))
    audio = audio.astype(np.float32).squeeze()
    plain = soxr.ResampleStream(44100, 16000, channels, dtype="float32", quality=quality)
    pieces = PiecewiseResampler(
        44100, 16000, channels, dtype="float32", quality=quality, piece_frames=piece
    )
    blocks = [(0, 100), (100, 1 << 18), (1 << 18, audio.shape[0])]
    expected = [plain.resample_chunk(audio[lo:hi], last=hi == audio.shape[0]) for lo, hi in blocks]
    got = [pieces.resample(audio[lo:hi], last=hi == audio.shape[0]) for lo, hi in blocks]
    np.testing.assert_array_equal(np.concatenate(got), np.concatenate(expected))


def test_many_streams_fed_render_blocks_stay_small() -> None:
    """A render keeps one stream per track; fed 2**18-frame blocks, plain soxr streams hold
    ~1.5 MB each until they end (24 of them: ~37 MB)."""
    code = (
        "import numpy as np\n"
        "from mixchat.dsp.resampling import PiecewiseResampler\n"
        "def rss_mb():\n"
        "    text = open('/proc/self/status').read()\n"
        "    return int(text.split('VmRSS:')[1].split()[0]) / 1024\n"
        "block = np.random.default_rng(0).standard_normal(1 << 18).astype(np.float32)\n"
        "streams = [PiecewiseResampler(44100, 5512.5, 1, dtype='float32', quality='HQ')\n"
        "           for _ in range(24)]\n"
        "streams[0].resample(block)\n"
        "before = rss_mb()\n"
        "for _ in range(3):\n"
        "    for stream in streams:\n"
        "        stream.resample(block)\n"
        "print(rss_mb() - before)\n"
    )
    if sys.platform != "linux":
        pytest.skip("reads /proc/self/status")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) < 12.0, out.stdout
