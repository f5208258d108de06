"""The `tsunagu` command.

    tsunagu run              the whole system in the foreground, with demo data on first start
    tsunagu service NAME     one service (events, members, notifications)
    tsunagu gateway          the HTTP gateway
    tsunagu smtp-sink        the local mail sink (writes .eml files)
    tsunagu migrate          bring every service's database to this version's schema (before starting them)
    tsunagu declare          declare the bus's exchanges and queues
    tsunagu dead-letters     list the messages no consumer could apply (--replay to retry them)
    tsunagu demo-data        load the demo data into a running system
    tsunagu members import FILE.csv [--dry-run]   import the member list, with a progress bar
    tsunagu lists import SLUG FILE.csv [--dry-run]  import a list's subscribers (consent held elsewhere)
    tsunagu accounts add EMAIL --role ROLE [--region R] [--network N] [--group ID] [--member ID]
    tsunagu accounts list    who may sign in, with which roles
    tsunagu accounts link EMAIL [--language L]   a sign-in link for an account (also mailed to it)
    tsunagu accounts token EMAIL [--name N]   a personal API token for an account's scripts
    tsunagu broker definitions [--output FILE]   every part's broker user and rights, for RabbitMQ to load
    tsunagu broker password PART   a part's broker password (the operator's: the management UI)
    tsunagu audit verify     check that no entry of the audit trail was altered or removed

Imports happen inside each command: `service` must let eventlet patch the standard library first.
"""
from __future__ import annotations

import argparse
import sys
import warnings

# nameko 2 depends on eventlet, which warns on import that it is in maintenance mode; we know.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


def _run_all(args) -> int:
    from tsunagu.supervisor import run_foreground
    return run_foreground(load_demo=not args.no_demo)


def _service(args) -> int:
    from tsunagu.service_runner import run
    run(args.name)
    return 0


def _gateway(_args) -> int:
    import uvicorn

    from shared.logs import logging_config
    from shared.settings import load_settings
    settings = load_settings()
    if settings.http_workers > 1:
        from tsunagu.gateway_metrics import share_metrics_between_workers
        share_metrics_between_workers(settings)
    uvicorn.run("services.gateway.app:app_factory", factory=True, host=settings.http_host,
                port=settings.http_port, workers=settings.http_workers, log_level=settings.log_level.lower(),
                log_config=logging_config("gateway", settings.log_level),
                access_log=False,  # services/gateway/observed.py logs what changes something, with its id
                http="httptools", loop="uvloop")
    return 0


def _smtp_sink(_args) -> int:
    from shared.settings import load_settings
    from tsunagu.smtp_sink import run
    settings = load_settings()
    run(settings.smtp_host, settings.smtp_port, settings.mail_dir.resolve(), settings.sink_accept_delay_ms / 1000)
    return 0


def _declare(_args) -> int:
    from shared.settings import load_settings
    from tsunagu.stack import Stack
    Stack(load_settings()).declare_topology()
    print("declared the RPC exchange, the event exchanges, the subscriber and retry queues and the dead letters")
    return 0


def _migrate(_args) -> int:
    from tsunagu.migrate import migrate_command
    return migrate_command()


def _dead_letters(args) -> int:
    from shared.bus.dead_letters import list_dead_letters, replay_dead_letters
    from shared.settings import load_settings
    uri = load_settings().amqp_uri
    if args.replay:
        print(f"replayed {replay_dead_letters(uri)} dead letters")
        return 0
    letters = list_dead_letters(uri)
    for letter in letters:
        print(f"{letter.failed_at}  {letter.source}.{letter.event_type} → {letter.consumer}: {letter.reason}")
    print(f"{len(letters)} dead letters")
    return 0


def _demo_data(_args) -> int:
    from shared.rpc import RpcPool
    from shared.settings import load_settings
    from tsunagu import demo
    pool = RpcPool.for_operator(load_settings())
    try:
        print(demo.load(pool))
    finally:
        pool.close()
    return 0


def _members_import(args) -> int:
    from pathlib import Path

    from tsunagu.member_import import run
    return run(Path(args.file), args.dry_run)


def _lists_import(args) -> int:
    from pathlib import Path

    from tsunagu.list_import import run
    return run(args.slug, Path(args.file), args.dry_run)


def _accounts_add(args) -> int:
    from tsunagu.accounts import add
    return add(args.email, args.role, args.region, args.network, args.group, args.member)


def _accounts_link(args) -> int:
    from tsunagu.accounts import link
    return link(args.email, args.language)


def _accounts_token(args) -> int:
    from tsunagu.accounts import token
    return token(args.email, args.name)


def _broker_definitions(args) -> int:
    from tsunagu.broker import definitions_command
    return definitions_command(args.output, args.mode)


def _broker_password(args) -> int:
    from tsunagu.broker import password_command
    return password_command(args.part)


