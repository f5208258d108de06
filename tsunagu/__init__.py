"""The `tsunagu` command: runs the whole system locally, or one part of it."""
