"""Alembic's entry to the events service's migrations (run by `tsunagu migrate`, see shared/migrations.py)."""
from alembic import context

from services.events.models import metadata
from shared.migrations import run_migrations

run_migrations(context, metadata)
