"""`mixchat ask` and `mixchat screenshot` with a chat model, grounded in the offline results.

The model is configured exactly as for the planner (``choose_planner`` and
``LLMPlanner.from_environment``: OPENAI_API_KEY / OPENAI_BASE_URL / MIXCHAT_MODEL /
MIXCHAT_PLANNER). The offline work always runs first: for a question, the knowledge-base
retrieval and the composed answer (plus the session's measurements) go into the prompt; for a
screenshot, the OCR reading and its feedback go with the image (a base64 data URL in an
``image_url`` content part). If the model fails in any way, the offline result is returned with
a one-line ``note``: a question or a screenshot never fails because a server is down. Every text
that leaves this module is scrubbed of the API key.
"""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any

import openai
import pytesseract
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from PIL import Image

from mixchat.assistant.knowledge.ask import SessionFacts, answer_question, grounding_text
from mixchat.assistant.knowledge.plugins import load, retrieve
from mixchat.assistant.knowledge.screenshot import PLUGIN_TYPES, ScreenshotReport, read_screenshot
from mixchat.assistant.knowledge.screenshot_review import review
from mixchat.assistant.llm.choose import choose_planner
from mixchat.assistant.llm.errors import NoProgress, one_line, planner_error, scrub
from mixchat.assistant.llm.planner import LLMPlanner
from mixchat.assistant.llm.request import Deadline, complete, limits, message_text
from mixchat.assistant.llm.settings import LLMSettings
from mixchat.assistant.llm.tokens import estimate_tokens
from mixchat.assistant.planning.errors import PlannerError
from mixchat.dsp.errors import StateError

GROUNDING_K = 4
ANSWER_MAX_TOKENS = 300  # "a few short lines" (and never more than MIXCHAT_LLM_MAX_TOKENS)
READING_MAX_TOKENS = 300  # one JSON object with a short comment
MAX_IMAGE_SIDE_PX = 2048
DATA_URL_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
IMAGE_REFUSAL = re.compile(r"(?i)image|vision|multimodal|multi-modal|image_url")
PARAMETER_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
MODEL_ONLY_CONFIDENCE = 0.5  # no OCR score exists when only the model read the image


def _prompt(name: str) -> str:
    return files("mixchat.prompts").joinpath(name).read_text(encoding="utf-8").strip()


ASK_SYSTEM = _prompt("ask_system.md")
SCREENSHOT_SYSTEM = Template(_prompt("screenshot_system.md")).substitute(
    plugin_types=", ".join(PLUGIN_TYPES)
)


@dataclass(frozen=True)
class LLMClient:
    """The configured chat model and its settings (the key in them is never shown)."""

    chat_model: BaseChatModel
    settings: LLMSettings

    @classmethod
    def from_planner(cls, planner: LLMPlanner) -> LLMClient:
        return cls(planner.chat_model, planner.settings)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def model_name(self) -> str:
        return self.settings.model

    def clean(self, text: str) -> str:
        return scrub(text, secret=self.settings.key)


def configured_llm() -> LLMClient | None:
    """The planner's LLM configuration, or None when the offline planner is in use. A bad
    configuration raises PlannerError (the same one-line message `say` gives)."""
    planner = choose_planner()
    return LLMClient.from_planner(planner) if isinstance(planner, LLMPlanner) else None


def _llm_or_note() -> tuple[LLMClient | None, str | None]:
    try:
        return configured_llm(), None
    except PlannerError as error:
        return None, one_line(f"The LLM is not usable ({scrub(str(error))}); answered offline.")


# --- ask --------------------------------------------------------------------------------------
def answer_from_environment(
    question: str, *, session_facts: SessionFacts | None = None
) -> dict[str, Any]:
    """`mixchat ask`: with the LLM when one is configured, else offline."""
    llm, note = _llm_or_note()
    result = answer_with_llm(question, session_facts=session_facts, llm=llm)
    if note:
        result["note"] = note
    return result


