"""mixchat.tools.config: every MIXCHAT_* / OPENAI_* setting read in one place, validated, with
one-line errors at the point of use (never at import), an optional TOML file, a hidden key."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixchat.tools.config import VARIABLES, Settings, load_settings, variable
from mixchat.tools.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SECRET = "sk-test-do-not-leak-0123456789"


def settings(env: dict[str, str], tmp_path: Path) -> Settings:
    """Settings from exactly ``env``, with the default config file looked for in tmp_path."""
    return load_settings({"XDG_CONFIG_HOME": str(tmp_path), **env})


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mixchat" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    got = settings({}, tmp_path)
    assert got == Settings()
    assert (got.model, got.planner, got.cache_mb, got.llm_retries) == ("gpt-4o-mini", None, 3000, 2)
    assert not got.llm_configured and got.api_key is None


def test_environment_values_are_parsed(tmp_path: Path) -> None:
    got = settings(
        {
            "OPENAI_API_KEY": SECRET,
            "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1/",
            "MIXCHAT_MODEL": " llama3.1 ",
            "MIXCHAT_PLANNER": "LLM",
            "MIXCHAT_LLM_TIMEOUT_S": "2.5",
            "MIXCHAT_LLM_RETRIES": "0",
            "MIXCHAT_LLM_MAX_STEPS": "20",
            "MIXCHAT_LLM_STREAM": "on",
            "MIXCHAT_LLM_FALLBACK": "offline",
            "MIXCHAT_CACHE_MB": "0",
            "MIXCHAT_DEBUG": "1",
        },
        tmp_path,
    )
    assert got.api_key == SECRET and got.openai_base_url == "http://127.0.0.1:11434/v1"
    assert (got.model, got.planner, got.llm_timeout_s) == ("llama3.1", "llm", 2.5)
    assert (got.llm_retries, got.llm_max_steps, got.llm_stream) == (0, 20, True)
    assert (got.llm_fallback, got.cache_mb, got.debug) == ("offline", 0, True)
    assert SECRET not in repr(got) and SECRET not in str(got.model_dump())


def test_empty_values_mean_unset(tmp_path: Path) -> None:
    assert settings({name: " " for name in VARIABLES}, tmp_path) == Settings()


@pytest.mark.parametrize(
    ("name", "value", "accepts"),
    [
        ("MIXCHAT_CACHE_MB", "lots", "whole number of megabytes"),
        ("MIXCHAT_CACHE_MB", "-5", "0 or more"),
        ("MIXCHAT_LLM_TIMEOUT_S", "-1", "0.1 to 600"),
        ("MIXCHAT_LLM_RETRIES", "1.5", "0 to 5"),
        ("MIXCHAT_LLM_MAX_STEPS", "0", "1 to 20"),
        ("MIXCHAT_LLM_MAX_TOKENS", "5", "16 to 32768"),
        ("MIXCHAT_LLM_PROMPT_TOKENS", "lots", "500 to 200000"),
        ("MIXCHAT_LLM_STREAM", "maybe", "on/off"),
        ("MIXCHAT_LLM_FALLBACK", "retry", "offline"),
        ("MIXCHAT_PLANNER", "gpt", "offline or llm"),
        ("MIXCHAT_DEBUG", "verbose", "on/off"),
        ("OPENAI_BASE_URL", "localhost:11434", "http://"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    tmp_path: Path, name: str, value: str, accepts: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings({name: value, "OPENAI_API_KEY": SECRET}, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{name}={value!r} must be ") and accepts in message
    assert "\n" not in message and SECRET not in message


def test_every_setting_has_a_variable_and_says_what_it_accepts() -> None:
    assert set(VARIABLES.values()) == set(Settings.model_fields)
    assert all(name.startswith(("MIXCHAT_", "OPENAI_")) for name in VARIABLES)
    assert all(field.description for field in Settings.model_fields.values())
    assert (
        variable("cache_mb") == "MIXCHAT_CACHE_MB"
        and variable("openai_api_key") == "OPENAI_API_KEY"
    )


def test_the_config_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        'model = "qwen2.5"\nplanner = "offline"\ncache_mb = 500\nllm_stream = true\n'
        'openai_base_url = "http://localhost:8080/v1"\n',
    )
    got = settings({}, tmp_path)
    assert (got.model, got.planner, got.cache_mb, got.llm_stream) == (
        "qwen2.5",
        "offline",
        500,
        True,
    )
    assert got.llm_configured
    got = settings({"MIXCHAT_CACHE_MB": "900", "MIXCHAT_PLANNER": "llm"}, tmp_path)
    assert (got.cache_mb, got.planner, got.model) == (900, "llm", "qwen2.5")


def test_mixchat_config_names_the_file(tmp_path: Path) -> None:
    named = tmp_path / "elsewhere.toml"
    named.write_text("llm_retries = 4\n", encoding="utf-8")
    assert settings({"MIXCHAT_CONFIG": str(named)}, tmp_path).llm_retries == 4
    with pytest.raises(ConfigError, match=r"^MIXCHAT_CONFIG='.*missing.toml' is not a file"):
        settings({"MIXCHAT_CONFIG": str(tmp_path / "missing.toml")}, tmp_path)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("cache_mb = 'lots'\n", "config.toml: cache_mb = 'lots' must be a whole number"),
        ("cahce_mb = 500\n", "unknown setting 'cahce_mb'; known settings: openai_base_url"),
        ("cache_mb = \n", "not valid TOML"),
        (f'openai_api_key = "{SECRET}"\n', "set OPENAI_API_KEY in the environment"),
    ],
)
def test_a_bad_config_file_is_one_line_naming_file_and_key(
    tmp_path: Path, text: str, needle: str
) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        settings({}, tmp_path)
    message = str(caught.value)
    assert message.startswith(str(path)) and needle in message
    assert "\n" not in message and SECRET not in message


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mixchat.assistant", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_bad_value_fails_at_use_not_at_import(tmp_path: Path) -> None:
    """Importing reads nothing; the command that needs the cache says one line, exit 1."""
    env = {"MIXCHAT_CACHE_MB": "lots"}
    imported = subprocess.run(
        [sys.executable, "-c", "import mixchat.tools.engine, mixchat.assistant.cli.main"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr
    stems = tmp_path / "stems"
    stems.mkdir()
    tone = 0.1 * np.sin(2 * np.pi * 220 * np.arange(44100) / 44100)
    sf.write(stems / "keys.wav", np.stack([tone, tone]).T, 44100)
    proc = _cli("new", str(stems), "-s", str(tmp_path / "s.mix"), env=env)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == (
        "mixchat: MIXCHAT_CACHE_MB='lots' must be a whole number of megabytes, 0 or more"
    )
    assert "Traceback" not in proc.stderr


def test_only_the_config_module_reads_the_environment() -> None:
    readers = []
    for folder in ("dsp", "tools", "assistant"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "tools" / "config.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in (
                    "environ",
                    "getenv",
                    "environb",
                ):
                    readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == []


def test_the_readme_documents_every_variable() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in [*VARIABLES, "MIXCHAT_CONFIG"] if f"`{name}`" not in section]
    assert missing == []
