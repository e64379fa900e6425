"""Session-level actions besides briefs: the automix, reverts, role corrections, questions,
screenshots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mixchat.assistant.planning.measures import Loudness, Measure, TrackLevel, TruePeak
from mixchat.assistant.turn.context import ensure_metrics
from mixchat.assistant.turn.measures import with_return_levels
from mixchat.assistant.turn.reply import compose_reply, reply_header, summarise, track_vs_rest_db
from mixchat.assistant.turn.result import AutomixResult
from mixchat.dsp.roles import parse_role_assignments
from mixchat.dsp.state import MixState
from mixchat.tools.base import Change, ToolCall, ToolContext
from mixchat.tools.catalog import apply_call, apply_calls
from mixchat.tools.cleanup_faults import faults_lookup
from mixchat.tools.engine import Engine
from mixchat.tools.errors import SessionError
from mixchat.tools.genres import resolve_genre
from mixchat.tools.record_tools import restore_call
from mixchat.tools.session import Session
from mixchat.tools.track_dynamics import compressor_reduction_db

if TYPE_CHECKING:
    from mixchat.assistant.knowledge.session_facts import SessionFacts

Progress = Callable[[str, float], None]


# --- automix, roles, questions ---------------------------------------------------------
def run_automix(
    session: Session, *, genre: str | None = None, progress: Progress | None = None
) -> AutomixResult:
    from mixchat.tools.automix import automix_plan  # a brief never needs it

    report = progress or (lambda label, fraction: None)
    parent = session.load()
    engine = Engine.for_session(session)
    before = ensure_metrics(session, engine, parent)
    genre = resolve_genre(genre or session.meta.genre or "default")
    plan = automix_plan(
        engine, parent.state, genre=genre, progress=lambda label, f: report(label, 0.8 * f)
    )
    calls = plan.calls
    context = ToolContext(
        sections=session.meta.sections,
        duration_s=session.meta.duration_s,
        sample_rate=session.meta.sample_rate,
        faults=faults_lookup(engine, parent.state),
    )
    state, changes = apply_calls(parent.state, calls, context)
    report("measuring", 0.85)
    metrics = with_return_levels(engine, state, engine.measure(state))
    vocal = next((t.name for t in state.tracks if t.role == "vocal"), None)
    measures: list[Measure] = [Loudness(), TruePeak()] + (
        [TrackLevel(track=vocal)] if vocal else []
    )
    body = compose_reply(
        changes=changes,
        before=before,
        after=metrics,
        measures=measures,
        message=plan.balance_note,
    )
    version = session.commit(
        state,
        parent=parent.version,
        kind="automix",
        brief=f"automix ({genre or 'default'})",
        summary=f"technical mix: {len(changes)} moves",
        planner="automix",
        tool_calls=[c.record() for c in calls],
        metrics=metrics,
        reply=body,
    )
    reply = (
        reply_header(version=version.version, parent=parent.version, planner="automix")
        + "\n"
        + body
    )
    session.log_chat(role="assistant", text=reply, version=version.version)
    report("done", 1.0)
    vocal_gap = track_vs_rest_db(metrics, vocal) if vocal else None
    return AutomixResult(
        version=version.version,
        parent=parent.version,
        planner="automix",
        tool_calls=version.tool_calls,
        reply=reply,
        premaster_lufs=metrics["mix"]["integrated_lufs"],
        true_peak_dbtp=metrics["mix"]["true_peak_dbtp"],
        vocal_vs_band_lu=vocal_gap,
    )


def revert_to(session: Session, version: int) -> dict[str, Any]:
    """A new version with the settings of ``version`` (nothing is deleted)."""
    source = session.load(version)
    latest = session.latest_number()
    try:
        current: MixState | None = session.load(latest).state
    except SessionError:  # a damaged latest version: the call restores every part
        current = None
    restore = restore_call(current, source.state, version=version)
    made = session.commit(
        apply_call(current or source.state, restore, ToolContext()).state,
        parent=latest,
        kind="revert",
        brief=f"revert to version {version}",
        summary=f"same settings as version {version}",
        reply=f"Version {latest + 1} restores the settings of version {version}.",
        tool_calls=[restore.record()],
        metrics=source.metrics,
    )
    session.log_chat(role="assistant", text=made.reply, version=made.version)
    return {
        "version": made.version,
        "parent": made.parent,
        "reverted_to": version,
        "reply": made.reply,
    }


def set_roles(
    session: Session, assignments: str, *, parent: int | None = None
) -> list[dict[str, Any]]:
    """Correct roles in session.json and, as a new version from ``parent``, in the mix state."""
    parsed = parse_role_assignments(assignments, known_tracks=[s.name for s in session.meta.stems])
    stems = [
        s.model_copy(update={"role": parsed[s.name], "role_confidence": 1.0, "role_source": "user"})
        if s.name in parsed
        else s
        for s in session.meta.stems
    ]
    session.update_meta(stems=[s.model_dump() for s in stems])
    latest = session.load(parent)
    calls = [
        ToolCall(tool="set_track_role", args={"track": name, "role": role})
        for name, role in parsed.items()
    ]
    state, _ = apply_calls(latest.state, calls, ToolContext())
    changes = [Change(state=state, summary=f"{name}: role {role}") for name, role in parsed.items()]
    session.commit(
        state,
        parent=latest.version,
        kind="roles",
        brief=f"roles: {assignments}",
        summary=summarise(changes),
        planner="user",
        tool_calls=[c.record() for c in calls],
        metrics=latest.metrics,
    )
    return [
        {"track": s.name, "role": s.role, "confidence": s.role_confidence, "source": s.role_source}
        for s in stems
    ]


def session_facts(session: Session, *, about: str = "", version: int | None = None) -> SessionFacts:
    """The facts of ``version`` (default: the latest), with the measured gain reduction of
    the compressors on the tracks ``about`` (a question or message) names."""
    from mixchat.assistant.knowledge.session_facts import (  # questions only: not a brief's
        Reduction,
        facts_from,
        tracks_asked_about,
    )

    shown = session.load(version)
    engine = Engine.for_session(session)
    metrics = shown.metrics if shown.metrics.get("tracks") else engine.measure(shown.state)
    asked = tracks_asked_about(about, [(t.name, t.role) for t in shown.state.audible_tracks()])
    reductions = {}
    for name in asked:
        measured = compressor_reduction_db(engine, shown.state.track(name))
        if measured is not None:
            reductions[name] = Reduction(typical_db=measured[0], loud_db=measured[1])
    return facts_from(
        shown.state,
        metrics,
        tempo_bpm=session.meta.tempo_bpm,
        genre=session.meta.genre,
        version=shown.version,
        reductions=reductions,
    )


def answer(
    question: str,
    *,
    session: Session | None = None,
    version: int | None = None,
    offline: bool = False,
) -> dict[str, Any]:
    """``offline``: without the model even when one is configured (it already failed here)."""
    # Deferred, like screenshot_feedback's: langchain and openai take about 0.6 s to import,
    # and only questions and screenshots need them.
    from mixchat.assistant.llm.answers import answer_from_environment, answer_with_llm

    facts = session_facts(session, about=question, version=version) if session else None
    if offline:
        return answer_with_llm(question, session_facts=facts, llm=None)
    return answer_from_environment(question, session_facts=facts)


def screenshot_feedback(
    image: Path, *, session: Session | None = None, role: str | None = None
) -> dict[str, Any]:
    from mixchat.assistant.llm.answers import screenshot_from_environment

    facts = session_facts(session) if session else None
    return screenshot_from_environment(image, role=role, session_facts=facts)
