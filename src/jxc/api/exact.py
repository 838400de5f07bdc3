"""JSON bodies read with their numbers exact, as every other input is.

Python's JSON reader makes 1.0000000000000001 the float 1.0: a quantity sent as a JSON
number would be rounded before JXC saw it, and one of 1e400 would become infinity. Every
API route reads a number with a fraction or an exponent as the text it was written as,
so the services judge it exactly as typed input: too many decimals, exponent notation
(1e999999999 is refused before anything expands it), too large.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class ExactJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(body, parse_float=str, parse_constant=_not_a_number)
            except ValueError as error:  # an integer of more digits than Python reads
                if isinstance(error, json.JSONDecodeError):
                    raise
                raise json.JSONDecodeError(str(error), "", 0) from None
        return self._json


def _not_a_number(name: str) -> Any:
    """NaN and Infinity are not JSON; Python's reader takes them all the same."""
    raise json.JSONDecodeError(f"{name} is not a number", name, 0)


class ExactJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact(request: Request) -> Response:
            return await handler(ExactJsonRequest(request.scope, request.receive))

        return exact
