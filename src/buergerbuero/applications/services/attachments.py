"""Uploads: take a file in (checked, scanned, stored privately), remove it, hand it on to the case.

* :func:`store_upload` copies the upload into ``PRIVATE_MEDIA_ROOT/incoming`` (never more than the
  limit), checks the content (``uploads.check_file``), asks the scanner, and only then moves it under
  a random name to ``attachments/`` and records it. On a draft, the new attachment's public ID is added
  to the draft's data at ``field`` (a file field's value is the list of its attachments' IDs), so the
  caller must not add it again. Any failure leaves no file behind.
* :func:`remove_attachment` takes a file off a draft before it is submitted.
* :func:`adopt_draft_attachments` (called by the submission) moves the draft's files that the
  submitted data still names to the case and deletes the rest; :func:`adopt_message_attachments` does
  the same for a mailbox answer.
* :func:`delete_orphans` (a periodic task) removes uploads that never reached a case and files on
  disk no row knows.

The download links (``citizen_file_url``, ``staff_file_url``) live in ``selectors_files`` and are
re-exported here for callers that expect them next to the uploads.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerbuero.accounts.models import User
from buergerbuero.core.audit import log_action
from buergerbuero.tenants.models import Municipality

from .. import formdef
from ..constants import Direction, ScanStatus
from ..formdef_paths import iter_strings
from ..models import Attachment, Case, Draft, MailboxMessage, private_storage
from ..scanning import ScannerUnavailable, get_scanner
from ..selectors_files import citizen_file_url, staff_file_url
from ..uploads import (
    UploadLimits,
    UploadRejected,
    check_file,
    copy_limited,
    default_limits,
    limits_for_field,
    safe_filename,
    too_many,
)
from . import ApplicationError

__all__ = [
    "adopt_draft_attachments",
    "adopt_message_attachments",
    "citizen_file_url",
    "delete_orphans",
    "remove_attachment",
    "staff_file_url",
    "store_upload",
]

logger = logging.getLogger(__name__)

INCOMING = "incoming"
STORED = "attachments"


class _Incoming(File):  # type: ignore[type-arg]
    """A checked file in ``incoming/``; the storage moves it into place instead of copying it."""

    def temporary_file_path(self) -> str:
        return str(self.name)


def store_upload(
    *,
    owner: User,
    upload: File,  # type: ignore[type-arg]
    field: str = "",
    draft: Draft | None = None,
    message: MailboxMessage | None = None,
    limits: UploadLimits | None = None,
) -> Attachment:
    """Check, scan and store ``upload`` for ``owner`` on ``draft`` (at ``field``) or ``message``.

    Raises ``ApplicationError(message, field=field)`` with a message for the citizen when the file is
    refused; nothing is stored then. ``limits`` default to the draft form's ``field`` (or the settings).
    """
    if draft is not None and message is not None:
        raise ValueError("an upload belongs to a draft or to a message, not both")
    _check_target(owner, draft, message, field)
    limits = limits or _limits_of(draft, field)
    incoming = _receive(upload, limits, field)
    try:
        try:
            checked = check_file(incoming, limits, already=_count(draft, message, field))
        except UploadRejected as rejected:
            raise ApplicationError(rejected.message, field=field, code=rejected.code) from None
        status = _scan(incoming, owner=owner, field=field, sha512=checked.sha512)
        with transaction.atomic():
            _lock_and_recount(owner, draft, message, field, limits)
            now = timezone.now()
            attachment = Attachment(
                owner=owner,
                draft=draft,
                message=message,
                field=field,
                original_name=_original_name(upload, checked.content_type),
                content_type=checked.content_type,
                size=checked.size,
                sha512=checked.sha512,
                scan_status=status,
                uploaded_at=now,
            )
            attachment.file.save("upload", _Incoming(None, name=str(incoming)), save=False)
            try:
                attachment.save(force_insert=True)
                if draft is not None and field:
                    _add_to_data(draft, field, str(attachment.public_id))
                log_action(
                    actor=owner,
                    action="applications.attachment.upload",
                    obj=attachment,
                    municipality=_municipality_of(draft, message),
                    changes={"field": field, "content_type": checked.content_type, "size": checked.size},
                )
            except BaseException:
                private_storage.delete(attachment.file.name)
                raise
        return attachment
    finally:
        incoming.unlink(missing_ok=True)


def remove_attachment(*, owner: User, attachment: Attachment) -> None:
    """Take ``attachment`` off its draft (and out of the draft's data); only its owner, only before submitting."""
    with transaction.atomic():
        locked = Attachment.objects.select_for_update().filter(pk=attachment.pk).first()
        if locked is None or locked.owner_id != owner.pk:
            raise ApplicationError(_("This file is not one of yours."), field=attachment.field, code="not_owner")
        draft = Draft.objects.select_for_update().filter(pk=locked.draft_id).first() if locked.draft_id else None
        if locked.case_id is not None or locked.message_id is not None or (draft and draft.submitted_at):
            raise ApplicationError(
                _("This file has already been sent with your application and can no longer be removed."),
                field=locked.field,
                code="submitted",
            )
        if draft is not None:
            draft.data = _without(draft.data, str(locked.public_id))
            draft.save(update_fields=["data", "updated_at"])
        log_action(
            actor=owner,
            action="applications.attachment.remove",
            obj=locked,
            municipality=draft.municipality if draft else None,
            changes={"field": locked.field, "sha512": locked.sha512},
        )
        _delete_rows([locked])


def adopt_draft_attachments(*, draft: Draft, case: Case) -> list[Attachment]:
    """Move the draft's uploads that the case's submitted data names to ``case``; delete the others.

    Call it in the submission's transaction: ``case.data`` is the cleaned data (fields hidden by a
    condition are gone, so are the files uploaded to them).
    """
    named = set(iter_strings(case.data))
    with transaction.atomic():
        uploads = list(
            Attachment.objects.select_for_update().filter(draft=draft, case__isnull=True).order_by("uploaded_at", "id")
        )
        kept = [a for a in uploads if str(a.public_id) in named and a.owner_id == draft.citizen_id]
        Attachment.objects.filter(pk__in=[a.pk for a in kept]).update(case=case)
        _delete_rows([a for a in uploads if a not in kept])
    for attachment in kept:
        attachment.case = case
    return kept


def adopt_message_attachments(*, message: MailboxMessage, case: Case) -> list[Attachment]:
    """Hand the uploads of a mailbox answer to ``case`` (so the responsible staff can open them)."""
    with transaction.atomic():
        uploads = list(
            Attachment.objects.select_for_update()
            .filter(message=message, case__isnull=True)
            .order_by("uploaded_at", "id")
        )
        Attachment.objects.filter(pk__in=[a.pk for a in uploads]).update(case=case)
    for attachment in uploads:
        attachment.case = case
    return uploads


def delete_orphans(older_than: dt.timedelta, *, now: dt.datetime | None = None) -> int:
    """Delete uploads older than ``older_than`` that belong to nothing (no draft, message or case), and
    files in private storage that no attachment names (left by a rolled-back request). Returns how many
    files went."""
    cutoff = (now or timezone.now()) - older_than
    with transaction.atomic():
        rows = list(
            Attachment.objects.select_for_update(skip_locked=True).filter(
                case__isnull=True, draft__isnull=True, message__isnull=True, uploaded_at__lt=cutoff
            )
        )
        _delete_rows(rows)
    deleted = len(rows)
    batch: list[Path] = []
    gone = {str(Path(private_storage.path(row.file.name))) for row in rows if row.file.name}
    for path in _files_older_than(cutoff):
        if str(path) in gone:  # its row was deleted above; the file goes on commit
            continue
        batch.append(path)
        if len(batch) >= 500:
            deleted += _delete_unknown(batch)
            batch = []
    deleted += _delete_unknown(batch)
    if deleted:
        logger.info("deleted %d orphaned upload(s)", deleted)
    return deleted


# --- helpers ---------------------------------------------------------------------------------------------


def _check_target(owner: User, draft: Draft | None, message: MailboxMessage | None, field: str) -> None:
    if draft is not None and (draft.citizen_id != owner.pk or draft.submitted_at is not None):
        raise ApplicationError(
            _("This application has already been submitted; files can no longer be added to it."),
            field=field,
            code="submitted",
        )
    if message is not None and (message.author_id != owner.pk or message.direction != Direction.FROM_CITIZEN):
        raise ApplicationError(_("Files can only be added to your own answer."), field=field, code="not_owner")


def _limits_of(draft: Draft | None, field: str) -> UploadLimits:
    if draft is None:
        return default_limits()
    spec = formdef.parse_definition(draft.form.definition)
    item = spec.field(field)
    if item is None or item.widget != "file":
        raise ApplicationError(_("This form has no upload field here."), field=field, code="no_field")
    return limits_for_field(item)


def _receive(upload: File, limits: UploadLimits, field: str) -> Path:  # type: ignore[type-arg]
    """Copy the upload to ``incoming/`` (at most ``limits.max_bytes`` + one chunk); return its path."""
    folder = Path(private_storage.path(INCOMING))
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix="upload-", delete=False) as target:
        path = Path(target.name)
        try:
            upload.seek(0)
            copy_limited(upload, target, limits)
        except UploadRejected as rejected:
            target.close()
            path.unlink(missing_ok=True)
            raise ApplicationError(rejected.message, field=field, code=rejected.code) from None
        except BaseException:
            target.close()
            path.unlink(missing_ok=True)
            raise
    return path


