"""How `python -m app` runs uvicorn: the request head is bounded before anything buffers it.

uvicorn's default HTTP parser (httptools) keeps a request line and headers of any size in
memory until they end: a 100 MB header takes the worker to more than 200 MB and ten seconds of
parsing before the application is even asked. `HeadLimitedHttpTools` counts the bytes of the
head as they arrive and, past MAX_HEAD_BYTES, answers 431 `REQUEST_HEADERS_TOO_LARGE` and closes
the connection (after dropping, for a moment, what the client still sends, so that it can read
the answer). With `--http h11`, h11's own bound (`--h11-max-incomplete-event-size`, set to the
same size) answers 400 instead. The application's own, finer limit (app/http/limits.py: 100
headers, 16 KiB of them) answers everything below this bound.
"""

from __future__ import annotations

import importlib.util
import json

from app.http.limits import REQUEST_HEADERS_TOO_LARGE
from app.http.security_headers import API_POLICY, STATIC_HEADERS

MAX_HEAD_BYTES = 64 * 1024
# After refusing a head, what the client still sends is dropped for this long, or this much.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024

_REFUSAL = json.dumps(
    {
        "detail": REQUEST_HEADERS_TOO_LARGE,
        "message": f"The request line and headers are larger than the limit of {MAX_HEAD_BYTES} bytes.",
    }
).encode()
_REFUSAL_RESPONSE = b"".join(
    [
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
        b"content-type: application/json\r\n",
        b"content-length: %d\r\n" % len(_REFUSAL),
        b"connection: close\r\n",
        *(f"{name.lower()}: {value}\r\n".encode() for name, value in STATIC_HEADERS.items()),
        f"content-security-policy: {API_POLICY}\r\n".encode(),
        b"\r\n",
        _REFUSAL,
    ]
)

HTTPTOOLS = importlib.util.find_spec("httptools") is not None
HTTP_PROTOCOL = "app.http.server:HeadLimitedHttpTools" if HTTPTOOLS else "h11"


def uvicorn_options() -> list[str]:
    """The options `python -m app` gives uvicorn before the caller's own (which win)."""
    return [
        "--no-proxy-headers",
        "--http",
        HTTP_PROTOCOL,
        "--h11-max-incomplete-event-size",
        str(MAX_HEAD_BYTES),
    ]


if HTTPTOOLS:
    from asyncio import TimerHandle

    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HeadLimitedHttpTools(HttpToolsProtocol):
        """uvicorn's httptools protocol, refusing a request head longer than MAX_HEAD_BYTES."""

        _in_head = False
        _head_bytes = 0
        _refused = False
        _lingered = 0
        _linger: TimerHandle | None = None

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head = True

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def data_received(self, data: bytes) -> None:
            if self._refused:
                self._drop(data)
                return
            was_in_head = self._in_head
            super().data_received(data)
            if not self._in_head or self.transport.is_closing():
                self._head_bytes = 0
                return
            # Still within a head: this chunk counts whole (when a request began inside it, the
            # part before is the end of the previous one; counting it too only errs a little high).
            self._head_bytes = self._head_bytes + len(data) if was_in_head else len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse()

        def _refuse(self) -> None:
            self.logger.warning("Request head larger than %d bytes refused.", MAX_HEAD_BYTES)
            self._refused = True
            self.transport.write(_REFUSAL_RESPONSE)
            # A lingering close: end our side, then drop what the client still sends for a
            # moment, so that it reads the answer instead of a reset connection.
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)

        def _drop(self, data: bytes) -> None:
            self._lingered += len(data)
            if self._lingered > LINGER_BYTES:
                self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._linger is not None:
                self._linger.cancel()
            super().connection_lost(exc)
