"""Our frozen specs turned into pedalboard processors (built fresh per render, never stored).

A track's insert chain runs in this order: clean-up (mixchat.dsp.cleanup, read from the
stem before everything else, see render), trim, polarity, high-pass, low-pass, EQ bands,
gate, compressor (+ makeup), transient shaper, saturation. Everything but the transient
shaper is a native pedalboard plugin; the shaper is a vectorised scipy function that keeps
its filter state between blocks, so block-wise processing equals whole-array processing.

Choices a producer may ask about:
* HPF/LPF: two stacked first-order pedalboard filters at the cutoff, 12 dB/octave,
  -6 dB at the cutoff frequency itself. The reverb and delay buses use the same filters,
  computed as two scipy biquads in one pass (``bus_filter_sos``).
* notch: a PeakFilter cut of the band's gain_db when that is negative, else -30 dB.
* saturation: Distortion (tanh of drive) followed by -drive_db, so small signals keep unity
  gain and peaks are soft-clipped; mix_pct blends it with the dry signal in parallel.
"""

from __future__ import annotations

import math

import numpy as np
import pedalboard as pb

from mixchat.dsp.iir import one_pole, sosfilt
from mixchat.dsp.state import (
    Compressor,
    DelayBus,
    EqBand,
    MasterState,
    MixState,
    ReverbBus,
    Saturation,
    TrackState,
)

# pedalboard's default buffer of 8192 frames costs a per-buffer overhead on some plugins
# (Gain: 9x, Reverb: 20 % slower over 4 minutes); the output is the same sample for sample.
PEDALBOARD_BUFFER_FRAMES = 65536

INSERT_FIELDS = (
    "cleanup",
    "trim_db",
    "polarity_inverted",
    "hpf_hz",
    "lpf_hz",
    "eq",
    "gate",
    "compressor",
    "transient",
    "saturation",
)
# the shaper's detector: a peak envelope (instant attack, TRANSIENT_RELEASE_MS release) against
# its own slow average; differences inside the dead zone (the ripple of a held low note) are
# no attack and no decay, so a sustained tone passes undistorted
TRANSIENT_RELEASE_MS = 40.0
TRANSIENT_SLOW_MS = 30.0
TRANSIENT_SMOOTH_MS = 0.5
TRANSIENT_DEAD_ZONE_DB = 1.5
TRANSIENT_FULL_SCALE_DB = 6.0
_DETECTOR_FLOOR = 1e-10


def has_inserts(track: TrackState) -> bool:
    """True when the track's insert chain changes the sound (anything but defaults)."""
    defaults = TrackState(name=track.name)
    return any(getattr(track, f) != getattr(defaults, f) for f in INSERT_FIELDS)


def insert_gain_db(track: TrackState) -> float | None:
    """The track's inserts as one gain in dB when they are only a trim and a polarity flip
    (which changes no power, level or spectrum), so every measure of their output is the
    stem's scaled by it; None when any other insert shapes the sound."""
    defaults = TrackState(name=track.name)
    shaping = (f for f in INSERT_FIELDS if f not in ("trim_db", "polarity_inverted"))
    if any(getattr(track, f) != getattr(defaults, f) for f in shaping):
        return None
    return track.trim_db


def eq_band_plugin(band: EqBand) -> pb.Plugin:
    if band.kind == "low_shelf":
        return pb.LowShelfFilter(band.freq_hz, band.gain_db, band.q)
    if band.kind == "high_shelf":
        return pb.HighShelfFilter(band.freq_hz, band.gain_db, band.q)
    return pb.PeakFilter(band.freq_hz, band.applied_gain_db, band.q)


def eq_plugins(bands: tuple[EqBand, ...]) -> list[pb.Plugin]:
    return [eq_band_plugin(b) for b in bands if b.gain_db != 0.0 or b.kind == "notch"]


def compressor_plugins(comp: Compressor) -> list[pb.Plugin]:
    plugins: list[pb.Plugin] = [
        pb.Compressor(comp.threshold_db, comp.ratio, comp.attack_ms, comp.release_ms)
    ]
    if comp.makeup_db:
        plugins.append(pb.Gain(comp.makeup_db))
    return plugins


