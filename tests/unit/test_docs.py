"""The documentation stays true to the code."""
from pathlib import Path

from shared.bus.subscriptions import SUBSCRIPTIONS
from shared.contracts import EVENT_TYPES
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"`TSUNAGU_{name.upper()}`" not in readme]
    assert missing == []


def test_architecture_names_every_event_and_subscription():
    architecture = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    assert [name for name in EVENT_TYPES if f"`{name}`" not in architecture] == []
    assert [s.queue_name for s in SUBSCRIPTIONS if s.handler not in architecture] == []
