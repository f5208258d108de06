"""Alembic's entry to the notifications service's migrations (run by `tsunagu migrate`, see shared/migrations.py)."""
from alembic import context

from services.notifications.models import metadata
from shared.migrations import run_migrations

run_migrations(context, metadata)
