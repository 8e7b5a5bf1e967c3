"""Who may enter the back office, and who may try to sign in.

* :func:`staff_login_required` guards every back-office page: a signed-in staff member who has
  passed the second factor whenever one applies (see :func:`second_factor_step`).
* :func:`staff_view` additionally resolves ``municipality_slug`` through the tenant scope and the
  staff member's roles; anything they may not see is a 404, never a 403, so that the existence of
  another municipality's pages is not revealed.
* :class:`LoginThrottle` counts failed sign-in attempts (passwords and TOTP codes) per username and
  per client IP in Django's cache, which is shared by every process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device

from buergerbuero.core.tenancy import ScopeError, current_scope
from buergerbuero.tenants.selectors import municipality_by_slug

from .constants import Role
from .models import User
from .selectors import is_district_admin, staff_roles_in

__all__ = [
    "SecondFactorStep",
    "StaffRequest",
    "kreis_admin_view",
    "roles_allow",
    "second_factor_step",
    "staff_login_required",
    "staff_view",
]

View = Callable[..., HttpResponse]


class StaffRequest(HttpRequest):
    """The request a guarded view receives: ``user`` is a signed-in staff member; ``staff_roles`` (set by
    :func:`staff_view`) the roles they hold in the view's municipality."""

    user: User
    staff_roles: frozenset[str]


# --- second factor -------------------------------------------------------------------------------


class SecondFactorStep(Enum):
    NONE = "none"  # nothing (more) to do
    VERIFY = "verify"  # has a confirmed device: enter a code
    ENROL = "enrol"  # must set up a device first


def second_factor_step(user: Any) -> SecondFactorStep:
    """What a password-authenticated staff member still has to do before entering the back office.

    Whoever has a confirmed TOTP device is always asked for a code; without one, enrolment is
    required only when ``STAFF_OTP_REQUIRED`` is set.
    """
    if callable(getattr(user, "is_verified", None)) and user.is_verified():
        return SecondFactorStep.NONE
    if user_has_device(user, confirmed=True):
        return SecondFactorStep.VERIFY
    if settings.STAFF_OTP_REQUIRED:
        return SecondFactorStep.ENROL
    return SecondFactorStep.NONE


def staff_login_required(view: View) -> View:
    """Anonymous visitors go to the login page, citizens get a 404, staff finish their second factor first."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_active or getattr(user, "is_citizen", True):
            raise Http404
        step = second_factor_step(user)
        if step is not SecondFactorStep.NONE:
            target = "backoffice:otp_verify" if step is SecondFactorStep.VERIFY else "backoffice:otp_enrol"
            return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return guarded


def kreis_admin_view(view: View) -> View:
    """Guard a Kreis-wide back-office page (the catalogue, the Kreis's statistics): signed-in Kreis
    administrators only, a 404 for other staff."""

    @staff_login_required
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_district_admin(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    guarded.staff_roles = frozenset({Role.DISTRICT_ADMIN})  # type: ignore[attr-defined]
    return guarded


# --- municipality views -----------------------------------------------------------------------------


def roles_allow(held: Iterable[str], required: Iterable[str] | None) -> bool:
    """Whether holding ``held`` satisfies a view that needs one of ``required`` (``None``: any role).

    A Kreis admin may do everything in the municipalities of their Kreis.
    """
    held = set(held)
    if not held:
        return False
    if required is None or Role.DISTRICT_ADMIN in held:
        return True
    return bool(held & set(required))


def staff_view(*, roles: Iterable[Role] | None = None) -> Callable[[View], View]:
    """Guard a view under ``/backoffice/<slug:municipality_slug>/``.

    The view is called as ``view(request, *args, municipality=..., **kwargs)``. A municipality
    outside the request's tenant scope, or one where the staff member holds none of ``roles``
    (``None``: any role), is a 404. The required roles are kept on the wrapper as
    ``staff_roles`` so that the isolation tests can check every view generically.
    """
    required = frozenset(roles) if roles is not None else None

    def decorate(view: View) -> View:
        @staff_login_required
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, municipality_slug: str, **kwargs: Any) -> HttpResponse:
            scope = current_scope()
            if scope is None:
                raise ScopeError("staff views run in the tenant scope entered by TenantScopeMiddleware")
            municipality = municipality_by_slug(municipality_slug)  # 404 for an unknown slug
            if not scope.allows(municipality.pk):
                raise Http404
            held = frozenset(staff_roles_in(request.user, municipality))
            if not roles_allow(held, required):
                raise Http404
            request.staff_roles = held  # type: ignore[attr-defined]  # the view needs not ask again
            return view(request, *args, municipality=municipality, **kwargs)

        guarded.staff_roles = required  # type: ignore[attr-defined]
        return guarded

    return decorate
