"""Header values that must reach the reader exactly as written: List-Unsubscribe, List-Id, Message-ID.

Python's email folds a header longer than 78 columns that has no space where it needs one by turning
it into RFC 2047 encoded-words. RFC 2047 (§5) allows encoded-words only in text and phrases, so a
List-Unsubscribe, the `<id>` of a List-Id or a Message-ID so written is not an address any more:
Gmail and Yahoo then offer no one-click unsubscribe, and a parser that does not decode reads nothing.
These values are therefore made here — all ASCII, folded between their parts — and set with
`set_raw` on a message whose policy (`MAIL_POLICY`) sends raw values as they are.
"""
from __future__ import annotations

from email.header import Header
from email.policy import SMTP

# CRLF line ends in every part (as the wire and RFC 5545 want them); raw header values never refolded.
MAIL_POLICY = SMTP.clone(refold_source="none")
MAX_LINE = 78  # RFC 5322 §2.1.1: lines SHOULD be no longer; an address that cannot break may be (≤ 998)
FOLD = "\r\n "
_ATEXT = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ")


def literal(value: str, what: str) -> str:
    """`value` if it can stand in a header as it is: printable ASCII without spaces or angle brackets."""
    if not value or not all(33 <= ord(ch) <= 126 for ch in value) or any(ch in value for ch in '<>"'):
        raise ValueError(f"{what} {value!r} cannot be written in a mail header (ASCII without spaces only)")
    return value


def fold(name: str, parts: list[str]) -> str:
    """`parts` joined by spaces, a fold wherever the next part would pass 78 columns (counting `Name: `)."""
    lines = [parts[0]]
    width = len(name) + 2 + len(parts[0])
    for part in parts[1:]:
        if width + 1 + len(part) > MAX_LINE:
            lines.append(part)
            width = 1 + len(part)
        else:
            lines[-1] += " " + part
            width += 1 + len(part)
    return FOLD.join(lines)


def phrase_words(name: str, text: str) -> list[str]:
    """A display phrase in header `name`: plain words when it is plain ASCII, otherwise RFC 2047
    encoded-words (allowed in a phrase), each holding whole characters and fitting a line."""
    if all(ch in _ATEXT for ch in text) and text.strip():
        return text.split()
    return Header(text, "utf-8", header_name=name).encode(maxlinelen=MAX_LINE - 1).split()


def list_id(list_name: str, identifier: str) -> str:
    """RFC 2919: `phrase <list-id>`; the id is a literal dot-atom, never inside an encoded-word."""
    words = phrase_words("List-Id", list_name) if list_name.strip() else []
    return fold("List-Id", [*words, f"<{literal(identifier, 'a list id')}>"])


def list_unsubscribe(https_url: str, mailto: str) -> str:
    """RFC 2369 / RFC 8058: the https address first (one-click), a fold, then the mailto address."""
    return f"<{literal(https_url, 'an unsubscribe address')}>,{FOLD}<{literal(mailto, 'an unsubscribe address')}>"


def message_id(value: str) -> str:
    """RFC 5322 msg-id `<left@right>`, on one line however long."""
    return f"<{literal(value.removeprefix('<').removesuffix('>'), 'a Message-ID')}>"
