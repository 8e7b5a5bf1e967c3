"""Citizen account pages: logging in with BundID (OpenID Connect), "Mein Bürgerbüro", logging out."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any, Final

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buergerbuero.core.links import absolute_url

from .. import oidc
from ..assurance import (
    ACR_FOR_LEVEL,
    LEVEL_EXPLANATIONS,
    citizen_level,
    citizen_logged_in_at,
    id_token_hint,
    is_citizen,
    level_from_acr,
    requires_assurance,
    start_citizen_session,
)
from ..constants import AssuranceLevel
from ..models import User
from ..services import update_citizen

logger = logging.getLogger(__name__)

#: Logins started but not yet finished, by state; a few, so that two tabs do not trip over each other.
_PENDING_LOGINS = "citizen_pending_logins"
_MAX_PENDING_LOGINS: Final = 5
#: How long the citizen may take at the provider before the started login is forgotten.
_PENDING_LOGIN_MAX_SECONDS: Final = 15 * 60

MESSAGES: Final = {
    "unavailable": _(
        "The BundID login is not available at the moment. Please try again in a few minutes "
        "or contact your citizen office."
    ),
    "state": _(
        "Your login could not be confirmed because it was started in another browser window or took too long. "
        "Please start the login again."
    ),
    "denied": _("You cancelled the login at BundID. You have not been logged in."),
    "provider_error": _("BundID could not log you in. Please start the login again."),
    "failed": _("Your login could not be completed because BundID did not confirm it. Please start the login again."),
    "conflict": _("This BundID identity cannot be used for a citizen account here."),
}


@require_http_methods(["GET", "POST"])
def login_start(request: HttpRequest) -> HttpResponse:
    """GET: what logging in means; POST (the button): off to the identity provider."""
    params = request.POST if request.method == "POST" else request.GET
    next_url = _safe_next(request, params.get("next"))
    required = level_from_acr(params.get("acr_values"))
    if request.method == "GET":
        return _login_page(request, next_url=next_url, required=required)
    try:
        metadata = oidc.provider_metadata()
    except oidc.ProviderUnavailable as error:
        logger.warning("citizen login: provider unavailable", extra={"error": str(error)})
        return _login_page(request, next_url=next_url, required=required, error=MESSAGES["unavailable"], status=503)
    redirect_uri = absolute_url(reverse("accounts:oidc_callback"))
    authorization = oidc.new_authorization_request(
        metadata,
        redirect_uri=redirect_uri,
        acr_values=ACR_FOR_LEVEL.get(required),
        ui_locales=getattr(request, "LANGUAGE_CODE", None),
    )
    _remember_pending_login(
        request,
        authorization.state,
        {
            "nonce": authorization.nonce,
            "code_verifier": authorization.code_verifier,
            "redirect_uri": redirect_uri,
            "next": next_url,
            "required": int(required),
            "started_at": int(time.time()),
        },
    )
    return HttpResponseRedirect(authorization.url)


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the citizen back here with a code (or an error) and our state."""
    pending = _take_pending_login(request, request.GET.get("state", ""))
    next_url = pending["next"] if pending else _safe_next(request, None)
    required = AssuranceLevel(pending["required"]) if pending else AssuranceLevel.NONE

    def failed(reason: str, status: int) -> HttpResponse:
        return _login_page(request, next_url=next_url, required=required, error=MESSAGES[reason], status=status)

    if error := request.GET.get("error"):
        if error == "access_denied":
            return failed("denied", 200)
        logger.warning("citizen login: provider reported an error", extra={"error": error[:100]})
        return failed("provider_error", 502)
    code = request.GET.get("code")
    if pending is None or not code:
        logger.warning("citizen login: unknown or expired state")
        return failed("state", 400)
    try:
        metadata = oidc.provider_metadata()
        tokens = oidc.exchange_code(
            metadata, code=code, redirect_uri=pending["redirect_uri"], code_verifier=pending["code_verifier"]
        )
        claims = oidc.verify_id_token(metadata, tokens.id_token, nonce=pending["nonce"])
        userinfo = oidc.fetch_userinfo(metadata, access_token=tokens.access_token, subject=claims["sub"])
        user = update_citizen(issuer=metadata.issuer, claims={**claims, **userinfo})
    except oidc.ProviderUnavailable as error:
        logger.warning("citizen login: provider unavailable", extra={"error": str(error)})
        return failed("unavailable", 502)
    except oidc.IdentityConflict as error:
        logger.warning("citizen login: identity conflict", extra={"error": str(error)})
        return failed("conflict", 403)
    except oidc.OidcError as error:
        logger.warning("citizen login failed", extra={"error": str(error)})
        return failed("failed", 502)

    # The ID token speaks for the authentication; userinfo only if the token says nothing.
    level = level_from_acr(claims["acr"] if claims.get("acr") is not None else userinfo.get("acr"))
    auth_time = claims.get("auth_time")
    start_citizen_session(
        request,
        user,
        level=level,
        id_token=tokens.id_token,
        id_token_expires_at=claims["exp"] if isinstance(claims["exp"], int) else None,
        authenticated_at=auth_time if isinstance(auth_time, int) else None,
    )
    if level < required:
        messages.warning(
            request,
            _("BundID confirmed your login with the level of assurance “%(level)s”, but you asked for “%(required)s”.")
            % {"level": level.label, "required": required.label},
        )
    return HttpResponseRedirect(next_url)


