"""`python -m bench`: every benchmark, each with its own same-run baseline."""
from bench import directory, feeds, mail, registrations, rpc_vs_gateway
from bench.environment import bench_stack

if __name__ == "__main__":
    feeds.build_benchmark()
    directory.run()
    with bench_stack() as settings:
        rpc_vs_gateway.run(settings)
        registrations.run(settings)
        feeds.conditional_get_benchmark(settings)
        mail.run(settings)
