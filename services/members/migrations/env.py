"""Alembic's entry to the members service's migrations (run by `tsunagu migrate`, see shared/migrations.py)."""
from alembic import context

from services.members.models import metadata
from shared.migrations import run_migrations

run_migrations(context, metadata)
