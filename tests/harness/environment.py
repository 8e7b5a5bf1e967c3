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
