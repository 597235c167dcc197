"""Reports where `relaykit` was imported from and what it ships (run outside the repository)."""

import json
import pathlib

import relaykit
from relaykit import wire

root = pathlib.Path(relaykit.__file__).parent
print(json.dumps({
    "kind": "installed",
    "path": str(root),
    "typed": (root / "py.typed").exists(),
    "version": relaykit.__version__,
    "close_codes": {c.name: c.value for c in wire.CloseCode},
}))
