"""Playback on a real (virtual) output device: a private PulseAudio server with a null sink,
reached through PortAudio's ALSA "pulse" device, recorded back from the sink's monitor with
``parec`` and compared with what was played.

Checks: the recording is the render (correlation), A/B switches at the same position with no
gap and at matched loudness, seek moves the playhead. Skips with the reason when PulseAudio,
parec or PortAudio is missing (``make install`` brings them on Debian).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.reference import band_levels_db

RATE = 44100
SINK = "mixchat_test"


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory):
    """A private PulseAudio server with a null sink at RATE; yields its socket path."""
    for tool in ("pulseaudio", "parec"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (make install brings it on Debian)")
    root = tmp_path_factory.mktemp("pulse")
    socket = root / "native"
    env = {
        **os.environ,
        "HOME": str(root),
        "PULSE_RUNTIME_PATH": str(root),
        "XDG_RUNTIME_DIR": str(root),
    }
    server = subprocess.Popen(
        [
            "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
            "--disable-shm=yes", "--log-target=stderr",
            "-L", f"module-native-protocol-unix socket={socket} auth-anonymous=1",
            "-L", f"module-null-sink sink_name={SINK} rate={RATE} channels=2",
        ],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not socket.exists() and server.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not socket.exists():
        server.kill()
        error = server.stderr.read().decode(errors="replace")[-300:] if server.stderr else ""
        pytest.skip(f"PulseAudio did not start here ({error.strip() or 'no socket'})")
    old = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = f"unix:{socket}"
    try:
        sounddevice = _sounddevice()
        yield {
            "socket": socket,
            "env": {**env, "PULSE_SERVER": f"unix:{socket}"},
            "sd": sounddevice,
        }
    finally:
        if old is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = old
        server.terminate()
        server.wait(timeout=10)


def _sounddevice():
    try:
        import sounddevice
    except (ImportError, OSError) as error:
        pytest.skip(f"PortAudio is missing ({error}); make install brings libportaudio2")
    sounddevice._terminate()  # PortAudio lists devices at start: list them with the server up
    sounddevice._initialize()
    try:
        sounddevice.query_devices(kind="output")
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"no PortAudio output device reaches PulseAudio ({error})")
    return sounddevice


class Recorder:
    """``parec`` on the null sink's monitor, float32 stereo at RATE."""

    def __init__(self, env: dict[str, str], path: Path) -> None:
        self.path = path
        self.process = subprocess.Popen(
            [
                "parec", f"--device={SINK}.monitor", "--format=float32le", f"--rate={RATE}",
                "--channels=2", "--latency-msec=200", "--raw", str(path),
            ],
            env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            not path.exists() or path.stat().st_size < 8 * RATE // 5
        ):
            time.sleep(0.02)  # recording: 0.2 s of (silent) audio has arrived

    def stop(self) -> np.ndarray:
        time.sleep(1.5)  # the recording stream's own latency: let the end arrive
        self.process.send_signal(signal.SIGINT)  # parec writes what it holds and quits
        self.process.wait(timeout=10)
        return np.fromfile(self.path, dtype=np.float32).reshape(-1, 2).T


class ArrayBlocks:
    """A version's blocks read from an array, as the engine's OutputStream gives them."""

    def __init__(self, audio: np.ndarray, start_s: float, *, block: int = RATE // 4) -> None:
        self.audio, self.block = audio, block
        self.at = min(int(round(start_s * RATE)), audio.shape[1])

    def __iter__(self):
        return self

    def __next__(self) -> tuple[int, np.ndarray]:
        if self.at >= self.audio.shape[1]:
            raise StopIteration
        start, self.at = self.at, min(self.at + self.block, self.audio.shape[1])
        return start, self.audio[:, start : self.at]

    def close(self) -> None:
        pass


def array_player(pulse, renders: dict[int, np.ndarray]):
    """A Player on the virtual device playing in-memory 'versions'."""
    from mixchat.assistant.tui.playback import Player

    return Player(
        pulse["sd"],
        sample_rate=RATE,
        open_source=lambda version, start_s: ArrayBlocks(renders[version], start_s),
    )


def wait_for(player, seconds: float, *, timeout_s: float = 20.0) -> None:
    """Until the player has handed ``seconds`` of audio to the device (a virtual device can
    take a moment to start), bounded."""
    deadline = time.monotonic() + timeout_s
    while player.position_s < seconds:
        if time.monotonic() > deadline:
            raise TimeoutError(f"playback reached only {player.position_s:.2f} s")
        time.sleep(0.01)


def tone_song(seconds: float, *, freq_hz: float, seed: int) -> np.ndarray:
    """A stereo 'song': a tone under seeded noise bursts, so positions are recognisable."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    steps = 10 ** rng.uniform(-1.5, 0.0, size=int(seconds * 8) + 1)  # 30 dB of level steps
    envelope = np.repeat(steps, RATE // 8)[: t.size]
    mono = 0.3 * np.sin(2 * np.pi * freq_hz * t) * envelope + 0.003 * rng.standard_normal(t.size)
    return np.stack([mono, np.roll(mono, 7)]).astype(np.float32)


def envelope_db(audio: np.ndarray, *, window_s: float = 0.01) -> np.ndarray:
    """10 ms RMS levels of the left channel, dB: what is heard, whatever the sub-sample delay
    the device's resampler adds (which decorrelates noise sample by sample)."""
    size = int(window_s * RATE)
    count = audio.shape[1] // size
    frames = audio[0, : count * size].reshape(count, size)
    return 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-12))


