from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand

from buergerbuero.notifications.webpush import generate_vapid_key, private_key_to_base64url, public_key_to_base64url


class Command(BaseCommand):
    help = "Print a new VAPID key pair for Web Push: the private key for WEBPUSH_VAPID_PRIVATE_KEY and its public key."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--pem", action="store_true", help="print the private key as PEM instead of base64url")

    def handle(self, *args: Any, pem: bool, **options: Any) -> None:
        key = generate_vapid_key()
        if pem:
            self.stdout.write(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                ).decode(),
                ending="",
            )
        else:
            self.stdout.write(f"WEBPUSH_VAPID_PRIVATE_KEY={private_key_to_base64url(key)}")
        self.stdout.write(
            f"# public key (the browser's applicationServerKey): {public_key_to_base64url(key.public_key())}"
        )