def saturation_plugins(sat: Saturation) -> list[pb.Plugin]:
    if sat.mix_pct <= 0.0:
        return []
    wet = pb.Chain([pb.Distortion(sat.drive_db), pb.Gain(-sat.drive_db)])
    if sat.mix_pct >= 100.0:
        return [wet]
    wet_db = 20.0 * math.log10(sat.mix_pct / 100.0)
    dry_db = 20.0 * math.log10(1.0 - sat.mix_pct / 100.0)
    wet_scaled = pb.Chain([pb.Distortion(sat.drive_db), pb.Gain(wet_db - sat.drive_db)])
    return [pb.Mix([pb.Gain(dry_db), wet_scaled])]


def _pre_transient_plugins(track: TrackState) -> list[pb.Plugin]:
    plugins: list[pb.Plugin] = []
    if track.trim_db:
        plugins.append(pb.Gain(track.trim_db))
    if track.polarity_inverted:
        plugins.append(pb.Invert())
    if track.hpf_hz is not None:
        plugins += [pb.HighpassFilter(track.hpf_hz), pb.HighpassFilter(track.hpf_hz)]
    if track.lpf_hz is not None:
        plugins += [pb.LowpassFilter(track.lpf_hz), pb.LowpassFilter(track.lpf_hz)]
    plugins += eq_plugins(track.eq)
    if track.gate is not None:
        g = track.gate
        plugins.append(pb.NoiseGate(g.threshold_db, g.ratio, g.attack_ms, g.release_ms))
    if track.compressor is not None:
        plugins += compressor_plugins(track.compressor)
    return plugins


def _post_transient_plugins(track: TrackState) -> list[pb.Plugin]:
    return saturation_plugins(track.saturation) if track.saturation is not None else []


def track_insert_board(track: TrackState, *, sample_rate: int) -> pb.Pedalboard:
    """All pedalboard plugins of the track's inserts, in order (the transient shaper, which
    is numpy, is not in it: use ``insert_chain`` for the complete chain)."""
    del sample_rate  # pedalboard takes the rate at process time
    return pb.Pedalboard(_pre_transient_plugins(track) + _post_transient_plugins(track))


def master_insert_board(master: MasterState, *, sample_rate: int) -> pb.Pedalboard:
    """Master EQ then glue compressor (limiting and loudness are mixchat.dsp.master's job)."""
    del sample_rate
    plugins = eq_plugins(master.eq)
    if master.glue is not None:
        plugins += compressor_plugins(master.glue)
    return pb.Pedalboard(plugins)


