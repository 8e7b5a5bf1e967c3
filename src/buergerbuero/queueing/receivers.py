"""Signals from other apps that the live queue acts on."""

from __future__ import annotations

from typing import Any


def _appointment_checked_in(sender: Any, appointment: Any, actor: Any = None, **kwargs: Any) -> None:
    from .services.tickets import ticket_for_appointment

    ticket_for_appointment(appointment, actor=actor)


def connect() -> None:
    from buergerbuero.appointments.signals import appointment_checked_in

    appointment_checked_in.connect(_appointment_checked_in, dispatch_uid="queueing.appointment_checked_in")
