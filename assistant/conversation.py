"""One turn of the conversation: a brief → plan → tool calls → a measured, explained version.

The CLI's `say`, `automix`, `ask`, `screenshot` and the chat UI all come through here, so the
same brief gives the same result wherever it is typed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.explain import compose_reply, reply_header, summarise, track_vs_rest_db
from assistant.planning import PastTurn, Plan, PlanContext, Planner, TrackFacts
from dsp.errors import PlannerError
from dsp.masking import StemBands, find_masking, stem_bands
from dsp.roles import parse_role_assignments
from dsp.state import MixState
from dsp.stereo import channel_energies
from tools.base import Change, ToolCall
from tools.catalog import REGISTRY, apply_calls
from tools.engine import Engine
from tools.session import Session, Version

Progress = Callable[[str, float], None]
LINEAGE_DEPTH = 8
LOUDNESS_DRIFT_LU = 1.0


# --- planners ------------------------------------------------------------------------
def choose_planner() -> Planner:
    """The LLM planner when configured (or forced), else the embedded offline planner."""
    forced = os.environ.get("MIXCHAT_PLANNER", "").strip().lower()
    configured = bool(os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"))
    if forced == "llm" or (forced != "offline" and configured):
        from assistant.planner_llm import LLMPlanner

        return LLMPlanner.from_environment()
    if forced not in ("", "offline", "llm"):
        raise PlannerError(f"MIXCHAT_PLANNER={forced!r} must be 'offline' or 'llm'")
    from assistant.planner_offline import OfflinePlanner

    return OfflinePlanner()


# --- context -------------------------------------------------------------------------
def lineage(session: Session, start: int) -> list[PastTurn]:
    turns: list[PastTurn] = []
    number: int | None = start
    while number is not None and len(turns) < LINEAGE_DEPTH:
        version = session.load(number)
        calls = tuple(ToolCall(tool=c.tool, args=c.args) for c in version.tool_calls)
        turns.append(
            PastTurn(
                version.version, version.parent, version.kind, version.brief, calls, version.state
            )
        )
        number = version.parent
    return turns


def ensure_metrics(session: Session, engine: Engine, version: Version) -> dict[str, Any]:
    if version.metrics.get("mix") and version.metrics.get("tracks") is not None:
        return version.metrics
    return engine.measure(version.state)


@dataclass
class SessionPlanContext(PlanContext):
    """PlanContext plus lazy, cached looks at the parent's tracks (computed only when a
    move needs them): each track's band/frame powers post-fader (for masking moves) and
    its own mid/side energies and channel count (for width moves)."""

    stem_bands: Callable[[str], StemBands | None] = field(default=lambda name: None)
    stereo: Callable[[], dict[str, dict[str, float]]] = field(default=lambda: {})


def build_context(session: Session, engine: Engine, brief: str, parent: Version) -> PlanContext:
    metrics = ensure_metrics(session, engine, parent)
    facts = metrics.get("tracks") or engine.track_facts(parent.state)
    if set(facts) != {t.name for t in parent.state.audible_tracks()}:
        facts = engine.track_facts(parent.state)
    tracks = {
        name: TrackFacts(
            name=name,
            role=f["role"],
            lufs=f["lufs"],
            band_energies_db=f["band_energies_db"],
            spectral_centroid_hz=f["spectral_centroid_hz"],
            crest_factor_db=f["crest_factor_db"],
        )
        for name, f in facts.items()
    }
    meta = session.meta
    state = parent.state
    bands_cache: dict[str, StemBands] = {}
    stereo_cache: dict[str, dict[str, float]] = {}

    def masking() -> list[dict[str, Any]]:
        return [c.model_dump(mode="json") for c in mix_masking(engine, state)]

    def bands_of(name: str) -> StemBands | None:
        if name not in bands_cache:
            track = state.track(name)
            audio = engine.insert_output(track) * np.float32(10 ** (track.gain_db / 20))
            bands_cache[name] = stem_bands(audio, sample_rate=meta.sample_rate)
        return bands_cache[name]

    def stereo() -> dict[str, dict[str, float]]:
        if not stereo_cache:
            for track in state.audible_tracks():
                audio = engine.insert_output(track)
                energies = channel_energies(audio)
                stereo_cache[track.name] = {
                    "channels": float(np.asarray(audio).shape[0]),
                    "mid": energies.mid,
                    "side": energies.side,
                }
        return stereo_cache

    return SessionPlanContext(
        brief=brief,
        state=state,
        parent_version=parent.version,
        sections=meta.sections,
        duration_s=meta.duration_s,
        sample_rate=meta.sample_rate,
        tempo_bpm=meta.tempo_bpm,
        genre=meta.genre,
        metrics=metrics,
        tracks=tracks,
        lineage=lineage(session, parent.version),
        masking=masking,
        stem_bands=bands_of,
        stereo=stereo,
    )


def track_audio_in_mix(engine: Engine, state: MixState) -> dict[str, np.ndarray]:
    """Each audible track after its inserts and fader (for masking)."""
    engine.render(state, master=False)
    out = {}
    for track in state.audible_tracks():
        out[track.name] = engine.insert_output(track) * np.float32(10 ** (track.gain_db / 20))
    return out


def mix_masking(engine: Engine, state: MixState) -> list[Any]:
    stems = track_audio_in_mix(engine, state)
    roles = {t.name: t.role for t in state.tracks}
    return find_masking(stems, sample_rate=engine.meta.sample_rate, roles=roles)


# --- one brief -----------------------------------------------------------------------
def handle_brief(
    session: Session,
    brief: str,
    *,
    parent: int | None = None,
    planner: Planner | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Plan and apply one brief. Returns {version, parent, planner, tool_calls, reply}."""
    brief = brief.strip()
    if not brief:
        raise PlannerError('the brief is empty; say what you want, e.g. "make the vocal brighter"')
    report = progress or (lambda label, fraction: None)
    parent_version = session.load(parent)
    engine = Engine.for_session(session)
    report("reading the mix", 0.1)
    context = build_context(session, engine, brief, parent_version)
    chosen = planner or choose_planner()
    report("planning", 0.3)
    plan = chosen.plan(context)
    session.log_chat(role="user", text=brief, version=parent_version.version)
    result = _carry_out(
        session, engine, plan, context, parent_version, plan.planner or chosen.name, report
    )
    session.log_chat(role="assistant", text=result["reply"], version=result["version"])
    report("done", 1.0)
    return result


