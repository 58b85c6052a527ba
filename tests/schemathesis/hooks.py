"""Schemathesis hooks for lkm's REST gateway (loaded through SCHEMATHESIS_HOOKS by
tests/openapi.rs).

Client-streaming routes take newline-delimited JSON; the OpenAPI document describes such a
body as an array of messages, sent one compact JSON document per line.
"""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return b"".join(
        json.dumps(item, separators=(",", ":")).encode("utf-8") + b"\n"
        for item in items
    )
