"""Writes of the applications app, one module per concern (drafts, submission, workflow, mailbox, …)."""

from __future__ import annotations

__all__ = ["ApplicationError"]


class ApplicationError(Exception):
    """A rule of the application process was not met; ``message`` is translated, for the citizen or clerk.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, *, field: str = "", code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
