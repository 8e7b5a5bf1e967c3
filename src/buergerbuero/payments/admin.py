from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Payment


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin[Payment]):
    """Payment attempts, read-only: they change only through the provider's verified answers."""

    list_display = ["public_id", "case", "amount", "provider", "status", "created_at", "paid_at"]
    list_filter = ["status", "provider"]
    search_fields = ["public_id", "provider_reference", "case__file_number"]
    list_select_related = ["case"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
