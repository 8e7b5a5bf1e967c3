from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketState(models.TextChoices):
    VIRTUAL = "virtual", _("drawn remotely, not yet checked in")
    WAITING = "waiting", _("waiting")
    CALLED = "called", _("called")
    SERVING = "serving", _("being served")
    PARKED = "parked", _("parked")
    DONE = "done", _("done")
    NO_SHOW = "no_show", _("did not come when called")
    CANCELLED = "cancelled", pgettext_lazy("queue ticket", "cancelled")
    EXPIRED = "expired", _("expired at closing time")


#: Tickets that are in the office today and still need a counter.
OPEN_STATES = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING, TicketState.PARKED)
#: Tickets that belong to a counter right now.
AT_COUNTER_STATES = (TicketState.CALLED, TicketState.SERVING)
FINAL_STATES = (TicketState.DONE, TicketState.NO_SHOW, TicketState.CANCELLED, TicketState.EXPIRED)


class TicketSource(models.TextChoices):
    KIOSK = "kiosk", _("ticket machine")
    REMOTE = "remote", _("app or portal")
    APPOINTMENT = "appointment", _("appointment check-in")
    STAFF = "staff", _("issued by staff")


class RemoteTickets(models.TextChoices):
    OFF = "off", _("not offered")
    CHECK_IN = "check_in", _("virtual ticket, active after check-in at the office")
    DIRECT = "direct", _("active at once")


class Priority(models.IntegerChoices):
    NORMAL = 0, _("normal")
    ACCESSIBILITY = 1, _("accessibility needs")
    APPOINTMENT = 2, _("appointment within its time window")


class TicketEventKind(models.TextChoices):
    DRAWN = "drawn", pgettext_lazy("queue ticket", "drawn")
    CHECKED_IN = "checked_in", _("checked in")
    CALLED = "called", _("called")
    RECALLED = "recalled", _("called again")
    STARTED = "started", _("service started")
    PARKED = "parked", _("parked")
    RESUMED = "resumed", _("called back from parking")
    TRANSFERRED = "transferred", _("transferred")
    POSTPONED = "postponed", _("moved back")
    FINISHED = "finished", _("finished")
    NO_SHOW = "no_show", _("no-show")
    CANCELLED = "cancelled", pgettext_lazy("queue ticket", "cancelled")
    EXPIRED = "expired", _("expired")
    ALERTED = "alerted", _("pre-call alert sent")


class QueueStatus(models.TextChoices):
    """What the occupancy page and the kiosk show for an office right now."""

    OPEN = "open", _("open")
    TICKET_STOP = "ticket_stop", _("ticket stop: no more tickets today")
    CLOSED = "closed", _("closed")
