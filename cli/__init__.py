"""The ``lovemachine`` command. Each subcommand is a composition root: it builds Settings once and
wires adapters; the heavy imports happen inside the commands so ``--help`` stays instant."""

from cli.main import app

__all__ = ["app"]
