"""With several gateway processes on one port, /metrics is answered by whichever of them takes the
request: each must report the counts of all of them. prometheus-client's multiprocess mode does that —
each process writes its samples to files in one directory, and /metrics (services/gateway/routers/
metrics.py) adds them up. The directory is emptied at start: counts of an earlier run are not today's."""
from __future__ import annotations

import os
import shutil

from shared.metrics import MULTIPROCESS_VARIABLE
from shared.settings import Settings


def share_metrics_between_workers(settings: Settings) -> None:
    directory = settings.var_dir.resolve() / "gateway-metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700, parents=True)
    # inherited by the workers, which uvicorn spawns afresh: each imports prometheus-client with it set
    os.environ[MULTIPROCESS_VARIABLE] = str(directory)
