"""With several gateway processes on one port, /metrics is answered by whichever of them takes the
request: each must report the counts of all of them. prometheus-client's multiprocess mode does that —
each process writes its samples to files in one directory, and /metrics (services/gateway/routers/
metrics.py) adds them up. The directory is emptied at start: counts of an earlier run are not today's."""
from __future__ import annotations

import os
import shutil

from shared.settings import Settings

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus-client when it is imported


def share_metrics_between_workers(settings: Settings) -> None:
    directory = settings.var_dir.resolve() / "gateway-metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700, parents=True)
    os.environ[MULTIPROCESS_VARIABLE] = str(directory)  # inherited by the workers uvicorn starts
