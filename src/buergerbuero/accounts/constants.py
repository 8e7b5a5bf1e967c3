from django.db import models
from django.utils.translation import gettext_lazy as _


class UserKind(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    STAFF = "staff", _("Staff")


class Role(models.TextChoices):
    """Staff roles. All but DISTRICT_ADMIN are held per municipality."""

    CLERK = "clerk", _("Clerk")
    TEAM_LEAD = "team_lead", _("Team lead")
    MUNICIPALITY_ADMIN = "municipality_admin", _("Municipality administrator")
    DISTRICT_ADMIN = "district_admin", _("Kreis administrator")


class AssuranceLevel(models.IntegerChoices):
    """eIDAS level of assurance of a citizen's login, ordered so that higher is stronger."""

    NONE = 0, _("none")
    LOW = 1, _("low (normal)")
    SUBSTANTIAL = 2, _("substantial (substanziell)")
    HIGH = 3, _("high (hoch)")
