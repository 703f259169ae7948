"""The one search service: words, prefixes, ranking, safety against query syntax, upkeep."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.core import search
from watchkeeper.core.models import SearchEntry


@pytest.fixture
def people(make_user):
    """Three users, each indexed with the text given here (replacing what create_user indexed)."""
    texts = {
        "printer": "printer on floor three jams every morning",
        "network": "network switch in the basement is down",
        "both": "printer network cable unplugged by the cleaner",
    }
    users = {}
    for name, text in texts.items():
        user = make_user(name)
        search.index(user, text)
        users[name] = user
    return users


def _names(queryset) -> list[str]:
    return [user.username for user in queryset]


def test_search_finds_by_a_whole_word(people):
    # given three indexed users
    # when searching one word
    found = search.search(User.objects.all(), "basement")

    # then only the record with that word is found
    assert _names(found) == ["network"]


def test_search_finds_by_prefix(people):
    # given three indexed users
    # when searching the start of a word
    found = search.search(User.objects.all(), "base")

    # then the word is matched by its prefix
    assert _names(found) == ["network"]


def test_search_stems_words(people):
    # given a record that says "jams"
    # when searching another form of the word
    found = search.search(User.objects.all(), "jammed")

    # then it is found all the same
    assert _names(found) == ["printer"]


def test_search_matches_every_word(people):
    # given two records with "printer", one of which also says "network"
    # when searching both words
    found = search.search(User.objects.all(), "printer network")

    # then only the record with both words is found
    assert _names(found) == ["both"]


def test_search_ranks_the_best_match_first(make_user):
    # given one record that mentions "outage" once and one that is all about it
    once, often = make_user("once"), make_user("often")
    search.index(once, "mail server outage last week, resolved after a restart of many things")
    search.index(often, "outage outage outage")

    # when searching for it
    found = search.search(User.objects.all(), "outage")

    # then the record that matches best comes first
    assert _names(found) == ["often", "once"]


def test_search_is_case_insensitive(people):
    # when searching in capitals
    found = search.search(User.objects.all(), "BASEMENT Switch")

    # then the words still match
    assert _names(found) == ["network"]


@pytest.mark.parametrize(
    "query",
    [
        '"foo" OR bar*',
        "a:b & !c",
        "NEAR(printer network)",
        "printer) OR (1=1",
        "'; DROP TABLE core_searchentry; --",
        "printer:* | network",
        "-printer +network",
        "col:printer ^network",
        '"',
        "*",
        "()",
        "printer\\",
        "\x00printer",
        "ünïcödé and 日本語",
    ],
)
def test_search_treats_query_syntax_as_plain_words(people, query):
    # given three indexed users
    # when the query holds the syntax of FTS5 or tsquery
    found = search.search(User.objects.all(), query)

    # then it runs without error, as a search for the words alone
    words = search.query_words(query)
    assert list(found) == list(search.search(User.objects.all(), " ".join(words)))
    assert SearchEntry.objects.count() == 3


def test_operators_in_the_query_are_not_obeyed(people):
    # given three indexed users
    # when a query asks for "printer OR basement"
    found = search.search(User.objects.all(), "printer OR basement")

    # then OR is a word to match, not an operator: nothing says all three words
    assert _names(found) == []


def test_punctuation_splits_words(people):
    # given a record with "floor three"
    # when searching with punctuation around the words
    found = search.search(User.objects.all(), "floor,three!")

    # then the words are found
    assert _names(found) == ["printer"]


@pytest.mark.parametrize("query", ["", "   ", "!!! ---", "*"])
def test_a_query_without_words_returns_the_queryset_unchanged(people, query):
    # given a queryset narrowed to two users
    queryset = User.objects.filter(username__in=["printer", "network"])

    # when searching nothing
    found = search.search(queryset, query)

    # then the same queryset comes back
    assert found is queryset


def test_no_match_gives_an_empty_result(people):
    # when searching a word that no record holds
    found = search.search(User.objects.all(), "kangaroo")

    # then nothing is found
    assert list(found) == []


def test_search_keeps_the_querysets_filters(people):
    # given a queryset that excludes one of the two printer records
    queryset = User.objects.exclude(username="both")

    # when searching
    found = search.search(queryset, "printer")

    # then the excluded record stays out
    assert _names(found) == ["printer"]


def test_changing_the_text_reindexes(people):
    # given a record indexed as being about a printer
    user = people["printer"]

    # when its text is replaced
    search.index(user, "projector bulb burnt out")

    # then the old words no longer find it and the new ones do
    assert _names(search.search(User.objects.all(), "jams")) == []
    assert _names(search.search(User.objects.all(), "projector")) == ["printer"]
    assert SearchEntry.objects.filter(object_id=str(user.pk)).count() == 1


def test_unindex_removes_the_record(people):
    # given an indexed record
    user = people["network"]

    # when it is removed from the index
    search.unindex(user)

    # then its words find nothing any more
    assert _names(search.search(User.objects.all(), "basement")) == []
    assert _names(search.search(User.objects.all(), "network")) == ["both"]


def test_search_is_restricted_to_the_querysets_model(make_user, make_group):
    # given a user and a group that both say "database"
    user = make_user("dba")
    group = make_group("DBA team")
    search.index(user, "database administrator")
    search.index(group, "database team")

    # when searching users, then groups
    users = search.search(User.objects.all(), "database")
    groups = search.search(SupportGroup.objects.all(), "database")

    # then each search finds its own model only
    assert list(users) == [user]
    assert list(groups) == [group]


def test_an_entry_of_another_model_with_the_same_id_is_not_found(make_user):
    # given a user, and a group's search entry that carries the same object id
    user = make_user("lonely")
    search.unindex(user)
    SearchEntry.for_record(
        ContentType.objects.get_for_model(SupportGroup).pk, user.pk, "firewall rules"
    ).save()

    # when searching users
    found = search.search(User.objects.all(), "firewall")

    # then the group's entry does not leak into the users
    assert list(found) == []


def test_search_returns_every_match_ranked(make_user):
    # given several matching records, one matching worst
    users = [make_user(f"ranked{n}") for n in range(5)]
    for user in users[:4]:
        search.index(user, "disk full disk full disk full")
    search.index(users[4], "a very long text in which the word disk appears only once")

    # when searching within a queryset of only that worst match
    found = search.search(User.objects.filter(pk=users[4].pk), "disk")

    # then it is still found
    assert list(found) == [users[4]]
    # and over all records every match comes back, the worst match last
    everyone = list(search.search(User.objects.all(), "disk"))
    assert sorted(user.pk for user in everyone) == [user.pk for user in users]
    assert everyone[-1] == users[4]


def test_search_is_one_query(make_user, django_assert_num_queries):
    # given indexed records
    for n in range(3):
        search.index(make_user(f"q{n}"), "printer on floor three")
    ContentType.objects.get_for_model(User)  # warm the content-type cache
    # when / then: matching, ranking and fetching the records take one statement
    with django_assert_num_queries(1):
        assert len(list(search.search(User.objects.all(), "printer"))) == 3


def test_users_are_indexed_by_their_actions(make_user):
    # given a user created through the action
    make_user("jdoe", first_name="Jane", last_name="Doe", job_title="Storage engineer")

    # when searching their name and title
    found = search.search(User.objects.all(), "jane storage")

    # then they are found
    assert _names(found) == ["jdoe"]


@pytest.mark.parametrize("few_matches", [1000, 0], ids=["fetch-by-id", "walk-the-order"])
def test_matching_keeps_the_querysets_order(make_user, monkeypatch, few_matches):
    # given records in a known order, most of them about disks; and (second case) SQLite told
    # that every match count is many, so it walks the order instead of fetching by id
    monkeypatch.setattr(search, "FEW_MATCHES", few_matches)
    users = [make_user(f"order{n}") for n in range(6)]
    for n, user in enumerate(users):
        search.index(user, "disk full on the file server" if n != 2 else "printer jam")
    ordered = User.objects.filter(username__startswith="order").order_by("-username")

    # when narrowing the ordered queryset to the disk records
    found = search.matching(ordered, "disk serv")

    # then the matches come in the queryset's own order, the others are left out
    assert _names(found) == ["order5", "order4", "order3", "order1", "order0"]
    assert _names(search.matching(ordered, "printer")) == ["order2"]
    assert found.count() == 5


def test_matching_finds_nothing_for_unknown_words_or_other_models(make_user, make_group):
    # given a user and a group, only the group about firewalls
    make_user("plain")
    search.index(make_group("Perimeter"), "firewall rules")

    # when narrowing users to firewalls, or to a word nobody used
    # then nothing is found
    assert list(search.matching(User.objects.all(), "firewall")) == []
    assert list(search.matching(User.objects.all(), "zeppelin")) == []
    # and an empty query narrows nothing
    assert search.matching(User.objects.all(), " ?! ").count() == User.objects.count()


def test_search_entry_ids_encode_the_record(make_user):
    # given an indexed user
    user = make_user("keyed")
    content_type = ContentType.objects.get_for_model(User)

    # then its entry's id is the content type's range plus the user's id
    entry = SearchEntry.objects.get(content_type=content_type, object_id=str(user.pk))
    assert entry.pk == content_type.pk * SearchEntry.KEY_SPAN + user.pk
    with pytest.raises(ValueError, match="integer record ids"):
        SearchEntry.key(content_type.pk, 2**40)
