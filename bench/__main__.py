"""`python -m bench`: every benchmark, each with its own same-run baseline;
`python -m bench gateway`: only the gateway's figures; `python -m bench scale-out`: only registrations
with one and two copies of the events service on PostgreSQL."""
import sys

from bench import directory, feeds, gateway, mail, scale_out
from bench.environment import running_stack

if __name__ == "__main__":
    only = sys.argv[1:]
    if only not in ([], ["gateway"], ["scale-out"]):
        sys.exit("usage: python -m bench [gateway|scale-out]")
    if only == ["scale-out"]:
        scale_out.run()
        sys.exit(0)
    if not only:
        feeds.build_benchmark()
        directory.run()
    with running_stack() as running:
        gateway.run(running)
        if not only:
            feeds.conditional_get_benchmark(running.settings)
            mail.run(running.settings)
    if not only:
        scale_out.run()
