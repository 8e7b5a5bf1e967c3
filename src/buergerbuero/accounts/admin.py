"""The Django admin: for superusers only, behind the back-office sign-in and its second factor.

The admin has no login form of its own: ``/admin/login/`` sends people to the back-office sign-in,
which is throttled and asks for the TOTP code, so there is exactly one way in. The checks are
installed on the default site (``admin.site``) because every app registers its models there.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .constants import Role
from .models import StaffRole, User
from .permissions import SecondFactorStep, second_factor_step
from .services import grant_role, revoke_role


def admin_has_permission(request: HttpRequest) -> bool:
    """Active superusers of kind staff, verified by TOTP when ``STAFF_OTP_REQUIRED`` or when they have a device.

    This is ``django_otp.admin.OTPAdminSite.has_permission`` with two changes: ``is_superuser``
    instead of ``is_staff`` (municipal staff never use the admin), and the back office's rule for
    when a second factor is needed (``permissions.second_factor_step``).
    """
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_superuser):
        return False
    if getattr(user, "is_citizen", True):
        return False
    return second_factor_step(user) is SecondFactorStep.NONE


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin's login page is the back office's."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


admin.site.has_permission = admin_has_permission  # type: ignore[method-assign]
admin.site.login = admin_login  # type: ignore[method-assign]
admin.site.site_header = _("Bürgerbüro administration")
admin.site.site_title = _("Bürgerbüro administration")


class StaffRoleInline(admin.TabularInline[StaffRole, User]):
    """Roles are shown here; they are granted and revoked under "Staff roles", where it is audited."""

    model = StaffRole
    fk_name = "user"
    extra = 0
    fields = ("role", "municipality", "district")
    readonly_fields = ("role", "municipality", "district")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class StaffAndCitizenAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "get_full_name", "kind", "email", "is_active", "is_superuser", "last_login"]
    list_filter = ["kind", "is_active", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "email", "oidc_subject"]
    readonly_fields = ["oidc_issuer", "oidc_subject", "last_login", "date_joined"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (_("Kind and identity provider"), {"fields": ("kind", "oidc_issuer", "oidc_subject")}),
        (_("Profile"), {"fields": ("street", "postcode", "city", "birth_date", "phone")}),
    )
    inlines = [StaffRoleInline]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin[StaffRole]):
    """Granting and revoking go through the audited services; a role is never edited in place."""

    list_display = ["user", "role", "municipality", "district"]
    list_filter = ["role", "district", "municipality"]
    search_fields = ["user__username", "user__last_name", "municipality__name"]
    list_select_related = ["user", "municipality", "district"]
    autocomplete_fields = ["user", "municipality"]
    fields = ["user", "role", "municipality", "district"]
    actions = None

    def has_change_permission(self, request: HttpRequest, obj: StaffRole | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: StaffRole, form: Any, change: bool) -> None:
        granted = grant_role(
            actor=request.user if isinstance(request.user, User) else None,
            user=obj.user,
            role=Role(obj.role),
            municipality=obj.municipality,
            district=obj.district if obj.role == Role.DISTRICT_ADMIN else None,
        )
        obj.pk = granted.pk

    def delete_model(self, request: HttpRequest, obj: StaffRole) -> None:
        revoke_role(actor=request.user if isinstance(request.user, User) else None, staff_role=obj)
