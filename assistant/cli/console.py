"""Terminal output for the command line: one JSON object on stdout, progress on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

from mixchat.assistant.turn.jsonable import json_ready

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """Strict JSON: a value that is not a finite number (the loudness of silence is -inf)
    is written as null, not as -Infinity, which JSON parsers such as jq refuse."""
    text = json.dumps(json_ready(data), ensure_ascii=False, allow_nan=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


@contextmanager
def progress_bar(
    description: str, *, quiet: bool = False
) -> Iterator[Callable[[str, float], None]]:
    """A progress callback ``(label, fraction)`` drawn on stderr (silent when quiet or piped)."""
    if quiet or not err.is_terminal:
        yield lambda label, fraction: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[label]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=1.0, label="")

        def update(label: str, fraction: float) -> None:
            bar.update(task, completed=max(0.0, min(1.0, fraction)), label=label)

        yield update
