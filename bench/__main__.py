"""`python -m bench`: every benchmark, one after the other."""
from bench import rpc_vs_gateway

if __name__ == "__main__":
    rpc_vs_gateway.main()
