"""Personal API tokens at the gateway: `Authorization: Bearer tsu_…`. The members service says whom a
token speaks for; the answer is kept for TOKEN_CACHE_SECONDS so that a script's calls do not each cost
an RPC more, and forgotten at once when the token is revoked (`api_token_revoked`) or the bus is lost
(a revocation may pass unheard)."""
from __future__ import annotations

import time

from services.gateway.bus import Bus
from services.gateway.rpc import call_service
from shared.contracts.identity import ApiTokenCaller, Caller
from shared.secrets import hash_secret

TOKEN_CACHE_SECONDS = 60.0


class ApiTokens:
    def __init__(self) -> None:
        self._known: dict[str, tuple[Caller, float]] = {}  # token hash → (caller, when learned)
        self._hash_of: dict[str, str] = {}  # token id → token hash

    def attach(self, bus: Bus) -> None:
        bus.listen("members", ("api_token_revoked",), self.on_revoked)
        bus.on_state(lambda _listening: self.forget_all())

    def on_revoked(self, _event_type: str, payload: dict) -> None:
        self._known.pop(self._hash_of.pop(payload["token_id"], ""), None)

    def forget_all(self) -> None:
        self._known.clear()
        self._hash_of.clear()

    async def caller(self, bus: Bus, token: str) -> Caller:
        digest = hash_secret(token)
        known = self._known.get(digest)
        if known and time.monotonic() - known[1] < TOKEN_CACHE_SECONDS:
            return known[0]
        answer = ApiTokenCaller.model_validate(await call_service(bus, "members", "api_token_caller", token))
        self._known[digest] = (answer.caller, time.monotonic())
        self._hash_of[answer.token_id] = digest
        return answer.caller
