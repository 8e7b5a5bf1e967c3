"""Back-office pages: staff sign-in with a second factor, start pages, settings and the audit log.

Signing in is two steps. The password step only remembers, in the session, who is signing in;
``django.contrib.auth.login`` runs once the TOTP code is accepted (or right away when no second
factor applies), so no other part of the site ever sees a half-authenticated staff member.
"""

from __future__ import annotations

import datetime as dt
import math
from base64 import b32encode
from typing import Any

import segno
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device, verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from buergerbuero.core.client_ip import client_ip
from buergerbuero.core.models import AuditEntry
from buergerbuero.tenants.forms import MunicipalityBrandingForm
from buergerbuero.tenants.models import Municipality
from buergerbuero.tenants.selectors import offices_of
from buergerbuero.tenants.services import update_municipality_branding

from ..constants import Role, UserKind
from ..forms import StaffLoginForm, TokenForm
from ..models import User
from ..permissions import (
    SecondFactorStep,
    StaffRequest,
    roles_allow,
    second_factor_step,
    staff_login_required,
    staff_view,
)
from ..selectors import is_district_admin, staff_municipalities, staff_roles_in
from ..services import confirm_totp_device, enrol_totp_device
from ..throttling import LoginThrottle

#: Who may change a municipality's settings and read its audit log (a Kreis admin always may).
ADMIN_ROLES = (Role.MUNICIPALITY_ADMIN,)
AUDIT_LOG_PAGE_SIZE = 50

_PENDING_SESSION_KEY = "backoffice_pending_login"
#: How long a correct password is remembered while the staff member fetches their code.
_PENDING_MAX_AGE = dt.timedelta(minutes=10)


# --- sign-in ---------------------------------------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("backoffice:start")


def _step_url(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _throttled_message(retry_at: dt.datetime) -> str:
    # Round up to the minute: a staff member told "09:46" must not be refused at 09:46.
    local = timezone.localtime(retry_at)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return _("Too many failed attempts. For your protection, please try again after %(time)s.") % {
        "time": format_date(local, "H:i")
    }


def _throttled_response(
    request: HttpRequest, template: str, context: dict[str, Any], retry_at: dt.datetime
) -> HttpResponse:
    context["form"].add_error(None, _throttled_message(retry_at))
    context["retry_at"] = retry_at
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(max(1, math.ceil((retry_at - timezone.now()).total_seconds())))
    return response


def _signing_in(request: HttpRequest) -> tuple[User, str | None] | None:
    """The staff member between password and code: ``(user, backend)`` if only the password is done,
    ``(user, None)`` if they are signed in but still owe the second factor; else ``None``."""
    pending = request.session.get(_PENDING_SESSION_KEY)
    if pending is not None:
        started = dt.datetime.fromtimestamp(pending["started"], tz=dt.UTC)
        user = User.objects.filter(pk=pending["user_id"], is_active=True, kind=UserKind.STAFF).first()
        if user is not None and timezone.now() - started < _PENDING_MAX_AGE:
            return user, str(pending["backend"])
        del request.session[_PENDING_SESSION_KEY]
    if request.user.is_authenticated and request.user.is_active and not getattr(request.user, "is_citizen", True):
        return request.user, None
    return None


def _backend_of(user: User) -> str:
    """The authentication backend that ``authenticate`` recorded on ``user``."""
    return str(getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]))


