"""The level of assurance of a citizen's login, and the checks services use to demand one.

A login carries the eIDAS level of assurance its identity provider confirmed in
the ``acr`` claim; the session keeps it for the login's lifetime. Services guard
their pages with ``@requires_assurance(AssuranceLevel.SUBSTANTIAL)`` and their
API handlers with ``assert_assurance(request, AssuranceLevel.SUBSTANTIAL)``.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from typing import Any, Concatenate, Final, ParamSpec
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from ninja.errors import HttpError

from .constants import AssuranceLevel

__all__ = [
    "ACR_FOR_LEVEL",
    "LEVEL_EXPLANATIONS",
    "SESSION_EXPIRED_MESSAGE",
    "assert_assurance",
    "citizen_level",
    "citizen_logged_in_at",
    "end_expired_citizen_session",
    "id_token_hint",
    "insufficient_assurance",
    "is_citizen",
    "level_from_acr",
    "login_url",
    "requires_assurance",
    "start_citizen_session",
]

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]

#: What the portal asks the identity provider for (``acr_values``) to get at least a level.
ACR_FOR_LEVEL: Final[dict[AssuranceLevel, str]] = {
    AssuranceLevel.LOW: "http://eidas.europa.eu/LoA/low",
    AssuranceLevel.SUBSTANTIAL: "http://eidas.europa.eu/LoA/substantial",
    AssuranceLevel.HIGH: "http://eidas.europa.eu/LoA/high",
}

_EIDAS_PREFIX = "http://eidas.europa.eu/loa/"
_EIDAS_WORDS = {
    "low": AssuranceLevel.LOW,
    "substantial": AssuranceLevel.SUBSTANTIAL,
    "high": AssuranceLevel.HIGH,
}
# Plain eIDAS words and the words of BSI TR-03107-1 ("normal", "substanziell", "hoch").
_WORDS = {
    **_EIDAS_WORDS,
    "normal": AssuranceLevel.LOW,
    "substanziell": AssuranceLevel.SUBSTANTIAL,
    "hoch": AssuranceLevel.HIGH,
}
_STORK = re.compile(r"stork-qaa-level-([1-4])")
_STORK_LEVELS = {
    "1": AssuranceLevel.LOW,
    "2": AssuranceLevel.LOW,
    "3": AssuranceLevel.SUBSTANTIAL,
    "4": AssuranceLevel.HIGH,
}

_SESSION_LEVEL = "citizen_assurance_level"
_SESSION_LOGIN_AT = "citizen_login_at"
_SESSION_AUTH_TIME = "citizen_auth_time"
_SESSION_ID_TOKEN = "citizen_id_token"  # noqa: S105 (a session key's name, not a secret)
_SESSION_ID_TOKEN_EXP = "citizen_id_token_exp"  # noqa: S105

SESSION_EXPIRED_MESSAGE = gettext_lazy(
    "Your login has expired and you have been logged out for your security. Please log in again."
)

#: What each level means for a citizen, for the account page and the step-up page.
LEVEL_EXPLANATIONS: Final[dict[AssuranceLevel, Any]] = {
    AssuranceLevel.NONE: gettext_lazy("Your identity provider has not confirmed how securely you were identified."),
    AssuranceLevel.LOW: gettext_lazy("You were identified with a user name and password."),
    AssuranceLevel.SUBSTANTIAL: gettext_lazy(
        "You were identified with a second factor, such as an ELSTER certificate."
    ),
    AssuranceLevel.HIGH: gettext_lazy(
        "You were identified with the online function of your identity card (Online-Ausweis, eID)."
    ),
}


def level_from_acr(acr: object) -> AssuranceLevel:
    """The level of assurance an ``acr`` claim states; anything unknown or missing is ``NONE``.

    Understood, case-insensitively: the eIDAS URIs ``http://eidas.europa.eu/LoA/low|substantial|high``;
    the words ``low|substantial|high`` and ``normal|substanziell|hoch`` (BSI TR-03107-1), also
    behind any ``urn:…:`` prefix; ``STORK-QAA-Level-1`` to ``-4`` (1 and 2 are low).
    """
    if not isinstance(acr, str):
        return AssuranceLevel.NONE
    value = acr.strip().lower()
    if value.startswith(_EIDAS_PREFIX):
        return _EIDAS_WORDS.get(value.removeprefix(_EIDAS_PREFIX), AssuranceLevel.NONE)
    if value.startswith("urn:"):
        value = value.rpartition(":")[2]
    if stork := _STORK.fullmatch(value):
        return _STORK_LEVELS[stork.group(1)]
    return _WORDS.get(value, AssuranceLevel.NONE)


# --- the citizen session ------------------------------------------------------------


def start_citizen_session(
    request: HttpRequest,
    user: Any,
    *,
    level: AssuranceLevel,
    id_token: str,
    id_token_expires_at: int | None,
    authenticated_at: int | None,
) -> None:
    """Log ``user`` in and remember what their login proved, and when it happened."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    now = int(time.time())
    request.session[_SESSION_LEVEL] = int(level)
    request.session[_SESSION_LOGIN_AT] = now
    request.session[_SESSION_AUTH_TIME] = authenticated_at if authenticated_at is not None else now
    request.session[_SESSION_ID_TOKEN] = id_token
    request.session[_SESSION_ID_TOKEN_EXP] = id_token_expires_at


