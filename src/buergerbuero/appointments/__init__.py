"""Appointments: capacity, booking, fairness, waitlist (for now only the pure capacity model)."""
