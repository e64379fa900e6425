"""Feedback items for what the clean-up detectors found on a stem (keys ``hum``, ``noise``,
``clicks``, ``dc_offset``, ``rumble``, ``sibilance``), each with the numbers and an action
that names the tool or brief that fixes it."""

from __future__ import annotations

from typing import Any

from mixchat.assistant.inspection.checks import item
from mixchat.dsp.cleanup.detect import StemFaults

Item = dict[str, Any]


def _times(times: list[float], most: int = 5) -> str:
    return ", ".join(f"{t:.2f} s" for t in times[:most]) + (" ..." if len(times) > most else "")


def cleanup_items(name: str, faults: StemFaults) -> list[Item]:
    items: list[Item] = []
    hum, noise, clicks, dc = faults.hum, faults.noise, faults.clicks, faults.dc_offset
    if hum.found:
        items.append(
            item(
                "hum",
                "high" if hum.against_stem_db > -40.0 else "medium",
                f"{hum.mains_hz:g} Hz hum on {name}",
                f"Mains hum at {hum.fundamental_hz:.2f} Hz with harmonics "
                f"{', '.join(map(str, hum.harmonics[:8]))}, {-hum.against_stem_db:.0f} dB under "
                f"the stem ({hum.level_dbfs:.0f} dBFS).",
                f'Remove it (`remove_hum`, or say "there\'s hum on {name}"); at the source, '
                "check the cable runs and ground loop.",
                stem=name,
                fundamental_hz=hum.fundamental_hz,
                harmonics=hum.harmonics,
                level_dbfs=hum.level_dbfs,
                against_stem_db=hum.against_stem_db,
            )
        )
    if noise.found:
        items.append(
            item(
                "noise",
                "medium",
                f"Noise floor on {name}",
                f"A steady broadband floor at {noise.floor_dbfs:.0f} dBFS in the quiet passages, "
                f"{noise.snr_db:.0f} dB under the loud ones.",
                f'Reduce it (`reduce_noise`, or say "{name} is noisy between phrases"), or gate '
                "the gaps.",
                stem=name,
                floor_dbfs=noise.floor_dbfs,
                snr_db=noise.snr_db,
                quiet_s=noise.quiet_s,
            )
        )
    if clicks.found:
        items.append(
            item(
                "clicks",
                "medium" if clicks.count > 2 else "low",
                f"{clicks.count} click{'s' if clicks.count != 1 else ''} on {name}",
                f"Short impulses at {_times(clicks.times_s)}.",
                f'Repair them (`declick`, or say "get rid of the clicks on {name}"); an edit '
                "without a fade also clicks: fade every cut.",
                stem=name,
                count=clicks.count,
                times_s=clicks.times_s,
            )
        )
    if dc.found:
        items.append(
            item(
                "dc_offset",
                "low",
                f"DC offset on {name}",
                f"{name} sits {dc.offset:+.4f} off zero ({dc.offset_dbfs:.0f} dBFS) while it plays.",
                f"Remove it (`remove_dc`) before compressing or summing {name}.",
                stem=name,
                dc_offset=dc.offset,
                offset_dbfs=dc.offset_dbfs,
            )
        )
    rumble = faults.rumble
    if rumble.found:
        parts = []
        if rumble.steady:
            parts.append(
                f"{rumble.below_floor_db:.0f} dB of its energy lies under {rumble.floor_hz:g} Hz"
            )
        if rumble.plosives:
            parts.append(f"{rumble.plosives} plosive thumps (at {_times(rumble.plosive_times_s)})")
        items.append(
            item(
                "rumble",
                "medium" if rumble.plosives else "low",
                f"Rumble on {name}",
                "; ".join(parts) + ".",
                f"High-pass {name} at {rumble.floor_hz:g} Hz"
                + (" and tame the plosives (`control_plosives`)" if rumble.plosives else "")
                + f' (or say "too much rumble on {name}"); use a pop filter when recording.',
                stem=name,
                floor_hz=rumble.floor_hz,
                below_floor_db=rumble.below_floor_db,
                plosives=rumble.plosives,
                plosive_times_s=rumble.plosive_times_s,
            )
        )
    sib = faults.sibilance
    if sib is not None and sib.found:
        items.append(
            item(
                "sibilance",
                "medium",
                f"Harsh esses on {name}",
                f"{sib.bursts} 5-10 kHz bursts {sib.band_over_rest_db:+.0f} dB over the rest of "
                f"the voice, {sib.band_against_loud_db:+.0f} dB against its loud level.",
                'De-ess it (`de_ess`, or say "the esses are killing me").',
                stem=name,
                bursts=sib.bursts,
                times_s=sib.times_s,
                band_over_rest_db=sib.band_over_rest_db,
                band_against_loud_db=sib.band_against_loud_db,
            )
        )
    return items