def _scan(path: Path, *, owner: User, field: str, sha512: str) -> ScanStatus:
    try:
        result = get_scanner().scan(path)
    except ScannerUnavailable:
        logger.exception("virus scanner unavailable")
        raise ApplicationError(
            _("The file could not be checked for viruses just now. Please try again in a few minutes."),
            field=field,
            code="scanner_unavailable",
        ) from None
    if result.status == ScanStatus.INFECTED:
        logger.warning("upload rejected: %s", result.detail)
        log_action(
            actor=owner,
            action="applications.attachment.reject_infected",
            changes={"field": field, "finding": result.detail, "sha512": sha512},
        )
        raise ApplicationError(
            _(
                "The virus scanner found malware in this file (%(finding)s), so it was not accepted. "
                "Please check your device and upload a clean copy."
            )
            % {"finding": result.detail},
            field=field,
            code="infected",
        )
    return ScanStatus(result.status)


def _count(draft: Draft | None, message: MailboxMessage | None, field: str) -> int:
    if draft is not None:
        return Attachment.objects.filter(draft=draft, field=field, case__isnull=True).count()
    if message is not None:
        return Attachment.objects.filter(message=message).count()
    return 0


def _lock_and_recount(
    owner: User, draft: Draft | None, message: MailboxMessage | None, field: str, limits: UploadLimits
) -> None:
    """Lock the draft (or message) row so that two uploads at once cannot both take the last place."""
    if draft is not None:
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        draft.data = locked.data
        draft.submitted_at = locked.submitted_at
    elif message is not None:
        # The caller holds the message already; locking its row needs no read scope.
        MailboxMessage._base_manager.select_for_update().filter(pk=message.pk).first()
    _check_target(owner, draft, message, field)
    try:
        check_count = _count(draft, message, field)
        if check_count >= limits.max_files:
            raise too_many(limits)
    except UploadRejected as rejected:
        raise ApplicationError(rejected.message, field=field, code=rejected.code) from None


