"""The mix state: frozen, JSON-serialisable pydantic models with units in field names.

A ``MixState`` is everything render needs besides the stems. Tools return new states with
``model_copy(update=...)`` or the helpers below; nothing mutates a state in place.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from mixchat.dsp.cleanup.spec import Cleanup
from mixchat.dsp.errors import StateError


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


M = TypeVar("M", bound=BaseModel)


EqKind = Literal["bell", "low_shelf", "high_shelf", "notch"]
NOTCH_DEFAULT_DB = -30.0


class Section(Frozen):
    """A labelled time range of the song (intro, verse, pre_chorus, chorus, bridge, outro)."""

    label: str
    start_s: float = Field(ge=0.0)
    end_s: float = Field(gt=0.0)


class EqBand(Frozen):
    kind: EqKind = "bell"
    freq_hz: float = Field(ge=20.0, le=20000.0)
    gain_db: float = Field(default=0.0, ge=-24.0, le=24.0)
    q: float = Field(default=1.0, ge=0.1, le=18.0)

    @property
    def applied_gain_db(self) -> float:
        """The gain the engine applies: a notch cuts its gain_db when that is negative,
        else NOTCH_DEFAULT_DB (a deep bell cut, not an infinite notch)."""
        if self.kind == "notch" and self.gain_db >= 0:
            return NOTCH_DEFAULT_DB
        return self.gain_db


class Compressor(Frozen):
    threshold_db: float = Field(default=-18.0, ge=-60.0, le=0.0)
    ratio: float = Field(default=3.0, ge=1.0, le=20.0)
    attack_ms: float = Field(default=10.0, ge=0.1, le=300.0)
    release_ms: float = Field(default=120.0, ge=5.0, le=3000.0)
    makeup_db: float = Field(default=0.0, ge=0.0, le=24.0)


class Gate(Frozen):
    threshold_db: float = Field(default=-50.0, ge=-90.0, le=0.0)
    ratio: float = Field(default=4.0, ge=1.0, le=100.0)
    attack_ms: float = Field(default=1.0, ge=0.1, le=100.0)
    release_ms: float = Field(default=100.0, ge=5.0, le=3000.0)


class Saturation(Frozen):
    drive_db: float = Field(default=0.0, ge=0.0, le=24.0)
    mix_pct: float = Field(default=100.0, ge=0.0, le=100.0)


class TransientShaper(Frozen):
    """Attack and sustain emphasis, in dB, driven by fast/slow envelope difference."""

    attack_db: float = Field(default=0.0, ge=-12.0, le=12.0)
    sustain_db: float = Field(default=0.0, ge=-12.0, le=12.0)


class TrackState(Frozen):
    name: str
    role: str = "other"
    trim_db: float = Field(default=0.0, ge=-60.0, le=36.0)
    gain_db: float = Field(default=0.0, ge=-60.0, le=24.0)
    polarity_inverted: bool = False
    cleanup: Cleanup = Cleanup()
    hpf_hz: float | None = Field(default=None, ge=10.0, le=2000.0)
    lpf_hz: float | None = Field(default=None, ge=1000.0, le=22000.0)
    eq: tuple[EqBand, ...] = ()
    gate: Gate | None = None
    compressor: Compressor | None = None
    transient: TransientShaper | None = None
    saturation: Saturation | None = None
    pan: float = Field(default=0.0, ge=-1.0, le=1.0)
    width: float = Field(default=1.0, ge=0.0, le=2.0)
    reverb_send_db: float | None = Field(default=None, ge=-60.0, le=6.0)
    delay_send_db: float | None = Field(default=None, ge=-60.0, le=6.0)
    mute: bool = False
    solo: bool = False


class ReverbBus(Frozen):
    room_size: float = Field(default=0.45, ge=0.0, le=1.0)
    damping: float = Field(default=0.5, ge=0.0, le=1.0)
    width: float = Field(default=1.0, ge=0.0, le=1.0)
    pre_delay_ms: float = Field(default=20.0, ge=0.0, le=250.0)
    hpf_hz: float = Field(default=200.0, ge=20.0, le=2000.0)
    lpf_hz: float = Field(default=9000.0, ge=1000.0, le=20000.0)
    return_db: float = Field(default=0.0, ge=-60.0, le=12.0)


class DelayBus(Frozen):
    delay_ms: float = Field(default=375.0, ge=1.0, le=2000.0)
    feedback: float = Field(default=0.3, ge=0.0, le=0.95)
    hpf_hz: float = Field(default=300.0, ge=20.0, le=2000.0)
    lpf_hz: float = Field(default=6000.0, ge=1000.0, le=20000.0)
    return_db: float = Field(default=0.0, ge=-60.0, le=12.0)


class SectionAutomation(Frozen):
    """Offsets over a time range. ``track=None`` means the whole mix bus."""

    track: str | None = None
    label: str = ""
    start_s: float = Field(ge=0.0)
    end_s: float = Field(gt=0.0)
    gain_db: float = Field(default=0.0, ge=-24.0, le=12.0)
    reverb_send_db: float = Field(default=0.0, ge=-24.0, le=12.0)
    delay_send_db: float = Field(default=0.0, ge=-24.0, le=12.0)
    ramp_ms: float = Field(default=80.0, ge=1.0, le=2000.0)


MAX_MIX_TRIM_DB = 48.0


class MasterState(Frozen):
    enabled: bool = False
    width: float = Field(default=1.0, ge=0.0, le=2.0)  # side gain before the EQ: 1 unchanged
    eq: tuple[EqBand, ...] = ()
    glue: Compressor | None = None
    loudness_enabled: bool = True
    target_lufs: float = Field(default=-14.0, ge=-40.0, le=-4.0)
    ceiling_dbtp: float = Field(default=-1.0, ge=-12.0, le=0.0)
    # gain on the summed mix (tracks and bus returns) before the master chain, on or off:
    # the loudness compensation after a brief, which re-renders no track and no bus
    trim_db: float = Field(default=0.0, ge=-MAX_MIX_TRIM_DB, le=MAX_MIX_TRIM_DB)

    @model_serializer(mode="wrap")
    def _unset_trim_left_out(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        """A state without a trim dumps as one made before the trim existed, so the
        versions and cache names made then stay valid."""
        data = handler(self)
        if self.trim_db == 0.0:
            data.pop("trim_db", None)
        return data


class MixState(Frozen):
    tracks: tuple[TrackState, ...] = ()
    reverb: ReverbBus = ReverbBus()
    delay: DelayBus = DelayBus()
    automation: tuple[SectionAutomation, ...] = ()
    master: MasterState = MasterState()

    def track_names(self) -> list[str]:
        return [t.name for t in self.tracks]

    def track(self, name: str) -> TrackState:
        for t in self.tracks:
            if t.name == name:
                return t
        raise StateError(f"track={name!r} is not in this session; tracks are {self.track_names()}")

    def with_track(self, name: str, **changes: object) -> MixState:
        """A copy with one track's fields replaced (validated)."""
        old = self.track(name)
        new = build(TrackState, {**old.model_dump(), **changes})
        return self.model_copy(
            update={"tracks": tuple(new if t.name == name else t for t in self.tracks)}
        )

    def with_master(self, **changes: object) -> MixState:
        new = build(MasterState, {**self.master.model_dump(), **changes})
        return self.model_copy(update={"master": new})

    def with_trim_in_faders(self) -> MixState:
        """The same mix with the master's trim moved into every fader (sends follow the
        faders, so the pre-master is the same to float32 rounding): for a DAW, whose master
        fader comes after the master chain. Faders are not clamped: the level is kept."""
        trim = self.master.trim_db
        if trim == 0.0:
            return self
        tracks = tuple(t.model_copy(update={"gain_db": t.gain_db + trim}) for t in self.tracks)
        master = self.master.model_copy(update={"trim_db": 0.0})
        return self.model_copy(update={"tracks": tracks, "master": master})

    def audible_tracks(self) -> list[TrackState]:
        soloed = [t for t in self.tracks if t.solo]
        pool = soloed if soloed else list(self.tracks)
        return [t for t in pool if not t.mute]


def validation_message(error: ValidationError) -> str:
    """One line from a pydantic error, e.g. ``pan=3 must be <= 1``, ``track is required``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "value"
        ctx = item.get("ctx") or {}
        bound = next(((k, v) for k, v in ctx.items() if k in ("ge", "gt", "le", "lt")), None)
        symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
        if bound:
            parts.append(f"{where}={item.get('input')!r} must be {symbols[bound[0]]} {bound[1]}")
        elif item["type"] == "missing":
            parts.append(f"{where} is required")
        elif item["type"] == "extra_forbidden":
            parts.append(f"{where} is not an argument here")
        else:
            parts.append(f"{where}={item.get('input')!r}: {item['msg']}")
    return "; ".join(parts)


def build(model: type[M], data: object) -> M:
    """Validate ``data`` into ``model``, raising StateError with a one-line message."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise StateError(validation_message(error)) from None


def unity_state(names_and_roles: list[tuple[str, str]]) -> MixState:
    """Version 0: every stem at unity, centred, no processing, master off."""
    return MixState(tracks=tuple(TrackState(name=n, role=r) for n, r in names_and_roles))
