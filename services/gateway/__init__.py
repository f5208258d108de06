"""The HTTP gateway: the only door from the outside; it speaks to the services over RPC."""
