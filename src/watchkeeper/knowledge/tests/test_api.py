"""The knowledge API: the workflow end to end, audiences, feedback, files, permissions, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import LazySettings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.knowledge.choices import Audience
from watchkeeper.knowledge.models import Article, KnowledgeCategory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/knowledge/articles"


def send(client: Client, method: str, path: str, body: object) -> object:
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def test_the_workflow_over_the_api(
    api_client: Callable[..., Client], writer: User, publisher: User, requester: User
) -> None:
    # given
    wendy, paul, rita = api_client(writer), api_client(publisher), api_client(requester)
    category = KnowledgeCategory.objects.create(name="Network")
    # when
    created = send(
        wendy,
        "post",
        BASE,
        {"title": "Wi-Fi", "body": "Join *Corp*.", "category": category.pk, "keywords": "wlan"},
    )
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    assert created.json()["body"] is None and created.json()["state"] == "draft"
    assert rita.get(f"{BASE}/{number}").status_code == 404
    assert send(wendy, "post", f"{BASE}/{number}/submit", {}).status_code == 200
    assert send(wendy, "post", f"{BASE}/{number}/review", {"publish": True}).status_code == 403
    reviewed = send(paul, "post", f"{BASE}/{number}/review", {"publish": True})
    # then
    assert reviewed.status_code == 200 and reviewed.json()["state"] == "published"
    read = rita.get(f"{BASE}/{number}")
    assert read.status_code == 200
    assert read.json()["body_html"] == "<p>Join <em>Corp</em>.</p>\n"
    assert read.json()["category"] == "Network"
    assert [a["number"] for a in rita.get(f"{BASE}?q=wlan").json()["items"]] == [number]
    versions = wendy.get(f"{BASE}/{number}/versions").json()
    assert [(v["number"], v["reviewed_by"]) for v in versions] == [(1, "paul")]
    assert rita.get(f"{BASE}/{number}/versions").status_code == 403


def test_requesters_never_see_agents_or_draft_articles(
    make_article: Callable[..., Article], api_client: Callable[..., Client], requester: User
) -> None:
    # given
    make_article("Secret VPN key", audience=Audience.AGENTS)
    make_article("Draft VPN note", publish=False)
    public = make_article("VPN for everyone")
    rita = api_client(requester)
    # then
    listed = rita.get(f"{BASE}?q=vpn").json()
    assert [item["number"] for item in listed["items"]] == [public.number]
    assert rita.get(f"{BASE}?state=draft").json()["count"] == 0


def test_a_draft_saved_and_a_stale_one_refused(
    make_article: Callable[..., Article], api_client: Callable[..., Client], writer: User
) -> None:
    article = make_article()
    wendy = api_client(writer)
    body = {"title": "New", "body": "Text", "version": article.version}
    saved = send(wendy, "put", f"{BASE}/{article.number}/draft", body)
    assert saved.status_code == 200 and saved.json()["number"] == 2
    stale = send(wendy, "put", f"{BASE}/{article.number}/draft", {**body, "body": "Other"})
    assert stale.status_code == 409 and stale.json()["current_version"] == article.version + 1


def test_bad_input_is_a_4xx(api_client: Callable[..., Client], writer: User) -> None:
    wendy = api_client(writer)
    assert send(wendy, "post", BASE, {"title": "", "body": "x"}).status_code == 422
    assert send(wendy, "post", BASE, {"title": "T", "body": "x", "extra": 1}).status_code == 422
    assert send(wendy, "post", BASE, {"title": "T", "body": " "}).status_code == 400
    assert (
        send(wendy, "post", BASE, {"title": "T", "body": "x", "category": 999}).status_code == 404
    )
    assert wendy.get(f"{BASE}/KB9999999").status_code == 404


def test_feedback_and_details(
    make_article: Callable[..., Article],
    api_client: Callable[..., Client],
    requester: User,
    writer: User,
) -> None:
    article = make_article()
    rita = api_client(requester)
    given = send(rita, "put", f"{BASE}/{article.number}/feedback", {"helpful": True})
    assert given.json()["helpful_count"] == 1
    changed = send(rita, "put", f"{BASE}/{article.number}/feedback", {"helpful": False})
    assert (changed.json()["helpful_count"], changed.json()["not_helpful_count"]) == (0, 1)
    assert send(rita, "patch", f"{BASE}/{article.number}", {"keywords": "x"}).status_code == 403
    patched = send(
        api_client(writer),
        "patch",
        f"{BASE}/{article.number}",
        {"audience": "agents", "valid_until": "2031-01-01"},
    )
    assert patched.status_code == 200 and patched.json()["audience"] == "agents"
    assert rita.get(f"{BASE}/{article.number}").status_code == 404


def test_retire(
    make_article: Callable[..., Article],
    api_client: Callable[..., Client],
    publisher: User,
    writer: User,
) -> None:
    article = make_article()
    path = f"{BASE}/{article.number}/retire"
    assert send(api_client(writer), "post", path, {"reason": "old"}).status_code == 403
    retired = send(api_client(publisher), "post", path, {"reason": "old"})
    assert retired.status_code == 200 and retired.json()["state"] == "retired"


def test_files(
    make_article: Callable[..., Article],
    api_client: Callable[..., Client],
    writer: User,
    requester: User,
    settings: LazySettings,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    article = make_article()
    path = f"{BASE}/{article.number}/attachments"
    upload = SimpleUploadedFile("howto.txt", b"step 1")
    assert api_client(requester).post(path, {"file": upload}).status_code == 403
    upload.seek(0)
    added = api_client(writer).post(path, {"file": upload})
    assert added.status_code == 201, added.content
    listed = api_client(requester).get(path).json()
    assert [f["name"] for f in listed] == ["howto.txt"]
    download = api_client(requester).get(listed[0]["download_url"])
    assert b"".join(download.streaming_content) == b"step 1"
    removed = api_client(writer).delete(f"{path}/{listed[0]['id']}")
    assert removed.status_code == 204
    assert api_client(requester).get(path).json() == []


def test_categories(api_client: Callable[..., Client], make_user: Callable[..., User]) -> None:
    parent = KnowledgeCategory.objects.create(name="Network")
    KnowledgeCategory.objects.create(name="VPN", parent=parent)
    KnowledgeCategory.objects.create(name="Old", is_active=False)
    listed = api_client(make_user("x", Role.REQUESTER)).get("/api/v1/knowledge/categories")
    assert [c["path"] for c in listed.json()] == ["Network", "Network / VPN"]


def test_every_operation_is_documented() -> None:
    from watchkeeper.api import api

    paths = api.get_openapi_schema()["paths"]
    operations = {
        op["operationId"]: op for path, ops in paths.items() if "/knowledge/" in path
        for op in ops.values()
    }  # fmt: skip
    ours = {
        "list_articles", "get_article", "create_article", "update_article",
        "list_article_versions", "save_article_draft", "submit_article", "review_article",
        "retire_article", "give_article_feedback", "list_article_attachments",
        "add_article_attachment", "download_article_attachment", "remove_article_attachment",
        "list_knowledge_categories",
    }  # fmt: skip
    assert ours <= set(operations)
    assert all(403 in operations[name]["responses"] for name in ours)


def test_auditors_read_internal_articles_but_never_write(
    api_client: Callable[..., Client],
    make_user: Callable[..., User],
    make_article: Callable[..., Article],
) -> None:
    article = make_article("VPN for agents", audience=Audience.AGENTS)
    audrey = api_client(make_user("audrey", Role.AUDITOR))
    assert audrey.get(f"{BASE}/{article.number}").status_code == 200
    refused = send(audrey, "post", BASE, {"title": "Mine", "body": "Text"})
    assert refused.status_code == 403
    assert not Article.objects.filter(title="Mine").exists()
