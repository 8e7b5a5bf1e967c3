"""Signals of the applications app."""

from django.dispatch import Signal

#: Sent inside the submission's transaction once a new case exists (``case=``); receivers create
#: hand-offs (XGewerbeanzeige, FIT-Connect) whose delivery then goes through the outbox.
case_submitted = Signal()
