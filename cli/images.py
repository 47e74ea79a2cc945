"""``lovemachine images``: what the workers' image path makes of one URL.

``lovemachine images check URL`` fetches and scores one image exactly as a worker does (the same
settings: ``LOVEMACHINE_IMAGE_*``, the same SSRF-safe fetcher, open_nsfw) and prints the score, or
why the image was refused or could not be scored.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.common import console, settings

images_app = typer.Typer(
    help="Listing images: check what the workers' fetcher and open_nsfw make of a URL.",
    no_args_is_help=True,
)

EXIT_REFUSED = 2
EXIT_FAILED = 1


CHECK_HELP = (
    "Fetch and score one image as the workers do and print its open_nsfw score (0..1).\n\n"
    "It uses the workers' settings (LOVEMACHINE_IMAGE_TIMEOUT_S, LOVEMACHINE_IMAGE_MAX_BYTES, "
    "LOVEMACHINE_IMAGE_MAX_REDIRECTS, LOVEMACHINE_IMAGE_ALLOWED_HOSTS) and their fetcher: http(s) "
    "only, public addresses only.\n\n"
    "Exit status: 0 scored; 2 refused (not http(s), or an address that is not public: nothing was "
    "fetched); 1 not scored (timeout, HTTP error, not an image...)."
)


@images_app.command("check", help=CHECK_HELP)
def check(
    url: Annotated[str, typer.Argument(help="the image URL, as a seller would list it")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object instead of text")] = False,
) -> None:
    """Fetch and score one image as the workers do (see CHECK_HELP)."""
    from lovemachine.adapters.images import scorer_from

    s = settings()
    with console.status(f"fetching and scoring {url}"), scorer_from(s) as scorer:
        fetched, score = scorer.check(url)
    reason = (fetched.error or "").replace(f"image {url} not scored: ", "", 1).removeprefix("refused: ")
    outcome = "scored" if score is not None else "refused" if fetched.refused else "failed"
    if as_json:
        size = fetched.image.size if fetched.image is not None else None
        typer.echo(
            json.dumps(
                {
                    "url": url,
                    "outcome": outcome,
                    "score": score,
                    "reason": reason or None,
                    "bytes": len(fetched.data) if fetched.data is not None else None,
                    "decoded_size": list(size) if size else None,
                }
            )
        )
    elif score is not None:
        typer.echo(f"score {score:.4f}  {url}")
    else:
        typer.echo(f"{outcome}: {reason}  {url}")
    if score is None:
        raise typer.Exit(EXIT_REFUSED if fetched.refused else EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add ``images`` to the ``lovemachine`` command."""
    app.add_typer(images_app, name="images")
