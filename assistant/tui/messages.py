"""Messages the chat UI's workers post back to the app (thread-safe via post_message)."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from mixchat.assistant.turn.result import TurnResult


class BriefDone(Message):
    def __init__(self, result: TurnResult, *, seconds: float) -> None:
        super().__init__()
        self.result, self.seconds = result, seconds


class CompareDone(Message):
    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self.data = data


class WorkFailed(Message):
    def __init__(self, what: str, error: str) -> None:
        super().__init__()
        self.what, self.error = what, error


class WorkNote(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
