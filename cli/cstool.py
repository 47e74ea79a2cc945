"""``lovemachine serve``, ``lovemachine staff ...`` and ``lovemachine cstool ...``: the CS tool's commands.

``register(app)`` adds them to the main command. Like every command, each is a composition root:
it builds Settings, migrates or opens the database, and imports the web stack only when it runs.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from typing import Annotated

import typer

from cli.common import DbUrl, console, fail, settings, setup_logging, shown_url

PASSWORD_ENV = "LOVEMACHINE_STAFF_PASSWORD"
MIN_PASSWORD = 12

staff_app = typer.Typer(help="CS tool staff accounts (the first admin is made here).", no_args_is_help=True)
cstool_app = typer.Typer(help="CS tool maintenance.", no_args_is_help=True)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    database_url: DbUrl = None,
    broker: Annotated[
        str | None, typer.Option("--broker", help="'local' (embedded) or 'pubsub' [env: LOVEMACHINE_BROKER]")
    ] = None,
    cookie_secure: Annotated[
        bool | None,
        typer.Option(
            "--cookie-secure/--no-cookie-secure",
            help="Secure cookies (sent over HTTPS only; browsers also keep them for http://localhost and "
            "127.0.0.1). Default: on [env: LOVEMACHINE_COOKIE_SECURE]. Turn off only to serve plain "
            "HTTP to another machine's browser, never in production",
        ),
    ] = None,
    trusted_proxies: Annotated[
        str | None,
        typer.Option(
            "--trusted-proxies",
            help="IPs or CIDRs (comma-separated) of the reverse proxies whose X-Forwarded-For and "
            "X-Forwarded-Proto are believed; default none: the peer is the client "
            "[env: LOVEMACHINE_TRUSTED_PROXIES]",
        ),
    ] = None,
    migrate: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="bring the schema to head first")
    ] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")] = False,
) -> None:
    """Run the CS tool (API at /api/v1, OpenAPI at /docs, the web page at /) with uvicorn."""
    import uvicorn

    from cstool_api.app import create_app
    from lovemachine.adapters.sql.migrate import upgrade

    setup_logging(verbose)
    s = settings(
        database_url=database_url, broker=broker, cookie_secure=cookie_secure, trusted_proxies=trusted_proxies
    )
    if s.broker not in ("local", "pubsub"):
        fail("--broker must be 'local' or 'pubsub'")
    if migrate:
        try:
            upgrade(s.database_url)
        except Exception as exc:
            fail(f"migration failed on {shown_url(s.database_url)}: {exc}")
    if s.broker == "local":
        console.print(
            "[yellow]note:[/] broker 'local' lives in this process: hide/restore actions are published "
            "inside it and reach no marketplace; use --broker pubsub to deliver them"
        )
    if not s.cookie_secure:
        where = "" if _is_loopback(host) else f" and {host} is not loopback: sessions can be sniffed"
        console.print(
            f"[yellow]warning:[/] cookies are not marked Secure (--no-cookie-secure){where}; "
            "serve over HTTPS (a TLS proxy) in production"
        )
    elif _is_loopback(host):
        console.print(
            "[yellow]note:[/] cookies are Secure: Chromium and Firefox keep them on http://127.0.0.1 and "
            "localhost; a TLS proxy in front serves them as is. Other browsers: --no-cookie-secure"
        )
    if s.trusted_proxies:
        console.print(f"client addresses from X-Forwarded-For of {', '.join(s.trusted_proxies)}")
    app = create_app(s)
    if app.state.lm.store.count_staff() == 0:
        console.print(
            "[yellow]no staff yet:[/] create the first admin with `lovemachine staff create --role admin`"
        )
    console.print(f"CS tool on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    # the app handles X-Forwarded-* itself, from Settings.trusted_proxies only; uvicorn's own handling
    # would trust 127.0.0.1 (any local process) by default
    uvicorn.run(app, host=host, port=port, log_level="debug" if verbose else "info", proxy_headers=False)


@staff_app.command("create")
def staff_create(
    username: Annotated[str, typer.Option(help="sign-in name (letters, digits, _ . @ -)")],
    role: Annotated[str, typer.Option(help="agent, lead or admin")] = "agent",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
    ] = False,
    database_url: DbUrl = None,
) -> None:
    """Create a staff member. The password comes from --password-stdin, else $LOVEMACHINE_STAFF_PASSWORD,
    else a hidden prompt. Use this for the first admin; admins add everyone else in the tool."""
    import re

    from cstool_api.schemas import USERNAME
    from cstool_api.security import Passwords
    from lovemachine.adapters.sql import SqlStore, make_engine
    from lovemachine.adapters.sql.migrate import upgrade
    from lovemachine.review import ROLES, AlreadyExistsError

    if role not in ROLES:
        fail(f"--role must be one of {', '.join(ROLES)}")
    if not re.match(USERNAME, username):
        fail("--username may hold 1-64 letters, digits and _ . @ -")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        fail(f"the password needs at least {MIN_PASSWORD} characters")
    s = settings(database_url=database_url)
    upgrade(s.database_url)
    store = SqlStore(make_engine(s.database_url))
    try:
        store.create_staff(
            username=username, password_hash=Passwords().hash(password), role=role, actor="cli"
        )
    except AlreadyExistsError as exc:
        fail(str(exc))
    finally:
        store.dispose()
    console.print(f"[green]✓[/] created {role} {username!r}")


@staff_app.command("list")
def staff_list(database_url: DbUrl = None) -> None:
    """List staff members with their roles."""
    from lovemachine.adapters.sql import SqlStore, make_engine

    store = SqlStore(make_engine(settings(database_url=database_url).database_url))
    try:
        cursor = None
        while True:
            page = store.list_staff(limit=200, cursor=cursor)
            for m in page.items:
                typer.echo(f"{m.username}\t{m.role}\t{'active' if m.active else 'inactive'}")
            cursor = page.next_cursor
            if cursor is None:
                break
    finally:
        store.dispose()


@cstool_app.command("flush-outbox")
def flush_outbox_command(
    database_url: DbUrl = None,
    broker: Annotated[
        str | None,
        typer.Option("--broker", help="'pubsub' (default here) or 'local' [env: LOVEMACHINE_BROKER]"),
    ] = None,
) -> None:
    """Publish the hide/restore actions that labels and appeals queued but could not publish (broker was
    down), and the account actions leads confirmed."""
    from lovemachine.adapters.brokers import make_broker, topology_from
    from lovemachine.adapters.sql import SqlStore, make_engine
    from lovemachine.services.outbox import flush_account_actions, flush_outbox

    s = settings(database_url=database_url, broker=broker or "pubsub")
    store = SqlStore(make_engine(s.database_url))
    b = make_broker(s)
    try:
        b.ensure_topology(topology_from(s))
        total_published = total_failed = 0
        while True:
            result = flush_outbox(outbox=store, broker=b, topic=s.actions_topic)
            total_published += result.published
            total_failed += result.failed
            if result.failed or result.published == 0:
                break
        accounts = flush_account_actions(store=store, broker=b, topic=s.actions_topic)
        total_published += accounts.published
        total_failed += accounts.failed
    finally:
        b.close()
        store.dispose()
    console.print(f"published {total_published} actions; {total_failed} failed and stay queued")
    if total_failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``staff`` and ``cstool`` to the ``lovemachine`` command."""
    app.command()(serve)
    app.add_typer(staff_app, name="staff")
    app.add_typer(cstool_app, name="cstool")
