"""The wire definitions of Relaykit's realtime transports, as the Python SDK uses them.

They mirror the one definition the hub and @relaykit/realtime use
(clients/realtime/src/wire.ts); a test in the repository
fails when the two drift apart.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final


class CloseCode(IntEnum):
    """Close codes of `/ws` (1xxx standard, 4xxx Relaykit's)."""

    NORMAL = 1000
    TOO_BIG = 1009
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    IDLE_TIMEOUT = 4000
    UNAUTHORIZED = 4001
    FORBIDDEN = 4003
    SLOW_CONSUMER = 4008
    RATE_LIMITED = 4029


#: Frames a client sends on `/ws`.
CLIENT_FRAME_TYPES: Final = ("auth", "subscribe", "unsubscribe", "ping", "get_subscriptions", "publish")
#: Frames the hub sends on `/ws`.
SERVER_FRAME_TYPES: Final = (
    "connected",
    "event",
    "subscribed",
    "unsubscribed",
    "subscriptions",
    "pong",
    "published",
    "error",
)

#: Channel names, client ids and message types: a letter or digit, then these characters.
NAME_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:@/\-]*$"
MAX_CHANNEL_NAME_LENGTH: Final = 200
MAX_CLIENT_ID_LENGTH: Final = 128
MAX_TYPE_LENGTH: Final = 128
#: A request id a client frame may carry: a string of at most this many characters, or an integer.
MAX_REQUEST_ID_LENGTH: Final = 64
#: `$hub:<event pattern>` channels carry the hub's own events (live only, id null).
SYSTEM_CHANNEL_PREFIX: Final = "$hub:"

#: SSE control events (no `id:`, never move the resume point).
SSE_CONNECTED: Final = "relaykit.connected"
SSE_GAP: Final = "relaykit.gap"
