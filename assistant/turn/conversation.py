"""One turn of the conversation: a brief → plan → tool calls → a measured, explained version.

The CLI's `say`, `automix`, `ask`, `screenshot` and the chat UI all come through here, so the
same brief gives the same result wherever it is typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.assistant.llm.choose import choose_planner
from mixchat.assistant.planning.contract import ModelReport, Plan, PlanContext, Planner
from mixchat.assistant.planning.errors import PlannerError
from mixchat.assistant.planning.measures import measures_record
from mixchat.assistant.turn.actions import answer, set_roles
from mixchat.assistant.turn.comparison import ab_compare
from mixchat.assistant.turn.context import build_context
from mixchat.assistant.turn.files import handle_files
from mixchat.assistant.turn.landing import Landed, land_blend
from mixchat.assistant.turn.measures import (
    extra_measures,
    held_loudness,
    level_match_calls,
    overlap_tracks,
)
from mixchat.assistant.turn.reply import compose_reply, reply_header, summarise
from mixchat.assistant.turn.result import ModelTurnResult, TurnResult
from mixchat.dsp.roles import ROLES
from mixchat.dsp.state import MixState
from mixchat.tools.base import ToolContext
from mixchat.tools.catalog import apply_call, apply_calls
from mixchat.tools.engine import Engine
from mixchat.tools.record_tools import restore_call
from mixchat.tools.session import Session, Version

Progress = Callable[[str, float], None]
LOUDNESS_DRIFT_LU = 1.0
# a section ridden up moves the song's loudness with it (the loudest sections weigh most in
# the gated measure); held all the way back, most of the lift would be trimmed off again
SECTION_RIDE_DRIFT_LU = 0.9


# --- one brief -----------------------------------------------------------------------
def handle_brief(
    session: Session,
    brief: str,
    *,
    parent: int | None = None,
    planner: Planner | None = None,
    progress: Progress | None = None,
    base: Path | None = None,
) -> TurnResult:
    """Plan and apply one brief: the version it made (if any), with the calls it records
    and the reply. A brief naming a file is handled by what the file is (``turn.files``);
    relative paths start at ``base`` (the current folder when None)."""
    brief = brief.strip()
    if not brief:
        raise PlannerError('the brief is empty; say what you want, e.g. "make the vocal brighter"')
    report = progress or (lambda label, fraction: None)
    parent_version = session.load(parent)
    with_file = handle_files(session, brief, parent=parent_version, progress=report, base=base)
    if with_file is not None:
        return with_file
    assignment = role_assignment(session, brief)
    if assignment is not None:
        return _correct_roles(session, brief, assignment, parent_version)
    engine = Engine.for_session(session)
    report("reading the mix", 0.1)
    context = build_context(session, engine, brief, parent_version)
    context.progress = lambda label: report(label, 0.3)
    chosen = planner or choose_planner()
    report("planning", 0.3)
    plan = chosen.plan(context)
    session.log_chat(role="user", text=brief, version=parent_version.version)
    result = _carry_out(
        session, engine, plan, context, parent_version, plan.planner or chosen.name, report
    )
    if plan.model is not None:
        result = with_model(result, plan.model, asked=bool(plan.calls))
    session.log_chat(role="assistant", text=result.reply, version=result.version)
    report("done", 1.0)
    return result


ROLE_SENTENCE = re.compile(
    r"^\s*(?P<track>[^=]+?)\s*(?:=|\s+is\s+(?:actually\s+)?(?:the\s+|a\s+|an\s+)?)\s*"
    r"(?P<role>[a-z_ ]+?)\s*(?:track|stem|part)?\s*[.!]?\s*$",
    re.IGNORECASE,
)


def role_assignment(session: Session, brief: str) -> str | None:
    """ "Audio_03=keys" or "Audio_03 is the keys" → "Audio_03=keys" (None for anything else)."""
    names = {s.name.lower(): s.name for s in session.meta.stems}
    parts = [p for p in re.split(r"\s*[,;]\s*", brief.strip()) if p]
    found = []
    for part in parts:
        match = ROLE_SENTENCE.match(part)
        if not match or match["track"].strip().lower() not in names:
            return None
        role = match["role"].strip().lower().replace(" ", "_")
        role = role if role in ROLES else role.rstrip("s")
        if role not in ROLES:
            return None
        found.append(f"{names[match['track'].strip().lower()]}={role}")
    return ", ".join(found) or None


def _correct_roles(session: Session, brief: str, assignment: str, parent: Version) -> TurnResult:
    session.log_chat(role="user", text=brief, version=parent.version)
    set_roles(session, assignment, parent=parent.version)
    made = session.load()
    reply = f"**Version {made.version}** (from v{parent.version}) Roles updated: {assignment}. Automix and briefs now treat them that way."
    session.log_chat(role="assistant", text=reply, version=made.version)
    return TurnResult.committed(made, planner="offline", reply=reply)


MADE_BY_CALLS = ("tool_calls", "rephrased", "offline_fallback")


def with_model(result: TurnResult, report: ModelReport, *, asked: bool) -> ModelTurnResult:
    """The turn's result with what the LLM did (``prompt_tokens`` and ``llm``). Calls that left
    the mix as it was made no version: then the model made no change, and the reply says so
    first."""
    reply = result.reply
    if asked and result.version is None and report.outcome in MADE_BY_CALLS:
        why = "the calls it asked for leave the mix as it was"
        report = replace(
            report, outcome="no_change", why="; ".join(w for w in (report.why, why) if w)
        )
        reply = f"The model made no change: {why}. {reply}"
    return ModelTurnResult(
        **{**result.model_dump(), "reply": reply},
        prompt_tokens=report.prompt_tokens,
        llm=report,
    )


def planner_label(plan: Plan, planner: str) -> str:
    """How the reply's header names who made the change."""
    outcome = plan.model.outcome if plan.model is not None else None
    if outcome == "rephrased":
        return f"{planner} planner, from the model's rephrasing"
    if outcome == "offline_fallback":
        return f"{planner} planner, LLM fallback"
    return f"{planner} planner"


