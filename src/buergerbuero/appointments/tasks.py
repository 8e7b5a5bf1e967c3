"""Periodic work of appointments (run by ``manage.py db_worker``, enqueued by ``manage.py run_scheduler``).

Every task is Kreis-wide and opts out of the tenant scope visibly; each is safe to run twice at once
(the services claim their rows with conditional updates). The waitlist and lottery functions are
imported inside their task, so a missing one fails only that task.
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from buergerbuero.core.tenancy import scopes_disabled


@task()
def return_capacity() -> int:
    """Give back the cells of expired holds and of cancelled or released appointments past their delay."""
    from .services.booking import return_due_capacity

    with scopes_disabled():
        return return_due_capacity(now=timezone.now())


@task()
def release_booking_windows() -> int:
    """Release the cells of every office's booking window, so each new day becomes bookable; returns
    how many cells were created. Appointments a capacity change no longer fits are left to staff (the
    capacity page lists them when it makes the change)."""
    from buergerbuero.tenants.models import Office

    from .services.booking import release_capacity

    created = 0
    with scopes_disabled():
        for office in Office.objects.filter(booking_policy__is_active=True):
            created += release_capacity(office, now=timezone.now()).created
    return created


@task()
def send_reminders() -> int:
    """Queue the reminders that are due ("still coming?")."""
    from .services.attendance import send_due_reminders

    with scopes_disabled():
        return send_due_reminders(timezone.now())


@task()
def release_unanswered() -> int:
    """Release appointments whose reminder went unanswered (offices that ask for it)."""
    from .services.attendance import release_unanswered as release

    with scopes_disabled():
        return release(timezone.now())


@task()
def expire_waitlist_offers() -> int:
    """End waitlist offers nobody accepted in time and offer the times to the next in line."""
    from .services.waitlist import expire_offers  # type: ignore[attr-defined,unused-ignore]

    with scopes_disabled():
        return int(expire_offers(timezone.now()))


@task()
def draw_lotteries() -> int:
    """Draw the release lotteries whose entry period has ended."""
    from .services.lottery import draw_due  # type: ignore[import-not-found,unused-ignore]

    with scopes_disabled():
        return int(draw_due(timezone.now()))
