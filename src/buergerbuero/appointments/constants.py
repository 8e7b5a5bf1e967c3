from django.db import models
from django.utils.translation import gettext_lazy as _


class AppointmentState(models.TextChoices):
    HELD = "held", _("reserved (being booked)")
    BOOKED = "booked", _("booked")
    CHECKED_IN = "checked_in", _("checked in")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("reservation expired")
    RELEASED = "released", _("released (reminder not answered)")
    NO_SHOW = "no_show", _("did not come")


# States in which an appointment occupies capacity now (cancelled ones until their capacity returns).
ACTIVE_STATES = (AppointmentState.HELD, AppointmentState.BOOKED, AppointmentState.CHECKED_IN)
# States that count against a person's cap per service.
OPEN_STATES = (AppointmentState.HELD, AppointmentState.BOOKED)


class BookingChannel(models.TextChoices):
    ONLINE = "online", _("online")
    API = "api", _("API")
    PHONE = "phone", _("by phone (staff)")
    COUNTER = "counter", _("at the counter (staff)")
    WAITLIST = "waitlist", _("waitlist offer")
    LOTTERY = "lottery", _("release lottery")


class WaitlistState(models.TextChoices):
    WAITING = "waiting", _("waiting")
    OFFERED = "offered", _("time offered")
    BOOKED = "booked", _("booked")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("withdrawn")


class LotteryState(models.TextChoices):
    OPEN = "open", _("open for entries")
    DRAWN = "drawn", _("drawn")
    CANCELLED = "cancelled", _("cancelled")


class LotteryEntryState(models.TextChoices):
    ENTERED = "entered", _("entered")
    WON = "won", _("won an appointment")
    LOST = "lost", _("not drawn")
    WITHDRAWN = "withdrawn", _("withdrawn")