def _no_version(plan: Plan, parent: Version, planner: str, reply: str) -> dict[str, Any]:
    return {
        "version": None,
        "parent": parent.version,
        "planner": planner,
        "intent": plan.intent,
        "tool_calls": [],
        "reply": reply,
    }


def _carry_out(
    session: Session,
    engine: Engine,
    plan: Plan,
    context: PlanContext,
    parent: Version,
    planner: str,
    report: Progress,
) -> dict[str, Any]:
    if plan.intent in ("clarify", "nothing", "question"):
        return _no_version(plan, parent, planner, plan.message or "I did not change anything.")
    if plan.intent == "explain":
        return _no_version(plan, parent, planner, plan.message or explain_version(parent))
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
    report("rendering", 0.5)
    rendered = engine.render(state)
    report("measuring", 0.7)
    metrics = engine.metrics_of(rendered, state)
    before = context.metrics
    notes: list[str] = []
    drift = metrics["mix"]["integrated_lufs"] - before["mix"]["integrated_lufs"]
    if not plan.level_change and abs(drift) > LOUDNESS_DRIFT_LU and not state.master.enabled:
        state, note = compensate_loudness(state, drift)
        notes.append(note)
        metrics = shifted_metrics(metrics, -drift, engine.track_facts(state))
        rendered.audio = rendered.audio * np.float32(10 ** (-drift / 20))
    before, metrics = extra_measures(
        engine, context, parent, state, rendered, before, metrics, plan.measures
    )
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
        tool_calls=[c.record() for c in plan.calls],
        metrics=metrics,
        reply=body,
    )
    reply = (
        reply_header(version=version.version, parent=parent.version, planner=f"{planner} planner")
        + "\n"
        + body
    )
    return {
        "version": version.version,
        "parent": parent.version,
        "planner": planner,
        "intent": plan.intent,
        "tool_calls": [{"tool": c.tool, "args": c.args} for c in plan.calls],
        "reply": reply,
    }


MIX_LEVEL_FIELDS = (
    "integrated_lufs",
    "short_term_max_lufs",
    "momentary_max_lufs",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "rms_dbfs",
)