def answer_with_llm(
    question: str, *, session_facts: SessionFacts | None = None, llm: LLMClient | None = None
) -> dict[str, Any]:
    """{answer, sources, facts, planner[, note]}: the model's answer grounded in the offline
    retrieval, or the offline answer when there is no model or it failed."""
    offline = answer_question(question, session_facts=session_facts)
    result = {**offline.model_dump(mode="json"), "planner": "offline"}
    if llm is None:
        return result
    budget = llm.settings.prompt_tokens - estimate_tokens(ASK_SYSTEM)
    prompt, k = ask_prompt(question, offline.answer, offline.facts, session_facts, budget=budget)
    messages = [SystemMessage(content=ASK_SYSTEM), HumanMessage(content=prompt)]
    try:
        text, counted = _invoke(llm, messages, max_tokens=ANSWER_MAX_TOKENS)
    except PlannerError as error:
        result["note"] = one_line(f"Offline answer: {error}.", limit=400)
        return result
    sources = list(dict.fromkeys(offline.sources + retrieved_sources(question, k=k)))
    return {
        "answer": llm.clean(text),
        "sources": sources,
        "facts": offline.facts,
        "planner": "llm",
        "prompt_tokens": counted or estimate_tokens(ASK_SYSTEM) + estimate_tokens(prompt),
    }


def retrieved_sources(question: str, *, k: int = GROUNDING_K) -> list[str]:
    kb = load()
    keys = [key for entry in retrieve(question, k=k) for key in entry.sources]
    return kb.cite(list(dict.fromkeys(keys)))


def session_text(facts: SessionFacts) -> str:
    lines = [f"Tempo: {facts.tempo_bpm:g} BPM"] if facts.tempo_bpm else []
    for track in facts.tracks:
        measured = [
            f"crest factor {track.crest_factor_db:.1f} dB" if track.crest_factor_db else "",
            f"{track.lufs:.1f} LUFS" if track.lufs is not None else "",
            f"centroid {track.spectral_centroid_hz:.0f} Hz" if track.spectral_centroid_hz else "",
        ]
        if track.compressor_text:
            measured.append(f"compressor {track.compressor_text}")
        if track.reduction is not None:
            measured.append(
                f"gain reduction {track.reduction.typical_db:.1f} dB typical, "
                f"{track.reduction.loud_db:.1f} dB on loud passages"
            )
        lines.append(f"{track.name} ({track.role}): " + ", ".join(m for m in measured if m))
    lines += [
        f"Section {s.label} {s.start_s:.0f}-{s.end_s:.0f} s: {s.lufs:.1f} LUFS"
        for s in facts.sections
    ]
    return "\n".join(lines)


def ask_prompt(
    question: str,
    offline_answer: str,
    facts: list[str],
    session_facts: SessionFacts | None,
    *,
    budget: int | None = None,
) -> tuple[str, int]:
    """The question with its grounding, and how many knowledge-base entries went in: as many
    (up to GROUNDING_K) as fit ``budget`` tokens, at least one."""
    k = GROUNDING_K
    prompt = _ask_prompt(question, offline_answer, facts, session_facts, k=k)
    while budget is not None and k > 1 and estimate_tokens(prompt) > budget:
        k -= 1
        prompt = _ask_prompt(question, offline_answer, facts, session_facts, k=k)
    return prompt, k


def _ask_prompt(
    question: str,
    offline_answer: str,
    facts: list[str],
    session_facts: SessionFacts | None,
    *,
    k: int,
) -> str:
    grounding = grounding_text(question, k=k) or "(nothing retrieved)"
    parts = [
        f"Question: {question}",
        f"Reference entries from the plugin knowledge base:\n{grounding}",
        f"Draft answer composed offline from those entries:\n{offline_answer}",
    ]
    if session_facts is not None:
        measured = "\n".join([session_text(session_facts), *facts]).strip()
        parts.append(f"The producer's session, as measured:\n{measured or '(no tracks)'}")
    return "\n\n".join(parts)


