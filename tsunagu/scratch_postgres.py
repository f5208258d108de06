"""A throwaway PostgreSQL cluster on a free local port (deploy/local/postgres.sh), for the tests and the
benchmarks: started in a temporary directory of its own, stopped and removed afterwards."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tsunagu.ports import free_port

POSTGRES_SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "local" / "postgres.sh"


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """The URL of its database `tsunagu`, as the postgres superuser (trust on 127.0.0.1)."""
    directory = Path(tempfile.mkdtemp(prefix="tsunagu-pg-"))  # postgres.sh hands it to the postgres user
    port = free_port()
    subprocess.run([str(POSTGRES_SCRIPT), "start", str(directory), str(port)], check=True)
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/tsunagu"
    finally:
        subprocess.run([str(POSTGRES_SCRIPT), "stop", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)
