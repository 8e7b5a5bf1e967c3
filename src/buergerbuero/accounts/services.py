"""Writes about staff accounts, roles and second factors. Each runs in one transaction and is audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from buergerbuero.core.audit import diff, log_action, snapshot
from buergerbuero.tenants.models import District, Municipality

from .claims import PROFILE_FIELDS, citizen_username, profile_from_claims
from .constants import Role, UserKind
from .models import StaffRole, User
from .oidc import IdentityConflict

__all__ = [
    "TOTP_DEVICE_NAME",
    "confirm_totp_device",
    "create_staff_member",
    "enrol_totp_device",
    "grant_role",
    "revoke_role",
    "update_citizen",
]

TOTP_DEVICE_NAME = "Authenticator"


@transaction.atomic
def create_staff_member(
    *,
    actor: User | None,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
) -> User:
    """A new staff account; without ``password`` it cannot sign in until one is set."""
    user = User(username=username, email=email, first_name=first_name, last_name=last_name, kind=UserKind.STAFF)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    log_action(actor=actor, action="accounts.user.created", obj=user, changes={"username": username})
    return user


@transaction.atomic
def grant_role(
    *,
    actor: User | None,
    user: User,
    role: Role,
    municipality: Municipality | None = None,
    district: District | None = None,
) -> StaffRole:
    """Give ``user`` a role in ``municipality``, or across ``district`` for a Kreis admin. Idempotent."""
    if user.is_citizen:
        raise ValidationError(_("Citizens cannot hold staff roles."))
    if role == Role.DISTRICT_ADMIN:
        if district is None or municipality is not None:
            raise ValidationError(_("A Kreis administrator's role belongs to a Kreis, not a municipality."))
        district_id = district.pk
    else:
        if municipality is None:
            raise ValidationError(_("This role belongs to a municipality."))
        district_id = municipality.district_id
    staff_role, created = StaffRole.objects.get_or_create(
        user=user,
        role=role,
        municipality=municipality,
        defaults={"district_id": district_id},
    )
    if created:
        log_action(
            actor=actor,
            action="accounts.staff_role.granted",
            obj=staff_role,
            municipality=municipality,
            changes={"user": user.get_username(), "role": str(role)},
        )
    return staff_role


@transaction.atomic
def revoke_role(*, actor: User | None, staff_role: StaffRole) -> None:
    """Take a role away; the staff member's next request already runs without it."""
    log_action(
        actor=actor,
        action="accounts.staff_role.revoked",
        obj=staff_role,
        municipality=staff_role.municipality,
        changes={"user": staff_role.user.get_username(), "role": staff_role.role},
    )
    staff_role.delete()


@transaction.atomic
def enrol_totp_device(*, user: User, actor: User | None) -> TOTPDevice:
    """The unconfirmed TOTP device ``user`` is setting up, created on first call.

    Calling it again (a reloaded enrolment page) returns the same device, so a QR code already
    scanned stays valid.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is not None:
        return device
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    log_action(actor=actor, action="accounts.totp_device.enrolled", obj=device)
    return device


@transaction.atomic
def confirm_totp_device(*, device: TOTPDevice, token: str, actor: User | None) -> bool:
    """Confirm ``device`` if ``token`` is a current code from it; other unconfirmed devices are removed."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.confirmed or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).delete()
    log_action(actor=actor, action="accounts.totp_device.confirmed", obj=device)
    return True


def update_citizen(*, issuer: str, claims: Mapping[str, Any]) -> User:
    """Find or create the citizen ``(issuer, claims["sub"])`` and refresh their profile from ``claims``.

    Claims the provider did not send leave the stored value as it is.
    """
    subject = claims["sub"]
    with transaction.atomic():
        user, created = User.objects.select_for_update().get_or_create(
            oidc_issuer=issuer,
            oidc_subject=subject,
            defaults={"kind": UserKind.CITIZEN, "username": citizen_username(issuer, subject)},
        )
        if not user.is_citizen:
            raise IdentityConflict(f"subject {subject!r} of {issuer} belongs to a {user.kind} account")
        before = snapshot(user, PROFILE_FIELDS)
        for name, value in profile_from_claims(claims).items():
            setattr(user, name, value)
        if created:
            user.set_unusable_password()
        changed = list(diff(before, snapshot(user, PROFILE_FIELDS)))
        if created or changed:
            user.save()
        if created:
            log_action(actor=user, action="accounts.citizen.create", obj=user)
        elif changed:
            # Only which fields changed: the values are personal data the audit log need not copy.
            log_action(actor=user, action="accounts.citizen.refresh_profile", obj=user, changes={"fields": changed})
    return user