def _audit_verify(_args) -> int:
    from tsunagu.audit import verify_audit
    return verify_audit()


def _accounts_list(_args) -> int:
    from tsunagu.accounts import list_all
    return list_all()


def main(argv: list[str] | None = None) -> int:
    from tsunagu.service_runner import SERVICE_CLASSES  # imports nothing of Tsunagu's at module level
    words = sys.argv[1:] if argv is None else argv
    if len(words) == 2 and words[0] == "service" and words[1] in SERVICE_CLASSES:
        # Straight to eventlet's patching, before the parser below imports pydantic: patching walks every
        # object alive, and pydantic's placeholders answer that walk with a traceback in the log.
        return _service(argparse.Namespace(name=words[1]))
    from shared.bus.parts import BrokerPart
    from shared.contracts.identity import Role

    parser = argparse.ArgumentParser(prog="tsunagu", description="Events, members and mail for a network")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="the whole system in the foreground")
    run.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    run.set_defaults(handler=_run_all)
    service = commands.add_parser("service", help="run one service")
    service.add_argument("name", choices=list(SERVICE_CLASSES))
    service.set_defaults(handler=_service)
    commands.add_parser("gateway", help="run the HTTP gateway").set_defaults(handler=_gateway)
    commands.add_parser("smtp-sink", help="run the local SMTP sink").set_defaults(handler=_smtp_sink)
    commands.add_parser("migrate", help="upgrade every service's database").set_defaults(handler=_migrate)
    commands.add_parser("declare", help="declare the bus topology").set_defaults(handler=_declare)
    dead = commands.add_parser("dead-letters", help="list (or --replay) dead letters")
    dead.add_argument("--replay", action="store_true")
    dead.set_defaults(handler=_dead_letters)
    commands.add_parser("demo-data", help="load the demo data").set_defaults(handler=_demo_data)
    members = commands.add_parser("members", help="the member list").add_subparsers(dest="members", required=True)
    member_import = members.add_parser("import", help="import a CSV (UTF-8 or Shift_JIS) into the running system")
    member_import.add_argument("file")
    member_import.add_argument("--dry-run", action="store_true", help="check and count, change nothing")
    member_import.set_defaults(handler=_members_import)
    lists = commands.add_parser("lists", help="the mailing lists").add_subparsers(dest="lists", required=True)
    list_import = lists.add_parser("import", help="import a list's subscribers from a CSV (UTF-8 or Shift_JIS)")
    list_import.add_argument("slug")
    list_import.add_argument("file")
    list_import.add_argument("--dry-run", action="store_true", help="check and count, change nothing")
    list_import.set_defaults(handler=_lists_import)
    accounts = commands.add_parser("accounts", help="who may sign in").add_subparsers(dest="accounts", required=True)
    account_add = accounts.add_parser("add", help="give an address a role (making its account if new)")
    account_add.add_argument("email")
    account_add.add_argument("--role", required=True, choices=[role.value for role in Role])
    account_add.add_argument("--region", action="append", default=[], help="organizer: a region (repeatable)")
    account_add.add_argument("--network", action="append", default=[], help="organizer: a network (repeatable)")
    account_add.add_argument("--group", action="append", default=[], help="group_contact: a group id (repeatable)")
    account_add.add_argument("--member", help="member: their member id")
    account_add.set_defaults(handler=_accounts_add)
    accounts.add_parser("list", help="every account and its roles").set_defaults(handler=_accounts_list)
    account_link = accounts.add_parser("link", help="a sign-in link for an account (also mailed to it)")
    account_link.add_argument("email")
    account_link.add_argument("--language", default="ja", help="of the mail (default ja)")
    account_link.set_defaults(handler=_accounts_link)
    account_token = accounts.add_parser("token", help="a personal API token for an account's scripts (shown once)")
    account_token.add_argument("email")
    account_token.add_argument("--name", default="command line", help="to know it by in the list of tokens")
    account_token.set_defaults(handler=_accounts_token)
    broker = commands.add_parser("broker", help="the broker users of the parts").add_subparsers(dest="broker",
                                                                                             required=True)
    broker_definitions = broker.add_parser("definitions", help="every part's user and rights, as RabbitMQ's "
                                                              "definitions file (load_definitions)")
    broker_definitions.add_argument("--output", help="write to this file rather than print")
    broker_definitions.add_argument("--mode", default="600", help="of the file written (octal; default 600)")
    broker_definitions.set_defaults(handler=_broker_definitions)
    broker_password = broker.add_parser("password", help="a part's broker password (the operator's: management UI)")
    broker_password.add_argument("part", choices=[part.value for part in BrokerPart])
    broker_password.set_defaults(handler=_broker_password)
    audit = commands.add_parser("audit", help="the audit trail").add_subparsers(dest="audit", required=True)
    audit.add_parser("verify", help="check that no entry was altered or removed").set_defaults(handler=_audit_verify)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
