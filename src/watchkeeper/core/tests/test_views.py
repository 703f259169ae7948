"""The web UI shell: home dashboards per role, navigation, error pages and security headers."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path
from django.views import View

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.core import views
from watchkeeper.urls import urlpatterns as site_urlpatterns


class StaffOnlyPage(views.WorkspaceRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("the agent workspace")


def broken_page(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


# This module doubles as a URLconf (``pytest.mark.urls(__name__)``): the site plus two test pages.
urlpatterns = [
    *site_urlpatterns,
    path("test/staff-only/", StaffOnlyPage.as_view()),
    path("test/broken/", broken_page),
]
handler403 = "watchkeeper.core.views.permission_denied"
handler404 = "watchkeeper.core.views.page_not_found"
handler500 = "watchkeeper.core.views.server_error"

HOME_HEADINGS = {
    Role.REQUESTER: "Your service portal",
    Role.AGENT: "Service desk home",
    Role.RESOLVER: "Resolver home",
    Role.INCIDENT_MANAGER: "Process manager dashboard",
    Role.CHANGE_MANAGER: "Process manager dashboard",
    Role.SERVICE_OWNER: "Service owner dashboard",
    Role.AUDITOR: "Audit home",
    Role.ADMINISTRATOR: "Administrator dashboard",
}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("role", "heading"), list(HOME_HEADINGS.items()))
def test_each_role_lands_on_its_own_home(
    make_user: Callable[..., User], role: str, heading: str
) -> None:
    # given
    client = logged_in(make_user(None, role))

    # when
    response = client.get("/")

    # then
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_every_home_template_renders_for_its_role(make_user: Callable[..., User]) -> None:
    # given
    homes = {
        "requester": Role.REQUESTER,
        "agent": Role.AGENT,
        "resolver": Role.RESOLVER,
        "manager": Role.PROBLEM_MANAGER,
        "service_owner": Role.SERVICE_OWNER,
        "auditor": Role.AUDITOR,
        "administrator": Role.ADMINISTRATOR,
    }

    for home, role in homes.items():
        # when
        response = logged_in(make_user(None, role)).get("/")

        # then
        assert response.templates[0].name == f"home/{home}.html"
        assert response.context["home"] == home


def test_home_dashboards_show_empty_states_not_invented_figures(
    make_user: Callable[..., User],
) -> None:
    # given
    client = logged_in(make_user(None, Role.REQUESTER))

    # when
    page = client.get("/").content.decode()

    # then
    assert "Report an incident" in page
    assert "My tickets" in page
    assert "Arrives with the service catalog." in page


def test_the_most_responsible_role_picks_the_home(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user(None, Role.AGENT, Role.SERVICE_OWNER))

    # when
    response = client.get("/")

    # then
    assert "<h1>Service owner dashboard</h1>" in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/profile/"])
def test_anonymous_users_are_sent_to_login(db: None, url: str) -> None:
    # given
    client = Client()

    # when
    response = client.get(url)

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_layout_has_skip_link_navigation_user_menu_and_footer(
    make_user: Callable[..., User],
) -> None:
    # given
    client = logged_in(make_user("ada", Role.AGENT, first_name="Ada", last_name="Lovelace"))

    # when
    page = client.get("/").content.decode()

    # then
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page
    assert '<nav class="site-nav" aria-label="Main">' in page
    assert '<a href="/" aria-current="page">Home</a>' in page
    assert '<a href="/profile/">Profile</a>' in page
    assert "Ada Lovelace" in page
    assert 'action="/logout/"' in page
    assert '<footer class="site-footer">' in page


def test_administration_is_in_the_navigation_of_administrators_only(
    make_user: Callable[..., User],
) -> None:
    # given
    agent = logged_in(make_user(None, Role.AGENT))
    admin = logged_in(make_user(None, Role.ADMINISTRATOR))

    # when
    agent_page = agent.get("/").content.decode()
    admin_page = admin.get("/").content.decode()

    # then
    assert ">Administration</a>" not in agent_page
    assert '<a href="/admin/">Administration</a>' in admin_page


def test_knowledge_is_in_the_navigation_of_requesters_agents_reach_it_from_the_workspace(
    make_user: Callable[..., User],
) -> None:
    requester = logged_in(make_user(None, Role.REQUESTER)).get("/").content.decode()
    agent = logged_in(make_user(None, Role.AGENT)).get("/").content.decode()
    assert '<a href="/portal/knowledge/">Knowledge</a>' in requester
    assert '<a href="/portal/knowledge/">Knowledge</a>' not in agent


def test_logout_is_a_post(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user())

    # when
    refused = client.get("/logout/")
    response = client.post("/logout/")

    # then
    assert refused.status_code == 405
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_pages_carry_the_content_security_policy(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user())

    # when
    responses = [client.get("/"), client.get("/profile/"), Client().get("/login/")]

    # then
    for response in responses:
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "style-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("role", list(Role))
def test_pages_have_no_inline_script_or_style_the_csp_would_block(
    make_user: Callable[..., User], role: str
) -> None:
    # given
    client = logged_in(make_user(None, role))

    # when
    pages = [client.get("/").content.decode(), client.get("/profile/").content.decode()]

    # then
    for page in pages:
        assert not INLINE_SCRIPT.search(page)
        assert not INLINE_STYLE.search(page)


def test_htmx_is_served_from_our_own_static_files(db: None) -> None:
    # given
    client = Client()

    # when
    page = client.get("/login/").content.decode()

    # then
    assert re.search(r'<script src="/static/django_htmx/htmx-2\.min\.js" defer>', page)
    assert '"includeIndicatorStyles": false' in page
    assert '<link rel="stylesheet" href="/static/watchkeeper/watchkeeper.css">' in page


def test_stylesheet_is_served(db: None) -> None:
    # given
    client = Client()

    # when
    response = client.get("/static/watchkeeper/watchkeeper.css")

    # then
    assert response.status_code == 200
    assert b":focus-visible" in b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_unknown_page_answers_404_with_the_error_page(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user())

    # when
    response = client.get("/no/such/page/")

    # then
    assert response.status_code == 404
    assert "error.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "<h1>Not found</h1>" in page
    assert "Error 404" in page
    assert response["Content-Security-Policy"]


def test_unknown_page_answers_404_to_anonymous_users_too(db: None) -> None:
    # when
    response = Client().get("/no/such/page/")

    # then
    assert response.status_code == 404
    assert '<a href="/login/">Log in</a>' in response.content.decode()


def test_unknown_api_address_answers_json(db: None) -> None:
    # when
    response = Client().get("/api/v1/no-such-endpoint")

    # then
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.urls(__name__)
def test_requester_gets_a_403_page_on_a_staff_only_page(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user(None, Role.REQUESTER))

    # when
    response = client.get("/test/staff-only/")

    # then
    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>Not allowed</h1>" in page
    assert "Your role does not give you access to this page." in page
    assert "the agent workspace" not in page


@pytest.mark.urls(__name__)
def test_staff_may_open_a_staff_only_page(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user(None, Role.RESOLVER))

    # when
    response = client.get("/test/staff-only/")

    # then
    assert response.status_code == 200


@pytest.mark.urls(__name__)
def test_anonymous_user_on_a_staff_only_page_goes_to_login(db: None) -> None:
    # when
    response = Client().get("/test/staff-only/")

    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_requester_cannot_see_the_django_admin(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user(None, Role.REQUESTER))

    # when
    index = client.get("/admin/", follow=True)
    users = client.get("/admin/accounts/user/", follow=True)

    # then
    for response in (index, users):
        page = response.content.decode()
        assert response.redirect_chain[0][0].startswith("/admin/login/")
        assert "not authorized to access this page" in page
        assert "Site administration" not in page
        assert "/admin/accounts/user/add/" not in page


def test_administrator_sees_the_django_admin(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user(None, Role.ADMINISTRATOR))

    # when
    response = client.get("/admin/")

    # then
    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


@pytest.mark.urls(__name__)
def test_server_error_page_renders_with_status_500(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user())
    client.raise_request_exception = False

    # when
    response = client.get("/test/broken/")

    # then
    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>Something went wrong</h1>" in page
    assert "/static/watchkeeper/watchkeeper.css" in page
    assert response["Content-Security-Policy"]


def test_server_error_page_needs_no_database_or_context(
    db: None, django_assert_num_queries: Callable[..., object]
) -> None:
    # given
    request = RequestFactory().get("/anything/")

    # when
    with django_assert_num_queries(0):  # type: ignore[operator]
        response = views.server_error(request)

    # then
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_server_error_falls_back_to_plain_html_when_the_template_breaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given
    def broken_template(name: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(views.loader, "get_template", broken_template)

    # when
    response = views.server_error(RequestFactory().get("/anything/"))

    # then
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_server_error_on_the_api_answers_json() -> None:
    # when
    response = views.server_error(RequestFactory().get("/api/v1/me"))

    # then
    assert response.status_code == 500
    assert b'"detail"' in response.content


def test_a_form_posted_without_its_csrf_token_gets_a_clear_403_page(
    make_user: Callable[..., User],
) -> None:
    # given a logged-in user whose browser lost the CSRF cookie
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("carol", Role.REQUESTER))
    # when
    response = client.post("/profile/notifications/", {"notify_by_email": "on"})
    # then
    assert response.status_code == 403
    assert b"Form expired" in response.content
    assert b"<style" not in response.content


def test_favicon_ico_points_browsers_to_the_svg_icon(db: None) -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("watchkeeper/favicon.svg")