# --- screenshot -------------------------------------------------------------------------------
def screenshot_from_environment(
    image: Path, *, role: str | None = None, session_facts: SessionFacts | None = None
) -> dict[str, Any]:
    """`mixchat screenshot`: OCR, then the image to the model when one is configured."""
    llm, note = _llm_or_note()
    result = screenshot_with_llm(image, role=role, session_facts=session_facts, llm=llm)
    if note:
        result["note"] = note
    return result


def screenshot_with_llm(
    image: Path,
    *,
    role: str | None = None,
    session_facts: SessionFacts | None = None,
    llm: LLMClient | None = None,
) -> dict[str, Any]:
    """The offline report plus, with a model, ``llm_feedback`` (its comment), ``llm_parameters``
    (its own reading, when given) and ``planner: "llm"``; or the offline report with a ``note``
    when the model refused the image or failed. Without tesseract the model reads alone."""
    try:
        offline = read_screenshot(image, role=role, session_facts=session_facts)
    except StateError as error:
        if llm is None or not isinstance(error.__cause__, pytesseract.TesseractNotFoundError):
            raise
        return _model_alone(image, role=role, session_facts=session_facts, llm=llm, ocr=error)
    result = {**offline.model_dump(mode="json"), "planner": "offline"}
    if llm is None:
        return result
    try:
        reading = _vision_reading(image, offline, role=role, llm=llm)
    except PlannerError as error:
        result["note"] = one_line(f"Offline reading only: {error}.", limit=400)
        return result
    result.update(planner="llm", llm_feedback=reading["comment"])
    if reading["parameters"]:
        result["llm_parameters"] = reading["parameters"]
    return result


def _model_alone(
    image: Path,
    *,
    role: str | None,
    session_facts: SessionFacts | None,
    llm: LLMClient,
    ocr: StateError,
) -> dict[str, Any]:
    try:
        reading = _vision_reading(image, None, role=role, llm=llm)
    except PlannerError as error:
        raise StateError(
            one_line(f"{ocr}; the LLM could not read it either ({error})", limit=400)
        ) from None
    plugin_type = reading["plugin_type"] or "unknown"
    params = reading["parameters"]
    feedback, problems = review(plugin_type, params, role=role, session_facts=session_facts)
    report = ScreenshotReport(
        plugin_type=plugin_type,
        plugin_name=reading["plugin_name"],
        parameters=dict(sorted(params.items())),
        feedback=feedback,
        problems=problems,
        confidence=MODEL_ONLY_CONFIDENCE if params else 0.0,
        role=role,
    )
    return {
        **report.model_dump(mode="json"),
        "planner": "llm",
        "llm_feedback": reading["comment"],
        "note": "tesseract is not installed: the model read the image alone (install "
        "tesseract-ocr to check its reading).",
    }


def _vision_reading(
    image: Path, offline: ScreenshotReport | None, *, role: str | None, llm: LLMClient
) -> dict[str, Any]:
    content: list[str | dict[Any, Any]] = [
        {"type": "text", "text": screenshot_prompt(offline, role=role)},
        {"type": "image_url", "image_url": {"url": image_data_url(image)}},
    ]
    messages = [SystemMessage(content=SCREENSHOT_SYSTEM), HumanMessage(content=content)]
    text, _ = _invoke(llm, messages, max_tokens=READING_MAX_TOKENS, refuses_images=True)
    return parse_reading(text, clean=llm.clean)


def screenshot_prompt(offline: ScreenshotReport | None, *, role: str | None) -> str:
    lines = [f"The plugin is on a track whose role is: {role or 'not given'}."]
    if offline is None:
        lines.append("No OCR reading is available: read the parameters from the image.")
        return "\n".join(lines)
    lines += [
        f"OCR reading (confidence {offline.confidence:.2f}): plugin_type={offline.plugin_type}, "
        f"plugin_name={offline.plugin_name or 'unknown'}",
        "OCR parameters: " + json.dumps(offline.parameters, sort_keys=True),
        "Offline feedback:",
        *[f"- {line}" for line in offline.feedback],
    ]
    return "\n".join(lines)