def _original_name(upload: File, content_type: str) -> str:  # type: ignore[type-arg]
    return safe_filename(str(getattr(upload, "name", "") or ""), content_type)


def _add_to_data(draft: Draft, field: str, public_id: str) -> None:
    current = formdef.get_value(draft.data, field)
    values = [str(v) for v in current] if isinstance(current, list) else []
    if public_id not in values:
        values.append(public_id)
    data = draft.data if isinstance(draft.data, dict) else {}
    formdef.set_value(data, field, values)
    draft.data = data
    draft.save(update_fields=["data", "updated_at"])


def _municipality_of(draft: Draft | None, message: MailboxMessage | None) -> Municipality | None:
    if draft is not None:
        return draft.municipality
    if message is not None:
        case = Case._base_manager.select_related("municipality").get(pk=message.case_id)
        return case.municipality
    return None


def _without(value: Any, public_id: str) -> Any:
    """``value`` with ``public_id`` taken out of every list in it."""
    if isinstance(value, dict):
        return {key: _without(item, public_id) for key, item in value.items()}
    if isinstance(value, list):
        return [_without(item, public_id) for item in value if item != public_id]
    return value


def _delete_rows(attachments: Iterable[Attachment]) -> None:
    """Delete the rows now and their files once the transaction has committed."""
    names = [a.file.name for a in attachments if a.file.name]
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()

    def delete_files() -> None:
        for name in names:
            try:
                private_storage.delete(name)
            except OSError:
                logger.exception("could not delete %s", name)

    transaction.on_commit(delete_files)


def _files_older_than(cutoff: dt.datetime) -> Iterator[Path]:
    root = Path(private_storage.location)
    limit = cutoff.timestamp()
    for folder in (root / STORED, root / INCOMING):
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    yield path
            except OSError:
                continue


def _delete_unknown(paths: list[Path]) -> int:
    if not paths:
        return 0
    root = Path(private_storage.location)
    names = {path.relative_to(root).as_posix(): path for path in paths}
    known = set(Attachment.objects.filter(file__in=list(names)).values_list("file", flat=True))
    deleted = 0
    for name, path in names.items():
        if name not in known:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
