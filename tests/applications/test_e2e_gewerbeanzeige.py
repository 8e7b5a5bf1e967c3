"""The issue's story end to end, in a real Chromium, with the real form, the real identity provider and zero
axe violations on every page:

a citizen (substantial level) files a Gewerbe-Anmeldung with a Handwerkskarte as PDF, pays with the demo
provider and downloads the receipt; a clerk of another municipality gets 404; the clerk of the responsible
municipality finds the case in the inbox, sees the attachment and the payment, asks a question; the citizen
answers with a second file; the clerk approves; the citizen downloads the Bescheid. Then the outbox delivers:
the XGewerbeanzeige messages of that very case follow the KoSIT reference message's structure, and the
FIT-Connect submission validates against the official metadata schema and arrives exactly once.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone, translation
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pypdf import PdfReader, PdfWriter
from pytest_django import Settings

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import (
    CaseState,
    Decision,
    Direction,
    HandoffKind,
    HandoffState,
    PaymentState,
)
from buergerbuero.applications.models import Attachment, Case, Handoff, MailboxMessage
from buergerbuero.applications.services.forms import FORMS_DIRECTORY, load_form_file
from buergerbuero.applications.xgewerbeanzeige import NS, parse_message
from buergerbuero.catalog.models import PostcodeArea, Service
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import District, Municipality
from tests.applications.factories import file_plan
from tests.applications.test_xga_messages import OPTIONAL_IN_OURS, _code_attributes, _paths, _skip
from tests.applications.xga_data import REFERENCE, STANDARDS
from tests.catalog.factories import ServiceFactory, ServiceOfferingFactory
from tests.catalog.test_backoffice_browser import sign_in
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import DESKTOP, new_context
from tests.harness.fitconnect_fake import FitConnectFake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "gewerbe-anmeldung"
CATALOG = Path(FORMS_DIRECTORY).parents[1] / "demo" / "data" / "catalog.json"
METADATA_SCHEMA = STANDARDS / "fitconnect-metadata-1.0.0.schema.json"
NEXT = re.compile("^(Weiter|Next)$")  # translated at the end of the session
QUESTION = "Bitte senden Sie uns auch den Mietvertrag für die Räume in der Neusser Straße."
ANSWER = "Den Mietvertrag habe ich angehängt."
REASONS = "Die Anzeige ist vollständig; die Handwerkskarte für das Friseurhandwerk liegt vor."


# --- setup -----------------------------------------------------------------------------------------------


def catalogue_entry(slug: str) -> dict[str, Any]:
    services: list[dict[str, Any]] = json.loads(CATALOG.read_text(encoding="utf-8"))["services"]
    return next(entry for entry in services if entry["slug"] == slug)


@pytest.fixture
def gewerbe_anmeldung(municipality_a: Municipality, municipality_b: Municipality) -> Service:
    """The catalogue's service (real fee rule, level substantial) with its real form, offered online by Kaarst."""
    entry = catalogue_entry(SLUG)
    assert entry["online_assurance"] == 2
    with scopes_disabled():
        service = ServiceFactory(
            slug=SLUG,
            leika_key=entry["leika_key"],
            name_de=entry["name_de"],
            name_en=entry["name_en"],
            legal_basis=entry["legal_basis"],
            fee=entry["fee"],
            online_application=True,
            online_assurance=entry["online_assurance"],
        )
        ServiceOfferingFactory(municipality=municipality_a, service=service, online_application=True)
        ServiceOfferingFactory(municipality=municipality_b, service=service, online_application=True)
        municipality_a.contact_email = "gewerbe@kaarst.de"  # the author's reachability in the messages
        municipality_a.contact_phone = "02131 987-0"
        municipality_a.save(update_fields=["contact_email", "contact_phone"])
        PostcodeArea.objects.create(postcode="41564", ags=municipality_a.ags, place="Kaarst")
        PostcodeArea.objects.create(postcode="41363", ags=municipality_b.ags, place="Jüchen")
        load_form_file(FORMS_DIRECTORY / f"{SLUG}.json")
        file_plan(municipality_a.district, service, code="32.11")
    return service


