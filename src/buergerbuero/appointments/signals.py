"""Events of the appointments app that other apps may listen to.

``appointment_checked_in`` is sent once a citizen with an appointment has arrived and staff checked
them in (``services.staff.check_in``), after the transaction committed, with
``sender=Appointment`` and the keyword arguments ``appointment`` (the checked-in ``Appointment``)
and ``actor`` (the staff ``User``). The live queue of the queueing issue is meant to connect to it
and give the citizen a ticket; **nothing listens to it yet**, so a check-in currently only changes
the appointment's state.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["appointment_checked_in"]

appointment_checked_in = Signal()
