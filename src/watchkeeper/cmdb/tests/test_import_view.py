"""The import page: who may use it, the dry run, the report table, the real import."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.core.history import verify_history

URL = "/cmdb/import/"
ITEMS = "name,class,hostname,ip_address\nweb-01,server,web-01,10.0.0.1\napp,application,,\n"
RELATIONS = "source,type,target\napp,runs_on,server:web-01\n"


@pytest.fixture
def owner_client(make_user, client):
    client.force_login(make_user("olivia", Role.SERVICE_OWNER))
    return client


def _upload(client, items: str = ITEMS, relations: str | None = None, dry_run: bool = True):
    data = {"file": SimpleUploadedFile("items.csv", items.encode(), "text/csv")}
    if relations is not None:
        data["relations"] = SimpleUploadedFile("relations.csv", relations.encode(), "text/csv")
    if dry_run:
        data["dry_run"] = "on"
    return client.post(URL, data)


def test_the_page_needs_a_login_and_the_permission_to_manage_the_cmdb(client, make_user):
    # an anonymous visitor is sent to the login page
    assert client.get(URL).status_code == 302
    # an agent may not import
    client.force_login(make_user("alex", Role.AGENT))
    assert client.get(URL).status_code == 403
    assert _upload(client, dry_run=False).status_code == 403
    assert not ConfigurationItem.objects.exists()


def test_the_form_offers_a_dry_run_by_default_without_inline_script_or_style(owner_client):
    response = owner_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert re.search(r'<input[^>]*name="dry_run"[^>]*checked', html)
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_a_dry_run_shows_what_would_change_and_writes_nothing(owner_client):
    response = _upload(owner_client, relations=RELATIONS)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Dry run: nothing was imported" in html
    assert re.search(r'data-testid="count-created">2<', html)
    assert "web-01" in html and "app" in html
    assert not ConfigurationItem.objects.exists()


def test_a_bad_file_shows_line_field_and_problem_and_imports_nothing(owner_client):
    # given a file whose line 3 has a bad address and line 4 an unknown class
    items = ITEMS + "db,database,,10.0.0.999\nx,toaster,,\n"
    items = items.replace("app,application,,", "app,application,,not-an-ip")

    response = _upload(owner_client, items, dry_run=False)

    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was imported" in html
    rows = re.findall(
        r'<td data-label="Line">([^<]*)</td>\s*<td data-label="Field">([^<]*)</td>', html
    )
    assert rows == [("line 3", "ip_address"), ("line 4", "ip_address"), ("line 5", "class")]
    assert "Enter a valid IPv4 or IPv6 address." in html
    assert not ConfigurationItem.objects.exists()


def test_a_real_import_writes_everything_and_links_to_the_cmdb_list(owner_client):
    response = _upload(owner_client, relations=RELATIONS, dry_run=False)

    assert response.status_code == 200
    html = response.content.decode()
    assert "The file was imported." in html
    assert 'href="/cmdb/"' in html
    web = ConfigurationItem.objects.get(name="web-01")
    assert f'href="/cmdb/{web.number}/"' in html
    assert Relation.objects.filter(source__name="app", target=web, type="runs_on").exists()
    assert verify_history() == []


def test_a_file_over_the_limit_is_refused_with_a_clear_message(owner_client, monkeypatch):
    monkeypatch.setattr("watchkeeper.cmdb.importing.MAX_BYTES", 10)

    response = _upload(owner_client, dry_run=False)

    assert response.status_code == 400
    assert "items.csv is 0.0 MB; an import file may be at most 20 MB" in response.content.decode()
    assert not ConfigurationItem.objects.exists()