def shifted_metrics(
    metrics: dict[str, Any], delta_db: float, tracks: dict[str, Any]
) -> dict[str, Any]:
    """The metrics of the same render scaled by delta_db: with the master off, moving every
    fader by the same amount scales the pre-master mix exactly (sends, returns and automation
    follow the faders), so no second render is needed; shares, centroid, width, crest and
    LRA do not change."""
    mix = dict(metrics["mix"])
    for key in MIX_LEVEL_FIELDS:
        mix[key] = round(mix[key] + delta_db, 3)
    mix["band_energies_db"] = {k: v + delta_db for k, v in mix["band_energies_db"].items()}
    out = {**metrics, "mix": mix, "tracks": tracks}
    out["sections"] = [
        {**row, "lufs": row["lufs"] + delta_db if row["lufs"] > -70 else row["lufs"]}
        for row in metrics.get("sections", [])
    ]
    return out


def mix_spectrum(audio: np.ndarray, sample_rate: int) -> dict[str, list[float]]:
    """Third-octave band powers (dB) of the mix, 20 Hz-20 kHz: what band_hz measures read."""
    from dsp.spectrum import mono_sum, power_spectrum

    freqs, psd = power_spectrum(mono_sum(audio), sample_rate=sample_rate)
    centres = 20.0 * 2.0 ** (np.arange(31) / 3)
    lo, hi = centres * 2 ** (-1 / 6), centres * 2 ** (1 / 6)
    step = freqs[1] - freqs[0]
    cumulative = np.concatenate(([0.0], np.cumsum(psd)))
    a, b = np.searchsorted(freqs, lo), np.searchsorted(freqs, hi)
    power = (cumulative[b] - cumulative[a]) * step
    return {
        "centres_hz": [round(float(c), 1) for c in centres],
        "power_db": [round(float(10 * np.log10(max(p, 1e-30))), 3) for p in power],
    }


