"""Every clean-up detector on one stem, judged for its role: ``detect_faults``.

``StemFaults`` is what ``analyze --json`` prints under a stem's ``cleanup`` and what the
feedback, the automix and the planners read. Sibilance and plosives are judged on vocals
only; rumble against the role's floor.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from mixchat.dsp.cleanup.clicks import ClickFinding, detect_clicks
from mixchat.dsp.cleanup.dc import DcFinding, detect_dc
from mixchat.dsp.cleanup.hum import HumFinding, detect_hum
from mixchat.dsp.cleanup.noise import NoiseFinding, detect_noise
from mixchat.dsp.cleanup.rumble import VOCAL_ROLES, RumbleFinding, detect_rumble
from mixchat.dsp.cleanup.sibilance import SibilanceFinding, detect_sibilance

DETECT_VERSION = 2
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


def detect_faults(audio: np.ndarray, *, sample_rate: int, role: str) -> StemFaults:
    channels = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    return StemFaults(
        role=role,
        hum=detect_hum(channels, sample_rate=sample_rate),
        noise=detect_noise(channels, sample_rate=sample_rate),
        clicks=detect_clicks(channels, sample_rate=sample_rate),
        dc_offset=detect_dc(channels, sample_rate=sample_rate),
        rumble=detect_rumble(channels, sample_rate=sample_rate, role=role),
        sibilance=detect_sibilance(channels, sample_rate=sample_rate) if is_vocal(role) else None,
    )
