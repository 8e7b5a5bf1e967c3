"""``{% staff_may_open "inbox:index" municipality as may_inbox %}``: whether the signed-in staff member may open a
municipality's back-office page, so that the navigation shows a link exactly to the roles its view admits.

The answer comes from the view itself: :func:`~buergerbuero.accounts.permissions.staff_view` keeps the roles a
view requires on the wrapper (``staff_roles``), and the roles held are those ``staff_view`` put on the request
(``request.staff_roles``), or, on a page not guarded by it, looked up once per request. A page linked from the
navigation that is not a ``staff_view`` is a programming error and fails loudly.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import ImproperlyConfigured
from django.urls import resolve, reverse

from buergerbuero.tenants.models import Municipality

from ..permissions import roles_allow
from ..selectors import staff_roles_in

register = template.Library()

_MISSING = object()


def _held_roles(request: Any, municipality: Municipality) -> frozenset[str]:
    held = getattr(request, "staff_roles", None)
    if held is None:
        cache: dict[int, frozenset[str]] = request.__dict__.setdefault("_staff_nav_roles", {})
        if municipality.pk not in cache:
            cache[municipality.pk] = frozenset(staff_roles_in(request.user, municipality))
        held = cache[municipality.pk]
    return frozenset(held)


@register.simple_tag(takes_context=True)
def staff_may_open(context: template.Context, url_name: str, municipality: Municipality) -> bool:
    """Whether the request's staff member may open the page ``url_name`` of ``municipality``."""
    request = context.get("request")
    if request is None or municipality is None:
        return False
    view = resolve(reverse(url_name, args=[municipality.slug])).func
    required = getattr(view, "staff_roles", _MISSING)
    if required is _MISSING:
        raise ImproperlyConfigured(f"{url_name} is linked from the staff navigation but is not a staff_view")
    return roles_allow(_held_roles(request, municipality), required)  # type: ignore[arg-type]
