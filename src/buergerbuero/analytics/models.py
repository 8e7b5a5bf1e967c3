"""What statistics need beyond the rows the other apps keep: forecasts, standard times, and what citizens say.

Nothing here holds personal data:

* ``ForecastSlot`` — the expected arrivals and wait per office, day and hour, recomputed nightly.
* ``StandardTime`` — the Kreis's staff minutes per service on site and online, for "staff hours saved".
* ``ChecklistUse`` — how often a document checklist was completed per municipality, service and day
  (a visit or second visit the checklist probably avoided).
* ``Rating`` — an anonymous 1–5 rating with an optional comment after a visit or an application.
  ``RatingReceipt`` only remembers that a visit or case was rated (a keyed hash), in a table with no
  link to the rating, so the two cannot be joined.
* ``SurveyVote`` — the standing survey "what would you like to do online next?".
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from buergerbuero.core.tenancy import TenantManager


class ForecastSlot(models.Model):
    office = models.ForeignKey("tenants.Office", on_delete=models.CASCADE, related_name="forecast_slots")
    date = models.DateField(_("date"))
    hour = models.PositiveSmallIntegerField(_("hour"), validators=[MaxValueValidator(23)])
    expected_arrivals = models.FloatField(_("expected arrivals"))
    expected_wait_min = models.FloatField(_("expected wait (minutes)"))
    computed_at = models.DateTimeField(_("computed"))

    objects = TenantManager("office__municipality")

    class Meta:
        verbose_name = _("forecast slot")
        verbose_name_plural = _("forecast slots")
        ordering = ["office", "date", "hour"]
        constraints = [models.UniqueConstraint(fields=["office", "date", "hour"], name="one_forecast_per_office_hour")]

    def __str__(self) -> str:
        return f"{self.office_id} {self.date} {self.hour}:00"


class StandardTime(models.Model):
    """Staff minutes one case of a service takes, at the counter and online (KGSt-style standard times)."""

    district = models.ForeignKey("tenants.District", on_delete=models.CASCADE, related_name="standard_times")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="standard_times")
    on_site_minutes = models.PositiveSmallIntegerField(_("minutes per visit on site"))
    online_minutes = models.PositiveSmallIntegerField(_("minutes per online application"))

    class Meta:
        verbose_name = _("standard time")
        verbose_name_plural = _("standard times")
        constraints = [models.UniqueConstraint(fields=["district", "service"], name="one_standard_time_per_service")]

    def __str__(self) -> str:
        return f"{self.service}: {self.on_site_minutes} / {self.online_minutes} min"


class ChecklistUse(models.Model):
    """Completed document checklists per municipality (of the citizen's home), service and day."""

    municipality = models.ForeignKey(
        "tenants.Municipality", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("checklist use")
        verbose_name_plural = _("checklist uses")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "service", "day"], name="one_checklist_count_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.day}: {self.count}"


class RatingContext(models.TextChoices):
    VISIT = "visit", _("after a visit")
    APPLICATION = "application", _("after an online application")


class Rating(models.Model):
    """An anonymous rating: no user, no ticket, no case, only where, what and the day."""

    municipality = models.ForeignKey("tenants.Municipality", on_delete=models.CASCADE, related_name="+")
    office = models.ForeignKey("tenants.Office", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    context = models.CharField(_("context"), max_length=20, choices=RatingContext.choices)
    stars = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    day = models.DateField(_("day"))

    objects = TenantManager("municipality")

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-day", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stars__gte=1, stars__lte=5), name="rating_stars_1_to_5"),
        ]
        indexes = [models.Index(fields=["municipality", "day"], name="ratings_by_day")]

    def __str__(self) -> str:
        return f"{self.stars}★ {self.day}"


class RatingReceipt(models.Model):
    """That one visit or case was rated: a keyed hash of its id, unlinkable to the ``Rating``."""

    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("rating receipt")
        verbose_name_plural = _("rating receipts")

    def __str__(self) -> str:
        return self.key_hash[:12]


class SurveyVote(models.Model):
    """One answer to "what would you like to do online next?": a service, or a free suggestion."""

    district = models.ForeignKey("tenants.District", on_delete=models.CASCADE, related_name="+")
    municipality = models.ForeignKey(
        "tenants.Municipality", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey("catalog.Service", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    suggestion = models.CharField(_("suggestion"), max_length=200, blank=True)
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-day", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(service__isnull=True, suggestion=""), name="survey_vote_names_something"
            ),
        ]

    def __str__(self) -> str:
        return self.suggestion or str(self.service_id)
