"""A reference match as a new version: "make it sound like PATH".

The reference is read at the session's rate; ``mixchat.tools.reference_match`` plans the tool
calls (master loudness target, width, broad EQ); they are applied, rendered and measured like
a brief's, and the reply gives each move with the reference's, the old and the new figures.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mixchat.assistant.planning.errors import NamedFileError
from mixchat.assistant.turn.file_replies import reference_reply
from mixchat.assistant.turn.reply import reply_header, summarise
from mixchat.assistant.turn.result import Attachment, TurnResult
from mixchat.dsp.audio_io import load_audio
from mixchat.dsp.errors import AudioFileError, StateError
from mixchat.dsp.reference import band_edges, profile
from mixchat.tools.catalog import ToolContext, apply_calls
from mixchat.tools.engine import Engine
from mixchat.tools.reference_match import plan_reference_match
from mixchat.tools.session import Session, Version
from mixchat.tools.settings_text import hz_span

Progress = Callable[[str, float], None]
SHORTEST_REFERENCE_S = 3.0


def reference_turn(
    session: Session, reference: Path, *, brief: str, parent: Version, progress: Progress
) -> TurnResult:
    meta = session.meta
    progress("reading the reference", 0.1)
    try:
        loaded = load_audio(reference, sample_rate=meta.sample_rate)
    except AudioFileError as error:
        raise NamedFileError(str(error)) from None
    if loaded.frames < SHORTEST_REFERENCE_S * meta.sample_rate:
        raise NamedFileError(
            f"{reference.name} is {loaded.frames / meta.sample_rate:.1f} s long; a reference "
            f"needs at least {SHORTEST_REFERENCE_S:g} s of music"
        )
    engine = Engine.for_session(session)
    context = ToolContext(
        sections=meta.sections, duration_s=meta.duration_s, sample_rate=meta.sample_rate
    )
    progress("rendering the current mix", 0.2)
    rendered = engine.render(parent.state)
    progress("matching", 0.45)
    try:
        plan = plan_reference_match(
            engine, parent.state, loaded.audio, context=context, rendered=rendered
        )
        state, changes = apply_calls(parent.state, plan.calls, context)
    except StateError as error:
        raise NamedFileError(f"cannot match {reference.name}: {error}") from None
    progress("rendering", 0.6)
    made = engine.render(state)
    progress("measuring", 0.8)
    metrics = engine.metrics_of(made, state)
    after = profile(made.audio, sample_rate=meta.sample_rate)
    edges = band_edges(meta.sample_rate)
    body = reference_reply(
        reference=reference,
        ref=plan.reference,
        before=plan.before,
        after=after,
        labels=[hz_span(lo, hi) for lo, hi in zip(edges[:-1], edges[1:], strict=False)],
        gains_db=plan.band_gains_db,
        width_before=parent.state.master.width,
        width_after=state.master.width,
        target_lufs=state.master.target_lufs,
        summaries=[c.summary for c in changes],
    )
    version = session.commit(
        state,
        parent=parent.version,
        kind="brief",
        brief=brief,
        summary=f"reference match to {reference.name}: " + summarise(changes),
        planner="offline",
        tool_calls=[c.record() for c in plan.calls],
        metrics=metrics,
        reply=body,
    )
    header = reply_header(version=version.version, parent=parent.version, planner="reference match")
    result = TurnResult.committed(version, planner="offline", reply=header + "\n" + body)
    attachment = Attachment(kind="reference", path=str(reference))
    return result.model_copy(update={"attachment": attachment})
