"""`python -m bench`: every benchmark, each with its own same-run baseline;
`python -m bench gateway`: only the gateway's figures."""
import sys

from bench import directory, feeds, gateway, mail
from bench.environment import running_stack

if __name__ == "__main__":
    only = sys.argv[1:]
    if only not in ([], ["gateway"]):
        sys.exit("usage: python -m bench [gateway]")
    if not only:
        feeds.build_benchmark()
        directory.run()
    with running_stack() as running:
        gateway.run(running)
        if not only:
            feeds.conditional_get_benchmark(running.settings)
            mail.run(running.settings)