@pytest.fixture
def portal(
    live_server: Any,
    use_oidc_provider: str,
    settings: Settings,
    tmp_path: Path,
    fitconnect_api: FitConnectFake,
    district: District,
) -> Iterator[Path]:
    """Live server as SITE_URL, private files and XGA files in tmp_path, FIT-Connect against the local fake."""
    settings.SITE_URL = live_server.url
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.XGEWERBEANZEIGE_TRANSPORT = "files"
    settings.XGEWERBEANZEIGE_DIR = tmp_path / "xgewerbeanzeige"
    settings.XGEWERBEANZEIGE_RECIPIENTS = {district.slug: recipient_directory(settings)}
    settings.FITCONNECT_DESTINATIONS = {SLUG: fitconnect_api.destination_id}
    yield tmp_path


def recipient_directory(settings: Settings) -> dict[str, dict[str, str]]:
    """The Kreis's recipients as a deployment configures them: each with its authority key and address."""
    directory: dict[str, dict[str, str]] = {}
    for number, (key, entry) in enumerate(sorted(settings.XGEWERBEANZEIGE_RECIPIENTS["default"].items()), start=1):
        directory[key] = {
            **entry,
            "praefix": "azr",
            "kennung": f"{number:06d}",
            "kennung_list_uri": "urn:de:xauslaender:codelist:abhkennung",
            "kennung_list_version": "14",
            "url": "https://verteilplattform.example.org",
            "street": "Testallee",
            "house_number": str(number),
            "postcode": "41460",
            "city": "Neuss",
        }
    return directory


@pytest.fixture
def staff_context(browser: Browser, live_server: Any) -> Iterator[BrowserContext]:
    """A second browser (desk-sized, CSP bypassed for axe) for the clerks."""
    context = new_context(browser, live_server.url, DESKTOP, bypass_csp=True)
    yield context
    context.close()


