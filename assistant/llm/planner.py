"""The LLM planner: a chat model (LangChain over the official ``openai`` client, Chat
Completions API, any OpenAI-compatible server) turns a brief into tool calls.

The offline reader reads the brief first. Follow-ups (undo, revert, compare, explain, "too
much") are carried out offline without asking the model. Otherwise the model is offered only
the tools the reader's frame needs (``toolset``), as compact schemas, with a system prompt
trimmed to the token budget (``prompt``). Every request is bounded (``request``): a
``max_tokens`` cap, streaming with a watchdog on progress. Each tool call the model makes is
validated and applied to a working copy of the state before it is kept; a bad call goes back
to the model as a one-line tool error so it can correct itself. The loop stops when the model
answers without tool calls, repeats a call it already made, or after ``max_steps`` turns.

A change brief that ends without one valid tool call is said to be so, never passed off as a
change: the model is asked to rephrase the brief into the reader's vocabulary and the offline
planner carries that rephrasing out, labelled (``rephrase``); if it cannot, the reply says
that the model made no change and why (or, with MIXCHAT_LLM_FALLBACK=offline, the offline
plan answers, labelled). Nothing is committed here: the conversation layer applies the
returned Plan, measures and versions it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, ToolMessage

from mixchat.assistant.llm.errors import (
    CLIENT_ERRORS,
    NoProgress,
    OutOfTime,
    one_line,
    out_of_time_text,
    planner_error,
    scrub,
    short_error,
)
from mixchat.assistant.llm.guard import check_call
from mixchat.assistant.llm.measures import changes_level, measures_for, state_after
from mixchat.assistant.llm.meter import Meter
from mixchat.assistant.llm.prompt import named_tracks, system_prompt
from mixchat.assistant.llm.rephrase import Rephrasing, judge, rephrase_prompt, user_message
from mixchat.assistant.llm.request import (
    Deadline,
    Reply,
    build_chat_model,
    complete,
    finish_reason,
    limits,
    message_text,
    unfinished,
    with_content,
)
from mixchat.assistant.llm.settings import LLMSettings
from mixchat.assistant.llm.tokens import (
    MESSAGE_OVERHEAD,
    estimate_tokens,
    prompt_tokens,
    schema_tokens,
)
from mixchat.assistant.llm.toolset import choose_tools
from mixchat.assistant.moves.planner import OfflinePlanner
from mixchat.assistant.planning.contract import Plan, PlanContext
from mixchat.assistant.planning.errors import PlannerError
from mixchat.assistant.reading.reader import BriefReading, read_brief
from mixchat.dsp.errors import MixError
from mixchat.dsp.state import MixState
from mixchat.tools.base import Change, ToolCall
from mixchat.tools.catalog import apply_call
from mixchat.tools.config import Settings, load_settings

ROUTED_TO_OFFLINE = ("undo", "revert", "compare", "explain", "back_off")
QUESTION = re.compile(
    r"^\s*(?:how|what|why|which|where|when|who|is|are|am|was|were|does|do|did|should|has|have)\b"
    r".*\?\s*$",
    re.IGNORECASE | re.DOTALL,
)
REPHRASE_MAX_TOKENS = 64
MAX_WHY_CHARS = 160
STREAM_WORDS = re.compile(r"(?i)stream")
TOOL_AS_TEXT = re.compile(r'"(?:name|function|arguments|tool_calls?)"\s*:|\bfunctions\.\w+')


class StreamRefused(Exception):
    """The server cannot stream a reply with tool calls."""


@dataclass
class Loop:
    """The tool-calling loop's result."""

    accepted: list[tuple[ToolCall, Change]] = field(default_factory=list)
    text: str = ""
    errors: list[str] = field(default_factory=list)
    stopped: str = ""  # why the loop ended early, when it did
    cut_off: bool = False  # the last reply hit max_tokens
    out_of_time: bool = False  # the brief's deadline passed during a request


