"""`python -m app [uvicorn options]`: run the service with uvicorn, e.g. `--workers 4 --port 8000`.

Same as `uvicorn app.main:app`, with these options first (any given on the command line win):

* `--no-proxy-headers`: uvicorn's own X-Forwarded-For handling is off. uvicorn believes that
  header from any loopback peer by default, which would let a local caller pick the address the
  rate limits see. Gatehouse reads the header itself, and only from the proxies listed in
  TRUSTED_PROXIES.
* `--http app.http.server:HeadLimitedHttpTools` and `--h11-max-incomplete-event-size 65536`: a
  request line and headers longer than 64 KiB are refused as they arrive (431 with httptools, the
  default; 400 with `--http h11`), instead of being held in memory whole (app/http/server.py).
"""

from __future__ import annotations

import sys

from uvicorn.main import main

from app.http.server import uvicorn_options

if __name__ == "__main__":
    sys.exit(main(["app.main:app", *uvicorn_options(), *sys.argv[1:]]))
