"""Citizen pages: rate a visit or an application (through a signed link), and answer the standing survey."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from buergerbuero.appointments.fairness import client_key
from buergerbuero.tenants.models import Municipality
from buergerbuero.tenants.selectors import current_district

from ..forms import RatingForm, SurveyForm
from ..rating_links import read_rating_token
from ..selectors_feedback import already_rated, rating_subject, survey_services
from ..services import FeedbackError
from ..services.feedback import cast_survey_vote, submit_rating

SURVEY_AUTO_ID = "survey-%s"


@require_http_methods(["GET", "HEAD", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    key = read_rating_token(token)
    subject = rating_subject(key) if key else None
    if key is None or subject is None:
        return render(request, "analytics/feedback/link_invalid.html", status=404)
    request.branding = subject.municipality  # type: ignore[attr-defined]
    context = {"subject": subject, "municipality": subject.municipality}
    if already_rated(key):
        return render(request, "analytics/feedback/already_rated.html", context)
    form = RatingForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            submit_rating(
                subject_key=key,
                municipality=subject.municipality,
                office=subject.office,
                service=subject.service,
                context=subject.context,
                stars=form.cleaned_data["stars"],
                comment=form.cleaned_data["comment"],
                today=timezone.localdate(),
            )
        except FeedbackError as failure:
            if failure.code == "already_rated":
                return render(request, "analytics/feedback/already_rated.html", context)
            if failure.field in form.fields:
                form.add_error(failure.field, failure.message)
            else:
                error = failure.message
        else:
            return HttpResponseRedirect(reverse("feedback:thanks"))
    return render(request, "analytics/feedback/rate.html", {**context, "form": form, "error": error})


@require_safe
def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "analytics/feedback/thanks.html")


def _survey_municipality(request: HttpRequest) -> Municipality | None:
    slug = (request.POST.get("gemeinde") or request.GET.get("gemeinde") or "").strip()
    municipality = Municipality.objects.filter(slug=slug).first() if slug else None
    if municipality is not None:
        request.branding = municipality  # type: ignore[attr-defined]
    return municipality


@require_http_methods(["GET", "HEAD", "POST"])
def survey(request: HttpRequest) -> HttpResponse:
    """The survey as its own page: where the portal's box posts to, and where errors are shown."""
    municipality = _survey_municipality(request)
    services = survey_services(municipality)
    form = SurveyForm(request.POST if request.method == "POST" else None, services=services, auto_id=SURVEY_AUTO_ID)
    error = ""
    if request.method == "POST" and form.is_valid():
        district = current_district()
        if district is None:
            error = "no district"
        else:
            try:
                cast_survey_vote(
                    district=district,
                    municipality=municipality,
                    service=form.cleaned_data["service"],
                    suggestion=form.cleaned_data["suggestion"],
                    today=timezone.localdate(),
                    client=client_key(request),
                )
            except FeedbackError as failure:
                if failure.field in form.fields:
                    form.add_error(failure.field, failure.message)
                else:
                    error = failure.message
            else:
                target = reverse("feedback:survey_thanks")
                if municipality is not None:
                    target += f"?gemeinde={municipality.slug}"
                return HttpResponseRedirect(target)
    back = request.POST.get("zurueck") or request.GET.get("zurueck") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return render(
        request,
        "analytics/feedback/survey.html",
        {"form": form, "municipality": municipality, "error": error, "back": back},
        status=429 if error and request.method == "POST" else 200,
    )


@require_safe
def survey_thanks(request: HttpRequest) -> HttpResponse:
    municipality = _survey_municipality(request)
    return render(request, "analytics/feedback/survey_thanks.html", {"municipality": municipality})