def is_citizen(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and getattr(user, "is_citizen", False))


def citizen_level(request: HttpRequest) -> AssuranceLevel:
    """The level of assurance of the current login (``NONE`` unless a citizen is logged in)."""
    if not is_citizen(request):
        return AssuranceLevel.NONE
    try:
        return AssuranceLevel(request.session.get(_SESSION_LEVEL, AssuranceLevel.NONE))
    except ValueError:
        return AssuranceLevel.NONE


def citizen_logged_in_at(request: HttpRequest) -> int | None:
    value = request.session.get(_SESSION_LOGIN_AT)
    return value if isinstance(value, int) else None


def id_token_hint(request: HttpRequest) -> str | None:
    """The ID token of the current citizen login, for logging out at the provider too."""
    value = request.session.get(_SESSION_ID_TOKEN)
    return value if isinstance(value, str) and is_citizen(request) else None


def end_expired_citizen_session(request: HttpRequest) -> bool:
    """Log the citizen out if their login is older than ``CITIZEN_SESSION_MAX_SECONDS``; say whether it was.

    Activity keeps a session alive for ``SESSION_COOKIE_AGE`` at a time, but no
    login lasts longer than the maximum, however active the citizen is.
    """
    if not is_citizen(request):
        return False
    logged_in_at = citizen_logged_in_at(request)
    if logged_in_at is not None and time.time() - logged_in_at < settings.CITIZEN_SESSION_MAX_SECONDS:
        return False
    logout(request)
    return True


# --- demanding a level ----------------------------------------------------------------


def login_url(next_url: str, level: AssuranceLevel = AssuranceLevel.NONE) -> str:
    """The citizen login page, returning to ``next_url`` and asking for at least ``level``."""
    query = {"next": next_url}
    if level in ACR_FOR_LEVEL:
        query["acr_values"] = ACR_FOR_LEVEL[level]
    return f"{reverse('accounts:login')}?{urlencode(query)}"


def requires_assurance(level: AssuranceLevel) -> Callable[[View[P]], View[P]]:
    """Let only citizens logged in with at least ``level`` into the decorated view.

    Anybody else is sent to the login page (asking the provider for ``level``);
    a citizen whose login is too weak gets a page (HTTP 403) that explains the
    difference and offers to log in again with the Online-Ausweis.
    ``AssuranceLevel.NONE`` admits every logged-in citizen.
    """

    def decorator(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def guarded(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            if end_expired_citizen_session(request):
                messages.warning(request, SESSION_EXPIRED_MESSAGE)
                return HttpResponseRedirect(login_url(request.get_full_path(), level))
            if not is_citizen(request):
                return HttpResponseRedirect(login_url(request.get_full_path(), level))
            current = citizen_level(request)
            if current < level:
                return insufficient_assurance(request, needed=level, current=current)
            return view(request, *args, **kwargs)

        return guarded

    return decorator


def insufficient_assurance(request: HttpRequest, *, needed: AssuranceLevel, current: AssuranceLevel) -> HttpResponse:
    """The step-up page: which level the service needs, which the citizen has, how to get it."""
    return render(
        request,
        "accounts/citizen/insufficient_assurance.html",
        {
            "needed": needed,
            "current": current,
            "current_explanation": LEVEL_EXPLANATIONS[current],
            "next_url": request.get_full_path(),
            "acr_values": ACR_FOR_LEVEL.get(needed, ""),
        },
        status=403,
    )


def assert_assurance(request: HttpRequest, level: AssuranceLevel) -> None:
    """For API handlers: raise ``HttpError`` unless a citizen is logged in with at least ``level``.

    401 when nobody (or no citizen) is logged in or the login has expired, 403 when the login is too weak.
    """
    if end_expired_citizen_session(request):
        raise HttpError(401, str(SESSION_EXPIRED_MESSAGE))
    if not is_citizen(request):
        raise HttpError(401, gettext("Please log in with your BundID first."))
    current = citizen_level(request)
    if current < level:
        raise HttpError(
            403,
            gettext(
                "This service needs a login with the level of assurance “%(needed)s”; your login has “%(current)s”. "
                "Please log in again with your Online-Ausweis (eID)."
            )
            % {"needed": level.label, "current": current.label},
        )