class LLMPlanner:
    """Plans a brief with a tool-calling chat model. ``chat_model`` is injected (any LangChain
    chat model with ``bind_tools``); ``from_environment`` builds a ``ChatOpenAI``."""

    name = "llm"

    def __init__(self, chat_model: BaseChatModel, settings: LLMSettings | None = None) -> None:
        self.chat_model = chat_model
        self.settings = settings or LLMSettings()
        if self.settings.max_steps < 1:
            raise PlannerError(f"max_steps={self.settings.max_steps} must be >= 1")

    @classmethod
    def from_environment(cls, settings: Settings | None = None) -> LLMPlanner:
        """The planner ``mixchat.tools.config`` describes (OPENAI_API_KEY, OPENAI_BASE_URL,
        MIXCHAT_MODEL, MIXCHAT_LLM_*; environment or config file)."""
        resolved = LLMSettings.from_config(settings or load_settings())
        return cls(build_chat_model(resolved), resolved)

    # --- planning -------------------------------------------------------------------
    def plan(self, context: PlanContext) -> Plan:
        reading = self._read(context)
        if reading is not None and reading.intent in ROUTED_TO_OFFLINE:
            plan = OfflinePlanner().plan(context)
            plan.model = Meter().report("read_offline", why="a follow-up, read offline")
            return plan
        meter = Meter(
            budget=self.settings.prompt_tokens, deadline=Deadline.after(self.settings.deadline_s)
        )
        try:
            return self._run(context, reading, meter)
        except PlannerError as error:
            if not self.settings.fallback:
                raise
            return self._offline(context, meter, why=f"the LLM failed: {short_error(error)}")

    def _read(self, context: PlanContext) -> BriefReading | None:
        try:
            return read_brief(
                context.brief, tracks=[(t.name, t.role) for t in context.state.tracks]
            )
        except MixError:
            return None

    def _run(self, context: PlanContext, reading: BriefReading | None, meter: Meter) -> Plan:
        tools = self._tools(context, reading)
        meter.tools = [t["function"]["name"] for t in tools]
        room = (
            self.settings.prompt_tokens
            - schema_tokens(tools)
            - estimate_tokens(context.brief)
            - 2 * MESSAGE_OVERHEAD
        )
        system = system_prompt(context, budget_tokens=room, named=named_tracks(reading, context))
        meter.estimate = prompt_tokens(system, context.brief, tools)
        loop = self._loop(context, reading, system, tools, meter)
        if loop.accepted:
            return self._plan_from(loop, context, meter)
        if is_question(context.brief, reading) and loop.text and not TOOL_AS_TEXT.search(loop.text):
            message = self._clean(loop.text)
            return Plan(intent="question", message=message, model=meter.report("answered"))
        if is_question(context.brief, reading):
            why = one_line(self._clean(self._why(loop)), limit=MAX_WHY_CHARS)
            message = f"The model made no change and gave no answer: {why}."
            return Plan(
                intent="question", message=message, model=meter.report("no_change", why=why)
            )
        return self._no_tool_call(
            context, reading, self._why(loop), meter, rephrase=not loop.out_of_time, system=system
        )

    def _tools(self, context: PlanContext, reading: BriefReading | None) -> list[dict[str, Any]]:
        previous = [c.tool for c in context.lineage[0].tool_calls] if context.lineage else []
        return choose_tools(
            reading or read_brief(""),
            track_names=[t.name for t in context.state.tracks],
            section_labels=[s.label for s in context.sections],
            budget_tokens=self.settings.prompt_tokens,
            previous=previous,
        )

    # --- the tool-calling loop --------------------------------------------------------
    def _loop(
        self,
        context: PlanContext,
        reading: BriefReading | None,
        system: str,
        tools: list[dict[str, Any]],
        meter: Meter,
    ) -> Loop:
        messages: list[BaseMessage] = [
            SystemMessage(content=system),
            HumanMessage(content=context.brief),
        ]
        # tool_choice "auto" is OpenAI's default, but some servers (llama-cpp-python) ignore
        # the tools unless it is said
        bound = self.chat_model.bind_tools(tools, tool_choice="auto").bind(
            **limits(self.settings, self.settings.max_tokens)
        )
        working = context.state
        loop = Loop()
        made: set[str] = set()
        for step in range(self.settings.max_steps):
            try:
                reply = self._ask_with_tools(bound, messages, context, meter.deadline)
            except OutOfTime:
                loop.stopped, loop.text, loop.out_of_time = self._out_of_time(), "", True
                return loop
            except PlannerError as error:
                if step == 0:
                    raise  # the server could not answer the brief at all
                loop.stopped = f"the server failed on the next request ({short_error(error)})"
                return loop
            meter.add(reply)
            message = reply.message
            messages.append(with_content(message))
            loop.text = message_text(message)
            loop.cut_off = finish_reason(message) == "length"
            if not message.tool_calls and not message.invalid_tool_calls:
                return loop
            calls = list(message.tool_calls)
            cut = calls.pop() if loop.cut_off and unfinished(message) else None
            for index, call in enumerate(calls):
                key = call_key(call)
                if key in made:
                    loop.stopped = f"the model repeated {call['name']}; the repeat was not applied"
                    return loop
                made.add(key)
                working, content = self._try_call(working, call, context, reading, loop)
                call_id = call.get("id") or f"call_{step}_{index}"
                messages.append(
                    ToolMessage(content=content, tool_call_id=call_id, name=call["name"])
                )
            if cut is not None:
                text = (
                    f"the call to {cut['name']} was cut off at {self.settings.max_tokens} "
                    "tokens (MIXCHAT_LLM_MAX_TOKENS); nothing was applied"
                )
                loop.errors.append(text)
                call_id = cut.get("id") or f"cut_{step}"
                messages.append(
                    ToolMessage(content=f"error: {text}", tool_call_id=call_id, status="error")
                )
            for index, bad in enumerate(message.invalid_tool_calls):
                call_id = bad.get("id") or f"bad_{step}_{index}"
                text = invalid_call_text(bad)
                loop.errors.append(text)
                messages.append(ToolMessage(content=text, tool_call_id=call_id, status="error"))
        loop.stopped = (
            f"stopped after {self.settings.max_steps} model steps (MIXCHAT_LLM_MAX_STEPS)"
        )
        loop.text = ""
        return loop

    def _ask_with_tools(
        self,
        runnable: Any,
        messages: list[BaseMessage],
        context: PlanContext,
        deadline: Deadline | None,
    ) -> Reply:
        """Streamed (when streaming is on), so that prose is cut off at ``max_tokens`` even by a
        server that ignores it. Some servers cannot stream a tool call (llama-cpp-python's
        chatml-function-calling ends the stream empty once the model has picked a tool): that
        request is sent again whole, which such a server answers from its cached prompt. Every
        request is streamed first: the same server streams prose, which only the stream can
        cut off."""
        if self.settings.stream:
            try:
                return self._ask(
                    runnable, messages, context, stream=True, refused=True, deadline=deadline
                )
            except StreamRefused:
                pass
        return self._ask(runnable, messages, context, stream=False, deadline=deadline)

    def _ask(
        self,
        runnable: Any,
        messages: list[BaseMessage],
        context: PlanContext,
        *,
        stream: bool | None = None,
        refused: bool = False,
        max_tokens: int | None = None,
        deadline: Deadline | None = None,
    ) -> Reply:
        """One bounded request; ``OutOfTime`` (the brief's deadline) is the caller's to handle."""

        def tokens(count: int) -> None:
            context.progress(f"model writing ({count} tokens)")

        try:
            return complete(
                runnable,
                messages,
                stream=self.settings.stream if stream is None else stream,
                idle_s=self.settings.timeout_s,
                max_tokens=max_tokens or self.settings.max_tokens,
                deadline=deadline,
                progress=tokens,
            )
        except NoProgress as error:
            if refused and error.ended:
                raise StreamRefused() from None
            raise self._error(error) from None
        except openai.APIStatusError as error:
            if refused and STREAM_WORDS.search(str(error.message)):
                raise StreamRefused() from None
            raise self._error(error) from None
        except CLIENT_ERRORS as error:
            raise self._error(error) from None

    def _error(self, error: BaseException) -> PlannerError:
        return planner_error(
            error,
            base_url=self.settings.base_url,
            model=self.settings.model,
            secret=self.settings.key,
        )

    def _try_call(
        self,
        state: MixState,
        call: Mapping[str, Any],
        context: PlanContext,
        reading: BriefReading | None,
        loop: Loop,
    ) -> tuple[MixState, str]:
        """Check and apply one call on the working state; the text goes back to the model."""
        args = call.get("args")
        if not isinstance(args, dict):
            loop.errors.append(f"the arguments of {call['name']} are not a JSON object")
            return state, f"error: the arguments of {call['name']} must be a JSON object"
        reason = one_line(loop.text) or f'for "{one_line(context.brief, limit=80)}"'
        tool_call = ToolCall(tool=call["name"], args=args, reason=self._clean(reason))
        question = is_question(context.brief, reading)
        problem = check_call(tool_call, reading, state, question=question)
        if problem:
            loop.errors.append(problem)
            return state, f"error: {problem}. Nothing was applied; fix the call or leave it out."
        try:
            change = apply_call(state, tool_call, context.tool_context)
        except MixError as error:
            loop.errors.append(self._clean(str(error)))
            return state, f"error: {error}. Nothing was applied; fix the call or leave it out."
        except Exception as error:  # noqa: BLE001 - a tool bug must not end the conversation
            loop.errors.append(f"{call['name']} failed ({type(error).__name__})")
            return state, f"error: {call['name']} failed ({type(error).__name__}); leave it out."
        loop.accepted.append((tool_call, change))
        return change.state, f"ok: {change.summary}. {state_after(change.state, tool_call)}"

    def _plan_from(self, loop: Loop, context: PlanContext, meter: Meter) -> Plan:
        calls = [call for call, _ in loop.accepted]
        message = self._clean(loop.text.strip())
        notes = [self._clean(loop.stopped)] if loop.stopped else []
        return Plan(
            intent="change",
            calls=calls,
            message=" ".join(p for p in (message, *(f"({n}.)" for n in notes)) if p),
            measures=measures_for(calls, context.state),
            level_change=changes_level(calls),
            notes=notes,
            model=meter.report("tool_calls", why=loop.stopped),
        )

    # --- no valid tool call -------------------------------------------------------------
    def _why(self, loop: Loop) -> str:
        """One line: why the model's answer made no change."""
        if loop.errors:
            then = f"; then {loop.stopped}" if loop.stopped else ""
            return f"its tool call was not valid ({loop.errors[-1]}){then}"
        if loop.stopped:
            return loop.stopped
        if loop.cut_off:
            return (
                f"its answer was cut off at {self.settings.max_tokens} tokens "
                "(MIXCHAT_LLM_MAX_TOKENS) before any tool call"
            )
        if not loop.text:
            return "it sent an empty answer"
        if TOOL_AS_TEXT.search(loop.text):
            return (
                "it wrote a tool call as text instead of calling the tool (the server's chat "
                "template may not support tool calls)"
            )
        return "it answered in prose without a tool call"

    def _no_tool_call(
        self,
        context: PlanContext,
        reading: BriefReading | None,
        why: str,
        meter: Meter,
        *,
        rephrase: bool = True,
        system: str | None = None,
    ) -> Plan:
        """Say so; then the model's rephrasing carried out offline (``rephrase``: when there is
        time left to ask for one), the offline fallback (when asked for), or no change.
        ``system``: the brief's system prompt, which the rephrasing request starts with."""
        why = one_line(self._clean(why), limit=MAX_WHY_CHARS)
        problem = ""
        if reading is not None and rephrase:
            try:
                rephrased = self._rephrase(context, reading, meter, system)
            except OutOfTime:
                problem = f"asked to rephrase the brief, {self._out_of_time()}"
            except PlannerError as error:
                problem = f"it could not rephrase the brief either ({short_error(error)})"
            else:
                if rephrased.reading is not None:
                    plan = OfflinePlanner().plan(replace(context, brief=rephrased.text))
                    if plan.intent == "change" and plan.calls:
                        return self._rephrased(plan, rephrased.text, why, meter)
                    problem = f'the offline planner found nothing to do for its rephrasing "{rephrased.text}"'
                else:
                    problem = rephrased.problem
        full_why = "; ".join(p for p in (why, problem) if p)
        if self.settings.fallback:
            return self._offline(context, meter, why=full_why)
        message = f"The model made no change: {full_why}."
        return Plan(
            intent="nothing",
            message=self._clean(message),
            model=meter.report("no_change", why=full_why),
        )

    def _rephrase(
        self, context: PlanContext, reading: BriefReading, meter: Meter, system: str | None
    ) -> Rephrasing:
        """Ask for the brief in the offline reader's words. After the brief's own system prompt
        when there is one: a server that caches the prompt it read last (llama.cpp, Ollama)
        then reads only the request itself, and keeps the session's facts for the next brief."""
        tracks = [(t.name, t.role) for t in context.state.tracks]
        prompt, shown = rephrase_prompt(tracks, [s.label for s in context.sections])
        messages: list[BaseMessage] = (
            [
                SystemMessage(content=system),
                HumanMessage(content=f"{prompt}\n\n{user_message(context.brief)}"),
            ]
            if system
            else [SystemMessage(content=prompt), HumanMessage(content=user_message(context.brief))]
        )
        runnable = self.chat_model.bind(**limits(self.settings, REPHRASE_MAX_TOKENS))
        reply = self._ask(
            runnable, messages, context, max_tokens=REPHRASE_MAX_TOKENS, deadline=meter.deadline
        )
        meter.add(reply)
        return judge(message_text(reply.message), reading, tracks=tracks, shown=shown)

    def _rephrased(self, plan: Plan, text: str, why: str, meter: Meter) -> Plan:
        label = (
            f'The model made no valid tool call ({why}); it rephrased the brief as "{text}", '
            "and the offline planner carried that out."
        )
        plan.message = self._clean(f"{label} {plan.message}".strip())
        plan.planner = "offline"
        plan.model = meter.report("rephrased", why=why, rephrasing=self._clean(text))
        return plan

    def _offline(self, context: PlanContext, meter: Meter, *, why: str) -> Plan:
        plan = OfflinePlanner().plan(context)
        note = f"The LLM made no change ({why}); the offline planner answered instead."
        plan.message = self._clean(f"{note} {plan.message}".strip())
        plan.notes.append(self._clean(note))
        plan.planner = "offline"
        plan.model = meter.report("offline_fallback", why=self._clean(why))
        return plan

    def _out_of_time(self) -> str:
        return out_of_time_text(self.settings.deadline_s)

    def _clean(self, text: str) -> str:
        return scrub(text, secret=self.settings.key)


# --- helpers -------------------------------------------------------------------------------
def is_question(brief: str, reading: BriefReading | None) -> bool:
    """A question ("how loud are the keys?") is answered in words; anything else asks for a
    change ("can you make the vocal louder?" included)."""
    return (reading is not None and reading.intent == "question") or bool(QUESTION.match(brief))


def call_key(call: Mapping[str, Any]) -> str:
    return json.dumps([call.get("name"), call.get("args")], sort_keys=True, default=str)


def invalid_call_text(bad: Mapping[str, Any]) -> str:
    name = bad.get("name") or "(no name)"
    raw = one_line(str(bad.get("args") or ""), limit=80)
    return (
        f"error: the arguments of {name} are not valid JSON ({raw!r}); nothing was applied. "
        "Send a JSON object that matches the tool's schema."
    )
