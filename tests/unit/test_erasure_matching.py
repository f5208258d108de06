"""How every service recognises an erased person: one normalisation of addresses and names, and the
places in a JSON document where they sit."""
import hashlib
import json

import pytest
from pydantic import ValidationError

from shared.contracts.events import RegistrationRequest
from shared.erasure import ErasedPerson, stored_forms
from shared.secrets import email_digest, name_digest


def test_an_address_matches_whatever_its_case_spaces_or_width():
    expected = hashlib.sha256(b"hanako@example.org").hexdigest()
    assert {email_digest(a) for a in ("hanako@example.org", " Hanako@Example.ORG ", "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｏｒｇ",
                                      "\u3000hanako@example.org")} == {expected}
    assert email_digest("") is None and email_digest("  ") is None and email_digest(None) is None


def test_a_name_matches_with_or_without_spaces_full_width_or_half_width_kana():
    assert len({name_digest(n) for n in ("山田 太郎", "山田　太郎", "山田太郎", " 山田  太郎 ")}) == 1
    assert name_digest("ｶﾗﾊﾞｵ") == name_digest("カラバオ")
    assert name_digest("Ana Lima") == name_digest("ANA LIMA") == name_digest("Ａｎａ　Ｌｉｍａ")
    assert name_digest("Ana Lima") != name_digest("Ana Lim")
    assert name_digest("") is None and name_digest(" \u3000") is None


def test_a_person_is_found_anywhere_in_a_document_and_only_whole_values_count():
    person = ErasedPerson.known_as("nguyen@example.org", ["Nguyen Van An"])
    document = {"registrant": {"email": "NGUYEN@example.org", "display_name": "x"}, "list": [1, None, "y"]}
    assert person.is_mentioned_in(document)
    assert person.is_mentioned_in(["a", {"b": ["nguyen van an"]}])
    assert not person.is_mentioned_in({"email": "xnguyen@example.org", "note": "Nguyen Van An's friend"})
    assert person.scrubbed(document)["registrant"] == {"email": "(erased)", "display_name": "x"}
    assert person.scrubbed(document)["list"] == [1, None, "y"]


def test_the_erased_placeholder_is_never_taken_for_a_name():
    person = ErasedPerson.known_as("a@example.org", []).also_named(["(erased)", None, ""])
    assert person.name_sha256 == frozenset()


def test_stored_forms_cover_the_escapes_json_columns_write():
    assert stored_forms("消去 花子") == {"消去 花子", "\\u6d88\\u53bb \\u82b1\\u5b50"}
    assert json.dumps("消去 花子")[1:-1] in stored_forms("消去 花子")


def test_a_validation_error_names_the_field_not_the_value():
    with pytest.raises(ValidationError) as failure:
        RegistrationRequest.model_validate({"display_name": "消去 花子", "email": "hanako@@example.org", "places": 0})
    assert "email" in str(failure.value) and "hanako" not in str(failure.value) and "消去" not in str(failure.value)
