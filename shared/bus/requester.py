"""Who is asking a service, as the gateway (or the command line on the host) vouches for it: a signed
`bus-caller` claim (shared/claims.py) travelling in the call's context. Services decide from it alone;
an argument such as `organizer=True` proves nothing, since anyone holding the broker's password can
send one.

The claim is made for one call and holds for CLAIM_LIFETIME (a little longer than any call waits, to
allow for clocks that differ between hosts). Only processes that hold TSUNAGU_SECRET_KEY can make one.
"""
from __future__ import annotations

import time
from datetime import timedelta
from functools import cached_property

from nameko.extensions import DependencyProvider

from shared.authority import of_the_secretariat, organizing
from shared.claims import Purpose, purpose_key, sign, verify
from shared.contracts.identity import Caller
from shared.db import SETTINGS_KEY
from shared.errors import Unauthenticated

CALLER_CONTEXT = "caller"  # travels as the AMQP header nameko.caller
CLAIM_LIFETIME = timedelta(minutes=2)


class Voucher:
    """Makes the claims of one process (the gateway, the command line)."""

    REMEMBERED = 10_000  # claims kept for reuse; past this many the oldest half is forgotten

    def __init__(self, secret_key: str, lifetime: timedelta = CLAIM_LIFETIME):
        self._key = purpose_key(secret_key, Purpose.BUS_CALLER)
        self._lifetime = lifetime
        self._remembered: dict[str, tuple[dict[str, str], float]] = {}

    def context(self, caller: Caller, remember_as: str | None = None) -> dict[str, str]:
        """The call context that says `caller` is asking. With `remember_as` (what the request proved who
        it was with: its cookie or token, and its client address), the claim made for it is used again
        for the first half of its life, so a signed-in person's requests do not each cost a signature."""
        if remember_as is None:
            return {CALLER_CONTEXT: sign(caller, self._key, self._lifetime)}
        now = time.monotonic()
        kept = self._remembered.get(remember_as)
        if kept is not None and now - kept[1] < self._lifetime.total_seconds() / 2:
            return kept[0]
        if len(self._remembered) >= self.REMEMBERED:
            self._remembered = dict(list(self._remembered.items())[self.REMEMBERED // 2:])
        context = {CALLER_CONTEXT: sign(caller, self._key, self._lifetime)}
        self._remembered[remember_as] = (context, now)
        return context


class Requester(DependencyProvider):
    """Gives each worker the `Asking` of its call."""

    @cached_property
    def key(self) -> bytes:
        return purpose_key(self.container.config[SETTINGS_KEY].secret_key, Purpose.BUS_CALLER)

    def get_dependency(self, worker_ctx):
        # Verified when the entrypoint asks, not here: an exception raised while injecting would never
        # reach the caller as an answer.
        return Asking(worker_ctx.data.get(CALLER_CONTEXT), self.key)


class Asking:
    """The caller of one call: `anyone()` where anonymous callers are served too (a forged claim is
    still refused), `someone()` where a verified person is needed, `organizer()` for the organizing
    roles (their scope is checked by the use case) and `secretariat()`."""

    def __init__(self, claim: str | None, key: bytes):
        self._claim = claim
        self._key = key

    def anyone(self) -> Caller | None:
        return None if self._claim is None else verify(self._claim, self._key, Caller)

    def someone(self) -> Caller:
        if self._claim is None:
            raise Unauthenticated("this needs a signed-in caller, and the call carried no claim of one")
        return verify(self._claim, self._key, Caller)

    def organizer(self) -> Caller:
        return organizing(self.someone())

    def secretariat(self) -> Caller:
        return of_the_secretariat(self.someone())