MARK_S = 0.02  # a 1 kHz burst at 0.9 full scale starts every played signal, then 0.1 s of silence
LEAD_S = MARK_S + 0.1


def marked(song: np.ndarray) -> np.ndarray:
    """``song`` after a start mark (louder than anything in it) and a short silence."""
    t = np.arange(int(MARK_S * RATE)) / RATE
    mark = np.tile(0.9 * np.sin(2 * np.pi * 1000.0 * t), (2, 1)).astype(np.float32)
    return np.concatenate([mark, np.zeros((2, int(0.1 * RATE)), np.float32), song], axis=1)


def aligned(recorded: np.ndarray) -> int:
    """The frame in ``recorded`` where the marked song itself starts: the mark is the first
    sample over 0.5 (a device delays the signal by its latency, and its resampler shifts it
    by fractions of a sample, so sample-wise matching would not do)."""
    over = np.flatnonzero(np.abs(recorded[0]) > 0.5)
    if over.size == 0:
        raise AssertionError("the start mark is not in the recording: nothing was played")
    return int(over[0]) + int(LEAD_S * RATE)


def padded(song: np.ndarray, seconds: float = 3.0) -> np.ndarray:
    """The song and then silence, so the player keeps feeding the device while its buffer
    plays the song's end into the recording."""
    return np.pad(song, ((0, 0), (0, int(seconds * RATE))))


def played_back(pulse, song: np.ndarray, path: Path) -> np.ndarray:
    """``song`` played through a Player on the device and recorded back, aligned to it."""
    player = array_player(pulse, {1: padded(marked(song))})
    recorder = Recorder(pulse["env"], path)
    player.play(1, start_s=0.0)
    wait_for(player, song.shape[1] / RATE + 2.5 + LEAD_S)
    player.stop()
    recorded = recorder.stop()
    start = aligned(recorded)
    return recorded[:, start : start + song.shape[1]]


def test_playback_records_back_as_the_render(pulse, tmp_path: Path) -> None:
    song = tone_song(3.0, freq_hz=440.0, seed=1)
    # a virtual device on a loaded machine may glitch once (PulseAudio without real-time
    # priority): one retry, and the second take must be clean
    for attempt in range(2):
        heard = played_back(pulse, song, tmp_path / f"rec{attempt}.raw")
        assert heard.shape[1] == song.shape[1], "the recording stopped early"
        correlation = float(np.corrcoef(envelope_db(heard), envelope_db(song))[0, 1])
        if correlation > 0.95:
            break
    level_db = 10 * np.log10(np.mean(heard**2) / np.mean(song**2))
    tone_db = band_levels_db(heard, RATE) - band_levels_db(song, RATE)
    assert correlation > 0.95, correlation
    assert abs(level_db) < 0.5, level_db
    assert np.abs(tone_db[1:6]).max() < 1.0, tone_db


def window_power_db(audio: np.ndarray, window: int) -> np.ndarray:
    frames = audio.shape[1] // window
    power = (audio[0, : frames * window].reshape(frames, window) ** 2).mean(axis=1)
    return 10 * np.log10(np.maximum(power, 1e-12))


