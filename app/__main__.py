"""`python -m app [uvicorn options]`: run the service with uvicorn, e.g. `--workers 4 --port 8000`.

Same as `uvicorn app.main:app`, except that uvicorn's own X-Forwarded-For handling is off:
uvicorn believes that header from any loopback peer by default, which would let a local caller
pick the address the rate limits see. Gatehouse reads the header itself, and only from the
proxies listed in TRUSTED_PROXIES.
"""

from __future__ import annotations

import sys

from uvicorn.main import main

if __name__ == "__main__":
    sys.exit(main(["app.main:app", "--no-proxy-headers", *sys.argv[1:]]))
