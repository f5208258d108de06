"""`python -m bench`: every benchmark, each with its own same-run baseline, then a summary table;
`python -m bench gateway`: only the gateway's figures; `python -m bench scale-out`: only registrations
with one and two copies of the events service on PostgreSQL."""
import sys

from bench import directory, feeds, gateway, mail, scale_out
from bench.environment import running_stack
from bench.summary import NO_GOAL, Figure, table


def _gateway_figures(measured: dict) -> list[Figure]:
    goals, rounds = gateway.GOALS, measured["rounds"]
    return [Figure("GET /events/{id} / echo", goals["read"], rounds["read"]),
            Figure("registrations / echo", goals["register"], rounds["register"]),
            Figure("GET /events/{id} p99 / p50", goals["tail"], rounds["read_tail"]),
            Figure("registrations p99 / p50", goals["tail"], rounds["register_tail"]),
            Figure("signed in / nobody", goals["signed_in"], rounds["signed_in"]),
            Figure("event page (vi) / JSON", goals["event_page"], rounds["event_page"]),
            Figure("machine CPU per registration / per echo call", NO_GOAL,
                   tuple(a / b for a, b in zip(rounds["register_machine_ms"], rounds["echo_machine_ms"],
                                               strict=True))),
            Figure("registrations / echo the cores could sustain", NO_GOAL, rounds["register_sustained"]),
            Figure("2 gateway processes / 1", NO_GOAL, rounds["two_workers"])]


if __name__ == "__main__":
    only = sys.argv[1:]
    if only not in ([], ["gateway"], ["scale-out"]):
        sys.exit("usage: python -m bench [gateway|scale-out]")
    if only == ["scale-out"]:
        scale_out.run()
        sys.exit(0)
    figures: list[Figure] = []
    if not only:
        built = feeds.build_benchmark()
        figures += [Figure("feed build / bare icalendar", feeds.GOALS["build"], built["rounds"]),
                    Figure("feed, one event changed / bare full build", feeds.GOALS["one_change"],
                           built["changed_rounds"])]
        searched = directory.run()
        figures += [Figure("directory, worst query / bare SQL + rows", directory.GOALS["worst"], searched["worst"]),
                    Figure("directory, Japanese partial match, ms", directory.GOALS["japanese_ms"],
                           searched["japanese_ms"])]
    with running_stack() as running:
        figures += _gateway_figures(gateway.run(running))
        if not only:
            figures.append(Figure("304 / fixed body", feeds.GOALS["not_modified"],
                                  (feeds.conditional_get_benchmark(running.settings)["ratio"],)))
            sent = mail.run(running)
            figures += [Figure("mail / bare smtplib, one connection", mail.GOALS["ratio"], sent["rounds"]),
                        Figure("mail / bare smtplib, as many connections", NO_GOAL, sent["same_connections_rounds"]),
                        Figure("mail, RSS peak MiB", mail.GOALS["rss_peak_mib"], (sent["rss_peak_mib"],))]
    if not only:
        figures.append(Figure("registrations on PostgreSQL, 2 events copies / 1", NO_GOAL, scale_out.run()["rounds"]))
    print("\n== Summary ==")
    print(table(figures))
