"""Prints the Python SDK's wire constants and error codes as one JSON line (the drift test compares them)."""

import json

from relaykit import wire
from relaykit.errors import ErrorCode

print(json.dumps({
    "kind": "wire",
    "close_codes": {c.name: c.value for c in wire.CloseCode},
    "client_frames": list(wire.CLIENT_FRAME_TYPES),
    "server_frames": list(wire.SERVER_FRAME_TYPES),
    "name_pattern": wire.NAME_PATTERN,
    "limits": {
        "channel": wire.MAX_CHANNEL_NAME_LENGTH,
        "clientId": wire.MAX_CLIENT_ID_LENGTH,
        "type": wire.MAX_TYPE_LENGTH,
        "requestId": wire.MAX_REQUEST_ID_LENGTH,
    },
    "system_prefix": wire.SYSTEM_CHANNEL_PREFIX,
    "sse": {"connected": wire.SSE_CONNECTED, "gap": wire.SSE_GAP},
    "error_codes": sorted(v for k, v in vars(ErrorCode).items() if not k.startswith("_")),
}))
