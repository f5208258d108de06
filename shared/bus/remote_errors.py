"""Errors that cross the bus intact, for every caller of the services (the gateway's asyncio client,
the standalone proxies of the command line and the tests).

A service raises a domain error; nameko sends it as {exc_type, exc_path, exc_args, value}. Registering
each class with nameko makes the caller raise the same class (a NotFound stays a NotFound); anything
else arrives as nameko's RemoteError naming the type.
"""
from __future__ import annotations

from nameko.exceptions import deserialize, deserialize_to_instance

from shared.errors import DOMAIN_ERRORS

for _error in DOMAIN_ERRORS:
    deserialize_to_instance(_error)


def error_from_reply(error: dict) -> Exception:
    """The exception a service's reply describes."""
    return deserialize(error)
