"""JSON bodies read with their numbers exact, as every other input is.

Python's JSON reader makes 1.0000000000000001 the float 1.0: a quantity sent as a JSON
number would be rounded before JXC saw it, and one of 1e400 would become infinity. Every
API route reads its body with decimals instead, so the services refuse such a number by
the same rules as one written as text (too many decimals, too large).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class ExactJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            self._json = json.loads(body, parse_float=Decimal, parse_constant=_not_a_number)
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