def _complete_sign_in(request: HttpRequest, user: User, backend: str | None, device: TOTPDevice | None) -> None:
    request.session.pop(_PENDING_SESSION_KEY, None)
    if backend is not None:
        auth_login(request, user, backend=backend)
    else:
        # Already signed in, now with a second factor: a new session id for the raised privilege.
        request.session.cycle_key()
    if device is not None:
        otp_login(request, device)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    already_signed_in = (
        request.user.is_authenticated
        and not getattr(request.user, "is_citizen", True)
        and second_factor_step(request.user) is SecondFactorStep.NONE
    )
    if request.method == "GET" and "next" not in request.GET and already_signed_in:
        return redirect("backoffice:start")
    form = StaffLoginForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        throttle = LoginThrottle(kind="password", username=username, ip=client_ip(request))
        retry_at = throttle.retry_at()
        if retry_at is not None:
            return _throttled_response(request, "accounts/staff/login.html", context, retry_at)
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if not isinstance(user, User) or user.kind != UserKind.STAFF:
            throttle.record_failure()
            retry_at = throttle.retry_at()
            if retry_at is not None:
                return _throttled_response(request, "accounts/staff/login.html", context, retry_at)
            form.add_error(None, _("The username or the password is not correct."))
            return render(request, "accounts/staff/login.html", context)
        throttle.reset_username()
        step = second_factor_step(user)
        if step is SecondFactorStep.NONE:
            _complete_sign_in(request, user, _backend_of(user), None)
            return HttpResponseRedirect(next_url)
        request.session.cycle_key()
        request.session[_PENDING_SESSION_KEY] = {
            "user_id": user.pk,
            "backend": _backend_of(user),
            "started": timezone.now().timestamp(),
        }
        target = "backoffice:otp_verify" if step is SecondFactorStep.VERIFY else "backoffice:otp_enrol"
        return HttpResponseRedirect(_step_url(target, next_url))
    return render(request, "accounts/staff/login.html", context)


def _check_code(
    request: HttpRequest, user: User, form: TokenForm, device: TOTPDevice, template: str, context: dict[str, Any]
) -> HttpResponse | None:
    """Apply both throttles before a code is checked: ours (per username and IP) and the device's
    own back-off. Returns the refusal to send, or ``None`` to go on checking the code."""
    throttle = LoginThrottle(kind="otp", username=user.get_username(), ip=client_ip(request))
    retry_at = throttle.retry_at()
    if retry_at is not None:
        return _throttled_response(request, template, context, retry_at)
    allowed, details = device.verify_is_allowed()
    if not allowed and details and "locked_until" in details:
        seconds = max(1, math.ceil((details["locked_until"] - timezone.now()).total_seconds()))
        form.add_error(
            None,
            ngettext(
                "Please wait %(seconds)d second before entering another code.",
                "Please wait %(seconds)d seconds before entering another code.",
                seconds,
            )
            % {"seconds": seconds},
        )
        return render(request, template, context, status=429)
    return None


def _wrong_code(
    request: HttpRequest, user: User, form: TokenForm, template: str, context: dict[str, Any]
) -> HttpResponse:
    throttle = LoginThrottle(kind="otp", username=user.get_username(), ip=client_ip(request))
    throttle.record_failure()
    retry_at = throttle.retry_at()
    if retry_at is not None:
        return _throttled_response(request, template, context, retry_at)
    form.add_error("token", _("This code is not correct or has expired. Please enter the current code."))
    return render(request, template, context)


@sensitive_post_parameters("token")
@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    signing_in = _signing_in(request)
    if signing_in is None:
        return HttpResponseRedirect(_step_url("backoffice:login", next_url))
    user, backend = signing_in
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        return HttpResponseRedirect(_step_url("backoffice:otp_enrol", next_url))
    if backend is None and second_factor_step(request.user) is SecondFactorStep.NONE:
        return HttpResponseRedirect(next_url)
    template = "accounts/staff/otp_verify.html"
    form = TokenForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "next": next_url, "staff_member": user}
    if request.method == "POST" and form.is_valid():
        refused = _check_code(request, user, form, device, template, context)
        if refused is not None:
            return refused
        if verify_token(user, device.persistent_id, form.cleaned_data["token"]) is None:
            return _wrong_code(request, user, form, template, context)
        LoginThrottle(kind="otp", username=user.get_username(), ip=client_ip(request)).reset_username()
        _complete_sign_in(request, user, backend, device)
        return HttpResponseRedirect(next_url)
    return render(request, template, context)


def _qr_code_svg(device: TOTPDevice) -> SafeString:
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=2, title=_("QR code for your authenticator app"), svgclass="totp-qr-code"
    )
    # role="img" makes screen readers announce the <title>; segno escapes the title it writes,
    # and everything else it writes is path data, so the markup is safe.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308


