from shared.i18n import choose_language, choose_text, language_chain, normalise_tag


def test_chain_goes_from_the_requested_language_to_japanese_then_english():
    assert language_chain("pt-BR") == ["pt-BR", "pt", "ja", "en"]
    assert language_chain("en") == ["en", "ja"]
    assert language_chain(None) == ["ja", "en"]


def test_easy_japanese_falls_back_to_japanese_not_to_a_private_subtag():
    assert language_chain("ja-x-easy") == ["ja-x-easy", "ja", "en"]


def test_tags_are_normalised_to_their_usual_case():
    assert normalise_tag("PT_br") == "pt-BR"
    assert normalise_tag("zh-hans") == "zh-Hans"
    assert normalise_tag("JA-X-Easy") == "ja-x-easy"


def test_text_in_the_best_available_language():
    title = {"ja": "全国フォーラム", "en": "National Forum"}
    assert choose_text(title, "vi") == "全国フォーラム"
    assert choose_text(title, "en-GB") == "National Forum"
    assert choose_text({"tl": "Pagtitipon"}, "vi") == "Pagtitipon"  # anything beats nothing
    assert choose_text({}, "ja") == ""
    assert choose_language(["en", "ja-x-easy"], "ja-x-easy") == "ja-x-easy"


def test_a_reader_gets_a_supported_language_or_nothing():
    from shared.i18n import SUPPORTED_LANGUAGES, supported_language
    assert [supported_language(t) for t in ("en-GB", "ja-JP", "JA-X-EASY", "zh-CN", "pt", "fil", "vi")] == [
        "en", "ja", "ja-x-easy", "zh-Hans", "pt-BR", "tl", "vi"]
    assert [supported_language(t) for t in ("fr", "zh-TW", "xx-1", "not a tag", "en-" + "x" * 40)] == [None] * 5
    assert all(supported_language(tag) == tag for tag in SUPPORTED_LANGUAGES)
