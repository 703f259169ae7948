"""Suggestions: which articles match a sentence, for whom, and which known errors match an
incident. Articles are made here directly with the models and indexed as the knowledge base's
actions index them (number, title, keywords, body)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.core import search
from watchkeeper.core.numbering import next_number
from watchkeeper.incidents.actions import create_incident
from watchkeeper.knowledge.choices import ArticleState, Audience, VersionState
from watchkeeper.knowledge.models import Article, ArticleVersion
from watchkeeper.knowledge.suggest import articles_for, known_errors_for, meaningful_words
from watchkeeper.problems.choices import ProblemState
from watchkeeper.problems.models import Problem
from watchkeeper.requests.tests.helpers import client_for

VPN_HOME = "Connect to the VPN from home"
VPN_DROPS = "VPN disconnects every few minutes"
ADD_PRINTER = "Add a network printer"
PAPER_JAM = "Printer says paper jam"
PASSWORD = "Reset your password"
RUNBOOK = "VPN gateway failover runbook"


def publish(
    owner: User,
    title: str,
    body: str,
    *,
    keywords: str = "",
    audience: str = Audience.EVERYONE,
    state: str = ArticleState.PUBLISHED,
) -> Article:
    """A published article (one published version), in the search index."""
    with transaction.atomic():
        article = Article.objects.create(
            number=next_number(Article.NUMBER_PREFIX), title=title, audience=audience,
            state=state, owner=owner, keywords=keywords,
        )  # fmt: skip
        version = ArticleVersion.objects.create(
            article=article, number=1, title=title, body=body, author=owner,
            state=VersionState.PUBLISHED, published_at=timezone.now(),
        )  # fmt: skip
        article.published = version
        article.save(update_fields=["published"])
        search.index(article, f"{article.number} {title} {keywords} {body}")
    return article


def library(owner: User) -> dict[str, Article]:
    """A small, realistic knowledge base: two VPN articles, two printer ones, a password one
    mentioning "connect", and an agents-only VPN runbook."""
    made = [
        publish(owner, VPN_HOME, "To work from home, start AnyConnect, enter vpn.example.org "
                "and approve the sign-in on your phone. If the connection fails, restart "
                "your router.", keywords="vpn remote access anyconnect"),
        publish(owner, VPN_DROPS, "If the VPN tunnel drops, update AnyConnect to 5.1 and "
                "reconnect.", keywords="vpn tunnel"),
        publish(owner, ADD_PRINTER, "Open Settings, Printers, Add a printer; choose the printer "
                "named after your floor.", keywords="printer print queue"),
        publish(owner, PAPER_JAM, "Open tray 2, remove the jammed paper, close the tray. The "
                "printer resumes printing.", keywords="printer paper"),
        publish(owner, PASSWORD, "Open the portal and follow 'Forgot password'. If Outlook "
                "cannot connect afterwards, restart it.", keywords="password login"),
        publish(owner, RUNBOOK, "Fail the VPN gateway over to the standby node: ...",
                keywords="vpn gateway", audience=Audience.AGENTS),
    ]  # fmt: skip
    return {article.title: article for article in made}


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user("kim", Role.AGENT)


@pytest.fixture
def rita(make_user: Callable[..., User]) -> User:
    return make_user("rita", Role.REQUESTER)


@pytest.fixture
def articles(owner: User) -> dict[str, Article]:
    return library(owner)


def titles(found: list[Any]) -> list[str]:
    return [suggestion.title for suggestion in found]


def test_meaningful_words_drop_stop_words_and_short_ones_but_keep_acronyms() -> None:
    # when / then
    assert meaningful_words("I cannot connect to the VPN from home") == ["connect", "vpn", "home"]
    assert meaningful_words("My PC has no IP, my pc!") == ["pc", "ip"]
    assert meaningful_words("it is ok 42") == []


def test_a_sentence_finds_the_vpn_article_first_and_no_printer_article(
    rita: User, articles: dict[str, Article]
) -> None:
    # when Rita types a sentence that the strict all-words search would not match
    found = articles_for("cannot connect to the VPN from home", rita)

    # then the VPN article comes first, the other VPN one too, and no printer article at all
    assert titles(found)[0] == VPN_HOME
    assert VPN_DROPS in titles(found)
    assert not {ADD_PRINTER, PAPER_JAM} & set(titles(found))
    assert found[0].matched == ["connect", "vpn", "home"]
    assert found[0].excerpt.startswith("To work from home, start AnyConnect")


def test_a_printer_sentence_finds_printer_articles_not_vpn(
    rita: User, articles: dict[str, Article]
) -> None:
    # when
    found = articles_for("The printer on floor 3 keeps jamming paper", rita)

    # then the paper jam article first (title and body), then the other printer article
    assert titles(found) == [PAPER_JAM, ADD_PRINTER]


def test_a_requester_is_never_suggested_an_agents_only_article(
    rita: User, owner: User, articles: dict[str, Article]
) -> None:
    # when Rita and an agent type the same words
    for_rita = articles_for("VPN gateway failover", rita, limit=10)
    for_agent = articles_for("VPN gateway failover", owner, limit=10)

    # then only the agent gets the runbook
    assert RUNBOOK not in titles(for_rita)
    assert titles(for_agent)[0] == RUNBOOK


def test_drafts_and_retired_articles_are_not_suggested(rita: User, owner: User) -> None:
    # given a draft and a retired article that are in the index
    publish(owner, "Draft about the VPN", "vpn", state=ArticleState.DRAFT)
    publish(owner, "Retired VPN client", "vpn", state=ArticleState.RETIRED)

    # when / then
    assert articles_for("vpn", rita) == []
    assert articles_for("vpn", owner) == []


def test_suggestions_are_deterministic_and_take_few_queries(
    rita: User, owner: User, articles: dict[str, Article], django_assert_max_num_queries: Any
) -> None:
    # given two articles matching equally well
    publish(owner, "Wifi guest access", "guest wifi")
    publish(owner, "Wifi guest voucher", "guest wifi")

    # when the same text is looked up twice
    with django_assert_max_num_queries(8):  # permissions, one lookup per word, one read
        first = articles_for("guest wifi", rita)
    second = articles_for("guest wifi", rita)

    # then the same order both times, ties by number
    assert titles(first) == titles(second) == ["Wifi guest access", "Wifi guest voucher"]
    assert articles_for("", rita) == [] and articles_for("the and of", rita) == []


def test_the_limit_is_kept(rita: User, owner: User) -> None:
    # given
    for n in range(8):
        publish(owner, f"Outlook tip {n}", "outlook")

    # when / then
    assert len(articles_for("outlook", rita, limit=3)) == 3


@pytest.fixture
def make_problem(owner: User) -> Callable[..., Problem]:
    def make(short_description: str, **fields: Any) -> Problem:
        fields.setdefault("known_error", True)
        fields.setdefault("state", ProblemState.ROOT_CAUSE_ANALYSIS)
        with transaction.atomic():
            return Problem.objects.create(
                number=next_number(Problem.NUMBER_PREFIX), opened_by=owner,
                short_description=short_description, **fields,
            )  # fmt: skip

    return make


def test_known_errors_match_by_configuration_item_service_and_text(
    rita: User, owner: User, make_problem: Callable[..., Problem]
) -> None:
    # given a VPN gateway, the VPN service, and known errors of each kind
    gateway = create_ci(name="vpn-gw-01", ci_class=CiClass.SERVER, acting_user=None)
    vpn = create_ci(name="VPN", ci_class=CiClass.BUSINESS_SERVICE, acting_user=None)
    by_ci = make_problem("Gateway loses sessions", workaround="Use the second gateway.")
    by_ci.configuration_items.add(gateway)
    by_service = make_problem("Slow sign-in", service=vpn, workaround="Wait.")
    by_text = make_problem("VPN tunnel drops after ten minutes", workaround="Reconnect.")
    make_problem("Printer driver crashes", workaround="Reinstall.")
    make_problem("VPN tunnel drops too", known_error=False)
    make_problem("VPN tunnel drops, fixed", state=ProblemState.CLOSED)
    incident = create_incident(
        caller=rita, short_description="VPN tunnel drops", acting_user=owner,
        channel="phone", configuration_item=gateway, service=vpn,
    )  # fmt: skip

    # when
    found = known_errors_for(incident)

    # then the three known errors, by how well they match; never the others
    assert [match.problem for match in found] == [by_text, by_ci, by_service]
    assert found[0].reasons == ["similar text: vpn, tunnel, drops"]
    assert found[1].reasons == ["same configuration item"]


def test_the_api_suggests_for_the_caller_only(rita: User, articles: dict[str, Article]) -> None:
    # when
    answer = client_for(rita).get("/api/v1/knowledge/suggestions", {"text": "VPN gateway"})

    # then
    assert answer.status_code == 200
    numbers = [row["number"] for row in answer.json()]
    assert articles[VPN_HOME].number in numbers
    assert articles[RUNBOOK].number not in numbers
    assert client_for(rita).get("/api/v1/knowledge/suggestions").status_code == 422