def _rides_a_section(old: MixState, new: MixState) -> bool:
    """Whether a section's level moved: its gain automation differs."""

    def gains(state: MixState) -> set[tuple[str | None, float, float, float]]:
        return {(a.track, a.start_s, a.end_s, a.gain_db) for a in state.automation if a.gain_db}

    return gains(old) != gains(new)


def _no_version(plan: Plan, parent: Version, planner: str, reply: str) -> TurnResult:
    return TurnResult.no_version(
        parent=parent.version, planner=planner, intent=plan.intent, reply=reply
    )


def _carry_out(
    session: Session,
    engine: Engine,
    plan: Plan,
    context: PlanContext,
    parent: Version,
    planner: str,
    report: Progress,
) -> TurnResult:
    if plan.intent == "question":
        if plan.model is not None and plan.model.outcome == "answered" and plan.message:
            # the model answered, with the session's tracks and measures in its prompt
            return _no_version(plan, parent, planner, plan.message)
        if plan.model is not None and plan.message:
            # the model gave no answer: say so in one line, then the session's own answer
            # offline (asking the same model again would cost the time once more)
            told = _session_answer(session, context.brief, parent, offline=True)
            return _no_version(plan, parent, planner, f"{plan.message}\n\n{told}")
        return _no_version(plan, parent, planner, _session_answer(session, context.brief, parent))
    if plan.intent in ("clarify", "nothing"):
        return _no_version(plan, parent, planner, plan.message or "I did not change anything.")
    if plan.intent == "explain":
        told = explain_version(parent) if parent.reply else plan.message or explain_version(parent)
        return _no_version(plan, parent, planner, told)
    if plan.intent == "compare":
        return _no_version(plan, parent, planner, compare_text(session, plan.target_versions))
    if plan.intent in ("undo", "revert"):
        return _restore(session, plan, parent, planner)
    if not plan.calls:
        return _no_version(
            plan, parent, planner, plan.message or "That brief needs no change to this mix."
        )
    report("applying", 0.45)
    state, changes = apply_calls(parent.state, plan.calls, context.tool_context)
    calls = list(plan.calls)
    if plan.held_levels:
        matched = level_match_calls(engine, context, state, plan.held_levels)
        state, more = apply_calls(state, matched, context.tool_context)
        changes, calls = [*changes, *more], [*calls, *matched]
    if state == parent.state:
        return _no_version(plan, parent, planner, "The mix is that way already; nothing changed.")
    report("rendering", 0.5)
    named = overlap_tracks(parent.state, state, plan.measures)
    rendered = engine.render(state, bands_of=[t.name for t in named])
    report("measuring", 0.7)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the engine caches the bands it measures
        bands = pool.submit(engine.track_bands, named)
        metrics = engine.metrics_of(rendered, state)
        bands.result()
    before = context.metrics
    notes: list[str] = []
    if plan.blend is not None:
        landed = land_blend(
            engine,
            context,
            plan.blend,
            plan,
            old_metrics=session.load(plan.blend.old_version).metrics,
            landed=Landed(state, rendered, metrics, calls, changes),
        )
        state, rendered, metrics = landed.state, landed.rendered, landed.metrics
        calls, changes = landed.calls, landed.changes
        notes.extend([landed.note] if landed.note else [])
    drift = metrics["mix"]["integrated_lufs"] - before["mix"]["integrated_lufs"]
    held = None
    ride = _rides_a_section(parent.state, state)
    if not plan.level_change and abs(drift) > LOUDNESS_DRIFT_LU:
        allowed = SECTION_RIDE_DRIFT_LU if ride else 0.0
        held = held_loudness(
            engine,
            rendered,
            state,
            metrics,
            target_lufs=before["mix"]["integrated_lufs"] + float(np.clip(drift, -allowed, allowed)),
        )
    if held is not None:
        compensation, state, metrics = held
        calls.append(compensation)
        why = compensation.reason
        if ride:
            why = (
                f"so the song moves no more than {SECTION_RIDE_DRIFT_LU:g} LU with the section ride"
            )
        notes.append(f"mix level {compensation.args['delta_db']:+.1f} dB {why}")
    notes.extend(_over_full_scale(before, metrics, state))
    before, metrics = extra_measures(engine, context, parent, state, before, metrics, plan.measures)
    body = compose_reply(
        changes=changes,
        before=before,
        after=metrics,
        measures=plan.measures,
        message=plan.message,
        notes=notes,
    )
    report("committing", 0.9)
    version = session.commit(
        state,
        parent=parent.version,
        kind="brief",
        brief=context.brief,
        summary=summarise(changes),
        planner=planner,
        tool_calls=[c.record() for c in calls],
        metrics={**metrics, "measured": measures_record(plan.measures)},
        reply=body,
    )
    reply = (
        reply_header(
            version=version.version, parent=parent.version, planner=planner_label(plan, planner)
        )
        + "\n"
        + body
    )
    return TurnResult.committed(version, planner=planner, intent=plan.intent, reply=reply)


