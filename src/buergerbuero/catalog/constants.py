from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """Which level of government is responsible for a service."""

    MUNICIPALITY = "municipality", _("Municipality")
    DISTRICT = "district", _("Kreis")
    STATE = "state", _("Land")
    FEDERAL = "federal", _("Federal government")


class Channel(models.TextChoices):
    """How a citizen can use a service."""

    ONLINE = "online", _("Online application")
    APPOINTMENT = "appointment", _("By appointment")
    WALK_IN = "walk_in", _("Walk-in")
    POST = "post", _("By post")


class QuestionKind(models.TextChoices):
    """The kinds of question a service's questionnaire may ask (see ``catalog.conditions``)."""

    CHOICE = "choice", _("Choice")
    NUMBER = "number", _("Number")
    BOOLEAN = "boolean", _("Yes or no")


class FeedKind(models.TextChoices):
    """The kinds of record the catalogue feed publishes."""

    MUNICIPALITY = "municipality", _("Municipality")
    OFFICE = "office", _("Office")
    SERVICE = "service", _("Service")
    OFFERING = "offering", _("Offering")


#: The version of the catalogue feed's record format; part of the feed URL.
FEED_VERSION = 1
