"""``mixchat.dsp.iir`` gives scipy.signal's samples without importing scipy.signal."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import signal

from mixchat.dsp.iir import butter2_highpass, kaiser_lowpass, one_pole, sosfilt, tukey
from mixchat.dsp.loudness import _k_filter_sos

# numpy's and scipy's Bessel I0 agree to the last bit or two (numpy 2.4 rounds some Kaiser
# window samples 1 ulp apart from scipy 1.17's): the same window within float64 rounding
ULPS = 4 * np.finfo(np.float64).eps


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1000,), (1, 1000), (2, 1000), (2, 3, 400)])
def test_sosfilt_is_scipys_sample_for_sample(dtype, shape) -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape).astype(dtype)
    sos = _k_filter_sos(44100.0).astype(dtype)
    assert np.array_equal(sosfilt(sos, x), signal.sosfilt(sos, x))
    zi = rng.standard_normal((2, *shape[:-1], 2)).astype(dtype)
    ours, our_state = sosfilt(sos, x, axis=-1, zi=zi)
    theirs, their_state = signal.sosfilt(sos, x, axis=-1, zi=zi)
    assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
    assert np.array_equal(our_state, their_state)


def test_sosfilt_along_the_first_axis_and_in_blocks() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((900, 2))
    sos = signal.butter(4, 0.1, output="sos")
    assert np.array_equal(sosfilt(sos, x, axis=0), signal.sosfilt(sos, x, axis=0))
    state = np.zeros((sos.shape[0], 2, 2))
    first, state = sosfilt(sos, x.T[:, :500], zi=state)
    second, _ = sosfilt(sos, x.T[:, 500:], zi=state)
    assert np.array_equal(np.concatenate([first, second], axis=1), signal.sosfilt(sos, x.T))


def test_a_bad_state_shape_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"zi has shape \(2, 2\)"):
        sosfilt(_k_filter_sos(48000.0), np.zeros((2, 10)), zi=np.zeros((2, 2)))


@pytest.mark.parametrize("oversample", [2, 4, 8])
def test_kaiser_lowpass_is_firwin_tap_for_tap(oversample) -> None:
    taps = 2 * 10 * oversample + 1
    expected = signal.firwin(taps, 1.0 / oversample, window=("kaiser", 5.0))
    np.testing.assert_allclose(
        kaiser_lowpass(taps, 1.0 / oversample, beta=5.0), expected, rtol=ULPS, atol=0
    )


def test_a_brief_and_a_render_import_no_scipy_signal() -> None:
    """scipy.signal costs over a second of CPU to import; the say and render paths (planner,
    engine, meters, master) must not pay it."""
    code = (
        "import sys\n"
        "import mixchat.assistant.turn.conversation, mixchat.tools.engine, mixchat.dsp.master\n"
        "import mixchat.tools.cached_render, mixchat.assistant.cli.main\n"
        "import numpy as np\n"
        "from mixchat.dsp.track_meter import TrackMeter\n"
        "meter = TrackMeter(channels=2, sample_rate=44100, total=88200, bands=True)\n"
        "meter.feed(np.random.default_rng(0).standard_normal((2, 88200)).astype(np.float32))\n"
        "meter.result()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('scipy.signal', 'scipy.stats'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout.strip()
    assert loaded in ("[]", "['scipy.signal._sosfilt']"), loaded


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_pole_is_lfilters_sample_for_sample(dtype) -> None:
    rng = np.random.default_rng(5)
    pole = np.exp(-1000.0 / (5.0 * 44100))
    b, a = np.array([1.0 - pole], dtype=dtype), np.array([1.0, -pole], dtype=dtype)
    x = np.square(rng.standard_normal(20000)).astype(dtype)
    zi = np.array([0.25], dtype=dtype)
    ours, our_state = one_pole(b, a, x, zi=zi)
    theirs, their_state = signal.lfilter(b, a, x, zi=zi)
    assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
    assert np.array_equal(our_state, their_state)


@pytest.mark.parametrize("size", [1024, 2048, 1025])
def test_tukey_is_scipys_window(size) -> None:
    assert np.array_equal(tukey(size, 0.5), signal.windows.tukey(size, 0.5))


def test_render_threads_filtering_at_once_load_the_kernel_once() -> None:
    """A new session's first blocks reach ``sosfilt`` on several threads at the same moment:
    scipy's extension module may be loaded only once per process (a second load raises).
    The load is slowed down here so the threads surely meet in it."""
    code = (
        "import importlib.machinery, threading, time\n"
        "import numpy as np\n"
        "load = importlib.machinery.ExtensionFileLoader.exec_module\n"
        "def slow(self, module):\n"
        "    time.sleep(0.2)\n"
        "    return load(self, module)\n"
        "importlib.machinery.ExtensionFileLoader.exec_module = slow\n"
        "from mixchat.dsp.iir import sosfilt\n"
        "sos, x = np.array([[1.0, 0.0, 0.0, 1.0, -0.5, 0.0]]), np.ones((2, 64))\n"
        "start, errors = threading.Barrier(8), []\n"
        "def run():\n"
        "    start.wait()\n"
        "    try:\n"
        "        sosfilt(sos, x)\n"
        "    except Exception as error:\n"
        "        errors.append(repr(error))\n"
        "threads = [threading.Thread(target=run) for _ in range(8)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(errors)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr[-500:]


@pytest.mark.parametrize("sample_rate", [22050, 44100, 48000, 96000])
@pytest.mark.parametrize("cutoff_hz", [2.0, 5.0, 7.3, 20.0, 1000.0])
def test_butter2_highpass_is_scipys_section_bit_for_bit(cutoff_hz, sample_rate) -> None:
    expected = signal.butter(2, cutoff_hz, btype="highpass", fs=sample_rate, output="sos")
    assert np.array_equal(butter2_highpass(cutoff_hz=cutoff_hz, sample_rate=sample_rate), expected)


def test_dc_and_hum_removal_leave_scipy_signal_unimported() -> None:
    code = (
        "import sys\n"
        "from mixchat.dsp.cleanup.dc import dc_stage\n"
        "from mixchat.dsp.cleanup.hum_removal import notch_kernel, _kaiser\n"
        "from mixchat.dsp.cleanup.spec import DcRemoval\n"
        "dc_stage(DcRemoval(), sample_rate=44100)\n"
        "_kaiser(4411)\n"
        "assert 'scipy.signal' not in sys.modules, 'scipy.signal was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("length", [3, 1001, 88201])
def test_numpys_kaiser_window_is_scipys(length) -> None:
    """Hum removal's line-following windows use numpy's (scipy.signal is slow to import)."""
    np.testing.assert_allclose(
        np.kaiser(length, 10.0), signal.windows.kaiser(length, 10.0), rtol=ULPS, atol=0
    )
