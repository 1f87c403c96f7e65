#!/usr/bin/env python3
"""Call the Gatehouse API with an API key, as a script or service would.

    export GATEHOUSE_API_KEY=gatehouse_...            # from POST /api-keys
    python scripts/api_key_client.py                  # GET /users/me
    python scripts/api_key_client.py GET /items
    python scripts/api_key_client.py POST /items '{"title": "made by a script"}'

GATEHOUSE_URL names the server (default http://127.0.0.1:8000). The key travels in the
`X-API-Key` header and is never printed. Only the standard library is used, so the script runs
wherever Python 3.11 does. Exit status: 0 for a 2xx answer, 1 for any other answer or a network
error, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

KEY_VARIABLE = "GATEHOUSE_API_KEY"
URL_VARIABLE = "GATEHOUSE_URL"
DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT_SECONDS = 30


def call(base_url: str, key: str, method: str, path: str, body: object | None = None) -> tuple[int, object]:
    """Send one request; return the status and the answer (decoded JSON, text, or None when empty)."""
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        raise ValueError(f"{URL_VARIABLE} must be an http:// or https:// URL")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method.upper())  # noqa: S310 (scheme checked above)
    request.add_header("X-API-Key", key)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    if not raw:
        return status, None
    try:
        return status, json.loads(raw)
    except ValueError:  # not JSON, e.g. an error page from a proxy in front of the API
        return status, raw.decode(errors="replace")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Call the Gatehouse API with the key in $" + KEY_VARIABLE)
    parser.add_argument("method", nargs="?", default="GET", help="HTTP method (default GET)")
    parser.add_argument("path", nargs="?", default="/users/me", help="API path (default /users/me)")
    parser.add_argument("body", nargs="?", help="JSON request body")
    args = parser.parse_args(argv)

    key = os.environ.get(KEY_VARIABLE, "").strip()
    if not key:
        print(f"Set {KEY_VARIABLE} to an API key (create one with POST /api-keys).", file=sys.stderr)
        return 2
    try:
        body = None if args.body is None else json.loads(args.body)
    except json.JSONDecodeError as error:
        print(f"The body is not JSON: {error}", file=sys.stderr)
        return 2
    try:
        status, answer = call(os.environ.get(URL_VARIABLE, DEFAULT_URL), key, args.method, args.path, body)
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    except (urllib.error.URLError, OSError) as error:
        print(f"Could not reach the API: {error}", file=sys.stderr)
        return 1
    output = json.dumps(answer, indent=2)
    if 200 <= status < 300:
        print(output)
        return 0
    print(f"HTTP {status}", output, sep="\n", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
