"""The clean-up settings a track stores: frozen, JSON-serialisable, units in field names.

A track's ``Cleanup`` holds at most one of each stage; ``None`` means the stage is off. The
stages run before the track's trim, in the order of the fields (DC, hum, clicks, noise,
plosives, esses), so every threshold here is in the raw stem's own dBFS, as the detector
measured it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DcRemoval(_Spec):
    """The stem's slow part (its block means smoothed by a window whose response first
    falls to zero at ``cutoff_hz``) subtracted: removes offset and drift, far below the
    music."""

    cutoff_hz: float = Field(default=5.0, ge=2.0, le=20.0)


class HumRemoval(_Spec):
    """Every harmonic of the mains fundamental up to ``highest_hz``, followed and subtracted."""

    fundamental_hz: float = Field(ge=40.0, le=70.0, description="Hum fundamental (50 or 60 Hz)")
    width_hz: float = Field(
        default=1.0, ge=0.2, le=8.0, description="-3 dB width of the low harmonics' notches"
    )
    reduction_db: float = Field(
        default=40.0, ge=0.0, le=60.0, description="Depth of each notch, dB"
    )
    drift_hz: float = Field(
        default=0.05,
        ge=0.0,
        le=0.5,
        description="How far the fundamental may wander; high harmonics' notches widen to follow",
    )
    highest_hz: float = Field(
        default=1200.0, ge=100.0, le=4000.0, description="The highest harmonic removed, Hz"
    )
    followed: tuple[int, ...] = Field(
        default=(),
        description="Harmonic numbers whose lines show the wander (those the hum shows on over "
        "the music, faint ones too); empty = every harmonic",
    )


class DeClick(_Spec):
    """Finds short impulses that stand out of the local signal and rebuilds those samples.
    It runs only on a stem where the detector (at DETECT_THRESHOLD, which no clean stem
    reaches) found clicks, so it repairs with more sensitivity than it reports with."""

    threshold: float = Field(
        default=5.0,  # the clean stems' own edges stand under 4x where the detector stands 12x
        ge=3.0,
        le=100.0,
        description="How far a click must stand above the local high-frequency peaks (ratio)",
    )
    max_click_ms: float = Field(default=2.0, ge=0.1, le=10.0)


class NoiseProfile(_Spec):
    """The noise floor the detector learned on the stem's quiet passages: power spectral
    density (dB re full scale per Hz) at log-spaced frequencies, interpolated in between."""

    freqs_hz: tuple[float, ...] = Field(min_length=2)
    density_db: tuple[float, ...] = Field(min_length=2)
    seconds: float = Field(default=0.0, ge=0.0, description="Quiet material it was learned on")

    @model_validator(mode="after")
    def _same_length(self) -> NoiseProfile:
        if len(self.freqs_hz) != len(self.density_db):
            raise ValueError(
                f"freqs_hz has {len(self.freqs_hz)} values but density_db has {len(self.density_db)}"
            )
        if any(b <= a for a, b in zip(self.freqs_hz, self.freqs_hz[1:])):
            raise ValueError("freqs_hz must rise")
        return self


class NoiseReduction(_Spec):
    """Spectral gating: STFT bins that do not rise ``threshold_db`` over the profile are
    lowered by ``reduction_db`` (the mask smoothed in time and frequency)."""

    profile: NoiseProfile
    reduction_db: float = Field(default=18.0, ge=0.0, le=40.0)
    threshold_db: float = Field(default=6.0, ge=0.0, le=20.0)


class DynamicBand(_Spec):
    """A dynamic EQ band keyed on itself: reduction grows with the band's level over the
    threshold (``ratio``), limited to ``reduction_db``."""

    threshold_db: float = Field(ge=-90.0, le=0.0, description="Band level where reduction starts")
    reduction_db: float = Field(default=10.0, ge=0.0, le=30.0, description="Most reduction, dB")
    ratio: float = Field(default=4.0, ge=1.0, le=20.0)
    attack_ms: float = Field(default=1.0, ge=0.1, le=50.0)
    release_ms: float = Field(default=60.0, ge=5.0, le=1000.0)


class DeEsser(DynamicBand):
    """The sibilance band (a bell around ``freq_hz``) turned down while it is over threshold."""

    freq_hz: float = Field(default=7000.0, ge=3000.0, le=12000.0)
    reduction_db: float = Field(default=15.0, ge=0.0, le=30.0, description="Most reduction, dB")
    ratio: float = Field(default=6.0, ge=1.0, le=20.0)
    q: float = Field(default=1.4, ge=0.5, le=4.0)


class DePlosive(DynamicBand):
    """The lows under ``cutoff_hz`` turned down while a plosive burst drives them."""

    cutoff_hz: float = Field(default=150.0, ge=40.0, le=400.0)
    release_ms: float = Field(default=80.0, ge=5.0, le=1000.0)


class Cleanup(_Spec):
    dc: DcRemoval | None = None
    hum: HumRemoval | None = None
    declick: DeClick | None = None
    denoise: NoiseReduction | None = None
    deplosive: DePlosive | None = None
    deess: DeEsser | None = None

    def stages(self) -> list[str]:
        """The names of the stages that are on, in processing order."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]


STAGE_LABELS = {
    "dc": "DC removal",
    "hum": "hum removal",
    "declick": "de-click",
    "denoise": "noise reduction",
    "deplosive": "plosive control",
    "deess": "de-esser",
}
