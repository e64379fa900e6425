"""What a reply measures before and after a change. A planner names the measures that show
what its moves did; the turn computes the ones the metrics do not hold and the reply quotes
them all, before → after.

Each measure has a ``key``: its name among a version's stored metrics (``extra``), e.g.
``trackband:Vox:2000-20000``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Bus = Literal["reverb", "delay"]


class Measure(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def key(self) -> str:
        raise NotImplementedError

    def tracks(self) -> tuple[str, ...]:
        """The tracks whose own band powers this measure reads."""
        return ()


class Loudness(Measure):
    """The mix's integrated loudness."""

    @property
    def key(self) -> str:
        return "loudness"


class TruePeak(Measure):
    """The mix's true peak: what a master move is judged by."""

    @property
    def key(self) -> str:
        return "master"


class Centroid(Measure):
    """The mix's spectral centroid."""

    @property
    def key(self) -> str:
        return "spectral_centroid_hz"


class Width(Measure):
    """The mix's side/mid ratio."""

    @property
    def key(self) -> str:
        return "width"


class BandShare(Measure):
    """The share of one named band (sub, low, low_mid, mid, presence, air) in the mix."""

    band: str

    @property
    def key(self) -> str:
        return f"band:{self.band}"


class RangeShare(Measure):
    """The share of a frequency range in the mix, from its third-octave spectrum."""

    low_hz: float
    high_hz: float

    @property
    def key(self) -> str:
        return f"band_hz:{self.low_hz:g}-{self.high_hz:g}"


class TrackLevel(Measure):
    """A track's loudness against the rest of the mix."""

    track: str

    @property
    def key(self) -> str:
        return f"track:{self.track}"


class GroupLevel(Measure):
    """Several tracks moved together (a group, or all but a few): their summed loudness
    against the summed rest of the mix."""

    names: tuple[str, ...]

    @property
    def key(self) -> str:
        return "group:" + ",".join(self.names)


class SectionLevel(Measure):
    """Tracks against the rest of the mix inside the sections labelled ``label`` (one
    occurrence, or all when None): after faders and automation, so a section ride shows."""

    names: tuple[str, ...]
    label: str
    occurrence: int | None = None

    @property
    def key(self) -> str:
        where = self.label if self.occurrence is None else f"{self.label}#{self.occurrence}"
        return f"sectionlevel:{where}:" + ",".join(self.names)


class TrackWidth(Measure):
    """How wide a track sits in the mix: its own side/mid ratio (dB) after pan and width."""

    track: str

    @property
    def key(self) -> str:
        return f"trackwidth:{self.track}"

    def tracks(self) -> tuple[str, ...]:
        return (self.track,)


class TrackPan(Measure):
    """Where a track sits left to right in the mix: its left-minus-right level (dB) after
    pan and width (positive: louder on the left)."""

    track: str

    @property
    def key(self) -> str:
        return f"pan:{self.track}"

    def tracks(self) -> tuple[str, ...]:
        return (self.track,)


class TrackRange(Measure):
    """A track's own level in a frequency range (post inserts and fader)."""

    track: str
    low_hz: float
    high_hz: float

    @property
    def key(self) -> str:
        return f"trackband:{self.track}:{self.low_hz:g}-{self.high_hz:g}"

    def tracks(self) -> tuple[str, ...]:
        return (self.track,)


class Overlap(Measure):
    """The spectral overlap of two tracks (``a`` masks ``b``)."""

    a: str
    b: str

    @property
    def key(self) -> str:
        return f"overlap:{self.a},{self.b}"

    def tracks(self) -> tuple[str, ...]:
        return (self.a, self.b)


class Crest(Measure):
    """The crest factor of a track, or of the mix when ``track`` is None."""

    track: str | None = None

    @property
    def key(self) -> str:
        return f"crest:{self.track or 'mix'}"


class SectionContrast(Measure):
    """The loudness of the sections with this label (or of one occurrence of it) against
    the rest of the song."""

    label: str
    occurrence: int | None = None

    @property
    def key(self) -> str:
        return f"section:{self.label}" + (f":{self.occurrence}" if self.occurrence else "")


class BusReturn(Measure):
    """The level of a bus return (RMS)."""

    bus: Bus

    @property
    def key(self) -> str:
        return self.bus


MEASURE_KINDS: dict[str, type[Measure]] = {
    kind.__name__: kind
    for kind in (
        Loudness,
        TruePeak,
        Centroid,
        Width,
        BandShare,
        RangeShare,
        TrackLevel,
        GroupLevel,
        SectionLevel,
        TrackPan,
        TrackWidth,
        TrackRange,
        Overlap,
        Crest,
        SectionContrast,
        BusReturn,
    )
}


def measures_record(measures: list[Measure]) -> list[dict[str, Any]]:
    """The measures as JSON, kept with a version so a follow-up quotes what its brief named."""
    return [{"measure": type(m).__name__, **m.model_dump()} for m in measures]


def measures_from_record(record: Any) -> tuple[Measure, ...]:
    """The measures a version kept (``measures_record``); an entry this build cannot read is
    left out (a version saved by another build still loads)."""
    out: list[Measure] = []
    for entry in record if isinstance(record, list) else []:
        if not isinstance(entry, dict):
            continue
        fields = {k: v for k, v in entry.items() if k != "measure"}
        kind = MEASURE_KINDS.get(str(entry.get("measure")))
        if kind is None:
            continue
        try:
            out.append(kind(**fields))
        except ValueError:
            continue
    return tuple(out)
