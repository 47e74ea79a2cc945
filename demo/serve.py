"""``lovemachine demo --serve``: the demo's last step, the CS tool on the demo's database.

After the worker has filled the review queues (every report and auto-hide opens an item),
:func:`serve_demo_cstool` brings the schema to head, creates two demo staff members, forwards a few
customer reports so that the ``user_reports`` queue is not empty either, prints the open items per
queue, the URL and the logins, and runs uvicorn in the foreground until Ctrl-C.

It always listens on 127.0.0.1 (the demo logins are printed in the clear) and always uses the
embedded broker: the demo's own broker, and the Pub/Sub emulator it may have started, are gone by
then, so hide/restore actions from CS labels stay inside this process.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.markup import escape

from cli.common import console, fail
from lovemachine.categories import CATEGORIES
from lovemachine.config import Settings
from lovemachine.registry.aliases import Alias

if TYPE_CHECKING:
    from lovemachine.adapters.sql import SqlStore
    from lovemachine.policy import Decision

HOST = "127.0.0.1"
PASSWORD_ENV = "LOVEMACHINE_DEMO_PASSWORD"
MIN_PASSWORD = 12
DEMO_STAFF: tuple[tuple[str, str, str], ...] = (
    ("demo-lead", "lead", "queues and labels, CS rules, the audit log"),
    ("demo-agent", "agent", "queues and labels"),
)
ACTOR = "demo"
REPORTED_LISTINGS = 6
REPORT_REASONS: dict[str | None, str] = {
    "counterfeit": "偽物だと思います — the logo looks fake",
    "adult": "adult content in the photos",
    "cash": "selling gift card codes for cash",
    "keyword_stuffing": "brand names stuffed into the title",
    None: "suspicious listing",
}


@dataclass
class DemoCsTool:
    """What :func:`serve_demo_cstool` set up: the URL, the logins, the open items per queue."""

    url: str
    logins: dict[str, str]
    """username -> password"""
    open_items: dict[str, int]
    reports: int
    reported_listings: list[str] = field(default_factory=list)


def demo_passwords(usernames: Sequence[str]) -> dict[str, str]:
    """``$LOVEMACHINE_DEMO_PASSWORD`` for every demo login when set, else a fresh random one each."""
    fixed = os.environ.get(PASSWORD_ENV)
    if fixed is not None:
        if len(fixed) < MIN_PASSWORD:
            fail(f"{PASSWORD_ENV} needs at least {MIN_PASSWORD} characters")
        return dict.fromkeys(usernames, fixed)
    return {u: secrets.token_urlsafe(9) for u in usernames}  # 12 characters, 72 bits


def bind_socket(host: str, port: int) -> tuple[socket.socket, bool]:
    """A bound socket on ``port``, or on a free port when that one is taken; whether it fell back."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in (port, 0):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind((host, candidate))
        except OSError:
            sock.close()
            if candidate == 0:
                raise
            continue
        return sock, candidate != port
    raise AssertionError("unreachable")  # pragma: no cover


def ensure_demo_staff(store: SqlStore, passwords: dict[str, str]) -> None:
    """Create the demo staff members, or reset their role and password when they exist."""
    from cstool_api.security import Passwords
    from lovemachine.review import AlreadyExistsError

    hasher = Passwords()
    for username, role, _ in DEMO_STAFF:
        password_hash = hasher.hash(passwords[username])
        try:
            store.create_staff(username=username, password_hash=password_hash, role=role, actor=ACTOR)
        except AlreadyExistsError:
            store.update_staff(username, actor=ACTOR, role=role, active=True, password_hash=password_hash)