def ab_take(pulse, a: np.ndarray, b: np.ndarray, gains: dict[int, float], path: Path):
    """A played, switched to B after 2.5 s, recorded back: (the recording aligned to the
    songs, the song position of the switch)."""
    player = array_player(pulse, {1: padded(marked(a)), 2: padded(marked(b))})
    recorder = Recorder(pulse["env"], path)
    player.play(1, start_s=0.0, gain_db=gains[1])
    wait_for(player, 2.5 + LEAD_S)
    player.switch(2, gain_db=gains[2])  # returns once the switch is heard
    assert player.version == 2 and player.switched_at is not None
    switched_at = (player.switched_at + player.fade_frames / 2) / RATE - LEAD_S  # fade's middle
    wait_for(player, 8.5 + LEAD_S)
    player.stop()
    recorded = recorder.stop()
    start = aligned(recorded)
    return recorded[:, start : start + a.shape[1]], switched_at


def test_ab_switch_has_no_gap_and_matched_levels(pulse, tmp_path: Path) -> None:
    from mixchat.assistant.tui.playback import matched_gains_db

    a = tone_song(6.0, freq_hz=330.0, seed=2)
    b = tone_song(6.0, freq_hz=495.0, seed=2) * np.float32(10 ** (6 / 20))  # another mix, louder
    lufs = {1: integrated_lufs(a, sample_rate=RATE), 2: integrated_lufs(b, sample_rate=RATE)}
    gains = matched_gains_db(lufs)
    matched_b = b * np.float32(10 ** (gains[2] / 20))
    window = int(0.005 * RATE)
    floor = np.minimum(window_power_db(a, window), window_power_db(matched_b, window))
    # no gap: every 5 ms window holds at least the quieter version's energy there, less the
    # 3 dB an equal-gain crossfade of two unrelated signals dips (a gap would be silence).
    # A virtual device on a loaded machine may glitch once: one retry, the second take clean.
    for attempt in range(2):
        heard, switched_at = ab_take(pulse, a, b, gains, tmp_path / f"ab{attempt}.raw")
        assert heard.shape[1] == a.shape[1], "the recording stopped early"
        dips = window_power_db(heard, window) - floor
        print(
            f"A/B switch at {switched_at:.2f} s: deepest 5 ms dip {dips.min():+.1f} dB "
            f"at {np.argmin(dips) * 0.005:.3f} s"
        )
        if dips.min() > -4.5:
            break
    assert dips.min() > -4.5, f"a {dips.min():.1f} dB dip at {np.argmin(dips) * 5} ms"
    at = int(switched_at * RATE)
    # the switch happened there: A's tone before, B's after
    spectrum = lambda x: np.abs(np.fft.rfft(x[0]))  # noqa: E731
    freqs = np.fft.rfftfreq(RATE, 1 / RATE)
    before_span = slice(at - RATE - RATE // 10, at - RATE // 10)
    after_span = slice(at + RATE // 10, at + RATE + RATE // 10)
    before_peak = freqs[np.argmax(spectrum(heard[:, before_span]))]
    after_peak = freqs[np.argmax(spectrum(heard[:, after_span]))]
    assert (round(before_peak), round(after_peak)) == (330, 495)
    # matched levels: each side of the switch is heard at its version's matched level
    lufs_of = lambda x, span: integrated_lufs(x[:, span], sample_rate=RATE)  # noqa: E731
    heard_a, heard_b = lufs_of(heard, before_span), lufs_of(heard, after_span)
    want_a, want_b = lufs_of(a, before_span), lufs_of(matched_b, after_span)
    print(
        f"A heard {heard_a:.2f} LUFS (matched {want_a:.2f}), B heard {heard_b:.2f} LUFS "
        f"(matched {want_b:.2f}); whole versions after matching: "
        f"{lufs[1] + gains[1]:.2f} vs {lufs[2] + gains[2]:.2f} LUFS"
    )
    assert abs(heard_a - want_a) < 0.5 and abs(heard_b - want_b) < 0.5
    assert abs((lufs[1] + gains[1]) - (lufs[2] + gains[2])) < 0.05


def test_seek_moves_the_playhead(pulse) -> None:
    player = array_player(pulse, {1: tone_song(8.0, freq_hz=220.0, seed=3)})
    player.play(1, start_s=0.0)
    wait_for(player, 0.5)
    player.seek(5.0)
    assert 5.0 <= player.position_s <= 5.3, player.position_s
    wait_for(player, 5.5)
    player.seek(1.0)
    assert 1.0 <= player.position_s <= 1.3, player.position_s
    player.stop()