def _readable_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@sensitive_post_parameters("token")
@never_cache
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    signing_in = _signing_in(request)
    if signing_in is None:
        return HttpResponseRedirect(_step_url("backoffice:login", next_url))
    user, backend = signing_in
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        # Adding a device needs the existing one: nobody with only a password can enrol their own.
        return HttpResponseRedirect(_step_url("backoffice:otp_verify", next_url))
    device = enrol_totp_device(user=user, actor=user)
    template = "accounts/staff/otp_enrol.html"
    form = TokenForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {
        "form": form,
        "next": next_url,
        "staff_member": user,
        "qr_code": _qr_code_svg(device),
        "secret": _readable_secret(device),
        "required": settings.STAFF_OTP_REQUIRED,
    }
    if request.method == "POST" and form.is_valid():
        refused = _check_code(request, user, form, device, template, context)
        if refused is not None:
            return refused
        if not confirm_totp_device(device=device, token=form.cleaned_data["token"], actor=user):
            return _wrong_code(request, user, form, template, context)
        LoginThrottle(kind="otp", username=user.get_username(), ip=client_ip(request)).reset_username()
        device.refresh_from_db()
        _complete_sign_in(request, user, backend, device)
        messages.success(request, _("Two-factor authentication is set up."))
        return HttpResponseRedirect(next_url)
    return render(request, template, context)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, _("You have been signed out."))
    return redirect("backoffice:login")


# --- pages -------------------------------------------------------------------------------------------


@never_cache
@staff_login_required
def start(request: StaffRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/staff/start.html",
        {
            "municipalities": staff_municipalities(user),
            "is_district_admin": is_district_admin(user),
            "can_enrol": not user_has_device(user, confirmed=True),
        },
    )


def _municipality_context(request: StaffRequest, municipality: Municipality) -> dict[str, Any]:
    return {
        "municipality": municipality,
        "can_administer": roles_allow(staff_roles_in(request.user, municipality), ADMIN_ROLES),
    }


@never_cache
@staff_view()
def municipality_start(request: StaffRequest, municipality: Municipality) -> HttpResponse:
    context = _municipality_context(request, municipality)
    context["offices"] = offices_of(municipality)
    return render(request, "accounts/staff/municipality.html", context)


@never_cache
@staff_view(roles=ADMIN_ROLES)  # outside the method check: others get a 404, never a 405
@require_http_methods(["GET", "POST"])
def municipality_settings(request: StaffRequest, municipality: Municipality) -> HttpResponse:
    # A fresh instance: form validation writes into it, and the page header must keep the saved name.
    form = MunicipalityBrandingForm(
        request.POST if request.method == "POST" else None, instance=Municipality.objects.get(pk=municipality.pk)
    )
    if request.method == "POST" and form.is_valid():
        update_municipality_branding(municipality=municipality, actor=request.user, data=form.branding_data())
        messages.success(request, _("The settings have been saved."))
        return redirect("backoffice:municipality_settings", municipality_slug=municipality.slug)
    context = _municipality_context(request, municipality)
    context["form"] = form
    return render(request, "accounts/staff/settings.html", context)


def _field_label(entry: AuditEntry, name: str) -> str:
    try:
        model = apps.get_model(entry.object_type) if entry.object_type else None
        return str(model._meta.get_field(name).verbose_name) if model is not None else name
    except (LookupError, ValueError, FieldDoesNotExist):
        return name


def _describe_changes(entry: AuditEntry) -> list[dict[str, Any]]:
    """``{field, old, new}`` rows; ``old`` is absent for values recorded without a before-state."""
    rows = []
    for name, value in entry.changes.items():
        row: dict[str, Any] = {"field": _field_label(entry, name)}
        if isinstance(value, list) and len(value) == 2:  # [old, new] from core.audit.diff
            row.update(old=value[0], new=value[1], is_change=True)
        else:
            row.update(new=value, is_change=False)
        rows.append(row)
    return rows


@never_cache
@staff_view(roles=ADMIN_ROLES)
@require_http_methods(["GET"])
def audit_log(request: StaffRequest, municipality: Municipality) -> HttpResponse:
    entries = AuditEntry.objects.filter(municipality=municipality).order_by("-created_at", "-id")
    page = Paginator(entries, AUDIT_LOG_PAGE_SIZE).get_page(request.GET.get("seite"))
    context = _municipality_context(request, municipality)
    context["page"] = page
    context["rows"] = [{"entry": entry, "changes": _describe_changes(entry)} for entry in page.object_list]
    return render(request, "accounts/staff/audit_log.html", context)
