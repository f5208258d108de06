"""The bus: outbox and relay (publishing), inbox (idempotent consuming), dead letters, topology."""
