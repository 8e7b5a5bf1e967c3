"""The business rules of the live queue: drawing tickets (``tickets``) and serving them (``counters``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.utils.functional import Promise

from buergerbuero.core.tenancy import scopes_disabled

_P = ParamSpec("_P")
_R = TypeVar("_R")


def acts_on_given_objects(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """The services act on the office, ticket or session they are given; the caller (a view under the
    request's tenant scope, or a task) has already found it in scope. Related rows are read unscoped."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with scopes_disabled():
            return func(*args, **kwargs)

    return wrapper


class QueueError(Exception):
    """A queue action that is not possible now; ``message`` is translated and shown to the user."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)
