"""Anonymous ratings (once per visit or case, comments scrubbed, signed links) and the standing survey."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from buergerbuero.analytics.models import ChecklistUse, Rating, RatingReceipt, SurveyVote
from buergerbuero.analytics.rating_links import SALT, rating_token, rating_url, read_rating_token, subject_key
from buergerbuero.analytics.services import FeedbackError
from buergerbuero.analytics.services.checklists import record_checklist_use
from buergerbuero.analytics.services.feedback import (
    cast_survey_vote,
    scrub_comment,
    subject_hash,
    submit_rating,
)
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketState
from buergerbuero.tenants.models import District, Municipality, Office
from tests.catalog.factories import ServiceFactory, ServiceOfferingFactory

from .digicheck_data import visit

TODAY = dt.date(2026, 3, 15)


# --- comments -----------------------------------------------------------------------------------------------


def test_it_removes_email_addresses_and_phone_numbers_from_comments() -> None:  # pure
    text = "Schreiben Sie mir: erika.muster@example.org oder 02131 / 123 456-7, Tel. +49 170 1234567."
    scrubbed = scrub_comment(text)
    assert "example.org" not in scrubbed
    assert "123 456" not in scrubbed
    assert "1234567" not in scrubbed
    assert scrubbed == "Schreiben Sie mir: [entfernt] oder [entfernt], Tel. [entfernt]."


def test_it_keeps_dates_times_and_small_numbers_in_comments() -> None:
    text = "Am 12.03.2026 um 9:30 Uhr nach 45 Minuten an Platz 3 dran."
    assert scrub_comment(text) == text


# --- rating once per subject --------------------------------------------------------------------------------


def test_it_takes_one_rating_per_visit_and_keeps_no_link(municipality_a: Municipality, office_a: Office) -> None:
    key = "ticket:6f1c1d0e-2c59-4a39-9b3f-0d7d7f4fb001"
    with scopes_disabled():
        rating = submit_rating(
            subject_key=key,
            municipality=municipality_a,
            office=office_a,
            context="visit",
            stars=4,
            comment="  Schnell, aber Mail an a@b.de  ",
            today=TODAY,
        )
        with pytest.raises(FeedbackError) as second:
            submit_rating(subject_key=key, municipality=municipality_a, context="visit", stars=1, today=TODAY)
        assert second.value.code == "already_rated"
        assert Rating.objects.count() == 1
    assert rating.comment == "Schnell, aber Mail an [entfernt]"
    receipt = RatingReceipt.objects.get()
    assert receipt.key_hash == subject_hash(key)
    assert key not in receipt.key_hash and "6f1c1d0e" not in receipt.key_hash
    # The rating row names neither the ticket nor the receipt.
    field_names = {f.name for f in Rating._meta.get_fields()}
    assert not field_names & {"ticket", "case", "receipt", "key_hash", "user"}
    # Another subject may be rated.
    with scopes_disabled():
        submit_rating(
            subject_key="case:6f1c1d0e-2c59-4a39-9b3f-0d7d7f4fb001",
            municipality=municipality_a,
            context="application",
            stars=5,
            today=TODAY,
        )
        assert Rating.objects.count() == 2


@pytest.mark.parametrize(
    ("stars", "comment", "field"), [(0, "", "stars"), (6, "", "stars"), (3, "x" * 1001, "comment")]
)
def test_it_refuses_bad_ratings_with_a_message(
    municipality_a: Municipality, stars: int, comment: str, field: str
) -> None:
    with scopes_disabled(), pytest.raises(FeedbackError) as refused:
        submit_rating(
            subject_key="ticket:6f1c1d0e-2c59-4a39-9b3f-0d7d7f4fb002",
            municipality=municipality_a,
            context="visit",
            stars=stars,
            comment=comment,
            today=TODAY,
        )
    assert refused.value.field == field
    assert refused.value.message
    assert RatingReceipt.objects.count() == 0


# --- signed links and the rating page ------------------------------------------------------------------------


def test_it_accepts_only_its_own_signed_tokens(db: None) -> None:
    key = subject_key("ticket", "6f1c1d0e-2c59-4a39-9b3f-0d7d7f4fb003")
    token = rating_token(key)
    assert read_rating_token(token) == key
    assert read_rating_token(token[:-2] + "xx") is None
    assert read_rating_token(signing.dumps(key, salt="something else")) is None
    assert read_rating_token(signing.dumps("ticket:not-a-uuid", salt=SALT)) is None


def test_the_rating_page_needs_a_finished_visit(client: Client, office_a: Office) -> None:
    with scopes_disabled():
        waiting = visit(office_a, TODAY, service=None, wait_minutes=5, state=TicketState.WAITING)
    assert client.get(rating_url(subject_key("ticket", waiting.public_id))).status_code == 404
    assert client.get(reverse("feedback:rate", kwargs={"token": "forged"})).status_code == 404


def test_a_citizen_rates_a_visit_once_through_the_page(client: Client, office_a: Office) -> None:
    service = ServiceFactory(name_de="Personalausweis beantragen")
    with scopes_disabled():
        ticket = visit(office_a, TODAY, service=service, wait_minutes=5)
    url = rating_url(subject_key("ticket", ticket.public_id))

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<legend>" in html and 'type="radio"' in html and "anonym" in html.lower()

    # No choice: an error next to the field, in the summary, and the comment is kept.
    refused = client.post(url, {"comment": "Freundlich"})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert 'class="error-summary"' in html and 'href="#id_stars_0"' in html
    assert 'id="id_stars_error"' in html and "Freundlich" in html

    done = client.post(url, {"stars": "5", "comment": "Freundlich, ruf mich an: 0170 1234567"})
    assert done.status_code == 302 and done["Location"] == reverse("feedback:thanks")
    with scopes_disabled():
        rating = Rating.objects.get()
    assert (rating.stars, rating.context, rating.office_id, rating.service_id) == (5, "visit", office_a.pk, service.pk)
    assert rating.comment == "Freundlich, ruf mich an: [entfernt]"

    again = client.get(url)
    assert again.status_code == 200 and "bereits bewertet" in again.content.decode()
    assert client.post(url, {"stars": "1"}).status_code == 200
    with scopes_disabled():
        assert Rating.objects.count() == 1


def test_the_ticket_page_offers_the_rating_when_the_visit_is_done(client: Client, office_a: Office) -> None:
    with scopes_disabled():
        ticket = visit(office_a, TODAY, service=None, wait_minutes=5)
        waiting = visit(office_a, TODAY, service=None, wait_minutes=5, state=TicketState.WAITING)
    page = client.get(reverse("queueing:ticket", kwargs={"public_id": ticket.public_id}))
    assert page.status_code == 200
    html = page.content.decode()
    assert "/rueckmeldung/bewertung/" in html
    other = client.get(reverse("queueing:ticket", kwargs={"public_id": waiting.public_id})).content.decode()
    assert "/rueckmeldung/bewertung/" not in other


# --- the survey -----------------------------------------------------------------------------------------------


def test_it_limits_survey_answers_per_client_and_day(district: District, municipality_a: Municipality) -> None:
    service = ServiceFactory()
    for _ in range(3):
        cast_survey_vote(district=district, municipality=municipality_a, service=service, today=TODAY, client="c1")
    with pytest.raises(FeedbackError) as limited:
        cast_survey_vote(district=district, service=service, today=TODAY, client="c1")
    assert limited.value.code == "limit"
    cast_survey_vote(district=district, suggestion="Hund  anmelden", today=TODAY, client="c2")
    cast_survey_vote(district=district, service=service, today=TODAY + dt.timedelta(days=1), client="c1")
    assert SurveyVote.objects.count() == 5
    assert SurveyVote.objects.filter(suggestion="Hund anmelden").count() == 1
    with pytest.raises(FeedbackError) as empty:
        cast_survey_vote(district=district, today=TODAY, client="c3")
    assert empty.value.field == "service"


def test_the_survey_form_lists_services_not_online_and_counts_an_answer(
    client: Client, district: District, municipality_a: Municipality
) -> None:
    online = ServiceFactory(name_de="Gewerbe anmelden")
    offline = ServiceFactory(name_de="Hund anmelden")
    with scopes_disabled():
        ServiceOfferingFactory(municipality=municipality_a, service=online, online_application=True)
        ServiceOfferingFactory(municipality=municipality_a, service=offline, online_application=False)
    page = client.get(reverse("portal:municipality", kwargs={"municipality_slug": municipality_a.slug}))
    html = page.content.decode()
    assert "What would you like to do online next?" in html or "Was möchten Sie" in html
    assert "Hund anmelden" in html and ">Gewerbe anmelden<" not in html

    empty = client.post(reverse("feedback:survey"), {"gemeinde": municipality_a.slug})
    assert empty.status_code == 200 and 'class="error-summary"' in empty.content.decode()
    assert SurveyVote.objects.count() == 0

    answered = client.post(
        reverse("feedback:survey"), {"gemeinde": municipality_a.slug, "service": offline.pk, "suggestion": ""}
    )
    assert answered.status_code == 302
    vote = SurveyVote.objects.get()
    assert (vote.service_id, vote.municipality_id, vote.district_id) == (offline.pk, municipality_a.pk, district.pk)
    # A service that is online there is not a valid answer.
    wrong = client.post(reverse("feedback:survey"), {"gemeinde": municipality_a.slug, "service": online.pk})
    assert wrong.status_code == 200 and SurveyVote.objects.count() == 1


# --- checklist uses -----------------------------------------------------------------------------------------


def test_it_counts_checklist_uses_per_day_in_one_row(municipality_a: Municipality) -> None:
    service = ServiceFactory()
    for _ in range(3):
        record_checklist_use(municipality=municipality_a, service=service, day=TODAY)
    record_checklist_use(municipality=None, service=service, day=TODAY)
    record_checklist_use(municipality=None, service=service, day=TODAY)
    rows = {(row.municipality_id, row.count) for row in ChecklistUse.objects.all()}
    assert rows == {(municipality_a.pk, 3), (None, 2)}


def test_the_checklist_pdf_counts_once_per_client_and_day(client: Client, municipality_a: Municipality) -> None:
    service = ServiceFactory(slug="meldebescheinigung")
    with scopes_disabled():
        ServiceOfferingFactory(municipality=municipality_a, service=service)
    url = reverse(
        "catalog:municipality:checklist_pdf",
        kwargs={"municipality_slug": municipality_a.slug, "service_slug": service.slug},
    )
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    use = ChecklistUse.objects.get()
    assert (use.municipality_id, use.service_id, use.count) == (municipality_a.pk, service.pk, 1)
