"""`mixchat feedback`: a Mix-Check-style report on stems, a session or a finished mix.

Every item carries its severity, the measured numbers and one concrete action; the checks
live in ``feedback_checks``. For a session the tracks are measured as they sit in the mix
(after their inserts and faders), so a clean automix does not read as a raw export.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.assistant.inspection.analyze import (
    Material,
    load_material,
    material_faults,
    measure_material,
)
from mixchat.assistant.inspection.checks import (
    loudness_items,
    masking_items,
    stem_items,
    stereo_items,
    tonal_items,
    vocal_items,
)
from mixchat.assistant.inspection.cleanup_items import cleanup_items
from mixchat.assistant.inspection.stem_feedback import (
    is_stem_file,
    session_stem_feedback,
    stem_file_feedback,
)
from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.masking import find_masking
from mixchat.tools.automix_measure import gated_lufs, loudness_blocks, power_sum_db, section_blocks
from mixchat.tools.engine import Engine
from mixchat.tools.genres import band_targets
from mixchat.tools.session import Session

Progress = Callable[[str, float], None]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
VOCALS = ("vocal", "lead_vocal")
SECTION_ACTIVE_BELOW_LU = 12.0


def feedback_for_path(
    path: Path,
    *,
    plots_dir: Path | None = None,
    genre: str | None = None,
    role: str | None = None,
    stem: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """``{items: [...], plots: [...]}`` for a stems folder, a session or an audio file.

    One audio file whose name says a role (or given ``role``) is judged as a stem, and so is
    ``stem`` of a session; see ``stem_feedback``."""
    report = progress or (lambda label, fraction: None)
    path = Path(path)
    if stem is not None:
        if not (path / "session.json").exists():
            raise AudioFileError(f"--stem needs a session folder; {path} is not one")
        return session_stem_feedback(path, stem, role=role, progress=report)
    if path.is_file() and is_stem_file(path, role):
        return stem_file_feedback(path, role=role, progress=report)
    material = load_material(Path(path), progress=report)
    result = measure_material(material, progress=report)
    in_mix = tracks_in_mix(material)
    if in_mix is not None and len(in_mix) > 1:
        report("masking in the mix", 0.9)
        conflicts = find_masking(in_mix, sample_rate=material.sample_rate, roles=material.roles)
        result["masking"] = [c.model_dump(mode="json") for c in conflicts]
    items = build_items(material, result, in_mix=in_mix, genre=genre or material.genre)
    out: dict[str, Any] = {"source": str(path), "kind": material.kind, "items": items}
    if plots_dir is not None:
        from mixchat.assistant.inspection.plots import write_plots  # matplotlib: only when asked

        report("plots", 0.95)
        paths = write_plots(material, result, plots_dir=Path(plots_dir), genre=genre)
        out["plots"] = [str(p) for p in paths]
    report("done", 1.0)
    return out


def tracks_in_mix(material: Material) -> dict[str, np.ndarray] | None:
    """A session's tracks after inserts and faders; a stems folder's stems as they are."""
    if material.kind != "session":
        return dict(material.stems) if material.stems else None
    session = Session.open(Path(material.source))
    return Engine.for_session(session).tracks_in_mix(session.load().state)


def build_items(
    material: Material,
    result: dict[str, Any],
    *,
    in_mix: dict[str, np.ndarray] | None,
    genre: str | None,
) -> list[dict[str, Any]]:
    mix = result["mix"]
    items = loudness_items(mix, kind=material.kind)
    items += stereo_items(mix)
    name, shares, tolerance = band_targets(genre)
    items += tonal_items(mix, shares, tolerance, name)
    if result["stems"]:
        items += stem_items(result["stems"], material)
        for name, faults in material_faults(material).items():
            items += cleanup_items(name, faults)
    items += masking_items(result["masking"], material.roles)
    if in_mix:
        items += vocal_balance(material, in_mix)
    return sorted(items, key=lambda i: SEVERITY_ORDER[i["severity"]])


def vocal_balance(material: Material, tracks: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """The lead vocal against the power sum of the rest, overall and per section."""
    vocals = [n for n in tracks if material.roles.get(n) in VOCALS]
    if not vocals or len(tracks) < 2:
        return []
    rate = material.sample_rate
    blocks = {n: loudness_blocks(np.asarray(a), sample_rate=rate) for n, a in tracks.items()}
    levels = {n: gated_lufs(b) for n, b in blocks.items()}
    vocal = max(vocals, key=lambda n: levels[n])
    if levels[vocal] <= -70.0:
        return []
    ratio = levels[vocal] - power_sum_db([v for n, v in levels.items() if n != vocal])
    frames = min(b.size for b in blocks.values())
    band = np.sum([b[:frames] for n, b in blocks.items() if n != vocal], axis=0)
    per_section = []
    for section in material.sections:
        voice = gated_lufs(section_blocks(blocks[vocal][:frames], section))
        if voice < levels[vocal] - SECTION_ACTIVE_BELOW_LU:
            continue
        per_section.append((section.label, voice - gated_lufs(section_blocks(band, section))))
    found = vocal_items(vocal, ratio, per_section)
    if not found:
        found.append(
            {
                "key": "vocal_balance",
                "severity": "info",
                "title": f"{vocal} sits on top",
                "detail": f"{vocal} is {ratio:+.1f} LU against the rest of the band.",
                "action": "No action needed.",
                "measured": {"stem": vocal, "vocal_vs_band_lu": round(ratio, 2)},
            }
        )
    return found
