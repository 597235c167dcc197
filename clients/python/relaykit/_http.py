"""A tiny JSON-over-HTTP helper on the standard library: urllib, run in a worker thread
so the event loop never blocks. No dependencies."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from .errors import HubUnreachableError, error_from_response

Query = Mapping[str, "str | int | None"]


def join_url(base: str, path: str, query: Query | None = None) -> str:
    """`base` (with or without a trailing slash) + `path`, with the non-None `query` items."""
    url = base.rstrip("/") + path
    items = {k: str(v) for k, v in (query or {}).items() if v is not None}
    return f"{url}?{urllib.parse.urlencode(items)}" if items else url


def _exchange(method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers.items()), error.read()


async def request_json(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    json_body: Any = None,
    timeout: float,
) -> Any:
    """Sends one request; returns the parsed JSON body of a 2xx answer, raises the typed error otherwise."""
    all_headers = {"accept": "application/json", **headers}
    body = None
    if json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers["content-type"] = "application/json"
    try:
        status, response_headers, raw = await asyncio.to_thread(_exchange, method, url, all_headers, body, timeout)
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        raise HubUnreachableError("RELAYKIT_CLIENT_UNREACHABLE", f"{method} {url}: {error}") from error
    text = raw.decode("utf-8", errors="replace")
    try:
        parsed: Any = json.loads(text) if text else None
    except ValueError:
        parsed = text
    if 200 <= status < 300:
        return parsed
    retry_after = next((v for k, v in response_headers.items() if k.lower() == "retry-after"), None)
    raise error_from_response(status, parsed, retry_after)