@requires_assurance(AssuranceLevel.NONE)
def my_office(request: HttpRequest) -> HttpResponse:
    level = citizen_level(request)
    logged_in_at = citizen_logged_in_at(request)
    return render(
        request,
        "accounts/citizen/my_office.html",
        {
            "citizen": request.user,
            "level": level,
            "level_explanation": LEVEL_EXPLANATIONS[level],
            "can_step_up": level < AssuranceLevel.HIGH,
            "step_up_acr_values": ACR_FOR_LEVEL[AssuranceLevel.HIGH],
            "logged_in_at": dt.datetime.fromtimestamp(logged_in_at, tz=dt.UTC) if logged_in_at else None,
            **_my_applications(request),
        },
    )


def _my_applications(request: HttpRequest) -> dict[str, Any]:
    """The "My applications" section: the five newest cases, the open drafts and the unread count."""
    from buergerbuero.applications import selectors_citizen
    from buergerbuero.applications.views.cases import draft_url

    citizen = request.user
    assert isinstance(citizen, User)  # noqa: S101 (requires_assurance let a citizen in)
    cases = list(selectors_citizen.cases_of(citizen)[:5])
    return {
        "recent_cases": [{"case": case, "status": selectors_citizen.status_text(case)} for case in cases],
        "open_drafts": [{"row": row, "url": draft_url(row)} for row in selectors_citizen.drafts_of(citizen)[:5]],
        "unread_messages": selectors_citizen.unread_count(citizen),
    }


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out here, and at the provider too if it offers RP-initiated logout."""
    was_citizen = is_citizen(request)
    hint = id_token_hint(request)
    logout(request)
    logged_out_url = reverse("accounts:logged_out")
    if was_citizen:
        try:
            metadata = oidc.provider_metadata()
        except oidc.ProviderUnavailable as error:
            logger.warning("citizen logout: provider unavailable, logged out locally", extra={"error": str(error)})
        else:
            provider_logout = oidc.end_session_url(
                metadata, id_token_hint=hint, post_logout_redirect_uri=absolute_url(logged_out_url)
            )
            if provider_logout is not None:
                return HttpResponseRedirect(provider_logout)
    return HttpResponseRedirect(logged_out_url)


@require_GET
def logged_out(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/citizen/logged_out.html")


# --- helpers ----------------------------------------------------------------------------


def _login_page(
    request: HttpRequest,
    *,
    next_url: str,
    required: AssuranceLevel,
    error: Any = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "accounts/citizen/login.html",
        {
            "next_url": next_url,
            "required": required,
            "acr_values": ACR_FOR_LEVEL.get(required, ""),
            "error": error,
            "idle_limit": _duration(settings.SESSION_COOKIE_AGE),
            "login_limit": _duration(settings.CITIZEN_SESSION_MAX_SECONDS),
        },
        status=status,
    )


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` if it stays on this site, else "Mein Bürgerbüro"."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("accounts:my_office")


def _remember_pending_login(request: HttpRequest, state: str, login: dict[str, Any]) -> None:
    pending: dict[str, dict[str, Any]] = request.session.get(_PENDING_LOGINS, {})
    newest = sorted(pending.items(), key=lambda item: item[1]["started_at"])[-(_MAX_PENDING_LOGINS - 1) :]
    request.session[_PENDING_LOGINS] = {**dict(newest), state: login}


def _take_pending_login(request: HttpRequest, state: str) -> dict[str, Any] | None:
    """The login started with ``state``, used up: each state is good for one return only."""
    pending: dict[str, dict[str, Any]] = request.session.get(_PENDING_LOGINS, {})
    login = pending.pop(state, None) if state else None
    request.session[_PENDING_LOGINS] = pending
    if login is None or time.time() - login["started_at"] > _PENDING_LOGIN_MAX_SECONDS:
        return None
    return login
