"""Every clean-up detector on one stem, judged for its role: ``detect_faults``.

``StemFaults`` is what ``analyze --json`` prints under a stem's ``cleanup`` and what the
feedback, the automix and the planners read. Sibilance and plosives are judged on vocals
only; rumble against the role's floor.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, ConfigDict

from mixchat.dsp.cleanup.clicks import ClickFinding, ClickMeter
from mixchat.dsp.cleanup.dc import DcFinding, DcMeter
from mixchat.dsp.cleanup.hum import HumFinding, HumMeter
from mixchat.dsp.cleanup.noise import NoiseFinding, NoiseMeter
from mixchat.dsp.cleanup.rumble import VOCAL_ROLES, RumbleFinding, RumbleMeter
from mixchat.dsp.cleanup.sibilance import SibilanceFinding, SibilanceMeter
from mixchat.dsp.spill import Spill

DETECT_VERSION = 12
FAULT_KEYS = ("hum", "noise", "clicks", "dc_offset", "rumble", "sibilance")


class StemFaults(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: str
    hum: HumFinding
    noise: NoiseFinding
    clicks: ClickFinding
    dc_offset: DcFinding
    rumble: RumbleFinding
    sibilance: SibilanceFinding | None = None

    def found(self) -> list[str]:
        """The fault keys found on this stem, in FAULT_KEYS order."""
        return [k for k in FAULT_KEYS if (f := getattr(self, k)) is not None and f.found]


def is_vocal(role: str) -> bool:
    return role in VOCAL_ROLES or "vocal" in role


Reread = Callable[[int, int], np.ndarray]
FEED_FRAMES = 1 << 18
SIDE_BY_SIDE_SCAN = 1 << 16  # a click search every block fed, not every other one


class FaultMeter:
    """Every detector on one stem, fed block by block in one pass (memory holds a few
    blocks and a few floats per frame, whatever the stem's length); the noise detector
    reads its quiet frames again at the end (``reread``).

    ``role=None`` (``side_by_side``: every stem of a session fed at once, while they are
    decoded) measures what does not depend on the role, holding little per stem: the hum's
    decimated stream waits in a temporary file and clicks are searched every block.
    ``settle`` once the stem has been fed to its end lets go of what only feeding needed;
    ``finish`` then names the role, feeds a vocal's own parts (plosives, sibilance) in a
    second pass and gives the findings ``stream_faults`` gives. ``expected_role`` (a role
    the stem's name states, known before it is decoded) feeds those parts in the first
    pass, so ``finish`` for that role reads the stem no more."""

    def __init__(
        self,
        *,
        sample_rate: int,
        frames: int,
        role: str | None,
        expected_role: str | None = None,
    ) -> None:
        self.role = role
        self.sample_rate, self.frames = sample_rate, frames
        # fed side by side: what waits for the role waits on disk
        self._spill = Spill() if role is None else None
        self.dc = DcMeter(sample_rate=sample_rate, spill=self._spill)
        self.hum = HumMeter(  # its audibility reads the DC meter's block powers: one pass
            sample_rate=sample_rate,
            frames=frames,
            spill=self._spill,
            block_powers=self.dc.block_powers,
        )
        self.noise = NoiseMeter(sample_rate=sample_rate, spill=self._spill)
        self.clicks = (
            ClickMeter(sample_rate=sample_rate, scan_frames=SIDE_BY_SIDE_SCAN)
            if role is None
            else ClickMeter(sample_rate=sample_rate)
        )
        parts_role = role or expected_role  # the role a vocal's own parts are fed for
        self._parts_fed_for = expected_role if role is None else None
        self.rumble = RumbleMeter(
            sample_rate=sample_rate, frames=frames, role=parts_role or "other"
        )
        self.sibilance = (
            SibilanceMeter(sample_rate=sample_rate)
            if parts_role is not None and is_vocal(parts_role)
            else None
        )

    def feed(self, audio: np.ndarray, mono: np.ndarray | None = None) -> None:
        """A block of the stem, (channels, n), and its channel mean if it is at hand."""
        audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
        mono = audio.mean(axis=0) if mono is None else mono
        self.dc.feed(audio)
        self.hum.feed(audio, mono)
        self.noise.feed(mono)
        self.clicks.feed(audio)
        self.rumble.feed(audio, mono)
        if self.sibilance is not None:
            self.sibilance.feed(audio, mono)

    def settle(self) -> None:
        """The stem has been fed to its end: what only feeding needed (the hum's resampler,
        the clicks' context, partial frames) is let go and the per-block measures are kept
        as one array each, so a meter that waits for its role holds little."""
        self.dc.settle(self._spill)
        self.hum.settle()
        self.noise.settle(self._spill)
        self.clicks.settle()
        self.rumble.settle(self._spill)

    def finish(self, read: Reread, *, role: str, block: int = FEED_FRAMES) -> StemFaults:
        """The findings of a meter made with ``role=None``, judged for ``role``."""
        self.role = role
        fed = self._parts_fed_for
        if fed is not None and _same_parts(fed, role):
            self.rumble.assign(role)  # its plosives (if a vocal's) were fed with the rest
            return self.result(read)
        if fed in VOCAL_ROLES:
            self.rumble.restart_plosives()  # fed for another role: again from the start
        plosives = self.rumble.assign(role)
        if is_vocal(role):
            self.sibilance = SibilanceMeter(sample_rate=self.sample_rate)
        else:
            self.sibilance = None
        if plosives or self.sibilance is not None:
            for start in range(0, self.frames, block):
                audio = np.atleast_2d(
                    np.asarray(read(start, min(start + block, self.frames)), dtype=np.float32)
                )
                mono = audio.mean(axis=0)
                if plosives:
                    self.rumble.feed_plosives(audio, mono)
                if self.sibilance is not None:
                    self.sibilance.feed(audio, mono)
        return self.result(read)

    def result(self, reread: Reread) -> StemFaults:
        if self.role is None:
            raise ValueError("role=None: a meter fed without its role gives findings by finish()")
        try:
            return StemFaults(
                role=self.role,
                hum=self.hum.result(),
                noise=self.noise.result(reread),
                clicks=self.clicks.result(),
                dc_offset=self.dc.result(),
                rumble=self.rumble.result(),
                sibilance=self.sibilance.result() if self.sibilance is not None else None,
            )
        finally:
            if self._spill is not None:
                self._spill.close()


def _same_parts(fed_for: str, role: str) -> bool:
    """Whether a vocal's own parts fed for ``fed_for`` are those ``role`` is judged on:
    the plosives (rumble's vocal roles) and the sibilance (any vocal) alike."""
    return (fed_for in VOCAL_ROLES) == (role in VOCAL_ROLES) and is_vocal(fed_for) == is_vocal(role)


def stream_faults(
    read: Reread, *, frames: int, sample_rate: int, role: str, block: int = FEED_FRAMES
) -> StemFaults:
    """``detect_faults`` on a stem read ``read(start, stop)`` a block at a time."""
    meter = FaultMeter(sample_rate=sample_rate, frames=frames, role=role)
    for start in range(0, frames, block):
        meter.feed(read(start, min(start + block, frames)))
    return meter.result(read)


def detect_faults(audio: np.ndarray, *, sample_rate: int, role: str) -> StemFaults:
    channels = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    return stream_faults(
        lambda start, stop: channels[:, start:stop],
        frames=channels.shape[1],
        sample_rate=sample_rate,
        role=role,
    )
