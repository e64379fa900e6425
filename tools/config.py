"""Every setting mixchat reads from outside the session, validated in one place.

Settings come from environment variables and an optional TOML config file; the environment
wins. The file is ``$MIXCHAT_CONFIG`` when set (it must then exist), else
``$XDG_CONFIG_HOME/mixchat/config.toml`` (``~/.config/mixchat/config.toml``), which may be
absent. Its keys are the variables' names in lower case without the ``MIXCHAT_`` prefix
(``model``, ``planner``, ``cache_mb``, ``openai_base_url``...). ``OPENAI_API_KEY`` is read from
the environment only, so a config file never holds a secret.

Nothing is read at import. Callers ask ``load_settings()`` where a value is used; a bad value
raises ``ConfigError`` with one line naming the variable (or the file and key) and what it
accepts. The API key is a ``SecretStr``: it is never part of a message, a repr or a log.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from mixchat.tools.errors import ConfigError

CONFIG_VARIABLE = "MIXCHAT_CONFIG"
DEFAULT_MODEL = "gpt-4o-mini"
MAX_RETRIES = 5
SECRET_FIELDS = frozenset({"openai_api_key"})


def use_one_blas_thread() -> None:
    """The engine runs its own work on threads (tracks, buses, meters); BLAS threads on top
    of those only spin against them (on a busy two-core machine a small matrix product took
    40 times the CPU). One BLAS thread unless OPENBLAS_NUM_THREADS says otherwise; it takes
    effect when this runs before numpy is imported (the mixchat command does so first)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def worker_blas_env() -> dict[str, str]:
    """The BLAS thread count worker processes mixchat starts get (a batch's Ray workers): one,
    as ``use_one_blas_thread`` gives this process, unless OPENBLAS_NUM_THREADS says otherwise."""
    return {"OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}


class Settings(BaseModel):
    """The settings, with their defaults. Each field's description says what it accepts."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    openai_api_key: SecretStr | None = Field(default=None, description="an API key")
    openai_base_url: str | None = Field(
        default=None, description="an http:// or https:// URL of an OpenAI-compatible API"
    )
    model: str = Field(default=DEFAULT_MODEL, min_length=1, description="a model name")
    planner: Literal["offline", "llm"] | None = Field(
        default=None, description="offline or llm (unset: the LLM when configured, else offline)"
    )
    llm_timeout_s: float = Field(
        default=60.0, ge=0.1, le=600.0, description="a number of seconds from 0.1 to 600"
    )
    llm_deadline_s: float = Field(
        default=40.0, ge=1.0, le=3600.0, description="a number of seconds from 1 to 3600"
    )
    llm_retries: int = Field(
        default=2, ge=0, le=MAX_RETRIES, description=f"a whole number from 0 to {MAX_RETRIES}"
    )
    llm_max_steps: int = Field(default=6, ge=1, le=20, description="a whole number from 1 to 20")
    llm_max_tokens: int = Field(
        default=512, ge=16, le=32768, description="a whole number of tokens from 16 to 32768"
    )
    llm_prompt_tokens: int = Field(
        default=1200, ge=500, le=200000, description="a whole number of tokens from 500 to 200000"
    )
    llm_stream: bool = Field(default=True, description="1/0, true/false, yes/no or on/off")
    llm_fallback: Literal["offline"] | None = Field(
        default=None,
        description="offline (the offline plan, labelled, when the LLM fails or makes no change) or unset",
    )
    cache_mb: int = Field(default=3000, ge=0, description="a whole number of megabytes, 0 or more")
    debug: bool = Field(default=False, description="1/0, true/false, yes/no or on/off")

    @field_validator("planner", "llm_fallback", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("openai_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("not an http(s) URL")
        return value.rstrip("/")

    @property
    def api_key(self) -> str | None:
        """The key itself, for the client that sends it (and for scrubbing it from errors)."""
        return self.openai_api_key.get_secret_value() if self.openai_api_key else None

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None or self.openai_base_url is not None


def variable(field: str) -> str:
    """The environment variable of a setting: OPENAI_BASE_URL, MIXCHAT_CACHE_MB..."""
    return field.upper() if field.startswith("openai_") else f"MIXCHAT_{field.upper()}"


VARIABLES = {variable(field): field for field in Settings.model_fields}


def config_path(environ: Mapping[str, str]) -> tuple[Path, bool]:
    """(path of the config file, whether the user named it with MIXCHAT_CONFIG)."""
    named = environ.get(CONFIG_VARIABLE, "").strip()
    if named:
        return Path(named).expanduser(), True
    base = environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(base) / "mixchat" / "config.toml", False


def _file_values(environ: Mapping[str, str]) -> dict[str, tuple[Any, str]]:
    path, named = config_path(environ)
    if not path.is_file():
        if named:
            raise ConfigError(f"{CONFIG_VARIABLE}={str(path)!r} is not a file; fix or unset it")
        return {}
    if sys.version_info >= (3, 11):  # imported here: its regexes cost every command ~30 ms
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the config file ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error}); fix or remove it") from None
    values = {}
    for key, value in data.items():
        if key in SECRET_FIELDS:
            raise ConfigError(
                f"{path}: keep the API key out of files; set {variable(key)} in the environment"
            )
        if key not in Settings.model_fields:
            known = ", ".join(f for f in Settings.model_fields if f not in SECRET_FIELDS)
            raise ConfigError(f"{path}: unknown setting {key!r}; known settings: {known}")
        values[key] = (value, f"{path}: {key} = ")
    return values


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from the environment (``os.environ`` by default) over the config file."""
    env = os.environ if environ is None else environ
    values = _file_values(env)
    for name, field in VARIABLES.items():
        raw = env.get(name, "").strip()
        if raw:
            values[field] = (raw, f"{name}=")
    try:
        return Settings.model_validate({field: value for field, (value, _) in values.items()})
    except ValidationError as error:
        field = str(error.errors()[0]["loc"][0])
        value, where = values[field]
        accepts = Settings.model_fields[field].description
        shown = "(hidden)" if field in SECRET_FIELDS else repr(value)
        raise ConfigError(f"{where}{shown} must be {accepts}") from None


def default_for_libraries(values: Mapping[str, str]) -> None:
    """Set environment variables that a library mixchat starts reads (Ray's usage stats off,
    for ``mixchat batch``), unless the user set them: mixchat writes them, never reads them."""
    for name, value in values.items():
        os.environ.setdefault(name, value)
