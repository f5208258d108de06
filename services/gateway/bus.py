"""The gateway's side of the message bus: nameko's RPC protocol spoken from asyncio, and the bus
events the gateway listens to, on one AMQP connection per gateway process (aiormq).

A call is what nameko's own proxies send (nameko/rpc.py, MethodProxy._call): a JSON body
`{"args", "kwargs"}` to the `nameko-rpc` topic exchange with routing key `service.method`, `reply_to`
naming this process's reply queue (an exclusive queue bound to the same exchange under a key of its
own) and a `correlation_id`; context data travels as `nameko.<key>` headers. The service answers
`{"result", "error"}` to that exchange with the reply_to as routing key. Calls wait on futures keyed by
correlation id, so any number of them share the one queue.

- A call is published `mandatory` with publisher confirms: when no service queue is bound to its key
  the broker returns it before confirming, and the call fails at once as UnknownService.
- Each request expires (AMQP per-message TTL) when its caller stops waiting: a service that comes
  back after an outage does not run a command nobody waits for.
- A reply whose call already timed out is dropped and counted (`stats.late_replies`).
- When the connection is lost every call in flight fails at once (BusUnavailable) and the bus
  reconnects by itself, with a new reply queue; listeners are told (`on_state`) so that what they
  learned from bus events (the feed cache) is dropped.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiormq
from aiormq.abc import DeliveredMessage
from kombu.utils.json import dumps, loads
from pamqp.commands import Basic

from shared import correlation
from shared.bus.remote_errors import error_from_reply
from shared.bus.topology import GATEWAY_REPLY_QUEUE, RPC_EXCHANGE, event_exchange

log = logging.getLogger(__name__)

CONTEXT_HEADER_PREFIX = "nameko."
TRANSIENT = 1  # a request is worth nothing after its timeout: the broker need not write it to disk
CONNECT_SECONDS = 5.0
HEARTBEAT_SECONDS = 30
REMEMBERED_TIMEOUTS = 10_000  # correlation ids of calls that timed out, to tell a late reply from a stray
BACKOFF_FIRST, BACKOFF_MOST = 0.5, 15.0

EventHandler = Callable[[str, Any], None]
StateListener = Callable[[bool], None]


class BusError(Exception):
    """A call that got no answer from its service; `reason` says why, for a person."""

    reason = "the message bus failed"

    def __init__(self, reason: str | None = None):
        super().__init__(reason or self.reason)
        if reason:
            self.reason = reason


class BusUnavailable(BusError):
    reason = "the message bus is unreachable"


class CallTimedOut(BusError):
    reason = "no answer in time"


class UnknownService(BusError):
    reason = "it is not running"


@dataclass
class BusStats:
    calls: int = 0
    late_replies: int = 0  # replies to calls that had timed out: dropped
    stray_replies: int = 0  # replies nobody here asked for: dropped
    reconnects: int = 0
    failed_in_flight: int = 0  # calls failed because the connection was lost under them


@dataclass
class _Listener:
    source: str
    event_types: tuple[str, ...]
    handler: EventHandler


@dataclass
class _Link:
    """One live connection: its channel and the routing key of its reply queue."""

    connection: aiormq.abc.AbstractConnection
    channel: aiormq.abc.AbstractChannel
    reply_key: str = field(default_factory=lambda: uuid.uuid4().hex)


class Bus:
    def __init__(self, amqp_uri: str, timeout: float):
        # A cluster's nodes, `;`-separated as kombu takes them: one connection at a time, to the next
        # node when the one in use goes away.
        self.node_uris = amqp_uri.split(";")
        self._node = 0
        self.timeout = timeout
        self.stats = BusStats()
        self._link: _Link | None = None
        self._pending: dict[str, asyncio.Future] = {}
        self._timed_out: OrderedDict[str, None] = OrderedDict()
        self._ids = itertools.count()
        self._id_prefix = uuid.uuid4().hex[:12]
        self._listeners: list[_Listener] = []
        self._state_listeners: list[StateListener] = []
        self._connected = asyncio.Event()
        self._runner: asyncio.Task | None = None

    # -- what the gateway uses -------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._link is not None

    def listen(self, source: str, event_types: Iterable[str], handler: EventHandler) -> None:
        """Have `handler(event_type, payload)` called for each of these events of `source`, on a queue of
        this process's own (exclusive: it goes when the process goes). Before `start`."""
        self._listeners.append(_Listener(source, tuple(event_types), handler))

    def on_state(self, listener: StateListener) -> None:
        """`listener(True)` once connected and listening, `listener(False)` when the connection is lost."""
        self._state_listeners.append(listener)

    async def start(self, wait: float) -> None:
        """Connect in the background; wait at most `wait` seconds for the first connection (the gateway
        serves meanwhile, answering 503 until the broker is there)."""
        self._runner = asyncio.create_task(self._stay_connected(), name="bus")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), wait)

    async def stop(self) -> None:
        if self._runner:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None

    async def call(self, service: str, method: str, args: tuple | list = (), kwargs: dict | None = None, *,
                   context: dict | None = None, timeout: float | None = None) -> Any:
        """The result of `service.method(*args, **kwargs)`, or the error it raised (a registered domain
        error as itself, any other as nameko's RemoteError); BusError when it gave no answer."""
        link = self._link
        if link is None:
            raise BusUnavailable()
        timeout = timeout or self.timeout
        correlation_id = f"{self._id_prefix}.{next(self._ids)}"
        reply: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = reply
        self.stats.calls += 1
        headers = {CONTEXT_HEADER_PREFIX + key: value for key, value in (context or {}).items()
                   if value is not None}
        request_id = correlation.current()  # the HTTP request's (services/gateway/observed.py)
        if request_id:
            headers[CONTEXT_HEADER_PREFIX + correlation.CONTEXT_KEY] = request_id
        properties = Basic.Properties(
            content_type="application/json", content_encoding="utf-8", delivery_mode=TRANSIENT,
            correlation_id=correlation_id, message_id=correlation_id, reply_to=link.reply_key,
            headers=headers, expiration=str(max(1, round(timeout * 1000))))
        body = dumps({"args": list(args), "kwargs": kwargs or {}}).encode()
        try:
            async with asyncio.timeout(timeout):
                await link.channel.basic_publish(body, exchange=RPC_EXCHANGE, routing_key=f"{service}.{method}",
                                                 properties=properties, mandatory=True)
                payload = await reply
        except TimeoutError:
            self._remember_timeout(correlation_id)
            raise CallTimedOut() from None
        except aiormq.exceptions.PublishError:
            raise UnknownService() from None
        except (aiormq.exceptions.AMQPError, aiormq.exceptions.ChannelInvalidStateError, ConnectionError) as exc:
            raise BusUnavailable(f"the message bus failed ({type(exc).__name__})") from None
        finally:
            self._pending.pop(correlation_id, None)
        if payload["error"] is not None:
            raise error_from_reply(payload["error"])
        return payload["result"]

    # -- replies and events ------------------------------------------------------------------------

    async def _on_reply(self, message: DeliveredMessage) -> None:
        correlation_id = message.header.properties.correlation_id
        reply = self._pending.pop(correlation_id, None) if correlation_id else None
        if reply is None or reply.done():
            if correlation_id in self._timed_out:
                self.stats.late_replies += 1
            else:
                self.stats.stray_replies += 1
            log.debug("dropped a reply nobody waits for (%s)", correlation_id)
            return
        try:
            reply.set_result(loads(message.body))
        except ValueError:
            reply.set_exception(BusError("the service's answer could not be read"))

    def _remember_timeout(self, correlation_id: str) -> None:
        self._timed_out[correlation_id] = None
        if len(self._timed_out) > REMEMBERED_TIMEOUTS:
            self._timed_out.popitem(last=False)

    @staticmethod
    def _event_consumer(listener: _Listener) -> Callable[[DeliveredMessage], Coroutine[Any, Any, None]]:
        async def on_event(message: DeliveredMessage) -> None:
            event_type = message.routing_key or ""
            try:
                listener.handler(event_type, loads(message.body))
            except Exception:  # noqa: BLE001 — one bad event must not stop the listening
                log.exception("handling %s from %s failed", event_type, listener.source)
        return on_event

    # -- the connection ----------------------------------------------------------------------------

    async def _open(self) -> _Link:
        uri = self.node_uris[self._node % len(self.node_uris)]
        url = uri + ("&" if "?" in uri else "?") + f"heartbeat={HEARTBEAT_SECONDS}"
        async with asyncio.timeout(CONNECT_SECONDS):
            connection = await aiormq.connect(url)
        try:
            async with asyncio.timeout(CONNECT_SECONDS):
                channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
                link = _Link(connection, channel)
                # The shared exchanges are the operator's (shared.bus.topology): checked, never declared.
                await channel.exchange_declare(RPC_EXCHANGE, exchange_type="topic", passive=True)
                queue = GATEWAY_REPLY_QUEUE.format(key=link.reply_key)
                await channel.queue_declare(queue, exclusive=True, auto_delete=True)
                await channel.queue_bind(queue, RPC_EXCHANGE, routing_key=link.reply_key)
                await channel.basic_consume(queue, self._on_reply, no_ack=True)
                for listener in self._listeners:
                    exchange = event_exchange(listener.source).name
                    await channel.exchange_declare(exchange, exchange_type="topic", passive=True)
                    declared = (await channel.queue_declare("", exclusive=True, auto_delete=True)).queue
                    assert declared, "the broker names a queue declared without a name"
                    for event_type in listener.event_types:
                        await channel.queue_bind(declared, exchange, routing_key=event_type)
                    await channel.basic_consume(declared, self._event_consumer(listener), no_ack=True)
        except BaseException:
            with contextlib.suppress(Exception):
                await connection.close()
            raise
        return link

    async def _stay_connected(self) -> None:
        backoff = BACKOFF_FIRST
        ever_connected = False
        failed_nodes = 0
        while True:
            try:
                link = await self._open()
            except (aiormq.exceptions.AMQPError, OSError, TimeoutError) as exc:
                self._node += 1
                failed_nodes += 1
                if failed_nodes < len(self.node_uris):
                    log.warning("no connection to a node of the message bus (%r); trying the next", exc)
                    continue
                failed_nodes = 0
                log.warning("no connection to the message bus (%r); trying again in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MOST)
                continue
            failed_nodes = 0
            backoff = BACKOFF_FIRST
            if ever_connected:
                self.stats.reconnects += 1
                log.warning("connected to the message bus again")
            ever_connected = True
            self._link = link
            self._connected.set()
            self._tell(True)
            try:
                await asyncio.wait([link.connection.closing, link.channel.closing],
                                   return_when=asyncio.FIRST_COMPLETED)
                log.warning("lost the connection to the message bus; reconnecting")
                self._node += 1  # the node may be the one that went away: the next first
            finally:
                self._link = None
                self._connected.clear()
                self._fail_in_flight()
                self._tell(False)
                with contextlib.suppress(Exception):
                    await link.connection.close()

    def _fail_in_flight(self) -> None:
        pending, self._pending = self._pending, {}
        for reply in pending.values():
            if not reply.done():
                self.stats.failed_in_flight += 1
                reply.set_exception(BusUnavailable("the connection to the message bus was lost"))
                reply.exception()  # its call may be failing on the publish instead: not worth a warning

    def _tell(self, connected: bool) -> None:
        for listener in self._state_listeners:
            try:
                listener(connected)
            except Exception:  # noqa: BLE001 — a listener's fault must not stop the connection's life
                log.exception("a bus state listener failed")
