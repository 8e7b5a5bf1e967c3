from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .metrics import LATENCY, REQUESTS
from .tenancy import scopes_disabled, tenant_scope

logger = logging.getLogger("buergerbuero.request")

GetResponse = Callable[[HttpRequest], HttpResponse]

#: Paths whose views work on municipality-owned data for staff; everything else is the public portal.
STAFF_PATH_PREFIXES = ("/backoffice/", "/api/backoffice/")


class RequestMetricsMiddleware:
    """Counts requests and their latency per route (the URL pattern, never the raw path)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else "unmatched"
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        LATENCY.labels(request.method, route).observe(elapsed)
        logger.info(
            "request",
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
            },
        )
        return response


def content_security_policy() -> str:
    """The configured policy; unless it says otherwise, forms may post to us and lead to the identity provider."""
    policy: str = settings.CONTENT_SECURITY_POLICY
    if "form-action" in policy:
        return policy
    issuer = urlsplit(settings.OIDC_ISSUER)
    return f"{policy}; form-action 'self' {issuer.scheme}://{issuer.netloc}"


class SecurityHeadersMiddleware:
    """Headers Django does not set itself: Content-Security-Policy and Permissions-Policy."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        return response


class TenantScopeMiddleware:
    """Enters the tenant scope once per request.

    Staff paths see only the municipalities the signed-in staff member has a
    role in (all of them for a Kreis admin); an anonymous or non-staff request
    on a staff path sees none. The public portal shows every municipality's
    public data, so it runs unrestricted; citizens' own records are filtered by
    owner in the selectors.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(STAFF_PATH_PREFIXES):
            from buergerbuero.accounts.selectors import staff_municipality_ids

            ids = staff_municipality_ids(request.user)
            if ids is None:
                with scopes_disabled():
                    return self.get_response(request)
            with tenant_scope(ids):
                return self.get_response(request)
        with scopes_disabled():
            return self.get_response(request)