def pdf_document(text: str) -> bytes:
    """A small, valid PDF as a scanner would produce it."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_text(path: Path) -> str:
    return pdf_text_of(path.read_bytes())


def pdf_text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


# --- what the people do ------------------------------------------------------------------------------------


def visit(page: Page, url: str) -> None:
    """Open ``url``; a server error says so at once instead of as an axe finding about a bare error page."""
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)


def field(page: Page, path: str) -> Any:
    return page.locator("#f-" + path.replace(".", "-"))


def choose(page: Page, path: str, value: str) -> None:
    page.locator(f"input[name='{path}'][value='{value}']").check()


def next_step(page: Page, expected_url: str) -> None:
    page.get_by_role("button", name=NEXT).click()
    page.wait_for_url(expected_url)
    assert_no_axe_violations(page)


def expect_error_for(page: Page, *paths: str) -> None:
    """After "Next": the error summary links to each field that became required, and the field says why."""
    expect(page.locator(".error-summary")).to_be_visible()
    assert_no_axe_violations(page)
    for path in paths:
        anchor = "#f-" + path.replace(".", "-")
        expect(page.locator(f".error-summary a[href='{anchor}']")).to_have_count(1)
        expect(page.locator(anchor)).to_have_attribute("aria-invalid", "true")


def citizen_logs_in(page: Page) -> User:
    visit(page, "/konto/anmelden/")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Mit BundID anmelden").click()
    page.get_by_role("button", name="jonas.schmitz").click()  # level substantial at the provider
    page.wait_for_url("**/konto/")
    assert_no_axe_violations(page)
    return User.objects.get(oidc_subject="jonas.schmitz")


def citizen_fills_the_form(page: Page, handwerkskarte: Path) -> None:
    visit(page, f"/antraege/{SLUG}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gewerbe anmelden")
    expect(page.locator("main")).to_contain_text("26,00")  # the catalogue's fee for a person
    assert_no_axe_violations(page)
    page.locator("main form button[type=submit]").click()

    page.wait_for_url("**/inhaber/")
    assert_no_axe_violations(page)
    choose(page, "inhaber.art", "person")
    field(page, "inhaber.rechtsform").select_option("ek")
    field(page, "inhaber.firma").fill("Salon Schmitz e.K.")
    field(page, "inhaber.im_register").check()
    page.get_by_role("button", name=NEXT).click()  # the register's fields appear, required
    expect_error_for(page, "inhaber.register_art", "inhaber.register_gericht", "inhaber.register_nummer")
    expect(field(page, "inhaber.firma")).to_have_value("Salon Schmitz e.K.")  # nothing lost
    field(page, "inhaber.register_art").select_option("hra")
    field(page, "inhaber.register_gericht").fill("Neuss")
    field(page, "inhaber.register_nummer").fill("4711")
    next_step(page, "**/person/")

    # Prefilled from the account (the identity provider's claims); the citizen completes the rest.
    expect(field(page, "person.familienname")).to_have_value("Schmitz")
    expect(field(page, "person.vorname")).to_have_value("Jonas")
    expect(field(page, "person.geburtsdatum")).to_have_value("1991-03-05")
    expect(field(page, "person.plz")).to_have_value("41460")
    field(page, "person.strasse").fill("Büchel")
    field(page, "person.hausnummer").fill("14")
    choose(page, "person.geschlecht", "maennlich")
    field(page, "person.geburtsort").fill("Neuss")
    field(page, "person.geburtsland").fill("Deutschland")
    field(page, "person.staatsangehoerigkeit").select_option("DE")
    next_step(page, "**/kontakt/")  # the representatives' step applies to companies only: skipped

    expect(field(page, "kontakt.email")).to_have_value("jonas.schmitz@example.org")
    field(page, "kontakt.telefon").fill("02131 141455")
    next_step(page, "**/betrieb/")

    field(page, "betrieb.strasse").fill("Neusser Straße")
    field(page, "betrieb.hausnummer").fill("90")
    field(page, "betrieb.plz").fill("41564")  # Kaarst: the premises decide who is responsible
    field(page, "betrieb.ort").fill("Kaarst")
    choose(page, "betrieb.niederlassung_art", "hauptniederlassung")
    next_step(page, "**/taetigkeit/")

    field(page, "taetigkeit.schwerpunkt").fill("Friseur")
    field(page, "taetigkeit.wz_code").fill("96.02.1")
    field(page, "taetigkeit.weitere").fill("Verkauf von Haarpflegeprodukten")
    field(page, "taetigkeit.beginn").fill("2027-01-04")
    choose(page, "taetigkeit.art_des_betriebes", "handwerk")
    field(page, "beschaeftigte.vollzeit").fill("0")
    field(page, "beschaeftigte.teilzeit").fill("2")
    next_step(page, "**/grund/")

    choose(page, "grund.art", "neuerrichtung")
    next_step(page, "**/nachweise/")

    field(page, "nachweise.handwerkskarte_vorhanden").check()
    page.get_by_role("button", name=NEXT).click()  # issuer, date and copy become required
    expect_error_for(page, "nachweise.handwerkskarte_behoerde", "nachweise.handwerkskarte_datum")
    expect(page.locator(".error-summary")).to_contain_text("Handwerkskarte (Kopie)")
    field(page, "nachweise.handwerkskarte_behoerde").fill("Handwerkskammer Düsseldorf")
    field(page, "nachweise.handwerkskarte_datum").fill("2019-06-14")
    field(page, "nachweise.handwerkskarte_datei").set_input_files(str(handwerkskarte))
    page.locator("button[name=_action][value=upload]:visible").click()  # other file fields are hidden
    expect(page.locator(".upload-list")).to_contain_text(handwerkskarte.name)
    assert_no_axe_violations(page)
    next_step(page, "**/zusammenfassung/")

    main = page.locator("main")
    for shown in ("Salon Schmitz e.K.", "Schmitz", "Neusser Straße", "Friseur", handwerkskarte.name, "26,00"):
        expect(main).to_contain_text(shown)


def submit_and_pay(page: Page, citizen: User) -> Case:
    page.locator("#f-consent").check()
    page.locator("form[action$='/absenden/'] button[type=submit]").click()
    page.wait_for_url("**/bezahlen/demo/**")
    with scopes_disabled():
        case = Case.objects.select_related("municipality").get(citizen=citizen)
    expect(page.locator("main")).to_contain_text(case.file_number)
    assert_no_axe_violations(page)
    page.locator("button[value=pay]").click()
    page.wait_for_url("**/ergebnis/")
    assert_no_axe_violations(page)
    page.locator(f"main a[href$='/vorgang/{case.public_id}/eingegangen/']").click()
    page.wait_for_url(f"**/antraege/vorgang/{case.public_id}/eingegangen/")
    expect(page.locator("main")).to_contain_text(case.file_number)
    assert_no_axe_violations(page)
    return case


def download(page: Page, selector: str, tmp_path: Path, name: str) -> Path:
    with page.expect_download() as info:
        page.locator(selector).click()
    target = tmp_path / name
    info.value.save_as(target)
    return target


def clerk_b_gets_404(staff: Page, clerk_b: User, case: Case) -> None:
    sign_in(staff, clerk_b)
    assert_no_axe_violations(staff)
    for town in ("juechen", "kaarst"):
        response = staff.goto(f"/backoffice/{town}/antraege/{case.public_id}/")
        assert response is not None and response.status == 404, (town, response and response.status)
        assert_no_axe_violations(staff)
    for document in ("xgewerbeanzeige.xml", "fitconnect.zip", "eingangsbestaetigung.pdf"):
        download = staff.context.request.get(f"/backoffice/kaarst/antraege/{case.public_id}/{document}")
        assert download.status == 404, document
    response = staff.goto("/backoffice/juechen/antraege/")
    assert response is not None and response.status == 200
    expect(staff.locator("main")).not_to_contain_text(case.file_number)


# --- the story -----------------------------------------------------------------------------------------------


def test_a_gewerbe_anmeldung_from_the_citizen_to_the_bescheid_and_the_hand_offs(
    axe_page: Page,
    staff_context: BrowserContext,
    portal: Path,
    gewerbe_anmeldung: Service,
    municipality_a: Municipality,
    clerk_a: User,
    clerk_b: User,
    fitconnect_api: FitConnectFake,
) -> None:
    tmp_path = portal
    citizen_page = axe_page
    handwerkskarte = tmp_path / "Handwerkskarte Schmitz.pdf"
    handwerkskarte.write_bytes(pdf_document("Handwerkskarte Friseurhandwerk"))
    mietvertrag = tmp_path / "Mietvertrag.pdf"
    mietvertrag.write_bytes(pdf_document("Mietvertrag Neusser Straße 90"))

    # 1. The citizen files the Anmeldung, pays and downloads the receipt.
    citizen = citizen_logs_in(citizen_page)
    citizen_fills_the_form(citizen_page, handwerkskarte)
    case = submit_and_pay(citizen_page, citizen)
    with scopes_disabled():
        case.refresh_from_db()
        assert case.municipality == municipality_a
        assert re.fullmatch(r"32\.11/\d{4}/0*1", case.file_number), case.file_number
        assert case.payment_state == PaymentState.PAID
        assert str(case.fee_amount) == "26.00"
        assert case.applicant_name == "Jonas Schmitz"
        assert case.data["nachweise"]["handwerkskarte_vorhanden"] is True
        [card] = Attachment.objects.filter(case=case)
        assert card.original_name == handwerkskarte.name and card.content_type == "application/pdf"
        assert case.data["nachweise"]["handwerkskarte_datei"] == [str(card.public_id)]
    receipt = download(
        citizen_page, f"a[href$='{case.public_id}/eingangsbestaetigung.pdf']", tmp_path, "eingangsbestaetigung.pdf"
    )
    text = pdf_text(receipt)
    assert case.file_number in text
    assert case.data_sha512 in re.sub(r"\s+", "", text)

    # 2. A clerk of Jüchen sees nothing of it: 404 under Jüchen's and under Kaarst's back office.
    staff = staff_context.new_page()
    clerk_b_gets_404(staff, clerk_b, case)

    # 3. The clerk of Kaarst finds it among the open cases, sees the attachment and the payment, asks.
    staff_context.clear_cookies()
    sign_in(staff, clerk_a)
    assert_no_axe_violations(staff)
    visit(staff, "/backoffice/kaarst/antraege/")
    assert_no_axe_violations(staff)
    staff.locator("#id_status").select_option("open")
    staff.locator("form.inbox-filter button[type=submit]").click()
    staff.wait_for_url("**status=open**")
    expect(staff.locator(".inbox-table tbody tr")).to_have_count(1)
    assert_no_axe_violations(staff)
    staff.get_by_role("link", name=case.file_number).click()
    staff.wait_for_url(f"**/backoffice/kaarst/antraege/{case.public_id}/")
    assert_no_axe_violations(staff)
    with translation.override("de"):
        paid = str(PaymentState.PAID.label)
    expect(staff.locator(".case-facts")).to_contain_text(re.compile(rf"(Zahlung|Payment): {paid}"))
    expect(staff.locator(".case-facts")).to_contain_text("26,00")
    attachment_link = staff.get_by_role("link", name=handwerkskarte.name)
    expect(attachment_link).to_be_visible()
    staff_file = staff_context.request.get(str(attachment_link.get_attribute("href")))
    assert staff_file.status == 200 and staff_file.body() == handwerkskarte.read_bytes()

    staff.locator("button[name=action][value=start_review]").click()
    expect(staff.locator(".status-tag")).to_contain_text(str(_label(CaseState.IN_REVIEW)))
    assert_no_axe_violations(staff)
    staff.locator("#id_ask-body").fill(QUESTION)
    staff.locator("form:has(input[value=ask]) button[type=submit]").click()
    expect(staff.locator(".thread")).to_contain_text(QUESTION)
    assert_no_axe_violations(staff)

    # 4. The citizen reads the question in the case page and answers with the lease as a second file.
    visit(citizen_page, "/antraege/meine/")
    assert_no_axe_violations(citizen_page)
    citizen_page.locator(f'a[href="/antraege/vorgang/{case.public_id}/"]').first.click()
    citizen_page.wait_for_url(f"**/antraege/vorgang/{case.public_id}/")
    expect(citizen_page.locator(".case-thread")).to_contain_text(QUESTION)
    assert_no_axe_violations(citizen_page)
    citizen_page.locator("#id_body").fill(ANSWER)
    citizen_page.locator("#id_uploads").set_input_files(str(mietvertrag))
    citizen_page.locator("form.case-answer button[type=submit]").click()
    expect(citizen_page.locator(".case-thread")).to_contain_text(ANSWER)
    expect(citizen_page.locator(".case-thread")).to_contain_text(mietvertrag.name)
    assert_no_axe_violations(citizen_page)

    # 5. The clerk sees the answer and approves with reasons.
    visit(staff, f"/backoffice/kaarst/antraege/{case.public_id}/")
    expect(staff.locator(".thread")).to_contain_text(ANSWER)
    expect(staff.locator(".thread")).to_contain_text(mietvertrag.name)
    assert_no_axe_violations(staff)
    staff.locator("input[name=decide-decision][value=approved]").check()
    staff.locator("#id_decide-reasons").fill(REASONS)
    staff.locator("form:has(input[value=decide]) button[type=submit]").click()
    expect(staff.locator(".status-tag")).to_contain_text(str(_label(CaseState.DECIDED)))
    assert_no_axe_violations(staff)
    with scopes_disabled():
        case.refresh_from_db()
        assert (case.state, case.decision) == (CaseState.DECIDED, Decision.APPROVED)
        assert MailboxMessage.objects.filter(case=case, direction=Direction.TO_CITIZEN).count() == 1
        assert MailboxMessage.objects.filter(case=case, direction=Direction.FROM_CITIZEN).count() == 1

    # 6. The citizen downloads the Bescheid; the receipt still lists only what was submitted.
    visit(citizen_page, f"/antraege/vorgang/{case.public_id}/")
    assert_no_axe_violations(citizen_page)
    again = pdf_text(download(citizen_page, "a[href$='/eingangsbestaetigung.pdf']", tmp_path, "again.pdf"))
    assert handwerkskarte.name in again and mietvertrag.name not in again
    bescheid = download(citizen_page, "a[href$='/bescheid.pdf']", tmp_path, "bescheid.pdf")
    text = pdf_text(bescheid)
    assert "Bescheid" in text
    assert "§ 14 GewO" in text
    assert case.file_number in text
    assert REASONS.split(";")[0] in text

    # 7. The outbox delivers: XGewerbeanzeige files, the FIT-Connect submission, the e-mails; each once.
    staff_xml = staff_context.request.get(f"/backoffice/kaarst/antraege/{case.public_id}/xgewerbeanzeige.xml")
    assert staff_xml.status == 200
    result = dispatch_due(now=timezone.now())
    assert result.failed == 0 and result.retried == 0, result
    assert dispatch_due(now=timezone.now() + timezone.timedelta(days=1)).sent == 0
    check_xgewerbeanzeige(case, staff_xml.body(), tmp_path / "xgewerbeanzeige")
    check_fitconnect(case, fitconnect_api)
    check_citizen_mail(case, mietvertrag.name)


def check_citizen_mail(case: Case, later_file: str) -> None:
    """Received (with the receipt), paid, the question, the Bescheid: each once, each naming the file number."""
    to_citizen = [m for m in mail.outbox if m.to == ["jonas.schmitz@example.org"]]
    subjects = [m.subject for m in to_citizen]
    assert len(subjects) == 4 == len(set(subjects)), subjects
    assert all(case.file_number in subject for subject in subjects), subjects
    pdfs = {name: content for m in to_citizen for name, content, _type in m.attachments}
    assert len(pdfs) == 2, list(pdfs)
    texts = [pdf_text_of(content) for content in pdfs.values()]
    [receipt] = [text for text in texts if case.data_sha512 in re.sub(r"\s+", "", text)]
    assert later_file not in receipt  # rendered at delivery, after the answer: still only what was submitted
    [bescheid] = [text for text in texts if "Bescheid" in text and text is not receipt]
    assert case.file_number in bescheid


def _label(state: CaseState) -> str:
    with translation.override("de"):
        return str(state.label)


# --- the hand-offs of that case ------------------------------------------------------------------------------

#: Elements of the reference our hairdresser has no data for: he is German (no residence title) and has
#: kept his name since birth (no ``geburtsname``); both are optional in the standard.
NOT_FOR_THIS_APPLICANT = {"aufenthaltstitel", "beteiligtePerson/geburtsname"}


def check_xgewerbeanzeige(case: Case, staff_download: bytes, directory: Path) -> None:
    with scopes_disabled():
        handoffs = list(Handoff.objects.filter(case=case, kind=HandoffKind.XGEWERBEANZEIGE).order_by("pk"))
    assert [h.recipient for h in handoffs][:3] == ["finanzamt", "statistik", "hwk"]  # a craft: the HWK, no IHK
    assert "ihk" not in {h.recipient for h in handoffs}
    assert all(h.state == HandoffState.DELIVERED for h in handoffs)
    delivered = {path.parent.name: path.read_bytes() for path in directory.glob("*/*.xml")}
    assert sorted(delivered) == sorted(h.recipient for h in handoffs)  # one file per recipient, no more
    for handoff in handoffs:
        assert delivered[handoff.recipient] == handoff.document.encode()
    assert staff_download == delivered["finanzamt"]  # the staff download is the message that was sent

    reference = parse_message(REFERENCE.read_bytes())
    for document in delivered.values():
        ours = parse_message(document)
        assert ours.tag == reference.tag
        assert ours.nsmap == {"xga": NS}
        assert (ours.get("standard"), ours.get("version")) == ("XGewerbeanzeige", "2.2")
        skipped = OPTIONAL_IN_OURS | NOT_FOR_THIS_APPLICANT
        expected = [p for p in _paths(reference) if not _skip(p, skipped)]
        actual = [p for p in _paths(ours) if not _skip(p, skipped)]
        assert actual == expected
        ours_attrs, reference_attrs = _code_attributes(ours), _code_attributes(reference)
        for name in ("praefix", "gemeindeSchluessel", "nationSchluessel", "geschlecht"):
            assert ours_attrs[name] <= reference_attrs[name], name

    root = parse_message(delivered["hwk"])
    ns = {"x": NS}

    def text(xpath: str) -> list[str]:
        return [str(value).strip() for value in root.xpath(xpath, namespaces=ns)]

    assert text("//x:gemeindeMeldungNr/text()") == [case.file_number]
    assert text("//x:beteiligtePerson/x:familienname/text()") == ["Schmitz"]
    assert text("//x:beteiligtePerson/x:geburtsdatum/text()") == ["05031991"]
    assert text("//x:betrieb/x:eintragungArt/code/text()") == ["A"]
    assert text("//x:taetigkeitSchluessel/text()") == ["96021"]
    assert text("//x:anzahlTeilzeitBeschaeftigte/text()") == ["2"]
    assert text("//x:gueltigAb/text()") == ["2027-01-04"]
    assert text("//x:autor/x:behoerdenkennung/x:kennung/code/text()") == [case.municipality.ags] * 2
    assert etree.QName(root).namespace == NS


def check_fitconnect(case: Case, fake: FitConnectFake) -> None:
    with scopes_disabled():
        handoff = Handoff.objects.get(case=case, kind=HandoffKind.FITCONNECT)
        [card] = Attachment.objects.filter(case=case, message__isnull=True)
    assert handoff.state == HandoffState.DELIVERED
    metadata = json.loads(handoff.document)
    schema = json.loads(METADATA_SCHEMA.read_text(encoding="utf-8"))
    errors = Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(metadata)
    assert not [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    assert metadata["publicServiceType"]["identifier"] == "urn:de:fim:leika:leistung:99050012104000"
    assert metadata["additionalReferenceInfo"]["senderReference"] == case.file_number
    assert metadata["replyChannel"] == {"eMail": {"address": "jonas.schmitz@example.org"}}
    payment = metadata["paymentInformation"]
    assert (payment["status"], payment["grossAmount"]) == ("BOOKED", 26.0)

    # The fake decrypted what arrived (and refused nothing): one submission, the data and files as hashed.
    assert fake.rejections == []
    [received] = fake.submitted()
    assert received.metadata == metadata and received.data is not None
    data_hash = metadata["contentStructure"]["data"]["hash"]["content"]
    assert data_hash == case.data_sha512 == hashlib.sha512(received.data).hexdigest()
    assert json.loads(received.data) == case.data
    announced = {a["attachmentId"]: a for a in metadata["contentStructure"]["attachments"]}
    assert sorted(a["purpose"] for a in announced.values()) == ["attachment", "form"]  # the upload, the receipt
    # The submission is the application: the lease sent later with the answer is not part of it.
    assert announced[str(card.public_id)]["hash"]["content"] == card.sha512
    assert set(received.attachments) == set(announced)
    for attachment_id, content in received.attachments.items():
        assert hashlib.sha512(content).hexdigest() == announced[attachment_id]["hash"]["content"]
