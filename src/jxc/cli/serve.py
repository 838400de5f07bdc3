"""`jxc serve`: the REST API (and later the web app) on one address, via uvicorn."""

from __future__ import annotations

import errno
import logging
import os
import socket
from typing import Annotated

import typer
import uvicorn

from jxc.cli.output import out, state
from jxc.domain.errors import Unavailable

# The application is named, not imported: the CLI and the API are independent entrypoints.
APP_FACTORY = "jxc.asgi:serve_app"


def register(app: typer.Typer) -> None:
    app.command(
        "serve",
        help="Serve the web app at http://HOST:PORT and the REST API under /api/v1 (启动服务).",
    )(serve)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    st = state(ctx)
    # Refuses at once, in the user's language, a database not set up yet; the server
    # opens its own connections.
    st.app.dispose()
    os.environ["JXC_DATABASE_URL"] = st.settings.database_url
    _check_free(host, port)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("jxc.api").setLevel(logging.INFO)
    out.print(
        st.t("label.serving", url=f"http://{host}:{port}", docs=f"http://{host}:{port}/api/v1/docs")
    )
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the application logs one structured line per request
        log_level="warning",
    )


def _check_free(host: str, port: int) -> None:
    """Refuse, before saying the server started, an address it cannot listen on.

    Raises:
        Unavailable: serve.address_in_use (another JXC there, most likely),
            serve.address_unusable (a port below 1024, a host that is not this machine's).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, protocol, _, address = infos[0]
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise Unavailable("serve.address_in_use", {"address": f"{host}:{port}"}) from None
        raise Unavailable(
            "serve.address_unusable",
            {"address": f"{host}:{port}", "reason": error.strerror or str(error)},
        ) from None
