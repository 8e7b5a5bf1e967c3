"""The platform's own online forms, as the catalogue sees them: which services have one, and where it starts.

The applications app answers: it registers its source in its ``AppConfig.ready``. The catalogue does not
import it, so the catalogue works (and is tested) without it; then no service has an online form here and
the finder links only to a service's ``online_url``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["online_form_urls", "register_online_forms"]

#: Returns service id → the path where its online form starts, for every service with a published form.
OnlineFormSource = Callable[[], Mapping[int, str]]

_source: OnlineFormSource | None = None


def register_online_forms(source: OnlineFormSource) -> None:
    global _source
    _source = source


def online_form_urls() -> Mapping[int, str]:
    """Service id → start path of its online form on this platform (empty when no app provides forms)."""
    return _source() if _source is not None else {}
