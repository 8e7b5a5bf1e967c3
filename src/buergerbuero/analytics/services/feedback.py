"""Anonymous ratings after a visit or an application, and the standing "what next online" survey.

A rating is stored twice, in two tables that cannot be joined: the ``Rating`` (where, what, stars,
comment, day) and a ``RatingReceipt`` that only holds a keyed hash of the rated subject
(``ticket:<public id>`` or ``case:<public id>``), so each visit or case is rated once. The hash is an
HMAC-SHA256 with a key derived from ``SECRET_KEY``: without the secret, nobody can tell which receipt
belongs to which ticket, and the receipt says nothing about the rating anyway. Comments lose e-mail
addresses and phone numbers before they are saved.

Survey answers are limited per client (a hash of the address, as for bookings) and day, in Django's
shared cache, so one person cannot stuff the ranking.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import Final

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import District, Municipality, Office

from ..models import Rating, RatingContext, RatingReceipt, SurveyVote
from . import FeedbackError

__all__ = [
    "COMMENT_MAX_LENGTH",
    "REMOVED",
    "SUGGESTION_MAX_LENGTH",
    "cast_survey_vote",
    "scrub_comment",
    "subject_hash",
    "submit_rating",
    "survey_votes_per_day",
]

COMMENT_MAX_LENGTH: Final = 1000
SUGGESTION_MAX_LENGTH: Final = 200
#: What replaces an e-mail address or phone number in a comment.
REMOVED: Final = "[entfernt]"

_EMAIL = re.compile(r"[\w.+-]+(?:@|\s*\(at\)\s*|\s*\[at\]\s*)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# A phone number: optional +49/0049/(0…), then digits with spaces, slashes, dots or dashes; at least 6 digits.
_PHONE = re.compile(r"(?<![\w])(?:\+|00)?\(?\d[\d\s/().-]{4,}\d(?![\w])")
_DIGITS = re.compile(r"\d")


def subject_hash(subject_key: str) -> str:
    """The receipt's keyed hash of ``subject_key`` (HMAC-SHA256, key derived from ``SECRET_KEY``)."""
    key = hashlib.sha256(b"buergerbuero.analytics.rating-receipt" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, subject_key.encode(), hashlib.sha256).hexdigest()


def _phone_or_keep(match: re.Match[str]) -> str:
    text = match.group(0)
    # Dates ("12.03.2024"), times and short numbers stay; six or more digits look like a phone number.
    if len(_DIGITS.findall(text)) < 6 or re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{2,4}", text.strip()):
        return text
    return REMOVED


def scrub_comment(text: str) -> str:
    """``text`` without e-mail addresses and phone numbers (each replaced with ``[entfernt]``), trimmed."""
    text = _EMAIL.sub(REMOVED, text)
    text = _PHONE.sub(_phone_or_keep, text)
    return text.strip()


def submit_rating(
    *,
    subject_key: str,
    municipality: Municipality,
    office: Office | None = None,
    service: Service | None = None,
    context: str,
    stars: int,
    comment: str = "",
    today: dt.date,
) -> Rating:
    """Record one anonymous rating of the visit or case ``subject_key``; a second one is refused."""
    if context not in RatingContext.values:
        raise FeedbackError(_("Unknown kind of rating."), code="context")
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise FeedbackError(_("Please choose a rating from “very good” to “very poor”."), field="stars", code="stars")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise FeedbackError(
            _("Please shorten your comment to at most %(max)d characters (it has %(length)d).")
            % {"max": COMMENT_MAX_LENGTH, "length": len(comment)},
            field="comment",
            code="comment_length",
        )
    comment = scrub_comment(comment)
    try:
        with transaction.atomic():
            RatingReceipt.objects.create(key_hash=subject_hash(subject_key), day=today)
            return Rating.objects.create(
                municipality=municipality,
                office=office,
                service=service,
                context=context,
                stars=stars,
                comment=comment,
                day=today,
            )
    except IntegrityError:
        if RatingReceipt.objects.filter(key_hash=subject_hash(subject_key)).exists():
            raise FeedbackError(
                _("This has already been rated. Thank you: each visit or application can be rated once."),
                code="already_rated",
            ) from None
        raise


def survey_votes_per_day() -> int:
    """How many survey answers one client may give per day (``SURVEY_VOTES_PER_DAY``)."""
    return settings.SURVEY_VOTES_PER_DAY


def _claim_survey_slot(client: str, today: dt.date) -> bool:
    """Take one of the client's answer slots of ``today``; ``False`` when all are taken.

    ``cache.add`` is an insert on the database cache, so concurrent requests cannot take the same slot.
    """
    limit = survey_votes_per_day()
    digest = hashlib.sha256(client.encode()).hexdigest()[:32]
    prefix = f"analytics:survey:{digest}:{today.isoformat()}"
    return any(cache.add(f"{prefix}:{slot}", 1, timeout=26 * 3600) for slot in range(limit))


def cast_survey_vote(
    *,
    district: District,
    municipality: Municipality | None = None,
    service: Service | None = None,
    suggestion: str = "",
    today: dt.date,
    client: str = "",
) -> SurveyVote:
    """Record one answer to "what would you like to do online next?": a service, a free suggestion, or both.

    ``client`` identifies the sender for the daily limit (``appointments.fairness.client_key(request)``);
    with no client there is no limit (tests, imports).
    """
    suggestion = " ".join((suggestion or "").split())
    if not service and not suggestion:
        raise FeedbackError(
            _("Please choose a service or write what you would like to do online."), field="service", code="empty"
        )
    if len(suggestion) > SUGGESTION_MAX_LENGTH:
        raise FeedbackError(
            _("Please shorten your suggestion to at most %(max)d characters.") % {"max": SUGGESTION_MAX_LENGTH},
            field="suggestion",
            code="suggestion_length",
        )
    suggestion = scrub_comment(suggestion)
    if client and not _claim_survey_slot(client, today):
        raise FeedbackError(
            _("Thank you, we have already received your answers today. You can answer again tomorrow."),
            code="limit",
        )
    return SurveyVote.objects.create(
        district=district, municipality=municipality, service=service, suggestion=suggestion, day=today
    )
