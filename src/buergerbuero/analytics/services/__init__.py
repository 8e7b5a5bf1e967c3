"""Writes of the analytics app: citizens' ratings and survey answers, checklist counts."""

from __future__ import annotations

__all__ = ["FeedbackError"]


class FeedbackError(Exception):
    """A rating or survey answer that cannot be taken; ``message`` is shown to the citizen next to ``field``."""

    def __init__(self, message: str, *, field: str = "", code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
