from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .constants import Role, UserKind


class User(AbstractUser):
    """A citizen (identified by their OpenID Connect subject) or a staff member (password + TOTP)."""

    kind = models.CharField(_("kind"), max_length=10, choices=UserKind.choices, default=UserKind.STAFF)
    # Citizens: the identity provider's issuer and subject identify them, nothing else.
    oidc_issuer = models.CharField(_("identity provider"), max_length=300, blank=True)
    oidc_subject = models.CharField(_("subject at the identity provider"), max_length=255, blank=True)
    # Profile data for prefilling forms, refreshed from the provider's claims at each login.
    street = models.CharField(_("street and house number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["oidc_issuer", "oidc_subject"],
                condition=~models.Q(oidc_subject=""),
                name="one_account_per_oidc_subject",
            )
        ]

    @property
    def is_citizen(self) -> bool:
        return self.kind == UserKind.CITIZEN


class StaffRole(models.Model):
    """A staff member's role in one municipality, or across the Kreis for a Kreis admin."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    municipality = models.ForeignKey(
        "tenants.Municipality", on_delete=models.CASCADE, null=True, blank=True, related_name="staff_roles"
    )
    district = models.ForeignKey("tenants.District", on_delete=models.CASCADE, related_name="staff_roles")

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "municipality", "role"], name="one_role_per_municipality"),
            models.CheckConstraint(
                condition=(models.Q(role=Role.DISTRICT_ADMIN, municipality__isnull=True))
                | (~models.Q(role=Role.DISTRICT_ADMIN) & models.Q(municipality__isnull=False)),
                name="district_admin_has_no_municipality",
            ),
        ]

    def __str__(self) -> str:
        where = self.municipality or self.district
        return f"{self.user} – {self.get_role_display()} ({where})"
