"""Django admin for the applications app: form versions, drafts, the file plan; cases read-only.

Day-to-day work happens in the back office; the admin is for support. A case's submitted data, its
hash and its uploads are evidence and never editable here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from .fileplan import FileNumberFormatError, validate_number_format
from .models import (
    Attachment,
    Case,
    CaseEvent,
    Draft,
    FileNumberCounter,
    FilePlan,
    FilePlanEntry,
    FormDefinition,
    Handoff,
    MailboxMessage,
)


@admin.register(FormDefinition)
class FormDefinitionAdmin(admin.ModelAdmin[FormDefinition]):
    list_display = ["service", "version", "status", "published_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["service__slug", "service__name_de"]
    readonly_fields = ["status", "published_at", "created_at", "created_by"]


@admin.register(Draft)
class DraftAdmin(admin.ModelAdmin[Draft]):
    list_display = ["public_id", "form", "citizen", "municipality", "step", "updated_at", "submitted_at"]
    list_filter = ["form__service"]
    readonly_fields = ["public_id", "citizen", "form", "municipality", "data", "step", "submitted_at"]


class FilePlanEntryInline(admin.TabularInline[FilePlanEntry, FilePlan]):
    model = FilePlanEntry
    extra = 0
    filter_horizontal = ["services"]


class FilePlanForm(forms.ModelForm[FilePlan]):
    """Refuses a file number format that would not give unique, readable file numbers."""

    class Meta:
        model = FilePlan
        fields = ["district", "number_format", "default_code"]

    def clean_number_format(self) -> str:
        number_format: str = self.cleaned_data["number_format"]
        try:
            validate_number_format(number_format)
        except FileNumberFormatError as error:
            raise forms.ValidationError(str(error), code="invalid_number_format") from error
        return number_format


@admin.register(FilePlan)
class FilePlanAdmin(admin.ModelAdmin[FilePlan]):
    form = FilePlanForm
    list_display = ["district", "number_format", "default_code"]
    inlines = [FilePlanEntryInline]


@admin.register(FileNumberCounter)
class FileNumberCounterAdmin(admin.ModelAdmin[FileNumberCounter]):
    list_display = ["plan", "code", "year", "last_value"]
    readonly_fields = ["plan", "code", "year", "last_value"]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = [
        "file_number",
        "service",
        "municipality",
        "state",
        "applicant_name",
        "submitted_at",
        "payment_state",
    ]
    list_filter = ["state", "payment_state", "municipality"]
    search_fields = ["file_number", "applicant_name"]
    list_select_related = ["service", "municipality"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "content_type", "size", "scan_status", "uploaded_at"]
    exclude = ["file"]


for model in (CaseEvent, MailboxMessage, Handoff):
    admin.site.register(model, ReadOnlyAdmin)
