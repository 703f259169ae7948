"""``POST /api/v1/cmdb/import``: a file upload or the body itself, with ``dry_run``."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.core.history import verify_history

URL = "/api/v1/cmdb/import"
ITEMS = "name,class,serial_number\nweb-01,server,SN1\nweb-02,server,SN2\n"
RELATIONS = "source,type,target\nweb-01,depends_on,web-02\n"


@pytest.fixture
def owner_api(make_user, api_client):
    return api_client(make_user("olivia", Role.SERVICE_OWNER))


def _upload(client, items: str, relations: str | None = None, **form):
    data = {"file": SimpleUploadedFile("items.csv", items.encode()), **form}
    if relations is not None:
        data["relations"] = SimpleUploadedFile("relations.csv", relations.encode())
    return client.post(URL, data)


def test_a_dry_run_upload_answers_the_report_and_writes_nothing(owner_api):
    response = _upload(owner_api, ITEMS, RELATIONS, dry_run="true")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["dry_run"], body["applied"]) == (True, False)
    assert (body["created"], body["relations_created"], body["problems"]) == (2, 1, [])
    assert body["rows"][0] == {
        "where": "line 2", "outcome": "create", "number": "", "class": "server",
        "name": "web-01", "changes": ["name", "class", "serial_number"],
    }  # fmt: skip
    assert not ConfigurationItem.objects.exists()


def test_an_upload_imports_items_and_relations(owner_api):
    response = _upload(owner_api, ITEMS, RELATIONS)

    assert response.status_code == 200, response.content
    assert response.json()["applied"] is True
    assert Relation.objects.get().source.name == "web-01"
    assert verify_history() == []


def test_a_json_body_with_dry_run_as_query_parameter(owner_api):
    document = {"items": [{"name": "Mail", "class": "business_service"}]}

    dry = owner_api.post(f"{URL}?dry_run=true", json.dumps(document), "application/json")
    real = owner_api.post(URL, json.dumps(document), "application/json")

    assert (dry.json()["created"], dry.json()["applied"]) == (1, False)
    assert (real.json()["created"], real.json()["applied"]) == (1, True)
    assert ConfigurationItem.objects.get().name == "Mail"


def test_a_csv_body(owner_api):
    response = owner_api.post(URL, ITEMS, "text/csv")

    assert response.status_code == 200
    assert ConfigurationItem.objects.count() == 2


def test_a_file_with_problems_is_a_400_with_the_report_and_nothing_written(owner_api):
    response = _upload(owner_api, ITEMS + "web-03,server,SN3,extra\nweb-04,sever,SN4\n")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("Nothing was imported: line 4: has 4 cells")
    assert [(p["line"], p["field"]) for p in body["problems"]] == [(4, ""), (5, "class")]
    assert body["problems_total"] == 2
    assert not ConfigurationItem.objects.exists()


@pytest.mark.parametrize(
    ("send", "status", "words"),
    [
        (lambda c: c.post(URL, {"dry_run": "true"}), 400, "file: Upload the file"),
        (lambda c: c.post(URL, "x", "text/plain"), 415, "Send multipart/form-data"),
        (lambda c: c.post(URL, "{", "application/json"), 400, "not valid JSON"),
        (
            lambda c: c.post(URL, '{"items": [{"name": "a\\u0000"}]}', "application/json"),
            400,
            "NUL",
        ),
        (
            lambda c: c.post(URL, "{}", "application/json", CONTENT_LENGTH=str(30 * 1024 * 1024)),
            413,
            "at most 20 MB",
        ),
    ],
)
def test_garbage_is_answered_4xx_never_500(owner_api, send, status, words):
    response = send(owner_api)

    assert response.status_code == status, response.content[:300]
    assert words in response.json()["detail"]


def test_an_agent_may_not_import(make_user, api_client):
    agent = api_client(make_user("alex", Role.AGENT))

    assert _upload(agent, ITEMS, dry_run="true").status_code == 403


def test_the_openapi_document_describes_both_operations(owner_api):
    schema = owner_api.get("/api/v1/openapi.json").json()

    discovery = schema["paths"]["/api/v1/cmdb/discovery"]["post"]
    body = discovery["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["items"]["items"]["properties"]["class"]["anyOf"]
    assert "$ref" not in json.dumps(body)
    upload = schema["paths"]["/api/v1/cmdb/import"]["post"]["requestBody"]["content"]
    assert set(upload) == {"multipart/form-data", "application/json", "text/csv"}
