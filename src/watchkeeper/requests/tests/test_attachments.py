"""Files answering attachment questions: ordered from the portal and over the API (multipart),
stored with the request or not at all, copied into tasks, served only to who may see the
request, as a download."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of
from watchkeeper.requests.links import path_for
from watchkeeper.requests.models import (
    Approval,
    ApprovalStep,
    FulfilmentStep,
    RequestAttachment,
    ServiceRequest,
)
from watchkeeper.requests.tests.helpers import client_for, post

QUOTE = {"name": "quote", "label": "The supplier's quote", "kind": "attachment", "required": True}
PDF = b"%PDF-1.4 a quote for one laptop"


@pytest.fixture(autouse=True)
def files_dir(tmp_path: Path):
    """Each test stores its files in a directory of its own, to see what is left there."""
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def pdf(name: str = "quote.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def laptop(make_item, make_user, make_group):
    """A laptop whose order needs the supplier's quote, prepared by the servers team."""
    sam = make_user("sam", Role.RESOLVER)
    servers = make_group("Servers", members=(sam,))
    item = make_item("Laptop", QUOTE, fulfilment_group=servers)
    FulfilmentStep.objects.create(item=item, stage=1, title="Buy the laptop")
    return item


def test_a_file_ordered_in_the_portal_is_stored_with_the_request(laptop, make_user, files_dir):
    # given
    rita = client_for(make_user("rita"))

    # when she orders with the quote attached
    answer = rita.post(f"/portal/catalog/{laptop.pk}/", {"quantity__": "1", "quote": pdf()})

    # then the request holds the file, its answer names it and the history records it
    assert answer.status_code == 302, answer.content
    record = ServiceRequest.objects.get()
    stored = RequestAttachment.objects.get()
    assert (stored.name, stored.size, stored.content_type, stored.variable) == (
        "quote.pdf", len(PDF), "application/pdf", "quote",
    )  # fmt: skip
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.uploaded_by.username == "rita"
    expected = {"name": "quote.pdf", "size": len(PDF), "content_type": "application/pdf",
                "attachment": stored.pk}  # fmt: skip
    item = record.items.get()
    assert item.answers == {"quote": expected}
    assert item.tasks.get().answers == {"quote": expected}
    created = history_of(record)[0].changes["items"]["new"][0]
    assert created["answers"]["quote"]["attachment"] == stored.pk
    assert [path.read_bytes() for path in stored_files(files_dir)] == [PDF]
    # and the request's page links to the download
    page = rita.get(f"/portal/requests/{record.number}/")
    link = f'href="/requests/{record.number}/attachments/{stored.pk}/"'
    assert link.encode() in page.content and b"The supplier&#x27;s quote" in page.content


def test_the_file_is_served_only_to_who_may_see_the_request(laptop, make_user):
    # given rita's order, with a manager's approval first
    boss = make_user("bob")
    rita = make_user("rita", manager=boss)
    ApprovalStep.objects.create(item=laptop, level=1, approver_kind="manager")
    client_for(rita).post(f"/portal/catalog/{laptop.pk}/", {"quantity__": "1", "quote": pdf()})
    record, stored = ServiceRequest.objects.get(), RequestAttachment.objects.get()
    url = f"/requests/{record.number}/attachments/{stored.pk}/"

    # when each opens the link, then who ordered it, the approver and staff get the file ...
    for user in (rita, boss, make_user("adam", Role.AGENT)):
        download = client_for(user).get(url)
        assert download.status_code == 200, user
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Disposition"] == 'attachment; filename="quote.pdf"'
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Type"] == "application/pdf"
    # ... and anyone else, or another request's number, or nobody logged in, does not
    assert client_for(make_user("sue")).get(url).status_code == 404
    assert client_for(rita).get(f"/requests/REQ9999999/attachments/{stored.pk}/").status_code == 404
    assert client_for(rita).get(f"/requests/{record.number}/attachments/99999/").status_code == 404
    anonymous = client_for(rita)
    anonymous.logout()
    assert anonymous.get(url).status_code == 302


def test_the_approver_sees_the_file_in_the_e_mail_and_on_the_approval_page(
    laptop, make_user, django_capture_on_commit_callbacks
):
    # given
    boss = make_user("bob")
    rita = make_user("rita", manager=boss)
    ApprovalStep.objects.create(item=laptop, level=1, approver_kind="manager")

    # when rita orders with the quote
    with django_capture_on_commit_callbacks(execute=True):
        client_for(rita).post(f"/portal/catalog/{laptop.pk}/", {"quantity__": "1", "quote": pdf()})

    # then the approver's e-mail names the file and the page behind its link links to it
    stored = RequestAttachment.objects.get()
    [message] = mail.outbox
    assert "- quote: quote.pdf (a file, 31\xa0bytes: on the page below)" in message.body
    page = Client().get(path_for(Approval.objects.get(), boss))
    number = stored.requested_item.request.number
    assert f'href="/requests/{number}/attachments/{stored.pk}/"'.encode() in page.content


def test_the_desk_task_shows_the_file(laptop, make_user):
    # given
    client_for(make_user("rita")).post(
        f"/portal/catalog/{laptop.pk}/", {"quantity__": "1", "quote": pdf()}
    )
    task = ServiceRequest.objects.get().items.get().tasks.get()
    stored = RequestAttachment.objects.get()

    # when the fulfiler opens the task
    page = client_for(make_user("sam2", Role.RESOLVER)).get(f"/desk/tasks/{task.number}/")

    # then its answers link to the file
    number = task.requested_item.request.number
    assert f'href="/requests/{number}/attachments/{stored.pk}/"'.encode() in page.content
    assert b"quote.pdf" in page.content


