"""Reading a request body: size limit, JSON, and typed fields, each failure a one-line 422/413."""

import json
from typing import Any

from fastapi import Request

from bertkit.serve.errors import ApiError, invalid


async def read_json(request: Request) -> dict:
    """The body as a JSON object; 413 past the size limit (also for bodies sent without a
    Content-Length, which the middleware cannot refuse up front), 422 when it is not JSON."""
    limit = request.app.state.server.settings.max_body_bytes
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"request body is over the limit of {limit} bytes", "payload")
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise invalid(f"the body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise invalid("the body must be a JSON object")
    return data


def texts(data: dict, field: str, max_items: int) -> tuple[list[str], bool]:
    """A string or a non-empty list of strings -> (list, whether one string was sent)."""
    value = data.get(field)
    if isinstance(value, str):
        items, is_single = [value], True
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        items, is_single = value, False
    elif isinstance(value, list) and not value:
        raise invalid(f"'{field}' is an empty list")
    else:
        raise invalid(f"'{field}' must be a string or a list of strings")
    if any(not v.strip() for v in items):
        raise invalid(f"'{field}' holds an empty text")
    if len(items) > max_items:
        raise invalid(f"'{field}' has {len(items)} texts, more than the limit of {max_items}")
    return items, is_single


def text(data: dict, field: str) -> str:
    """A required, non-blank string."""
    value = data.get(field)
    if not isinstance(value, str):
        raise invalid(f"'{field}' must be a string")
    if not value.strip():
        raise invalid(f"'{field}' is empty")
    return value


def flag(data: dict, field: str, default: bool) -> bool:
    value = data.get(field, default)
    if not isinstance(value, bool):
        raise invalid(f"'{field}' must be true or false")
    return value


def integer(data: dict, field: str, default: int, low: int, high: int) -> int:
    value = data.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"'{field}' must be an integer in {low}..{high}")
    return value


def choice(data: dict, field: str, default: str, options: tuple[str, ...]) -> str:
    value: Any = data.get(field, default)
    if value not in options:
        raise invalid(f"'{field}' must be one of {', '.join(options)}")
    return value
