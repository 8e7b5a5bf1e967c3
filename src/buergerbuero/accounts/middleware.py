from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from .assurance import SESSION_EXPIRED_MESSAGE, end_expired_citizen_session


class CitizenSessionMiddleware:
    """Ends a citizen's login once it is older than ``CITIZEN_SESSION_MAX_SECONDS``, on every page.

    ``requires_assurance`` checks the same on the pages it guards; this makes the limit hold
    everywhere, so an old login never lingers on public pages or in the navigation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if end_expired_citizen_session(request):
            messages.warning(request, SESSION_EXPIRED_MESSAGE)
        return self.get_response(request)