def test_a_wrong_file_is_refused_beside_its_question_and_nothing_is_kept(
    laptop, make_user, files_dir
):
    # given
    rita = client_for(make_user("rita"))
    url = f"/portal/catalog/{laptop.pk}/"
    page = SimpleUploadedFile("quote.html", b"<script>alert(1)</script>", content_type="text/html")

    with override_settings(ATTACHMENT_MAX_MB=3):
        assert b"The supplier&#x27;s quote" in rita.get(url).content
        assert b"At most 3 MB." in rita.get(url).content  # the limit, beside the file field

    # when she attaches a web page, then nothing, then a file over the limit
    html = rita.post(url, {"quantity__": "1", "quote": page})
    missing = rita.post(url, {"quantity__": "1"})
    with override_settings(ATTACHMENT_MAX_MB=1):
        big = rita.post(url, {"quantity__": "1", "quote": pdf(content=b"x" * (2**20 + 1))})

    # then each is refused, saying why, and nothing is ordered or stored
    assert html.status_code == 400 and b"Files of type .html are not accepted" in html.content
    assert missing.status_code == 400 and b"This question needs an answer." in missing.content
    assert big.status_code == 400 and b"Files may be at most 1 MB." in big.content
    assert not ServiceRequest.objects.exists() and not RequestAttachment.objects.exists()
    assert stored_files(files_dir) == []


def test_an_order_failing_after_its_file_was_written_leaves_no_file(
    laptop, make_item, make_user, files_dir
):
    # given a second item whose approval nobody could give (no manager, no owner)
    approved = make_item("Monitor")
    ApprovalStep.objects.create(item=approved, level=1, approver_kind="manager")
    rita = make_user("rita")
    body = {"items": [{"item": laptop.pk}, {"item": approved.pk}]}

    # when she orders both, the laptop's quote attached
    answer = client_for(rita).post(
        "/api/v1/requests/with-files",
        {"payload": json.dumps(body), "items.1.quote": pdf()},
    )

    # then the order is refused whole: no request, no attachment row, no file
    assert answer.status_code == 400, answer.content
    assert "items.2.approval" in answer.json()["errors"]
    assert not ServiceRequest.objects.exists() and not RequestAttachment.objects.exists()
    assert stored_files(files_dir) == []


def test_the_api_takes_an_order_with_files_as_multipart(laptop, make_user, api_client):
    # given
    rita = make_user("rita")
    payload = json.dumps({"items": [{"item": laptop.pk, "quantity": 2}]})

    # when she orders over the API with a token
    answer = api_client(rita).post(
        "/api/v1/requests/with-files", {"payload": payload, "items.1.quote": pdf()}
    )

    # then the request holds the file, which the API serves
    assert answer.status_code == 201, answer.content
    body = answer.json()
    item = body["items"][0]
    stored = RequestAttachment.objects.get()
    assert item["quantity"] == 2
    assert item["answers"]["quote"] == {"name": "quote.pdf", "size": len(PDF),
                                        "content_type": "application/pdf",
                                        "attachment": stored.pk}  # fmt: skip
    [listed] = item["attachments"]
    assert listed["sha256"] == hashlib.sha256(PDF).hexdigest()
    download = api_client(rita).get(listed["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    stranger = api_client(make_user("sue")).get(listed["download_url"])
    assert stranger.status_code == 404


def test_the_multipart_order_names_each_problem(laptop, make_user, api_client):
    # given
    client = api_client(make_user("rita"))
    one = json.dumps({"items": [{"item": laptop.pk}]})

    def order(data: dict) -> dict:
        answer = client.post("/api/v1/requests/with-files", data)
        return {"status": answer.status_code, **answer.json()}

    # when parts are misnamed, or for no such item or question, or the file is also in the JSON
    wrong = order({"payload": one, "quote": pdf(), "items.2.quote": pdf(),
                   "items.1.colour": pdf()})  # fmt: skip
    twice = order({"payload": json.dumps({"items": [{"item": laptop.pk, "answers": {
        "quote": "quote.pdf"}}]}), "items.1.quote": pdf()})  # fmt: skip
    no_file = order({"payload": one})
    bad_json = order({"payload": "{not json", "items.1.quote": pdf()})
    bad_line = order({"payload": json.dumps({"items": [{"item": laptop.pk, "quantity": 0}]})})

    # then
    assert wrong["status"] == 400
    assert set(wrong["errors"]) == {"quote", "items.2.answers.quote"}
    assert twice["status"] == 400
    assert twice["errors"] == {"items.1.answers.quote": ["Answered twice: as a file and in the "
                                                         "payload."]}  # fmt: skip
    assert no_file["status"] == 400
    assert no_file["errors"] == {"items.1.answers.quote": ["This question needs an answer."]}
    assert bad_json["status"] == 422 and "Invalid JSON" in bad_json["detail"]
    assert bad_line["status"] == 422 and bad_line["detail"].startswith("items.0.quantity:")
    assert not ServiceRequest.objects.exists() and not RequestAttachment.objects.exists()


def test_a_json_order_cannot_carry_a_file(laptop, make_user):
    answer = post(make_user("rita"), "/api/v1/requests",
                  {"items": [{"item": laptop.pk, "answers": {"quote": "quote.pdf"}}]})  # fmt: skip
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"items.1.answers.quote": ["Attach a file with the order."]}


def test_the_openapi_document_describes_the_multipart_order(client):
    spec = client.get("/api/v1/openapi.json").json()
    body = spec["paths"]["/api/v1/requests/with-files"]["post"]["requestBody"]["content"]
    assert body["multipart/form-data"]["schema"]["required"] == ["payload"]
    downloads = spec["paths"]["/api/v1/requests/{number}/attachments/{attachment_id}"]
    assert downloads["get"]["operationId"] == "download_request_attachment"