def extra_measures(
    engine: Engine,
    context: PlanContext,
    parent: Version,
    state: MixState,
    rendered: Any,
    before: dict[str, Any],
    after: dict[str, Any],
    measures: list[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Measures the stored metrics do not hold, computed from the renders only when the plan
    names them: band ranges (third-octave spectrum) and the spectral overlap of two stems."""
    rate = engine.meta.sample_rate
    before, after = dict(before), dict(after)
    if any(m.startswith("band_hz:") for m in measures):
        if "spectrum" not in before:
            before["spectrum"] = parent_spectrum(engine, parent)
        after["spectrum"] = mix_spectrum(rendered.audio, rate)
    pairs = [m for m in measures if m.startswith("overlap:")]
    if pairs:
        from dsp.masking import spectral_overlap

        getter = getattr(context, "stem_bands", None)
        before_extra, after_extra = dict(before.get("extra", {})), {}
        for measure in pairs:
            a, b = measure.split(":", 1)[1].split(",")
            if a not in context.tracks or b not in context.tracks:
                continue
            old = [getter(n) for n in (a, b)] if getter else [None, None]
            if None in old:
                continue
            new = [
                old[i]
                if state.track(n) == parent.state.track(n)
                else post_fader_audio(engine, state, n)
                for i, n in enumerate((a, b))
            ]
            before_extra[measure] = round(spectral_overlap(*old, sample_rate=rate), 4)
            after_extra[measure] = round(spectral_overlap(*new, sample_rate=rate), 4)
        before["extra"], after["extra"] = before_extra, after_extra
    return before, after


def parent_spectrum(engine: Engine, parent: Version) -> dict[str, list[float]]:
    """The parent's third-octave spectrum: from its metrics, else rendered once and kept in
    the session cache (versions are immutable, so the file never goes stale)."""
    import json

    path = engine.cache_dir / "spectra" / f"v{parent.version:04d}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    spectrum = mix_spectrum(engine.render(parent.state).audio, engine.meta.sample_rate)
    from tools.atomic import write_json_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, spectrum)
    return spectrum


def post_fader_audio(engine: Engine, state: MixState, name: str) -> np.ndarray:
    track = state.track(name)
    return engine.insert_output(track) * np.float32(10 ** (track.gain_db / 20))


def compensate_loudness(state: MixState, drift_lu: float) -> tuple[MixState, str]:
    """Shift every fader by -drift so before and after compare at the same loudness."""
    for track in state.tracks:
        state = state.with_track(
            track.name, gain_db=max(-60.0, min(24.0, track.gain_db - drift_lu))
        )
    return (
        state,
        f"all faders {-drift_lu:+.1f} dB to keep the mix loudness where it was (fair comparison)",
    )


def _restore(session: Session, plan: Plan, parent: Version, planner: str) -> dict[str, Any]:
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
    version = session.commit(
        target.state,
        parent=parent.version,
        kind="revert",
        brief=brief,
        summary=f"same settings as v{target.version}",
        planner=planner,
        metrics=target.metrics,
        reply=text,
    )
    reply = f"**Version {version.version}** (from v{parent.version}) {text}"
    return {
        "version": version.version,
        "parent": parent.version,
        "planner": planner,
        "intent": plan.intent,
        "tool_calls": [],
        "reply": reply,
    }


def explain_version(version: Version) -> str:
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
    from assistant.comparison import ab_compare

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


# --- automix, roles, questions ---------------------------------------------------------
def run_automix(
    session: Session, *, genre: str | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    from tools.automix import automix_plan

    report = progress or (lambda label, fraction: None)
    parent = session.load()
    engine = Engine.for_session(session)
    before = ensure_metrics(session, engine, parent)
    from tools.genres import resolve_genre

    genre = resolve_genre(genre or session.meta.genre or "default")
    calls = automix_plan(
        engine, parent.state, genre=genre, progress=lambda label, f: report(label, 0.8 * f)
    )
    from tools.base import ToolContext

    context = ToolContext(
        sections=session.meta.sections,
        duration_s=session.meta.duration_s,
        sample_rate=session.meta.sample_rate,
    )
    state, changes = apply_calls(parent.state, calls, context)
    report("measuring", 0.85)
    metrics = engine.measure(state)
    vocal = next((t.name for t in state.tracks if t.role == "vocal"), None)
    measures = ["loudness", "master"] + ([f"track:{vocal}"] if vocal else [])
    body = compose_reply(changes=changes, before=before, after=metrics, measures=measures)
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
    return {
        "version": version.version,
        "parent": parent.version,
        "planner": "automix",
        "tool_calls": [{"tool": c.tool, "args": c.args} for c in calls],
        "reply": reply,
        "premaster_lufs": metrics["mix"]["integrated_lufs"],
        "true_peak_dbtp": metrics["mix"]["true_peak_dbtp"],
        "vocal_vs_band_lu": vocal_gap,
    }


def set_roles(session: Session, assignments: str) -> list[dict[str, Any]]:
    """Correct roles in session.json and, as a new version, in the mix state."""
    parsed = parse_role_assignments(assignments, known_tracks=[s.name for s in session.meta.stems])
    stems = [
        s.model_copy(update={"role": parsed[s.name], "role_confidence": 1.0, "role_source": "user"})
        if s.name in parsed
        else s
        for s in session.meta.stems
    ]
    session.update_meta(stems=[s.model_dump() for s in stems])
    latest = session.load()
    state = latest.state
    changes: list[Change] = []
    for name, role in parsed.items():
        state = state.with_track(name, role=role)
        changes.append(Change(state=state, summary=f"{name}: role {role}"))
    session.commit(
        state,
        parent=latest.version,
        kind="roles",
        brief=f"roles: {assignments}",
        summary=summarise(changes),
        planner="user",
        metrics=latest.metrics,
    )
    return [
        {"track": s.name, "role": s.role, "confidence": s.role_confidence, "source": s.role_source}
        for s in stems
    ]


def session_facts(session: Session) -> Any:
    from assistant.ask import SessionFacts
    from assistant.ask import TrackFacts as AskTrack

    latest = session.load()
    tracks = latest.metrics.get("tracks") or Engine.for_session(session).track_facts(latest.state)
    return SessionFacts(
        tempo_bpm=session.meta.tempo_bpm,
        tracks=[
            AskTrack(
                name=n,
                role=f["role"],
                crest_factor_db=f["crest_factor_db"],
                lufs=f["lufs"],
                spectral_centroid_hz=f["spectral_centroid_hz"],
            )
            for n, f in tracks.items()
        ],
    )


def answer(question: str, *, session: Session | None = None) -> dict[str, Any]:
    from assistant.llm_answers import answer_from_environment

    facts = session_facts(session) if session else None
    return answer_from_environment(question, session_facts=facts)


def screenshot_feedback(
    image: Path, *, session: Session | None = None, role: str | None = None
) -> dict[str, Any]:
    from assistant.llm_answers import screenshot_from_environment

    facts = session_facts(session) if session else None
    return screenshot_from_environment(image, role=role, session_facts=facts)


__all__ = ["REGISTRY", "handle_brief", "run_automix", "set_roles", "answer", "screenshot_feedback"]
