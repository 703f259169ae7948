"""The demo's knowledge base: a few articles for everyone and for agents, in categories,
written by the service desk agent and published by the problem manager (so each has a review
in its history). Loading again adds only the articles whose title is missing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.utils import timezone

from watchkeeper.accounts.models import User
from watchkeeper.core.choices import Channel
from watchkeeper.knowledge import actions
from watchkeeper.knowledge.choices import Audience
from watchkeeper.knowledge.models import Article, KnowledgeCategory

#: category, title, audience, keywords, valid for (days), body
ARTICLES: list[tuple[str, str, str, str, int, str]] = [
    (
        "Accounts and passwords",
        "Reset your password",
        Audience.EVERYONE,
        "login locked forgot",
        365,
        "Forgot your password, or is your account locked?\n\n"
        "1. Open the sign-in page and choose **Forgot password**.\n"
        "2. Enter your e-mail address; a link arrives within a few minutes.\n"
        "3. Choose a new password of at least 12 characters.\n\n"
        "Still locked out after 15 minutes? Report it in the portal.",
    ),
    (
        "Network",
        "Connect to the VPN from home",
        Audience.EVERYONE,
        "remote access anyconnect",
        180,
        "To work from home, start the VPN client and sign in with your usual account.\n\n"
        "- Approve the sign-in on your phone.\n- If the connection fails, restart your router.\n",
    ),
    (
        "E-mail",
        "Set up e-mail on your phone",
        Audience.EVERYONE,
        "mobile outlook iphone android",
        10,
        "Install Outlook from your phone's app store and sign in with your work address.\n\n"
        "Your phone must have a screen lock.",
    ),
    (
        "Network",
        "VPN gateway: restart the tunnel service",
        Audience.AGENTS,
        "vpn gateway ops",
        90,
        "For the service desk and network team only.\n\n"
        "```\nssh vpn-gw-01\nsudo systemctl restart tunneld\n```\n\n"
        "Check the gateway's dashboard afterwards; escalate to *Network* if it fails again.",
    ),
]


def _category(name: str) -> KnowledgeCategory:
    category, _ = KnowledgeCategory.objects.get_or_create(name=name, parent=None)
    return category


def load_knowledge(people: Mapping[str, User], admin: User) -> None:
    """``people`` by username: the agent "adam" writes and the problem manager "paul" reviews;
    on a database without them the administrator does both (reviewing is then skipped: nobody
    reviews their own version)."""
    writer = people.get("adam", admin)
    reviewer = people.get("paul")
    existing = set(Article.objects.values_list("title", flat=True))
    today = timezone.localdate()
    for category, title, audience, keywords, days, body in ARTICLES:
        if title in existing:
            continue
        article = actions.create_article(
            title=title, body=body, audience=audience, category=_category(category),
            keywords=keywords, valid_until=today + dt.timedelta(days=days),
            acting_user=writer, channel=Channel.CLI,
        )  # fmt: skip
        actions.submit(article, acting_user=writer, channel=Channel.CLI)
        if reviewer is not None and reviewer != writer:
            actions.review(article, publish=True, acting_user=reviewer, channel=Channel.CLI)
