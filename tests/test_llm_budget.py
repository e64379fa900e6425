"""What a small local model is shown: only the tools a brief can need, compact schemas naming
the session's own tracks, a system prompt within the token budget, the token estimate, and the
settings that bound every request. No model is called here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_planner_llm import write_stems  # noqa: E402

from mixchat.assistant.llm.prompt import (
    named_tracks,  # noqa: E402
    system_prompt,  # noqa: E402
)
from mixchat.assistant.llm.settings import LLMSettings  # noqa: E402
from mixchat.assistant.llm.tokens import estimate_tokens, schema_tokens  # noqa: E402
from mixchat.assistant.llm.toolset import (  # noqa: E402
    CONCEPT_CATEGORIES,
    categories_of,
    choose_tools,
    compact_schema,
    tool_names,
)
from mixchat.assistant.planning.errors import PlannerError  # noqa: E402
from mixchat.assistant.reading.reader import read_brief  # noqa: E402
from mixchat.assistant.turn.context import build_context  # noqa: E402
from mixchat.tools.catalog import REGISTRY  # noqa: E402
from mixchat.tools.config import load_settings  # noqa: E402
from mixchat.tools.engine import Engine  # noqa: E402
from mixchat.tools.session import Session  # noqa: E402
from mixchat.tools.workspace import create_session  # noqa: E402

TRACKS = [("Lead Vocal", "vocal"), ("Bass", "bass"), ("Drums", "drums"), ("Keys", "keys")]
NAMES = [name for name, _ in TRACKS]
SECTIONS = ["verse", "chorus"]


def tools_for(brief: str, budget: int = 1200) -> list[str]:
    reading = read_brief(brief, tracks=TRACKS)
    chosen = choose_tools(reading, track_names=NAMES, section_labels=SECTIONS, budget_tokens=budget)
    return [t["function"]["name"] for t in chosen]


# --- tools ------------------------------------------------------------------------------------
def test_every_planner_tool_can_be_offered():
    """Each tool a planner may call is in a category some brief offers (role corrections are
    read by the conversation itself), and the ones the conversation records are never offered."""
    reachable = {c for concept in (*CONCEPT_CATEGORIES, "unplaced") for c in categories_of(concept)}
    reachable |= {"automation"}
    for tool in REGISTRY.for_planners():
        assert tool.categories & reachable or tool.categories == {"role"}, tool.name
    offered = set(tool_names([*reachable, "role", "record"]))
    assert offered == {t.name for t in REGISTRY.for_planners()}


@pytest.mark.parametrize(
    ("brief", "lead", "absent"),
    [
        ("bring the vocal up 3 dB", "adjust_track_gain", {"apply_eq", "set_reverb", "set_pan"}),
        ("make it darker", "apply_eq", {"adjust_track_gain", "set_pan", "set_send"}),
        ("make the keys wider", "set_width", {"apply_eq", "adjust_track_gain"}),
        ("pan the keys to the left", "set_pan", {"apply_eq"}),
        ("more reverb on the vocal in the chorus", "automate_section", {"apply_eq"}),
        ("mute the drums", "set_mute", {"apply_eq", "set_send"}),
    ],
)
def test_the_frame_chooses_the_tools(brief, lead, absent):
    names = tools_for(brief)
    assert names[0] == lead and not absent & set(names)


def test_an_unplaced_brief_gets_a_general_set_and_the_budget_drops_side_tools_first():
    wide = tools_for("make it sound like a summer evening", budget=4000)
    assert {"adjust_track_gain", "apply_eq", "set_pan", "set_send", "set_compressor"} <= set(wide)
    tight = tools_for("make it sound like a summer evening", budget=600)
    assert 1 <= len(tight) < len(wide) and tight == wide[: len(tight)]
    assert tools_for("make it sound like a summer evening", budget=500)  # never none


def test_compact_schemas_name_the_session_tracks_and_keep_the_bounds():
    schema = compact_schema("apply_eq", track_names=NAMES)
    text = json.dumps(schema)
    assert '"title"' not in text and len(text) < len(json.dumps(REGISTRY.get("apply_eq").schema()))
    props = schema["function"]["parameters"]["properties"]
    assert props["track"] == {"type": "string", "enum": NAMES}
    assert props["gain_db"]["minimum"] == -24 and props["gain_db"]["maximum"] == 24
    ranged = compact_schema("automate_section", track_names=NAMES, section_labels=SECTIONS)
    section = ranged["function"]["parameters"]["properties"]["section"]
    assert section["anyOf"][0]["enum"] == sorted(SECTIONS)  # still nullable: a time range


# --- the token estimate -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "measured"),
    [  # counts from SmolLM2-135M's tokenizer (llama-cpp-python /extras/tokenize)
        ("system_prompt.md", 323),
        ("apply_eq", 247),
        ("automate_section", 462),
        (
            "- Bass_DI_Clean (bass): fader -7.0 dB, pan +0.00, reverb send -22.0 dB; "
            "-28.0 LUFS, centroid 172 Hz",
            51,
        ),
    ],
)
def test_the_estimate_is_close_to_a_real_tokenizer(text, measured):
    from importlib.resources import files

    if text.endswith(".md"):
        text = files("mixchat.prompts").joinpath(text).read_text(encoding="utf-8")
    elif text in REGISTRY.tools:
        text = json.dumps(compact_schema(text, track_names=NAMES, section_labels=SECTIONS))
    assert 0.85 <= estimate_tokens(text) / measured <= 1.25


# --- the system prompt --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    root = tmp_path_factory.mktemp("budget")
    write_stems(root / "stems", seconds=2.0)
    create_session(root / "stems", root / "session")
    return Session.open(root / "session")


def context_for(session: Session, brief: str):
    return build_context(session, Engine.for_session(session), brief, session.load())


@pytest.mark.parametrize("budget", [350, 500, 800, 2000])
def test_the_system_prompt_fits_its_budget(session, budget):
    context = context_for(session, "the bass is muddy")
    text = system_prompt(context, budget_tokens=budget)
    core = system_prompt(context, budget_tokens=0)  # what is always there
    assert estimate_tokens(text) <= max(budget, estimate_tokens(core))
    assert all(name in text for name in NAMES)


def test_details_come_in_order_of_use_to_the_brief(session):
    context = context_for(session, "the bass is muddy")
    reading = read_brief(context.brief, tracks=TRACKS)
    named = named_tracks(reading, context)
    assert named == ["Bass"]
    full = system_prompt(context, budget_tokens=100_000, named=named)
    small = system_prompt(context, budget_tokens=estimate_tokens(full) - 60, named=named)
    assert "muddy" in small and "named tracks" in small  # the brief's words and its track
    assert "other tracks" in full and "other tracks" not in small  # the rest went first


def test_schemas_fit_their_share_of_the_budget():
    reading = read_brief("make it sound like a summer evening", tracks=TRACKS)
    for budget in (600, 1200, 3000):
        chosen = choose_tools(
            reading, track_names=NAMES, section_labels=SECTIONS, budget_tokens=budget
        )
        assert len(chosen) == 1 or schema_tokens(chosen) <= 0.4 * budget


# --- settings -----------------------------------------------------------------------------------
def llm_settings(env: dict[str, str], tmp_path: Path) -> LLMSettings:
    return LLMSettings.from_config(load_settings({"XDG_CONFIG_HOME": str(tmp_path), **env}))


def test_settings_default_to_bounded_streamed_requests(tmp_path):
    settings = llm_settings({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, tmp_path)
    assert settings.stream and settings.max_tokens == 512 and settings.timeout_s == 60
    assert settings.prompt_tokens == 1200 and not settings.hosted_openai and settings.key is None
    env = {"OPENAI_API_KEY": "sk-x-12345678", "MIXCHAT_LLM_STREAM": "0"}
    off = llm_settings({**env, "MIXCHAT_LLM_MAX_TOKENS": "200"}, tmp_path)
    assert not off.stream and off.max_tokens == 200 and off.hosted_openai
    assert "sk-x-12345678" not in repr(off)


def test_the_llm_needs_a_server_or_a_key(tmp_path):
    with pytest.raises(PlannerError, match="OPENAI_BASE_URL"):
        llm_settings({}, tmp_path)
