"""The LLM planner: a chat model (LangChain over the official ``openai`` client, Chat
Completions API, any OpenAI-compatible server) turns a brief into tool calls.

The model sees the registry's tools (schemas derived from the pydantic args models) and a
system prompt built from the session (``mixchat.assistant.llm.prompt``). Each tool call it makes is
validated and applied to a working copy of the state before it is kept; an unknown tool,
arguments that are not JSON, or out-of-range values go back to the model as a one-line tool
error so it can correct itself. The loop stops when the model answers without tool calls or
after ``max_steps`` model turns. Nothing is committed here: the conversation layer applies
the returned Plan, measures and versions it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from mixchat.assistant.llm.errors import CLIENT_ERRORS, one_line, planner_error, scrub
from mixchat.assistant.llm.prompt import buses_block, system_prompt
from mixchat.assistant.moves.planner import OfflinePlanner
from mixchat.assistant.planning.contract import Plan, PlanContext
from mixchat.assistant.planning.errors import PlannerError
from mixchat.assistant.planning.measures import (
    BandShare,
    Centroid,
    Measure,
    SectionContrast,
    TrackLevel,
    TruePeak,
    Width,
)
from mixchat.assistant.reading.reader import read_brief
from mixchat.dsp.errors import MixError
from mixchat.dsp.spectrum import BANDS_HZ
from mixchat.dsp.state import MixState
from mixchat.tools.base import Change, ToolCall, ToolCategory, resolve_track
from mixchat.tools.catalog import REGISTRY, apply_call
from mixchat.tools.config import DEFAULT_MODEL, Settings, load_settings
from mixchat.tools.settings_text import track_line

DEFAULT_BASE_URL = "https://api.openai.com/v1"
LOCAL_KEY_PLACEHOLDER = "not-needed"  # local servers (Ollama, llama.cpp...) ignore the key
DEFAULT_MAX_STEPS = 6
ROUTED_TO_OFFLINE = ("undo", "revert", "compare", "explain", "back_off")


class LLMPlanner:
    """Plans a brief with a tool-calling chat model. ``chat_model`` is injected (any LangChain
    chat model with ``bind_tools``); ``from_environment`` builds a ``ChatOpenAI``."""

    name = "llm"

    def __init__(
        self,
        chat_model: BaseChatModel,
        *,
        max_steps: int = DEFAULT_MAX_STEPS,
        stream: bool = False,
        fallback: bool = False,
        base_url: str = DEFAULT_BASE_URL,
        model_name: str = DEFAULT_MODEL,
        secret: str | None = None,
    ) -> None:
        if max_steps < 1:
            raise PlannerError(f"max_steps={max_steps} must be >= 1")
        self.chat_model = chat_model
        self.max_steps = max_steps
        self.stream = stream
        self.fallback = fallback
        self.base_url = base_url
        self.model_name = model_name
        self.secret = secret
        self.tools = REGISTRY.schemas()

    @classmethod
    def from_environment(cls, settings: Settings | None = None) -> LLMPlanner:
        """A ``ChatOpenAI`` configured by ``mixchat.tools.config`` (OPENAI_API_KEY,
        OPENAI_BASE_URL, MIXCHAT_MODEL, MIXCHAT_LLM_*; environment or config file)."""
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        settings = settings or load_settings()
        if not settings.llm_configured:
            raise PlannerError(
                "the LLM planner needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local "
                "OpenAI-compatible server); set one, or MIXCHAT_PLANNER=offline"
            )
        base_url = settings.openai_base_url or DEFAULT_BASE_URL
        chat = ChatOpenAI(
            model=settings.model,
            base_url=base_url,
            api_key=SecretStr(settings.api_key or LOCAL_KEY_PLACEHOLDER),
            timeout=settings.llm_timeout_s,
            max_retries=settings.llm_retries,
            streaming=settings.llm_stream,
            use_responses_api=False,
        )
        return cls(
            chat,
            max_steps=settings.llm_max_steps,
            stream=settings.llm_stream,
            fallback=settings.llm_fallback == "offline",
            base_url=base_url,
            model_name=settings.model,
            secret=settings.api_key,
        )

    # --- planning -------------------------------------------------------------------
    def plan(self, context: PlanContext) -> Plan:
        routed = self._follow_up(context)
        if routed is not None:
            return routed
        try:
            return self._run(context)
        except PlannerError as error:
            if not self.fallback:
                raise
            return self._offline_fallback(context, error)

    def _follow_up(self, context: PlanContext) -> Plan | None:
        """Undo, revert, compare, explain and "too much" are read deterministically."""
        try:
            reading = read_brief(
                context.brief, tracks=[(t.name, t.role) for t in context.state.tracks]
            )
        except MixError:
            return None
        if reading.intent not in ROUTED_TO_OFFLINE:
            return None
        return OfflinePlanner().plan(context)

    def _offline_fallback(self, context: PlanContext, error: PlannerError) -> Plan:
        plan = OfflinePlanner().plan(context)
        note = f"The LLM planner failed ({error}); the offline planner answered instead."
        plan.message = self._clean(f"{note} {plan.message}".strip())
        plan.notes.append(self._clean(note))
        plan.planner = "offline"
        return plan

    def _run(self, context: PlanContext) -> Plan:
        messages: list[BaseMessage] = [
            SystemMessage(content=system_prompt(context)),
            HumanMessage(content=context.brief),
        ]
        bound = self.chat_model.bind_tools(self.tools)
        working = context.state
        accepted: list[tuple[ToolCall, Change]] = []
        final_text = ""
        for step in range(self.max_steps):
            reply = self._ask(bound, messages)
            messages.append(reply)
            text = message_text(reply)
            if not reply.tool_calls and not reply.invalid_tool_calls:
                final_text = text
                break
            for index, call in enumerate(reply.tool_calls):
                call_id = call.get("id") or f"call_{step}_{index}"
                working, content = self._try_call(working, call, text, context, accepted)
                messages.append(
                    ToolMessage(content=content, tool_call_id=call_id, name=call["name"])
                )
            for index, bad in enumerate(reply.invalid_tool_calls):
                call_id = bad.get("id") or f"bad_{step}_{index}"
                messages.append(
                    ToolMessage(
                        content=invalid_call_text(bad), tool_call_id=call_id, status="error"
                    )
                )
        else:
            final_text = (
                f"I stopped after {self.max_steps} model steps and kept the "
                f"{len(accepted)} valid change(s) made so far."
            )
        return self._plan_from(accepted, final_text, context)

    def _ask(self, bound: Any, messages: list[BaseMessage]) -> AIMessage:
        try:
            if not self.stream:
                return bound.invoke(messages)
            full = None
            for chunk in bound.stream(messages):
                full = chunk if full is None else full + chunk
        except CLIENT_ERRORS as error:
            raise planner_error(
                error, base_url=self.base_url, model=self.model_name, secret=self.secret
            ) from None
        if full is None:
            raise PlannerError(
                f"the LLM server at {self.base_url} streamed an empty reply; try again"
            )
        return full

    def _try_call(
        self,
        state: MixState,
        call: Mapping[str, Any],
        text: str,
        context: PlanContext,
        accepted: list[tuple[ToolCall, Change]],
    ) -> tuple[MixState, str]:
        """Validate and apply one call on the working state; the text goes back to the model."""
        args = call.get("args")
        if not isinstance(args, dict):
            return state, f"error: the arguments of {call['name']} must be a JSON object"
        reason = one_line(text) or f'for "{one_line(context.brief, limit=80)}"'
        tool_call = ToolCall(tool=call["name"], args=args, reason=self._clean(reason))
        try:
            change = apply_call(state, tool_call, context.tool_context)
        except MixError as error:
            return state, f"error: {error}. Nothing was applied; fix the call or leave it out."
        except Exception as error:  # noqa: BLE001 - a tool bug must not end the conversation
            return state, f"error: {call['name']} failed ({type(error).__name__}); leave it out."
        accepted.append((tool_call, change))
        return change.state, f"ok: {change.summary}. {state_after(change.state, tool_call)}"

    def _plan_from(
        self, accepted: list[tuple[ToolCall, Change]], final_text: str, context: PlanContext
    ) -> Plan:
        message = self._clean(final_text.strip())
        if not accepted:
            return Plan(intent="nothing", message=message or "I did not change anything.")
        calls = [call for call, _ in accepted]
        return Plan(
            intent="change",
            calls=calls,
            message=message,
            measures=measures_for(calls, context.state),
            level_change=changes_level(calls),
        )

    def _clean(self, text: str) -> str:
        return scrub(text, secret=self.secret)


# --- helpers -------------------------------------------------------------------------------
def message_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content.strip()
    parts = [block.get("text", "") if isinstance(block, dict) else str(block) for block in content]
    return " ".join(p for p in parts if p).strip()


def invalid_call_text(bad: Mapping[str, Any]) -> str:
    name = bad.get("name") or "(no name)"
    raw = one_line(str(bad.get("args") or ""), limit=80)
    return (
        f"error: the arguments of {name} are not valid JSON ({raw!r}); nothing was applied. "
        "Send a JSON object that matches the tool's schema."
    )


def state_after(state: MixState, call: ToolCall) -> str:
    """What the touched track (or the master) looks like now: cheap facts for the model."""
    track = call.args.get("track")
    if isinstance(track, str):
        try:
            resolved = resolve_track(state, track)
        except MixError:
            return ""
        return f"{resolved.name} now: {track_line(resolved)}"
    return "Now: " + buses_block(state).replace("\n", " ")


def band_of(freq_hz: float) -> str:
    for band, (low, high) in BANDS_HZ.items():
        if low <= freq_hz < high:
            return band
    return "air" if freq_hz >= 20000.0 else "sub"


def _is(call: ToolCall, category: ToolCategory) -> bool:
    return category in REGISTRY.categories(call.tool)


def changes_level(calls: list[ToolCall]) -> bool:
    """True when the calls move a level on purpose (a fader, the master, a section ride):
    the turn then leaves the loudness where they put it."""
    return any(_is(c, "level") or _is(c, "loudness") for c in calls)


def measures_for(calls: list[ToolCall], state: MixState) -> list[Measure]:
    """The measurements that show what these calls did (quoted before → after in the reply)."""
    measures: list[Measure] = []
    for call in calls:
        args = call.args
        track = _track_name(state, args.get("track"))
        if _is(call, "tone"):
            measures.append(Centroid())
            freq = args.get("freq_hz") or args.get("cutoff_hz")
            if isinstance(freq, (int, float)):
                measures.append(BandShare(band=band_of(float(freq))))
        if _is(call, "stereo"):
            measures.append(Width())
        if _is(call, "master"):
            measures.append(TruePeak())
        if _is(call, "automation") and isinstance(args.get("section"), str):
            measures.append(SectionContrast(label=args["section"]))
        if track and not _is(call, "stereo"):
            measures.append(TrackLevel(track=track))
    return list(dict.fromkeys(measures))


def _track_name(state: MixState, name: Any) -> str | None:
    if not isinstance(name, str):
        return None
    try:
        return resolve_track(state, name).name
    except MixError:
        return None
