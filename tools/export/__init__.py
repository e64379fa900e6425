"""Export any version of a session to a DAW: DAWproject, REAPER, or processed stems.

``export_version`` checks the destination first (an existing file or non-empty folder needs
``force``; an unwritable folder is refused), then writes everything under a temp name and
renames it into place, so a failed export leaves nothing half-written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from mixchat.tools.engine import Engine
from mixchat.tools.errors import ExportError
from mixchat.tools.export.common import (
    ExportResult,
    Progress,
    check_destination,
    staged_folder,
    with_suffix,
)
from mixchat.tools.export.dawproject import DEFAULT_TEMPO_BPM, write_dawproject
from mixchat.tools.export.reaper import write_reaper
from mixchat.tools.export.stems import write_stems

FORMATS = ("dawproject", "reaper", "stems")

__all__ = ["FORMATS", "ExportError", "ExportResult", "export_version"]


def export_version(
    session: Any,
    *,
    version: int | None,
    fmt: Literal["dawproject", "reaper", "stems"],
    out: Path,
    force: bool = False,
    progress: Progress | None = None,
) -> ExportResult:
    """Export ``version`` (the latest when None) of ``session`` as ``fmt`` at ``out``."""
    if fmt not in FORMATS:
        raise ExportError(f"format={fmt!r} is not supported; use one of {', '.join(FORMATS)}")
    notes: list[str] = []
    out = Path(out).expanduser()
    if fmt == "dawproject":
        out = check_destination(with_suffix(out, ".dawproject", notes), kind="file", force=force)
    elif fmt == "reaper" and out.suffix.lower() == ".rpp":
        out = check_destination(out, kind="file", force=force)
        if (out.parent / "Media").is_file():
            raise ExportError(
                f"{out.parent / 'Media'} is a file; REAPER's media folder goes "
                "there: move it or choose another folder"
            )
    else:
        out = check_destination(out, kind="folder", force=force)
    loaded = session.load(version)
    meta = session.meta
    header = _header(session, loaded)
    if fmt == "stems":
        return _export_stems(session, loaded, out, notes, progress)
    sources = {name: src.reader for name, src in Engine.for_session(session).stem_sources().items()}
    tempo = meta.tempo_bpm
    if tempo is None:
        tempo = DEFAULT_TEMPO_BPM
        notes.append(f"tempo unknown: the project is set to {DEFAULT_TEMPO_BPM:g} BPM")
    state = loaded.state
    if state.master.trim_db:
        # a DAW's master fader comes after its master plugins, and the trim comes before the
        # master chain: moved into every fader (sends follow them), the mix sounds the same
        state = state.with_trim_in_faders()
        notes.append(
            f"the mix's trim ({loaded.state.master.trim_db:+.1f} dB before the master) is in "
            "every track's fader"
        )
    common = dict(
        state=state,
        sources=sources,
        sample_rate=meta.sample_rate,
        tempo_bpm=float(tempo),
        sections=tuple(meta.sections),
        progress=progress,
    )
    if fmt == "dawproject":
        write_dawproject(
            out,
            title=_title(session),
            genre=meta.genre,
            comment=" | ".join(header),
            notes=notes,
            **common,
        )
        return ExportResult(path=out, files=[out], notes=notes)
    return _export_reaper(out, header=header, notes=notes, common=common, force=force)


def _export_stems(session, loaded, out: Path, notes: list[str], progress) -> ExportResult:
    engine = Engine.for_session(session)
    with staged_folder(out) as folder:
        files, more = write_stems(
            folder,
            engine=engine,
            session=session,
            version=loaded.version,
            state=loaded.state,
            progress=progress,
        )
    notes += more
    return ExportResult(path=out, files=[out / f.name for f in files], notes=notes)


def _export_reaper(out: Path, *, header, notes, common, force: bool) -> ExportResult:
    notes.append("ReaEQ/ReaComp state is binary: each track's processing is in its notes")
    if any(a.reverb_send_db or a.delay_send_db for a in common["state"].automation):
        notes.append("send automation is listed in the project notes, not drawn as envelopes")
    if out.suffix.lower() != ".rpp":
        with staged_folder(out) as folder:
            files = write_reaper(folder, rpp_name=f"{out.name}.rpp", header=header, **common)
        return ExportResult(
            path=out / f"{out.name}.rpp",
            files=[out / f.relative_to(folder) for f in files],
            notes=notes,
        )
    media = out.parent / "Media"
    try:
        with tempfile.TemporaryDirectory(prefix=".mixchat-reaper.", dir=out.parent) as tmp:
            files = write_reaper(Path(tmp), rpp_name=out.name, header=header, **common)
            clashes = [f.name for f in files[1:] if (media / f.name).exists()]
            if clashes and not force:
                raise ExportError(
                    f"{media / clashes[0]} exists; pass --force to overwrite or choose another path"
                )
            media.mkdir(exist_ok=True)
            for file in files[1:]:
                os.replace(file, media / file.name)
            os.replace(files[0], out)
    except OSError as error:
        raise ExportError(f"cannot write {out} ({error.strerror}); check the folder") from None
    published = [out, *[media / f.name for f in files[1:]]]
    return ExportResult(path=out, files=published, notes=notes)


def _title(session: Any) -> str:
    return Path(getattr(session, "path", "mixchat")).name or "mixchat"


def _header(session: Any, loaded: Any) -> list[str]:
    summary = loaded.summary or loaded.brief or loaded.kind
    return [f"Exported by mixchat from {_title(session)} version {loaded.version}: {summary}"]