def _one_pole(time_ms: float, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    pole = math.exp(-1000.0 / (time_ms * sample_rate))
    return np.array([1.0 - pole]), np.array([1.0, -pole])


class TransientShaper:
    """Streaming transient shaper: gain from a peak envelope against its slow average.

    The peak envelope rises with the first sample of a hit (so the hit's own peak gets the
    attack gain, and the part's crest factor moves the way ``attack_db`` says) and falls
    with a TRANSIENT_RELEASE_MS release. Where it stands above its slow average (an attack)
    the gain moves toward ``attack_db``; where it falls below (the decay) toward
    ``sustain_db``; from TRANSIENT_DEAD_ZONE_DB to full effect at TRANSIENT_FULL_SCALE_DB.
    Channels share one detector so the stereo image does not move. Vectorised: the peak
    envelope is a running maximum in the log domain; state carries across blocks.
    """

    def __init__(self, *, sample_rate: int, attack_db: float, sustain_db: float) -> None:
        self.attack_db = attack_db
        self.sustain_db = sustain_db
        self._release_per_sample = 1000.0 / (TRANSIENT_RELEASE_MS * sample_rate)
        self._slow = _one_pole(TRANSIENT_SLOW_MS, sample_rate)
        self._smooth = _one_pole(TRANSIENT_SMOOTH_MS, sample_rate)
        self.reset()

    def reset(self) -> None:
        self._peak_log = math.log(_DETECTOR_FLOOR)
        self._zi: dict[str, np.ndarray | None] = {"slow": None, "smooth": None}

    def _filter(self, name: str, coeffs: tuple[np.ndarray, np.ndarray], x: np.ndarray):
        b, a = coeffs
        zi = self._zi[name]
        if zi is None:
            zi = np.zeros(1)
        y, self._zi[name] = one_pole(b, a, x, zi=zi)
        return y

    def _peak_envelope(self, audio: np.ndarray) -> np.ndarray:
        """max(|x[n]|, env[n-1] * exp(-c)) for every n, as a running maximum of
        log|x[k]| + k c (then - n c), seeded with the last block's envelope."""
        level = np.max(np.abs(audio), axis=0).astype(np.float64)
        ramp = np.arange(level.size, dtype=np.float64) * self._release_per_sample
        running = np.maximum.accumulate(np.log(np.maximum(level, _DETECTOR_FLOOR)) + ramp)
        running = np.maximum(running, self._peak_log - self._release_per_sample)
        log_env = running - ramp
        self._peak_log = float(log_env[-1])
        return np.exp(log_env)

    def process(self, audio: np.ndarray) -> np.ndarray:
        if audio.shape[-1] == 0:
            return audio
        peak = self._peak_envelope(audio)
        slow = self._filter("slow", self._slow, peak)
        ratio_db = 20.0 * np.log10((peak + _DETECTOR_FLOOR) / (slow + _DETECTOR_FLOOR))
        span = TRANSIENT_FULL_SCALE_DB - TRANSIENT_DEAD_ZONE_DB
        attack = np.clip((ratio_db - TRANSIENT_DEAD_ZONE_DB) / span, 0.0, 1.0)
        decay = np.clip((-ratio_db - TRANSIENT_DEAD_ZONE_DB) / span, 0.0, 1.0)
        gain_db = self._filter(
            "smooth", self._smooth, self.attack_db * attack + self.sustain_db * decay
        )
        gain = np.power(10.0, gain_db / 20.0).astype(np.float32)
        return (audio * gain).astype(np.float32, copy=False)


def transient_shape(
    audio: np.ndarray, *, sample_rate: int, attack_db: float, sustain_db: float
) -> np.ndarray:
    """Whole-array transient shaping of (channels, n) float32 audio."""
    shaper = TransientShaper(sample_rate=sample_rate, attack_db=attack_db, sustain_db=sustain_db)
    return shaper.process(np.atleast_2d(audio))


class InsertChain:
    """A track's complete insert chain for block-wise use: pre board, shaper, post board."""

    def __init__(self, track: TrackState, *, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._pre = pb.Pedalboard(_pre_transient_plugins(track))
        self._post = pb.Pedalboard(_post_transient_plugins(track))
        shaper = track.transient
        self._shaper = (
            TransientShaper(
                sample_rate=sample_rate, attack_db=shaper.attack_db, sustain_db=shaper.sustain_db
            )
            if shaper is not None and (shaper.attack_db or shaper.sustain_db)
            else None
        )

    def process(self, block: np.ndarray, *, reset: bool) -> np.ndarray:
        out = block
        if len(self._pre):
            out = self._pre.process(
                out, self.sample_rate, buffer_size=PEDALBOARD_BUFFER_FRAMES, reset=reset
            )
        if self._shaper is not None:
            if reset:
                self._shaper.reset()
            out = self._shaper.process(out)
        if len(self._post):
            out = self._post.process(
                out, self.sample_rate, buffer_size=PEDALBOARD_BUFFER_FRAMES, reset=reset
            )
        return np.asarray(out, dtype=np.float32)


def insert_chain(track: TrackState, *, sample_rate: int) -> InsertChain:
    return InsertChain(track, sample_rate=sample_rate)


def bus_filter_sos(*, hpf_hz: float, lpf_hz: float, sample_rate: int) -> np.ndarray:
    """12 dB/oct high- and low-pass as two identical biquads, each pedalboard's first-order
    HighpassFilter times its first-order LowpassFilter (JUCE's prewarped bilinear design)."""
    high = math.tan(math.pi * hpf_hz / sample_rate)
    low = math.tan(math.pi * min(lpf_hz, 0.45 * sample_rate) / sample_rate)
    b = np.convolve(np.array([1.0, -1.0]) / (high + 1.0), np.array([low, low]) / (low + 1.0))
    a = np.convolve([1.0, (high - 1.0) / (high + 1.0)], [1.0, (low - 1.0) / (low + 1.0)])
    section = np.concatenate([b, a])
    return np.vstack([section, section])


class BusChain:
    """A send bus for block-wise use: the 100% wet effect (pedalboard), its high- and low-pass
    and return level (``bus_filter_sos`` with the gain folded in: one scipy pass instead of
    five pedalboard passes).

    With ``send_channels=1`` (the reverb) the send is one row, filtered before the effect,
    which gets it as [send, silence]: JUCE's reverb feeds its tanks (left + right) x gain, so
    a summed send gives the same output, and the filters and the reverb are linear and
    time-invariant, so their order does not change it either. That halves the filtering and
    the send mixing. With 2 (the delay, whose channels stay apart) the filters follow it."""

    def __init__(
        self,
        effect: pb.Plugin,
        *,
        hpf_hz: float,
        lpf_hz: float,
        return_db: float,
        sample_rate: int,
        send_channels: int = 2,
    ) -> None:
        self.sample_rate = sample_rate
        self.send_channels = send_channels
        self._effect = effect
        self._sos = bus_filter_sos(hpf_hz=hpf_hz, lpf_hz=lpf_hz, sample_rate=sample_rate)
        self._sos[0, :3] *= 10.0 ** (return_db / 20.0)  # the return level, in the same pass
        self._zi: np.ndarray | None = None

    def _filter(self, block: np.ndarray, *, reset: bool) -> np.ndarray:
        if reset or self._zi is None:
            self._zi = np.zeros((len(self._sos), block.shape[0], 2))
        filtered, self._zi = sosfilt(self._sos, block, axis=-1, zi=self._zi)
        return filtered

    def process(self, block: np.ndarray, *, reset: bool) -> np.ndarray:
        """(send_channels, n) send -> (2, n) float32 return."""
        if self.send_channels == 1:
            stereo = np.zeros((2, block.shape[1]), dtype=np.float32)
            stereo[0] = self._filter(block, reset=reset)[0]
            wet = self._effect.process(
                stereo, self.sample_rate, buffer_size=PEDALBOARD_BUFFER_FRAMES, reset=reset
            )
        else:
            wet = self._filter(
                self._effect.process(
                    block, self.sample_rate, buffer_size=PEDALBOARD_BUFFER_FRAMES, reset=reset
                ),
                reset=reset,
            ).astype(np.float32)
        return wet


def pre_delay_frames(bus: ReverbBus, *, sample_rate: int) -> int:
    return int(round(bus.pre_delay_ms * sample_rate / 1000.0))


def reverb_effect(bus: ReverbBus) -> pb.Reverb:
    """The reverb bus's pedalboard Reverb, 100% wet (no pre-delay, filters or return level)."""
    return pb.Reverb(
        room_size=bus.room_size,
        damping=bus.damping,
        wet_level=1.0,
        dry_level=0.0,
        width=bus.width,
    )


def delay_effect(bus: DelayBus) -> pb.Delay:
    """The delay bus's pedalboard Delay with feedback, 100% wet (no filters or return level)."""
    return pb.Delay(bus.delay_ms / 1000.0, bus.feedback, 1.0)


def reverb_bus_chain(bus: ReverbBus, *, sample_rate: int) -> BusChain:
    """12 dB/oct HPF and LPF, 100% wet reverb, return level; a mono send (see BusChain).

    The pre-delay is not in the chain: the chain is linear and time-invariant, so render shifts
    the return by ``pre_delay_frames`` instead, which is the same without a pass of a delay."""
    return BusChain(
        reverb_effect(bus),
        hpf_hz=bus.hpf_hz,
        lpf_hz=bus.lpf_hz,
        return_db=bus.return_db,
        sample_rate=sample_rate,
        send_channels=1,
    )


def delay_bus_chain(bus: DelayBus, *, sample_rate: int) -> BusChain:
    """100% wet delay with feedback, 12 dB/oct HPF and LPF, return level."""
    return BusChain(
        delay_effect(bus),
        hpf_hz=bus.hpf_hz,
        lpf_hz=bus.lpf_hz,
        return_db=bus.return_db,
        sample_rate=sample_rate,
    )


def bus_chain(state: MixState, bus: str, *, sample_rate: int) -> BusChain:
    """The chain render uses for the named bus ("reverb": without its pre-delay)."""
    if bus == "reverb":
        return reverb_bus_chain(state.reverb, sample_rate=sample_rate)
    return delay_bus_chain(state.delay, sample_rate=sample_rate)
