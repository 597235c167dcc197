"""Prints relaykit.Backoff delays for fixed random draws, as one JSON line."""

import json

from relaykit import Backoff

default = Backoff()
custom = Backoff(initial=0.02, max=0.2, factor=3, jitter=1)
print(json.dumps({
    "kind": "delays",
    "no_jitter_draw": [default.delay(n, lambda: 0.0) for n in range(1, 9)],
    "full_draw": [default.delay(n, lambda: 1.0) for n in range(1, 4)],
    "custom": [round(custom.delay(n, lambda: 0.5), 6) for n in range(1, 5)],
}))
