"""The CS tool: the FastAPI service (and the web page it serves) where CS staff review listings.

``create_app(settings=None, store=None, broker=None)`` builds it; ``lovemachine serve`` runs it
with uvicorn. Staff sign in (argon2id passwords, server-side sessions in an HttpOnly cookie, CSRF
token on every mutating request) as agent, lead or admin; integrations use scoped bearer tokens.
Agents take items from per-category and user-report queues (claims expire), see the listing, its
scores, reasons, matched rules and the seller's earlier violations, and label it; the label hides
or restores the listing through the same ``moderation-actions`` messages the worker sends,
published after commit from an outbox. Leads also manage CS rules (with a preview on recent
listings) and read the audit log; admins also manage staff, tokens and the live model alias.
The queues themselves are filled by the worker (``review_items``) and by ``POST /api/v1/reports``.

Layout: ``app`` (factory), ``deps`` (who is calling), ``security`` (hashes, tokens, throttling),
``schemas`` (bodies and JSON shapes), ``errors`` (the one error format), ``routes/`` (one module per
resource). The wire contract is ``docs/cstool.md``.
"""

from cstool_api.app import create_app

__all__ = ["create_app"]
