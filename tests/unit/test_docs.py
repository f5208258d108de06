"""The documentation stays true to the code: README's settings, and docs/ARCHITECTURE.md's tables of
parts and messages (who owns which tables, answers which RPC, publishes and consumes which event)."""
from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

from nameko.rpc import Rpc

from services.gateway.access import markdown_table
from services.gateway.api_tokens import ApiTokens
from services.gateway.feed_cache import EVENT_CHANGES, FeedInvalidator
from services.gateway.sessions import SessionGuard
from shared.bus.subscriptions import SUBSCRIPTIONS
from shared.contracts import EVENT_TYPES
from shared.contracts.identity import ApiTokenRevoked, SessionRevoked
from shared.settings import Settings
from tsunagu.service_runner import SERVICE_CLASSES, load_service_class

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
PARTS = {*SERVICE_CLASSES, "gateway"}


def table(first_heading: str) -> list[dict[str, str]]:
    """The rows of the table whose header begins with `first_heading`, each keyed by the header."""
    lines = ARCHITECTURE.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_heading} |"))
    header = _cells(lines[start])
    rows = []
    for line in lines[start + 2:]:  # past the header and its | --- | line
        if not line.startswith("|"):
            break
        rows.append(dict(zip(header, _cells(line), strict=True)))
    return rows


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def named(cell: str) -> set[str]:
    """What a cell names in backticks."""
    return set(re.findall(r"`([^`]+)`", cell))


def events_matching(pattern: str) -> dict[str, str]:
    """Each event a documented name stands for (`registration_*` is every registration event), with
    what its `*` stood for."""
    found = {}
    for name in EVENT_TYPES:
        match = re.fullmatch(re.escape(pattern).replace(r"\*", "(.*)"), name)
        if match:
            found[name] = match.group(1) if match.groups() else ""
    assert found, f"docs/ARCHITECTURE.md names {pattern!r}, which is no event"
    return found


def rpc_methods(service_class) -> set[str]:
    return {name for name, method in inspect.getmembers(service_class, inspect.isfunction)
            if any(isinstance(entrypoint, Rpc) for entrypoint in getattr(method, "nameko_entrypoints", ()))}


def consumers_in_code() -> set[tuple[str, str, str]]:
    """(event, part, handler): the services' subscriptions and the gateway's listeners (feeds, sessions)."""
    return ({(s.contract.event_type, s.consumer, s.handler) for s in SUBSCRIPTIONS}
            | {(event, "gateway", FeedInvalidator.__name__) for event in EVENT_CHANGES}
            | {(SessionRevoked.event_type, "gateway", SessionGuard.__name__),
               (ApiTokenRevoked.event_type, "gateway", ApiTokens.__name__)})


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"`TSUNAGU_{name.upper()}`" not in readme]
    assert missing == []


def test_the_messages_table_lists_every_event_once_with_its_publisher():
    rows = table("event")
    assert sorted(row["event"].strip("`") for row in rows) == sorted(EVENT_TYPES)
    assert {row["event"].strip("`"): row["published by"] for row in rows} == {
        name: contract.source for name, contract in EVENT_TYPES.items()}


def test_the_messages_table_names_exactly_who_consumes_each_event():
    parts = "|".join(sorted(PARTS))
    documented = {(row["event"].strip("`"), part, handler) for row in table("event")
                  for part, handler in re.findall(rf"\b({parts}) `(\w+)`", row["consumed by"])}
    assert documented == consumers_in_code()


def test_the_parts_table_says_exactly_what_each_part_consumes_and_publishes():
    rows = table("part")
    assert {row["part"] for row in rows} == PARTS
    documented = set()
    for row in rows:
        for event_pattern, handler_pattern in re.findall(r"`([\w*]+)` → `([\w*]+)`", row["consumes"]):
            documented |= {(event, row["part"], handler_pattern.replace("*", star))
                           for event, star in events_matching(event_pattern).items()}
        published = {event for pattern in named(row["publishes"]) for event in events_matching(pattern)}
        assert published == {name for name, contract in EVENT_TYPES.items() if contract.source == row["part"]}
    assert documented == consumers_in_code()


def test_the_parts_table_names_exactly_each_service_s_rpc_methods_and_tables():
    for row in table("part"):
        if row["part"] == "gateway":
            assert (row["answers (RPC)"], row["owns"]) == ("HTTP", "nothing")
            continue
        assert named(row["answers (RPC)"]) == rpc_methods(load_service_class(row["part"])), row["part"]
        models = importlib.import_module(f"services.{row['part']}.models")
        assert named(row["owns"]) == set(models.metadata.tables), row["part"]


def test_readme_shows_the_access_table_of_the_code():
    readme = (ROOT / "README.md").read_text()
    shown = readme.split("<!-- access table: generated -->\n", 1)[1].split("\n<!-- end of access table -->")[0]
    assert shown == markdown_table()
