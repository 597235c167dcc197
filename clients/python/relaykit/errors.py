"""Errors: the hub's error codes as typed exceptions.

Every error the hub answers has one JSON shape, `{"error": {"code", "message", "details"?}}`,
with a stable `RELAYKIT_ERR_*` code. `error_from_response` turns it into the exception
class of its status (and of its code, for the common not-found cases); every class keeps
`code`, `status`, `message` and `details`, so `except NotFoundError` and
`if e.code == ErrorCode.MESSAGE_NOT_FOUND` both work.
"""

from __future__ import annotations

from typing import Any, Final


class ErrorCode:
    """The hub's core error codes (plugins add their own, e.g. `RELAYKIT_ERR_WS_*`)."""

    VALIDATION: Final = "RELAYKIT_ERR_VALIDATION"
    BAD_REQUEST: Final = "RELAYKIT_ERR_BAD_REQUEST"
    MALFORMED_JSON: Final = "RELAYKIT_ERR_MALFORMED_JSON"
    UNAUTHORIZED: Final = "RELAYKIT_ERR_UNAUTHORIZED"
    ADMIN_DISABLED: Final = "RELAYKIT_ERR_ADMIN_DISABLED"
    FORBIDDEN: Final = "RELAYKIT_ERR_FORBIDDEN"
    NOT_FOUND: Final = "RELAYKIT_ERR_NOT_FOUND"
    ROUTE_NOT_FOUND: Final = "RELAYKIT_ERR_ROUTE_NOT_FOUND"
    MESSAGE_NOT_FOUND: Final = "RELAYKIT_ERR_MESSAGE_NOT_FOUND"
    PLUGIN_NOT_FOUND: Final = "RELAYKIT_ERR_PLUGIN_NOT_FOUND"
    CONFLICT: Final = "RELAYKIT_ERR_CONFLICT"
    IDEMPOTENCY_KEY_REUSED: Final = "RELAYKIT_ERR_IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENT_MESSAGE_GONE: Final = "RELAYKIT_ERR_IDEMPOTENT_MESSAGE_GONE"
    BODY_TOO_LARGE: Final = "RELAYKIT_ERR_BODY_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE: Final = "RELAYKIT_ERR_UNSUPPORTED_MEDIA_TYPE"
    CONFIG_INVALID: Final = "RELAYKIT_ERR_CONFIG_INVALID"
    PLUGIN_START_FAILED: Final = "RELAYKIT_ERR_PLUGIN_START_FAILED"
    RATE_LIMITED: Final = "RELAYKIT_ERR_RATE_LIMITED"
    UNAVAILABLE: Final = "RELAYKIT_ERR_UNAVAILABLE"
    JSON_TOO_DEEP: Final = "RELAYKIT_ERR_JSON_TOO_DEEP"
    PAYLOAD_TOO_LARGE: Final = "RELAYKIT_ERR_PAYLOAD_TOO_LARGE"
    BODY_TIMEOUT: Final = "RELAYKIT_ERR_BODY_TIMEOUT"
    STORAGE_UNAVAILABLE: Final = "RELAYKIT_ERR_STORAGE_UNAVAILABLE"
    STORAGE_FULL: Final = "RELAYKIT_ERR_STORAGE_FULL"
    STORAGE_BUSY: Final = "RELAYKIT_ERR_STORAGE_BUSY"
    CLUSTER_SHARED_CONFIG: Final = "RELAYKIT_ERR_CLUSTER_SHARED_CONFIG"
    INTERNAL: Final = "RELAYKIT_ERR_INTERNAL"


class RelaykitError(Exception):
    """Any error of the SDK: `code` is the hub's code, or `RELAYKIT_CLIENT_*` for the SDK's own."""

    def __init__(self, code: str, message: str, *, status: int | None = None, details: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.details = details


class HubUnreachableError(RelaykitError):
    """No HTTP answer at all (refused, reset, timed out): `RELAYKIT_CLIENT_UNREACHABLE`."""


class RealtimeError(RelaykitError):
    """A realtime client's error: a refused frame (the hub's code) or `RELAYKIT_CLIENT_*`."""


class HttpError(RelaykitError):
    """The hub answered with an error status; `status` is set."""


class BadRequestError(HttpError):
    """400: malformed request or JSON."""


class UnauthorizedError(HttpError):
    """401: a valid token is required."""


class ForbiddenError(HttpError):
    """403: the token does not allow this (or the admin API is disabled)."""


class NotFoundError(HttpError):
    """404."""


class MessageNotFoundError(NotFoundError):
    """404 `RELAYKIT_ERR_MESSAGE_NOT_FOUND`."""


class PluginNotFoundError(NotFoundError):
    """404 `RELAYKIT_ERR_PLUGIN_NOT_FOUND`."""


class ConflictError(HttpError):
    """409."""


class PayloadTooLargeError(HttpError):
    """413: the body is larger than the hub accepts."""


class UnsupportedMediaTypeError(HttpError):
    """415."""


class ValidationError(HttpError):
    """422: the request does not match the schema (or an invalid config); `details` lists why."""


class RateLimitedError(HttpError):
    """429: slow down; `retry_after` (seconds) when the hub said."""

    retry_after: float | None = None


class ServerError(HttpError):
    """5xx: the hub failed or is not ready (`UnavailableError`)."""


class UnavailableError(ServerError):
    """503: the hub (or the plugin behind the route) is not ready."""


_BY_CODE: dict[str, type[HttpError]] = {
    ErrorCode.MESSAGE_NOT_FOUND: MessageNotFoundError,
    ErrorCode.PLUGIN_NOT_FOUND: PluginNotFoundError,
}
_BY_STATUS: dict[int, type[HttpError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: ValidationError,
    429: RateLimitedError,
    503: UnavailableError,
}


def error_from_response(status: int, body: Any, retry_after: str | None = None) -> HttpError:
    """The exception for an error answer (`body` is the parsed JSON, or anything else)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        code, message, details = error["code"], str(error.get("message", "")), error.get("details")
    else:
        code, message, details = f"RELAYKIT_CLIENT_HTTP_{status}", f"The hub answered {status}", body
    cls = _BY_CODE.get(code) or _BY_STATUS.get(status) or (ServerError if status >= 500 else HttpError)
    exc = cls(code, message, status=status, details=details)
    if isinstance(exc, RateLimitedError) and retry_after is not None:
        try:
            exc.retry_after = float(retry_after)
        except ValueError:
            pass
    return exc
