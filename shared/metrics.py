"""What Prometheus can read of each process (prometheus-client's exposition format).

The metrics are declared here, once, as the library intends (module-level, on its default registry);
nothing listens until a process starts its endpoint: the gateway's `/metrics`, a service's own port
(shared.observability). Labels are bounded sets — a method, an event type, a route template, an outcome —
never an id or an address.
"""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Set (before prometheus-client is imported) when several gateway processes share the HTTP port: each
# writes its samples to files there and /metrics adds them up (tsunagu/gateway_metrics.py)
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# Latencies from a cached feed (0.5 ms) to a slow export (10 s)
SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# --- the gateway -----------------------------------------------------------------------------------
HTTP_REQUESTS = Counter("tsunagu_http_requests", "HTTP requests answered, by route template and status",
                        ["method", "route", "status"])
HTTP_SECONDS = Histogram("tsunagu_http_request_seconds", "Time to answer an HTTP request", ["method", "route"],
                         buckets=SECONDS)

# --- the services ----------------------------------------------------------------------------------
RPC_CALLS = Counter("tsunagu_rpc_calls", "RPC calls a service ran, by method and outcome (ok: answered; "
                    "refused: a domain answer such as not found or invalid; failed: an unexpected error)",
                    ["service", "method", "outcome"])
RPC_SECONDS = Histogram("tsunagu_rpc_seconds", "Time a service took to run an RPC call", ["service", "method"],
                        buckets=SECONDS)
EVENTS_CONSUMED = Counter("tsunagu_events_consumed", "Events a service's consumers handled, by event type "
                          "and outcome (applied, duplicate, retried, dead_lettered)",
                          ["service", "event_type", "outcome"])
DEAD_LETTERS = Counter("tsunagu_dead_letters", "Messages a service sent to the dead-letter queue", ["service"])
OUTBOX_LAG = Gauge("tsunagu_outbox_lag_seconds", "Age of the oldest event not yet published (0: none waits)",
                   ["service"])
MAIL = Counter("tsunagu_mail", "Mail handed to SMTP, by outcome (sent; deferred: a passing failure, tried "
               "again later; bounced: refused for good)", ["outcome"])
TIMER_LAST_SUCCESS = Gauge("tsunagu_timer_last_success_timestamp_seconds", "When a timer last ran to the end",
                           ["service", "timer"])
