"""The directory's partial match goes through its bigram index (domain.search_grams); what it finds must
be exactly what a substring test over every name finds — for organizers (every name) and the public (the
names shown), whether a rare bigram leads or names are read in order, after renames, for words of one
character (no bigram) and for words whose bigrams a name holds out of order (あいあ in いあい…あい)."""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from services.members import domain, gram_statistics, models, operations
from shared.contracts.members import ERASED_NAME, DirectoryQuery, MemberGroupDraft, MemberPatch
from shared.db import make_engine
from tests.databases import make_tables
from tests.samples import SECRETARIAT

# Few letters, so that names share bigrams and hold them in every order; ア folds to あ, Ａ to a.
names = st.text(alphabet="あいアaＡb", min_size=1, max_size=7)
words = st.text(alphabet="あいアaＡb", min_size=1, max_size=3)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('grams')}/members.db")
    make_tables(engine, models)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def found(db, q: str, viewer=None) -> set[str]:
    with db() as session:
        return {entry["id"] for entry in operations.directory(session, DirectoryQuery(q=q, limit=200), viewer)}


@pytest.mark.parametrize("rare", [0, operations.RARE_GRAM], ids=["names-read-in-order", "index-leads"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(groups=st.lists(st.tuples(names, names, st.sampled_from(["public", "hidden"])), min_size=1, max_size=10),
       renamed=st.lists(st.tuples(st.integers(0, 9), names), max_size=3), queries=st.lists(words, min_size=1, max_size=4))
def test_the_index_finds_what_a_substring_test_finds(db, rare, monkeypatch, groups, renamed, queries):
    monkeypatch.setattr(operations, "RARE_GRAM", rare)  # 0: every bigram is common, none leads
    shown, every = {}, {}
    with db.begin() as session:
        for table in (models.MemberSearchGram, models.MemberNetwork, models.MemberLanguage, models.MemberRow):
            session.execute(delete(table))
        for n, (ja, en, visibility) in enumerate(groups):
            member = operations.create_group(session, MemberGroupDraft(
                name={"ja": ja, "en": en}, kind="npo", region="kanto", visibility=visibility, external_id=f"G-{n}"))
            every[member.id] = (ja, en)
            if visibility == "public":
                shown[member.id] = (ja, en)
        ids = list(every)
        for index, ja in renamed:
            member_id = ids[index % len(ids)]
            operations.patch_member(session, member_id, MemberPatch(name={"ja": ja}))
            every[member_id] = (ja,)
            if member_id in shown:
                shown[member_id] = (ja,)
    for q in [" ".join(queries), *queries]:
        assert found(db, q) == matching(shown, q), q
        assert found(db, q, SECRETARIAT) == matching(every, q), q


def matching(members: dict[str, tuple[str, ...]], q: str) -> set[str]:
    """The reference: every word of the query a substring of the member's names, folded."""
    return {member_id for member_id, texts in members.items()
            if all(word in domain.search_text({"n": " ".join(texts)}, None) for word in domain.search_words(q))}


def test_a_name_holding_a_word_s_bigrams_out_of_order_is_not_found():
    assert domain.search_grams("いあい") >= domain.search_grams("あいあ")  # every bigram, not the word
    assert domain.search_grams(domain.folded("カラバオの会 Kalabaw")) == {
        "から", "らば", "ばお", "おの", "の会", "ka", "al", "la", "ab", "ba", "aw"}  # never across a space
    assert domain.search_grams("会") == set()


def test_an_erased_member_leaves_no_bigram_of_their_name(db):
    with db.begin() as session:
        member = operations.create_group(session, MemberGroupDraft(
            name={"ja": "カラバオの会", "en": "Kalabaw"}, kind="npo", region="kanto", external_id="G-erased"))
        operations.erase(session, member.id)
    with db() as session:
        held = set(session.scalars(select(models.MemberSearchGram.gram).where(
            models.MemberSearchGram.member_id == member.id)))
    assert held == domain.search_grams(domain.search_text(None, ERASED_NAME))
    assert not held & domain.search_grams(domain.folded("カラバオの会 Kalabaw"))
    assert found(db, "カラバオ", SECRETARIAT) & {member.id} == set()


def test_the_rarest_bigram_leads_and_the_counts_are_taken_again_when_old(db, monkeypatch):
    """The counts choosing the plan (gram_statistics): per bigram, for public queries only what entries
    show; bigrams few hold are left out (they lead whatever they are); taken again after a while."""
    monkeypatch.setattr(gram_statistics, "KEPT_FROM", 2)
    clock = [time.monotonic() + 2 * gram_statistics.REFRESHED_AFTER_SECONDS]  # earlier tests' counts: old
    monkeypatch.setattr(gram_statistics, "monotonic", lambda: clock[0])
    with db.begin() as session:
        for table in (models.MemberSearchGram, models.MemberNetwork, models.MemberLanguage, models.MemberRow):
            session.execute(delete(table))
        for n, (ja, visibility) in enumerate([("支援の会", "public"), ("支援センター", "public"),
                                              ("難民支援", "hidden"), ("難民の会", "hidden")]):
            operations.create_group(session, MemberGroupDraft(name={"ja": ja}, kind="npo", region="kanto",
                                                              visibility=visibility, external_id=f"G-{n}"))
    with db() as session:
        counts = gram_statistics.current(session)
        assert counts.held(public=True) == {"支援": 2}  # 難民 and の会: one public holder each, not kept
        assert counts.held(public=False) == {"支援": 3, "難民": 2, "の会": 2}
        assert operations._rarest_gram(session, {"支援", "援セ"}, public=True) == "援セ"  # not kept: fewer
        monkeypatch.setattr(operations, "RARE_GRAM", 2)
        assert operations._rarest_gram(session, {"支援"}, public=True) is None  # common: names read in order
        assert operations._rarest_gram(session, {"支援", "難民"}, public=False) is None
    with db.begin() as session:
        operations.create_group(session, MemberGroupDraft(name={"ja": "難民の会"}, kind="npo", region="kanto",
                                                          visibility="public", external_id="G-new"))
    with db() as session:
        assert gram_statistics.current(session) is counts  # still fresh
        clock[0] += gram_statistics.REFRESHED_AFTER_SECONDS + 1
        assert gram_statistics.current(session).held(public=True) == {"支援": 2, "の会": 2}


def test_statements_kept_by_shape_are_bounded_whatever_queries_come(db):
    """A statement is built once per shape (filters present, words, which a bigram leads); a client
    sending queries of ever new shapes cannot make the kept statements grow without end."""
    operations._public_directory.cache_clear()
    with db() as session:
        for words in range(1, 51):
            for region, kind, network in [(r, k, n) for r in (None, "kanto") for k in (None, "npo")
                                          for n in (None, "labour")]:
                operations.directory(session, DirectoryQuery(q=" ".join("あ" * words), region=region, kind=kind,
                                                             network=network))
    assert operations._public_directory.cache_info().currsize == operations.STATEMENTS_KEPT
