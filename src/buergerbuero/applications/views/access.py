"""Who may use a citizen page of the applications: the logged-in citizen, with the login level that the
service asks for online. One place for the rule, used by the form, submission, case, file and payment
pages (each behind ``requires_assurance(AssuranceLevel.NONE)``, which lets only citizens in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest, HttpResponse

from buergerbuero.accounts.assurance import citizen_level, insufficient_assurance
from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.accounts.models import User

if TYPE_CHECKING:
    from buergerbuero.catalog.models import Service

__all__ = ["citizen_of", "service_level", "step_up"]


def citizen_of(request: HttpRequest) -> User:
    """The logged-in citizen (``requires_assurance`` lets nobody else in; anybody else is a 404)."""
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return user


def service_level(service: Service) -> AssuranceLevel:
    """The level of assurance ``service`` asks for online (an unknown stored value counts as high)."""
    try:
        return AssuranceLevel(int(service.online_assurance))
    except ValueError:
        return AssuranceLevel.HIGH


def step_up(request: HttpRequest, service: Service | None) -> HttpResponse | None:
    """The step-up page (403) when the citizen's login is weaker than ``service`` asks for, else ``None``."""
    needed = service_level(service) if service is not None else AssuranceLevel.NONE
    current = citizen_level(request)
    if current < needed:
        return insufficient_assurance(request, needed=needed, current=current)
    return None