def _session_answer(
    session: Session, question: str, parent: Version, *, offline: bool = False
) -> str:
    """A question in a session is answered with the session's own settings and measurements
    first (the version the question was asked on), then the general knowledge and sources."""
    told = answer(question, session=session, version=parent.version, offline=offline)
    text = told["answer"]
    if told.get("sources"):
        text += "\n\nSources: " + "; ".join(told["sources"])
    if told.get("note"):
        text += f"\n\nNote: {told['note']}"
    return text


def _restore(session: Session, plan: Plan, parent: Version, planner: str) -> TurnResult:
    if plan.intent == "undo":
        if parent.parent is None:
            return _no_version(
                plan, parent, planner, "There is nothing to undo: this is the first version."
            )
        target = session.load(parent.parent)
        brief = f"undo v{parent.version}" + (f" ({parent.brief})" if parent.brief else "")
        text = (
            f"Undid version {parent.version}"
            + (f' ("{parent.brief}")' if parent.brief else "")
            + f": back to the settings of version {target.version}."
        )
    else:
        target = session.load(plan.target_versions[0])
        brief = f"back to version {target.version}"
        text = (
            f"Back to the settings of version {target.version}"
            + (f' ("{target.brief}")' if target.brief else "")
            + "."
        )
    restore = restore_call(parent.state, target.state, version=target.version)
    version = session.commit(
        apply_call(parent.state, restore, ToolContext()).state,
        parent=parent.version,
        kind="revert",
        brief=brief,
        summary=f"same settings as v{target.version}",
        planner=planner,
        tool_calls=[restore.record()],
        metrics=target.metrics,
        reply=text,
    )
    reply = f"**Version {version.version}** (from v{parent.version}) {text}"
    return TurnResult.committed(version, planner=planner, intent=plan.intent, reply=reply)


def _over_full_scale(before: dict[str, Any], after: dict[str, Any], state: MixState) -> list[str]:
    """A note when a brief takes the unmastered mix over 0 dBTP."""
    old = before.get("mix", {}).get("true_peak_dbtp")
    new = after.get("mix", {}).get("true_peak_dbtp")
    if state.master.enabled or not isinstance(new, (int, float)) or new <= 0.0:
        return []
    if isinstance(old, (int, float)) and old > 0.0:
        return []
    return [
        f"the mix now peaks at {new:+.1f} dBTP, over full scale: fine inside mixchat, but "
        "master it or pull the faders down before a 24-bit export"
    ]


def explain_version(version: Version) -> str:
    """What a version changed and why, as its reply said it (with the measurements), else
    from its tool calls."""
    title = f"Version {version.version}" + (f' ("{version.brief}")' if version.brief else "")
    if version.reply:
        return f"{title}:\n{version.reply}"
    if not version.tool_calls:
        return f"Version {version.version} ({version.kind}) changed no settings: {version.summary or 'nothing recorded'}."
    lines = [
        f"Version {version.version}"
        + (f' ("{version.brief}")' if version.brief else "")
        + f": {version.summary}"
    ]
    for call in version.tool_calls:
        args = ", ".join(f"{k}={v}" for k, v in call.args.items())
        lines.append(f"- {call.tool}({args})")
    return "\n".join(lines)


def compare_text(session: Session, versions: tuple[int, ...]) -> str:
    if len(versions) != 2:
        raise PlannerError('name two versions to compare, e.g. "compare 2 and 4"')
    data = ab_compare(session, versions[0], versions[1])
    lines = [
        f"A/B v{data['a']} vs v{data['b']}, level-matched (gains {data['gain_a_db']:+.1f} / {data['gain_b_db']:+.1f} dB):"
    ]
    for row in data["metrics"]:
        if abs(row["delta"]) >= 0.05:
            lines.append(
                f"- {row['metric']}: {row['a']:.2f} → {row['b']:.2f} {row['unit']}".rstrip()
            )
    changed = len(data["settings"])
    lines.append(f"{changed} setting(s) differ; `mixchat diff` lists them.")
    return "\n".join(lines)
