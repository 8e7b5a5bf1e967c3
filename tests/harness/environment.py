"""Loaded with ``-p`` before pytest-django reads the settings: the values the settings module insists on."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("STAFF_OTP_REQUIRED", "true")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("WEBPUSH_VAPID_DEV_KEY", "true")
# The demo loads in tests with two weeks of history instead of a year (tests/demo/test_history.py asks for more).
os.environ.setdefault("DEMO_HISTORY_DAYS", "14")
# Free days and times are computed fresh for every request: tests book and then read at once
# (tests/appointments/test_availability_cache.py switches the cache on).
os.environ.setdefault("APPOINTMENTS_AVAILABILITY_CACHE_SECONDS", "0")
# Every committed message kicks its own dispatch: a marker left by one test must not hold back the
# next one's mail (tests/core/test_outbox.py switches the coalescing on).
os.environ.setdefault("OUTBOX_KICK_SECONDS", "0")
# A setup change committed by the test process reaches a live server process at once.
os.environ.setdefault("APPOINTMENTS_SETUP_CHECK_SECONDS", "0")
