"""Every setting Tsunagu reads, with its default and why. Environment variables are prefixed TSUNAGU_."""
from __future__ import annotations

import os
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.bus.parts import BrokerPart, password_of, user_of

SERVICE_NAMES = ("events", "members", "notifications")
MIN_SECRET_KEY_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class QueueType(StrEnum):
    """RabbitMQ's kind of durable queue: classic (one node holds it) or quorum (replicated on a majority
    of a cluster's nodes, so it outlives the loss of one)."""

    CLASSIC = "classic"
    QUORUM = "quorum"

    @property
    def arguments(self) -> dict[str, str]:
        """What a durable queue of this type is declared with."""
        return {"x-queue-type": self.value}


class LocalState(BaseSettings):
    """What the local stack must know before the full settings can be checked: where it keeps its
    state, and the secrets it may have generated and kept there on an earlier start."""

    model_config = SettingsConfigDict(env_prefix="TSUNAGU_", extra="ignore")

    var_dir: Path = Field(Path("var"), description="Where local state lives: SQLite files, broker data, mail")
    secret_key: str = Field("", description="Signs links in mail, session cookies and the claims services "
                                            "trust; make run generates one")


class Settings(LocalState):
    environment: Environment = Field(Environment.DEVELOPMENT,
                                     description="development, test or production (any case); production "
                                                 "refuses default secrets, only test runs without a secret key")

    http_host: str = Field("127.0.0.1", description="Address the HTTP gateway listens on")
    http_port: int = Field(8000, description="Port of the HTTP gateway")
    public_url: str = Field("", description="The gateway's URL as people reach it (links in mail); "
                                            "default http://HTTP_HOST:HTTP_PORT")

    amqp_host: str = Field("127.0.0.1", description="RabbitMQ host")
    amqp_port: int = Field(5672, description="RabbitMQ AMQP port")
    amqp_management_port: int = Field(0, description="RabbitMQ management UI port of the local broker; "
                                                     "0: AMQP_PORT + 10000")
    amqp_user: str = Field("", description="RabbitMQ user for every part; empty: each part its own "
                                           "(tsunagu-gateway, tsunagu-events, …, tsunagu-operator), limited "
                                           "to its own exchanges and queues (`tsunagu broker definitions`)")
    amqp_password: str = Field("", description="RabbitMQ password of AMQP_USER; empty with an empty "
                                               "AMQP_USER: each part's is derived from SECRET_KEY")
    amqp_vhost: str = Field("/", description="RabbitMQ virtual host")
    amqp_nodes: str = Field("", description="Every node of a RabbitMQ cluster, as host:port,host:port,… — each "
                                            "part connects to one and fails over to the next; empty: "
                                            "AMQP_HOST:AMQP_PORT (and the local cluster's others)")
    amqp_queue_type: QueueType | None = Field(None, description="classic or quorum, the type of every durable "
                                                                "queue; empty: quorum with more than one node")
    broker_nodes: int = Field(1, description="Nodes of the RabbitMQ that make run starts: 1, or 3 for a "
                                             "cluster on loopback (AMQP_PORT and the next two)")

    smtp_host: str = Field("127.0.0.1", description="SMTP server that delivers Tsunagu's mail")
    smtp_port: int = Field(8025, description="SMTP port (the local sink listens here in development)")
    smtp_user: str = Field("", description="SMTP login, when the server wants one")
    smtp_password: str = Field("", description="SMTP password")
    smtp_starttls: bool = Field(False, description="Use STARTTLS before login")
    smtp_connections: int = Field(default_factory=lambda: min(8, 2 * (os.cpu_count() or 1)), ge=1, le=32,
                                  description="SMTP sessions each notifications process sends over at once; "
                                              "default twice the machine's cores, at most 8")
    sink_accept_delay_ms: float = Field(0.0, ge=0, le=10_000, description=(
        "The local sink's wait before it accepts each message, as a mail server's queue write and round trip "
        "take (postfix's smtp-sink -w); 0 in development and tests"))
    mail_from: str = Field("Tsunagu <noreply@tsunagu.localhost>", description="From address of all mail")
    mail_reply_to: str = Field("", description="Reply-To of list mail (the secretariat), empty for none")

    database_url: str = Field("", description="PostgreSQL URL shared by all services (each its own "
                                              "schema); empty: one SQLite file per service under VAR_DIR")
    database_pool_size: int = Field(8, ge=1, le=100, description="Connections each service process keeps to "
                                    "PostgreSQL (one more for its health probe); see README on max_connections")
    database_busy_seconds: float = Field(5.0, description="How long a write waits for a lock held elsewhere "
                                                           "before it fails as a passing fault (503, retried)")

    rpc_timeout: float = Field(10.0, gt=0, description="Seconds the gateway waits for a service's answer; a "
                                                       "request not taken up by then expires unrun")
    http_workers: int = Field(1, ge=1, le=64, description="Gateway processes serving the HTTP port, each with "
                                                          "its own bus connection and feed cache")
    health_timeout: float = Field(3.0, description="Seconds /health waits for each service's ping")
    max_workers: int = Field(10, description="Concurrent workers per service (also the AMQP prefetch)")
    private_feed_seconds: float = Field(60.0, description="How long the gateway keeps a registrant's private "
                                                           "calendar feed before building it again")
    feed_cache_bytes: int = Field(32 * 1024 * 1024, description="Most bytes of built calendar feeds the gateway "
                                                                "keeps (the least recently used go first)")
    outbox_poll_seconds: float = Field(1.0, description="How often the outbox relay looks for rows it "
                                                        "was not told about")
    retry_seconds: float = Field(10.0, description="An event that met a passing fault (database locked or "
                                                   "away) is handled again after this many seconds")
    retry_hours: float = Field(24.0, description="… for at most this long; then it goes to the dead letters")
    registration_hold_hours: float = Field(48.0, gt=0, description="How long an individual's places are held "
                                           "while their address is not confirmed; then they go back")
    registrations_per_minute: int = Field(30, ge=0, description="Registrations a client address may send "
                                          "a minute (per gateway process); more are 429. 0: no limit")
    max_body_bytes: int = Field(1024 * 1024, gt=0, description="Largest request body the gateway reads; "
                                                               "larger ones get 413 (the member import has "
                                                               "its own limit)")
    metrics_port: int = Field(9310, ge=0, le=65535, description="Base port of the services' Prometheus metrics: "
                              "events, members, notifications on this and the next two (INSTANCE moves them "
                              "on by 3 each); 0: none. The gateway's are at /metrics on its HTTP port")
    metrics_host: str = Field("127.0.0.1", description="Address the services' metrics ports listen on")
    instance: int = Field(0, ge=0, le=100, description="Which copy of a service this is on its host (0, 1, …): "
                                                       "moves its metrics port so copies do not collide")
    log_level: str = Field("INFO", description="Least severe log records written (DEBUG, INFO, WARNING, ERROR)")
    log_max_bytes: int = Field(10 * 1024 * 1024, gt=0, description="Size at which the local stack starts a "
                                                                   "new log file for a part")
    log_backups: int = Field(3, ge=1, description="Earlier log files kept per part (NAME.log.1 …)")
    broker_start_timeout: int = Field(90, gt=0, description="Seconds the local stack waits for its RabbitMQ "
                                                            "to accept connections")

    @field_validator("environment", mode="before")
    @classmethod
    def _known_environment(cls, value: object) -> object:
        if isinstance(value, str):
            word = value.strip().lower()
            known = [environment.value for environment in Environment]
            if word not in known:
                raise ValueError(f"TSUNAGU_ENVIRONMENT must be one of {', '.join(known)} (got {value!r})")
            return word
        return value

    @field_validator("broker_nodes")
    @classmethod
    def _one_or_three(cls, value: int) -> int:
        if value not in (1, 3):
            raise ValueError("TSUNAGU_BROKER_NODES is 1 (one node) or 3 (a cluster)")
        return value

    @field_validator("amqp_queue_type", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_level(cls, value: object) -> object:
        word = str(value).strip().upper()
        if word not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError(f"TSUNAGU_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR (got {value!r})")
        return word

    @model_validator(mode="after")
    def _readable_nodes(self) -> Settings:
        try:
            self.amqp_addresses  # noqa: B018 — parsed here so that a typo is refused at start
        except ValueError:
            raise ValueError(f"TSUNAGU_AMQP_NODES is host:port,host:port,… (got {self.amqp_nodes!r})") from None
        return self

    @model_validator(mode="after")
    def _derived_ports(self) -> Settings:
        if not self.amqp_management_port:
            self.amqp_management_port = self.amqp_port + 10000
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_secrets(self) -> Settings:
        # Anyone who knows the key can sign an unsubscribe link for any subscriber: only tests run without it.
        if self.environment is not Environment.TEST and len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"TSUNAGU_SECRET_KEY must be a random value of at least {MIN_SECRET_KEY_LENGTH} "
                             f"characters (e.g. `openssl rand -hex 32`); make run generates one in var/secret-key")
        if bool(self.amqp_user) != bool(self.amqp_password):
            raise ValueError("TSUNAGU_AMQP_USER and TSUNAGU_AMQP_PASSWORD are set together (one user for every "
                             "part) or not at all (each part its own user)")
        if self.environment is Environment.PRODUCTION and "guest" in (self.amqp_user, self.amqp_password):
            raise ValueError("RabbitMQ's guest account must not be used in production: leave TSUNAGU_AMQP_USER "
                             "empty (each part its own user) or name a user of your own")
        return self

    def amqp_credentials(self, part: BrokerPart) -> tuple[str, str]:
        """The broker user and password `part` connects as (shared.bus.parts)."""
        if self.amqp_user:
            return self.amqp_user, self.amqp_password
        return user_of(part), password_of(self.secret_key, part)

    @property
    def amqp_addresses(self) -> list[tuple[str, int]]:
        """Every broker node a part may connect to, the first tried first."""
        if self.amqp_nodes:
            found = []
            for address in self.amqp_nodes.split(","):
                host, _, port = address.strip().rpartition(":")
                found.append((host or address.strip(), int(port) if host else self.amqp_port))
            return found
        return [(self.amqp_host, self.amqp_port + number) for number in range(self.broker_nodes)]

    @property
    def queue_type(self) -> QueueType:
        if self.amqp_queue_type is not None:
            return self.amqp_queue_type
        return QueueType.QUORUM if len(self.amqp_addresses) > 1 else QueueType.CLASSIC

    def amqp_uri_for(self, part: BrokerPart) -> str:
        """The part's broker URI; with several nodes, one per node joined by `;` (kombu's failover list,
        which the gateway's client reads the same way)."""
        user, password = self.amqp_credentials(part)
        vhost = quote(self.amqp_vhost, safe="")
        login = f"{quote(user, safe='')}:{quote(password, safe='')}"
        return ";".join(f"amqp://{login}@{host}:{port}/{vhost}" for host, port in self.amqp_addresses)

    @cached_property
    def amqp_uri(self) -> str:
        """The operator's: the command line and whoever declares the topology."""
        return self.amqp_uri_for(BrokerPart.OPERATOR)

    @property
    def gateway_url(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def database_url_for(self, service: str) -> str:
        """The URL a service stores its tables at: the shared PostgreSQL, or its own SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / f'{service}.db').resolve()}"

    def nameko_config(self, part: BrokerPart) -> dict:
        return {
            "AMQP_URI": self.amqp_uri_for(part),
            "max_workers": self.max_workers,
            "parent_calls_tracked": 10,
            "serializer": "json",
            "ACCEPT": ["json"],
        }


KEPT_SECRETS = {"secret_key": "secret-key"}  # field: file in VAR_DIR


def load_settings(**overrides) -> Settings:
    """Settings from the environment; built on demand, never at import. A secret that is not set is the
    one the local stack keeps in VAR_DIR (`make run` generates them), so `tsunagu` commands run beside
    it use the same."""
    state = LocalState(**{name: overrides[name] for name in LocalState.model_fields if name in overrides})
    kept = {}
    for name, file_name in KEPT_SECRETS.items():
        path = state.var_dir / file_name
        if not getattr(state, name) and path.is_file():
            kept[name] = path.read_text().strip()
    return Settings(**{**kept, **overrides})