def pick_reported_listings(store: SqlStore, k: int = REPORTED_LISTINGS) -> list[tuple[str, str | None]]:
    """(listing id, the category a customer would complain about) for ``k`` listings of the champion's
    decisions: mostly the highest-scoring listings it *allowed* (what customers catch that the model
    let through), and a third it reported or hid (a customer report raises that item's priority)."""
    champion = store.get_alias(Alias.CHAMPION)
    if champion is None:
        return []
    latest = {d.listing_id: d for d in store.decisions_for_model(champion.version)}

    def top(d: Decision) -> tuple[float, str]:
        return (-max(d.scores.values(), default=0.0), d.listing_id)

    allowed = sorted((d for d in latest.values() if d.action.value == "allow"), key=top)
    flagged = sorted((d for d in latest.values() if d.action.value != "allow"), key=top)
    n_flagged = min(len(flagged), max(1, k // 3))
    picks = allowed[: k - n_flagged] + flagged[:n_flagged]
    if len(picks) < k:  # too few allowed: fill up with flagged ones
        picks += flagged[n_flagged : n_flagged + k - len(picks)]
    out: list[tuple[str, str | None]] = []
    for d in picks:
        category = d.category or max(d.scores, key=lambda c: d.scores[c], default=None)
        out.append((d.listing_id, category if category in CATEGORIES else None))
    return out


def forward_demo_reports(store: SqlStore, *, seed: int = 0) -> tuple[int, list[str]]:
    """Customer reports on a few of the demo's listings, 1-3 synthetic reporters each, recorded the
    way ``POST /api/v1/reports`` records them. Returns (reports, listing ids)."""
    rng = random.Random(seed)
    reports = 0
    listing_ids = []
    for listing_id, category in pick_reported_listings(store):
        for reporter in rng.sample(range(1, 1000), rng.randint(1, 3)):
            store.add_user_report(
                listing_id=listing_id,
                reporter_id=f"buyer-{reporter:03d}",
                reason=REPORT_REASONS[category],
                actor=ACTOR,
            )
            reports += 1
        listing_ids.append(listing_id)
    return reports, listing_ids


def open_items_per_queue(store: SqlStore) -> dict[str, int]:
    """Items free to take, per review queue (every category queue and ``user_reports``)."""
    from lovemachine.review import USER_REPORTS

    counts = dict.fromkeys((*CATEGORIES, USER_REPORTS), 0)
    for summary in store.queue_summaries():
        counts[summary.queue] = counts.get(summary.queue, 0) + summary.open
    return counts


def serve_demo_cstool(
    settings: Settings,
    *,
    port: int = 8000,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
) -> DemoCsTool:
    """Set the CS tool up on the demo's database and serve it on 127.0.0.1 until Ctrl-C or ``stop``.

    ``ready`` is set once the server accepts connections and the URL and logins are printed. ``port``
    falls back to a free one when taken. Returns what was set up, after the server stopped.
    """
    import uvicorn

    from cstool_api.app import create_app
    from lovemachine.adapters.sql.migrate import upgrade

    console.rule("[bold]The CS tool[/] — on the demo's database")
    upgrade(settings.database_url)  # the CS tool's tables (a no-op when the demo already migrated)
    s = settings.model_copy(update={"broker": "local", "cookie_secure": False})  # plain http on loopback
    passwords, reports, reported, counts = _prepare(s)
    sock, fell_back = bind_socket(HOST, port)
    bound_port = int(sock.getsockname()[1])
    url = f"http://{HOST}:{bound_port}/"
    if fell_back:
        console.print(f"[yellow]note:[/] port {port} is taken; using {bound_port}")
    info = DemoCsTool(
        url=url, logins=passwords, open_items=counts, reports=reports, reported_listings=reported
    )

    app = create_app(s)
    config = uvicorn.Config(  # proxy_headers=False: nobody's X-Forwarded-For is believed
        app, log_level="warning", access_log=False, timeout_graceful_shutdown=5, proxy_headers=False
    )
    server = uvicorn.Server(config)
    finished = threading.Event()

    def announce_and_watch() -> None:
        announced = False
        while not finished.wait(0.05):
            if not announced and server.started:
                announced = True
                _announce(info)
                if ready is not None:
                    ready.set()
            if stop is not None and stop.is_set():
                server.should_exit = True

    watcher = threading.Thread(target=announce_and_watch, name="demo-cstool-watch", daemon=True)
    watcher.start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it caught, after its graceful shutdown
        pass
    finally:
        finished.set()
        watcher.join(timeout=5)
        sock.close()
    console.print(
        "CS tool stopped. Serve the demo database again (same logins) with\n"
        f"  lovemachine serve --database-url {s.database_url}",
        highlight=False,
        soft_wrap=True,
    )
    return info


def _prepare(s: Settings) -> tuple[dict[str, str], int, list[str], dict[str, int]]:
    """The demo's staff (fresh passwords), the customer reports forwarded, the open items per queue;
    printed as it goes."""
    from lovemachine.adapters.sql import SqlStore, make_engine

    passwords = demo_passwords([u for u, _, _ in DEMO_STAFF])
    store = SqlStore(make_engine(s.database_url), model_name=s.model_name)
    try:
        ensure_demo_staff(store, passwords)
        reports, reported = forward_demo_reports(store)
        counts = open_items_per_queue(store)
    finally:
        store.dispose()
    console.print(
        f"[green]✓[/] demo staff {', '.join(u for u, _, _ in DEMO_STAFF)}; "
        f"{reports} customer reports forwarded on {len(reported)} listings"
    )
    console.print(
        "open review items: " + " · ".join(f"{q} {n:,}" for q, n in counts.items()),
        highlight=False,
        soft_wrap=True,
    )
    if sum(n for q, n in counts.items() if q in CATEGORIES) == 0:
        console.print(
            "[yellow]note:[/] the worker reported and hid nothing, so the category queues are empty"
        )
    return passwords, reports, reported, counts


def _announce(info: DemoCsTool) -> None:
    console.print(
        f"[bold green]CS tool running at {info.url}[/]  (API docs: {info.url}docs)",
        highlight=False,
        soft_wrap=True,
    )
    for username, role, may in DEMO_STAFF:
        console.print(
            f"  sign in as {username:<10}  password {escape(info.logins[username])}  ({role}: {may})",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        "  hide/restore actions from labels stay in this process (embedded broker)\nCtrl-C stops it.",
        highlight=False,
    )
