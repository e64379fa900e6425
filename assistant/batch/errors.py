"""Errors of ``mixchat batch`` (under ``MixError``)."""

from __future__ import annotations

from mixchat.dsp.errors import MixError


class BatchError(MixError):
    """A batch that cannot start: a bad songs folder, option, briefs file or cluster address."""
