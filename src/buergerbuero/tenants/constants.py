from django.db import models
from django.utils.translation import gettext_lazy as _


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class MunicipalityKind(models.TextChoices):
    """A tenant is a Gemeinde/Stadt, or the Kreis's own administration (e.g. its Straßenverkehrsamt)."""

    MUNICIPALITY = "municipality", _("Municipality")
    DISTRICT_ADMINISTRATION = "district_administration", _("District administration")