def image_data_url(image: Path) -> str:
    """The image as a data URL: PNG/JPEG/WebP/GIF as they are, others (or big ones) as PNG."""
    raw = Path(image).read_bytes()
    with Image.open(io.BytesIO(raw)) as opened:
        mime = DATA_URL_TYPES.get(opened.format or "")
        if mime is None or max(opened.size) > MAX_IMAGE_SIDE_PX:
            picture = opened.convert("RGB")
            picture.thumbnail((MAX_IMAGE_SIDE_PX, MAX_IMAGE_SIDE_PX))
            buffer = io.BytesIO()
            picture.save(buffer, format="PNG")
            raw, mime = buffer.getvalue(), "image/png"
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def parse_reading(text: str, *, clean) -> dict[str, Any]:
    """The model's JSON answer (plugin_type, plugin_name, parameters, comment); a reply that is
    not JSON is kept whole as the comment."""
    data = _json_object(text)
    if data is None:
        return {"plugin_type": None, "plugin_name": None, "parameters": {}, "comment": clean(text)}
    plugin_type = str(data.get("plugin_type") or "").strip().lower()
    name = data.get("plugin_name")
    comment = data.get("comment") or data.get("feedback") or ""
    return {
        "plugin_type": plugin_type if plugin_type in PLUGIN_TYPES else None,
        "plugin_name": clean(str(name)) if isinstance(name, str) and name.strip() else None,
        "parameters": _parameters(data.get("parameters")),
        "comment": clean(str(comment).strip() or text),
    }


def _json_object(text: str) -> dict[str, Any] | None:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start : end + 1])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _parameters(raw: Any) -> dict[str, float | str]:
    if not isinstance(raw, dict):
        return {}
    params: dict[str, float | str] = {}
    for key, value in raw.items():
        key = str(key).strip().lower()
        if not PARAMETER_KEY.match(key):
            continue
        if isinstance(value, str) and value.strip().lower() == "auto":
            params[key] = "auto"
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            params[key] = float(value)
    return params


# --- the model call ---------------------------------------------------------------------------
def _invoke(
    llm: LLMClient,
    messages: list[BaseMessage],
    *,
    max_tokens: int,
    refuses_images: bool = False,
) -> tuple[str, int | None]:
    """The model's text and the prompt's tokens as the server counted them (None when it did
    not say), from a bounded, streamed request; any failure becomes one scrubbed PlannerError."""
    settings = llm.settings
    cap = min(max_tokens, settings.max_tokens)
    runnable = llm.chat_model.bind(**limits(settings, cap))
    try:
        reply = complete(
            runnable,
            messages,
            stream=settings.stream,
            idle_s=settings.timeout_s,
            max_tokens=cap,
            deadline=Deadline.after(settings.deadline_s),
        )
    except openai.BadRequestError as error:
        if refuses_images and IMAGE_REFUSAL.search(str(error.body) + str(error.message)):
            raise PlannerError(
                f"model={llm.model_name!r} at {llm.base_url} does not accept images (HTTP 400); "
                "set MIXCHAT_MODEL to a vision-capable model"
            ) from None
        raise _failure(error, llm) from None
    except NoProgress as error:
        if refuses_images and error.ended:  # e.g. a text-only model given the image as text
            raise PlannerError(
                f"model={llm.model_name!r} at {llm.base_url} sent nothing back for the image "
                "(a model without vision cannot read it); set MIXCHAT_MODEL to a vision-capable "
                "model"
            ) from None
        raise _failure(error, llm) from None
    except Exception as error:  # noqa: BLE001 - a question must never fail on the model
        raise _failure(error, llm) from None
    text = message_text(reply.message)
    if not text:
        raise PlannerError(f"the LLM server at {llm.base_url} sent an empty reply")
    return text, reply.prompt_tokens


def _failure(error: BaseException, llm: LLMClient) -> PlannerError:
    return planner_error(
        error, base_url=llm.base_url, model=llm.model_name, secret=llm.settings.key
    )
