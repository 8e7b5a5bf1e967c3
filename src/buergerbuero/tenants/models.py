"""The tenants: a Kreis (District), its municipalities and their offices.

District and Municipality are the tenants themselves and are public; Office,
its opening hours and counters belong to one municipality and are reached only
through the tenant scope (``TenantManager``).
"""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from buergerbuero.core.tenancy import TenantManager

from .constants import MunicipalityKind, Weekday

ags_validator = RegexValidator(r"^\d{8}$", _("The AGS has exactly 8 digits."))
ars_validator = RegexValidator(r"^\d{12}$", _("The ARS has exactly 12 digits."))
colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb."))


class District(models.Model):
    """A Kreis that runs the platform together with its municipalities."""

    name = models.CharField(_("name"), max_length=200)
    ars = models.CharField(_("regional key (ARS)"), max_length=5, unique=True, help_text=_("5 digits, e.g. 05162"))
    slug = models.SlugField(_("slug"), unique=True)
    primary_color = models.CharField(
        _("primary colour"), max_length=7, default="#004b87", validators=[colour_validator]
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=50, blank=True)
    website = models.URLField(_("website"), blank=True)
    imprint_url = models.URLField(_("imprint URL"), blank=True)
    privacy_url = models.URLField(_("privacy policy URL"), blank=True)
    state_code = models.CharField(
        _("Land"), max_length=2, default="NW", help_text=_("ISO 3166-2 subdivision code of the Land, e.g. NW")
    )

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """A Gemeinde or Stadt: the tenant that owns offices, services and cases.

    The Kreis's own administration (vehicle registration, driving licences) is a
    tenant of kind ``DISTRICT_ADMINISTRATION`` with the Kreis-level keys
    (AGS ``05162000``, ARS ``051620000000``), so it owns offices and cases the same way.
    """

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="municipalities")
    kind = models.CharField(
        _("kind"), max_length=30, choices=MunicipalityKind.choices, default=MunicipalityKind.MUNICIPALITY
    )
    name = models.CharField(_("name"), max_length=200)
    official_name = models.CharField(_("official name"), max_length=200, blank=True)
    ags = models.CharField(_("municipality key (AGS)"), max_length=8, unique=True, validators=[ags_validator])
    ars = models.CharField(_("regional key (ARS)"), max_length=12, unique=True, validators=[ars_validator])
    slug = models.SlugField(_("slug"), unique=True, help_text=_("Entry URL of the municipality, e.g. kaarst"))
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    area_km2 = models.DecimalField(_("area (km²)"), max_digits=8, decimal_places=2, null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Branding: each municipality keeps its own look.
    primary_color = models.CharField(
        _("primary colour"), max_length=7, default="#004b87", validators=[colour_validator]
    )
    coat_of_arms = models.FileField(_("coat of arms or logo"), upload_to="branding/", blank=True)
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=50, blank=True)
    website = models.URLField(_("website"), blank=True)
    imprint_url = models.URLField(_("imprint URL"), blank=True)
    privacy_url = models.URLField(_("privacy policy URL"), blank=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/{self.slug}/"


class Office(models.Model):
    """A Standort: a place where citizens are served."""

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="offices")
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"))
    street = models.CharField(_("street"), max_length=200)
    house_number = models.CharField(_("house number"), max_length=20)
    postcode = models.CharField(_("postcode"), max_length=5)
    city = models.CharField(_("city"), max_length=100)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    accessibility = models.CharField(
        _("accessibility"), max_length=300, blank=True, help_text=_("e.g. step-free access, lift, induction loop")
    )

    objects = TenantManager("municipality")

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["municipality__name", "name"]
        constraints = [models.UniqueConstraint(fields=["municipality", "slug"], name="office_slug_per_municipality")]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        return f"{self.street} {self.house_number}, {self.postcode} {self.city}"


class OpeningHours(models.Model):
    """One opening interval on a weekday; a lunch break is two intervals."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    objects = TenantManager("office__municipality")

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=models.Q(opens__lt=models.F("closes")), name="opening_interval_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class ClosingDay(models.Model):
    """A local closure (staff outing, Rosenmontag afternoon) beyond public holidays."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="closing_days")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = TenantManager("office__municipality")

    class Meta:
        verbose_name = _("closing day")
        verbose_name_plural = _("closing days")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["office", "date"], name="one_closing_per_office_and_day")]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y}"


class Counter(models.Model):
    """A Schalter or Arbeitsplatz in an office."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="counters")
    name = models.CharField(_("name"), max_length=100, help_text=_("As shown on the call display, e.g. Platz 3"))
    is_active = models.BooleanField(_("active"), default=True)

    objects = TenantManager("office__municipality")

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        ordering = ["office", "name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="counter_name_per_office")]

    def __str__(self) -> str:
        return f"{self.office.name} – {self.name}"
