"""Accounts made from the command line, against the running system."""
from __future__ import annotations

import os
import subprocess
import sys

from tsunagu.stack import ROOT, settings_env


def tsunagu(stack, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings_env(stack.settings)}
    return subprocess.run([sys.executable, "-m", "tsunagu.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_first_secretariat_and_a_scoped_organizer_are_made_from_the_command_line(stack):
    made = tsunagu(stack, "accounts", "add", "Secretariat@Example.org", "--role", "secretariat")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "secretariat@example.org: secretariat"
    organizer = tsunagu(stack, "accounts", "add", "kansai@example.org", "--role", "organizer",
                        "--region", "kinki-kansai", "--network", "medical")
    assert organizer.stdout.strip() == "kansai@example.org: organizer (kinki-kansai, medical)", organizer.stderr
    refused = tsunagu(stack, "accounts", "add", "x@example.org", "--role", "organizer")
    assert refused.returncode == 2 and "needs its scope" in refused.stderr
    listed = tsunagu(stack, "accounts", "list").stdout.splitlines()
    assert "secretariat@example.org: secretariat" in listed
    assert "kansai@example.org: organizer (kinki-kansai, medical)" in listed
    assert not any(line.startswith("x@example.org") for line in listed)
