"""'Mein Bürgerbüro' for applications: a citizen sees their own drafts and cases (nobody else's: 404),
the status with its step indicator, a timeline of the visible events only, downloads the Bescheid,
and answers questions in the mailbox, which sends the case back to review."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from pypdf import PdfWriter
from pytest_django import Settings

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import CaseEventKind, CaseState, Decision, Direction, PaymentState
from buergerbuero.applications.models import Attachment, Case, CaseEvent, Draft, FormDefinition, MailboxMessage
from buergerbuero.applications.selectors_citizen import progress, timeline, unread_count
from buergerbuero.applications.services import ApplicationError, mailbox, workflow
from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CaseFactory, DraftFactory, online_service
from tests.harness.oidc import csrf_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def service_and_form(municipality_a: Municipality, kreis_scope: None) -> tuple[Service, FormDefinition]:
    return online_service(municipality_a)


def user_of(client: Client) -> User:
    return User.objects.get(pk=client.session["_auth_user_id"])


def case_for(citizen: User, municipality: Municipality, sf: tuple[Service, FormDefinition], **fields: object) -> Case:
    service, form = sf
    case: Case = CaseFactory(citizen=citizen, municipality=municipality, service=service, form=form, **fields)
    CaseEvent.objects.create(
        case=case, kind=CaseEventKind.SUBMITTED, data={"file_number": case.file_number, "municipality": "Kaarst"}
    )
    return case


def detail_url(case: Case) -> str:
    return reverse("cases:detail", kwargs={"case_id": case.public_id})


def post_answer(client: Client, case: Case, data: dict[str, object]) -> HttpResponse:
    """Post to the answer form with the CSRF token a page gives (the test clients check CSRF)."""
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else csrf_token(client, "/konto/")
    url = reverse("cases:answer", kwargs={"case_id": case.public_id})
    return client.post(url, {**data, "csrfmiddlewaretoken": token})  # type: ignore[return-value]


def test_it_lists_the_citizens_own_drafts_and_cases_only(
    citizen_substantial: Client,
    municipality_a: Municipality,
    service_and_form: tuple[Service, FormDefinition],
) -> None:
    me = user_of(citizen_substantial)
    mine = case_for(me, municipality_a, service_and_form, file_number="32.11/2026/000777")
    someone = User.objects.create(username="other")
    other = case_for(someone, municipality_a, service_and_form, file_number="32.11/2026/000999")
    DraftFactory(citizen=me, form=service_and_form[1], step="adresse")
    DraftFactory(citizen=other.citizen, form=service_and_form[1])

    page = citizen_substantial.get(reverse("cases:mine")).content.decode()

    assert mine.file_number in page and other.file_number not in page
    assert "Probeantrag" in page  # the draft's form title
    assert "Anschrift" in page  # the step it stopped at
    assert "Eingegangen" in page or "Received" in page  # the status in words
    assert page.count("<h3>Probeantrag</h3>") == 1  # the other citizen's draft is not listed


def test_another_citizens_case_is_not_found(
    citizen_substantial: Client,
    citizen_high: Client,
    municipality_a: Municipality,
    service_and_form: tuple[Service, FormDefinition],
) -> None:
    case = case_for(user_of(citizen_high), municipality_a, service_and_form, state=CaseState.WAITING)

    assert citizen_substantial.get(detail_url(case)).status_code == 404
    assert citizen_substantial.get(reverse("cases:decision", kwargs={"case_id": case.public_id})).status_code == 404
    assert post_answer(citizen_substantial, case, {"body": "Hallo"}).status_code == 404
    assert not MailboxMessage.objects.exists()
    assert citizen_high.get(detail_url(case)).status_code == 200


def test_anonymous_visitors_are_sent_to_the_login(
    client: Client, municipality_a: Municipality, service_and_form: tuple[Service, FormDefinition]
) -> None:
    case = case_for(User.objects.create(username="someone"), municipality_a, service_and_form)

    for url in (reverse("cases:mine"), detail_url(case)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_timeline_shows_visible_events_and_never_internal_ones_or_notes(
    citizen_substantial: Client,
    municipality_a: Municipality,
    service_and_form: tuple[Service, FormDefinition],
    clerk_a: User,
) -> None:
    case = case_for(user_of(citizen_substantial), municipality_a, service_and_form)
    workflow.start_review(case=case, actor=clerk_a)
    CaseEvent.objects.create(case=case, kind=CaseEventKind.ASSIGNED, data={"assignee": 1}, visible_to_citizen=False)
    workflow.add_note(case=case, actor=clerk_a, text="Antragstellerin wirkt unzuverlässig")

    items = timeline(case)
    page = citizen_substantial.get(detail_url(case)).content.decode()

    assert [item.kind for item in items] == [CaseEventKind.SUBMITTED, CaseEventKind.STATE]
    assert "unzuverlässig" not in page
    assert case.file_number in page


def test_the_step_indicator_says_question_while_waiting() -> None:
    steps = progress(CaseState.WAITING)
    assert [s.status for s in steps] == ["done", "current", "upcoming", "upcoming"]
    assert [s.status for s in progress(CaseState.CLOSED)] == ["done", "done", "done", "current"]
    assert steps[1].label != progress(CaseState.IN_REVIEW)[1].label


def test_showing_the_case_marks_the_offices_messages_read(
    citizen_substantial: Client,
    municipality_a: Municipality,
    service_and_form: tuple[Service, FormDefinition],
    clerk_a: User,
) -> None:
    me = user_of(citizen_substantial)
    case = case_for(me, municipality_a, service_and_form)
    workflow.ask_citizen(case=case, actor=clerk_a, body="Bitte reichen Sie den Mietvertrag nach.")
    assert unread_count(me) == 1
    listing = citizen_substantial.get(reverse("cases:mine")).content.decode()
    assert "1 unread message" in listing or "1 ungelesene" in listing

    page = citizen_substantial.get(detail_url(case)).content.decode()

    assert "Bitte reichen Sie den Mietvertrag nach." in page
    assert unread_count(me) == 0
    assert MailboxMessage.objects.get().read_at is not None


def test_an_answer_sends_a_waiting_case_back_to_review(
    citizen_substantial: Client,
    municipality_a: Municipality,
    service_and_form: tuple[Service, FormDefinition],
    clerk_a: User,
) -> None:
    case = case_for(user_of(citizen_substantial), municipality_a, service_and_form)
    workflow.ask_citizen(case=case, actor=clerk_a, body="Wann beginnt der Betrieb?")

    response = post_answer(citizen_substantial, case, {"body": "Am 1. März."})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    answer = MailboxMessage.objects.get(direction=Direction.FROM_CITIZEN)
    assert answer.body == "Am 1. März." and answer.author == user_of(citizen_substantial)
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.ANSWER).exists()
    assert "Am 1. März." in citizen_substantial.get(detail_url(case)).content.decode()


def test_an_empty_answer_gets_a_message_next_to_the_field(
    citizen_substantial: Client,
    municipality_a: Municipality,
    service_and_form: tuple[Service, FormDefinition],
    clerk_a: User,
) -> None:
    case = case_for(user_of(citizen_substantial), municipality_a, service_and_form)
    workflow.ask_citizen(case=case, actor=clerk_a, body="Frage")

    response = post_answer(citizen_substantial, case, {"body": "  "})

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_body_error"' in page and 'aria-invalid="true"' in page
    assert 'href="#id_body"' in page  # the error summary links to the field
    case.refresh_from_db()
    assert case.state == CaseState.WAITING
    assert not MailboxMessage.objects.filter(direction=Direction.FROM_CITIZEN).exists()


def test_nobody_can_write_once_the_case_is_decided(
    municipality_a: Municipality, service_and_form: tuple[Service, FormDefinition]
) -> None:
    citizen = User.objects.create(username="c1")
    case = case_for(citizen, municipality_a, service_and_form, state=CaseState.DECIDED)

    with pytest.raises(ApplicationError) as error:
        mailbox.answer(case=case, citizen=citizen, body="Noch etwas")
    assert error.value.code == "closed"


def test_a_citizen_with_a_weaker_login_is_asked_to_log_in_again_to_answer(
    citizen_low: Client,
    municipality_a: Municipality,
    service_and_form: tuple[Service, FormDefinition],
    clerk_a: User,
) -> None:
    case = case_for(user_of(citizen_low), municipality_a, service_and_form)  # the service needs "substantial"
    workflow.ask_citizen(case=case, actor=clerk_a, body="Frage")

    page = citizen_low.get(detail_url(case)).content.decode()
    response = post_answer(citizen_low, case, {"body": "Antwort"})

    assert 'name="acr_values"' in page and 'id="id_body"' not in page
    assert response.status_code == 403
    assert not MailboxMessage.objects.filter(direction=Direction.FROM_CITIZEN).exists()


def test_the_citizen_downloads_the_bescheid_once_decided(
    citizen_substantial: Client,
    municipality_a: Municipality,
    service_and_form: tuple[Service, FormDefinition],
    clerk_a: User,
) -> None:
    case = case_for(user_of(citizen_substantial), municipality_a, service_and_form, payment_state=PaymentState.PAID)
    url = reverse("cases:decision", kwargs={"case_id": case.public_id})
    assert citizen_substantial.get(url).status_code == 404  # not decided yet

    workflow.decide(case=case, actor=clerk_a, approved=True, reasons="")
    case.refresh_from_db()
    response = citizen_substantial.get(url)

    assert case.decision == Decision.APPROVED
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert url in citizen_substantial.get(detail_url(case)).content.decode()


def test_my_office_shows_the_recent_applications(
    citizen_substantial: Client,
    municipality_a: Municipality,
    service_and_form: tuple[Service, FormDefinition],
    clerk_a: User,
) -> None:
    me = user_of(citizen_substantial)
    case = case_for(me, municipality_a, service_and_form)
    workflow.ask_citizen(case=case, actor=clerk_a, body="Frage")
    Draft.objects.create(citizen=me, form=service_and_form[1])

    page = citizen_substantial.get(reverse("accounts:my_office")).content.decode()

    assert case.file_number in page and detail_url(case) in page
    assert reverse("cases:mine") in page
    assert "Probeantrag" in page


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_an_answer_with_a_file_gives_the_file_to_the_case(
    citizen_substantial: Client,
    municipality_a: Municipality,
    service_and_form: tuple[Service, FormDefinition],
    clerk_a: User,
    settings: Settings,
    tmp_path: Path,
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    case = case_for(user_of(citizen_substantial), municipality_a, service_and_form)
    workflow.ask_citizen(case=case, actor=clerk_a, body="Bitte den Mietvertrag.")
    upload = SimpleUploadedFile("mietvertrag.pdf", pdf_bytes(), content_type="application/pdf")

    response = post_answer(citizen_substantial, case, {"body": "Anbei.", "uploads": upload})

    assert response.status_code == 302, response.content.decode()[-3000:]
    attachment = Attachment.objects.get()
    answer = MailboxMessage.objects.get(direction=Direction.FROM_CITIZEN)
    assert attachment.message == answer and attachment.case == case and attachment.content_type == "application/pdf"
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    assert "mietvertrag.pdf" in citizen_substantial.get(detail_url(case)).content.decode()


def test_a_rejected_file_keeps_the_text_and_stores_nothing(
    citizen_substantial: Client,
    municipality_a: Municipality,
    service_and_form: tuple[Service, FormDefinition],
    clerk_a: User,
    settings: Settings,
    tmp_path: Path,
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    case = case_for(user_of(citizen_substantial), municipality_a, service_and_form)
    workflow.ask_citizen(case=case, actor=clerk_a, body="Bitte den Mietvertrag.")
    upload = SimpleUploadedFile("mietvertrag.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")

    response = post_answer(citizen_substantial, case, {"body": "Mein langer Text bleibt.", "uploads": upload})

    page = response.content.decode()
    assert response.status_code == 400
    assert "Mein langer Text bleibt." in page
    assert 'id="id_uploads_error"' in page and 'href="#id_uploads"' in page
    assert not Attachment.objects.exists()
    assert not MailboxMessage.objects.filter(direction=Direction.FROM_CITIZEN).exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    case.refresh_from_db()
    assert case.state == CaseState.WAITING
