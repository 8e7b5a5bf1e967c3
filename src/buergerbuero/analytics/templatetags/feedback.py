"""Template tags other apps' pages use to offer feedback: a rating invitation and the survey box.

* ``{% rating_invitation "ticket" ticket.public_id %}`` / ``{% rating_invitation "case" case.public_id %}``:
  a short section with a signed link to the rating page, or nothing when it has been rated already.
* ``{% survey_box municipality %}``: "What would you like to do online next?" (``municipality`` may be ``None``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import template

from ..forms import SurveyForm
from ..rating_links import rating_url, subject_key
from ..selectors_feedback import already_rated, survey_services
from ..views.feedback import SURVEY_AUTO_ID

register = template.Library()


@register.inclusion_tag("analytics/includes/rating_invitation.html")
def rating_invitation(kind: str, public_id: UUID | str) -> dict[str, Any]:
    key = subject_key(kind, public_id)
    if already_rated(key):
        return {"url": ""}
    return {"url": rating_url(key), "context": "visit" if kind == "ticket" else "application"}


@register.inclusion_tag("analytics/includes/survey_box.html", takes_context=True)
def survey_box(context: template.Context, municipality: Any = None) -> dict[str, Any]:
    request = context.get("request")
    return {
        "form": SurveyForm(services=survey_services(municipality), auto_id=SURVEY_AUTO_ID),
        "municipality": municipality,
        "back": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
