"""Request limits, checked before anything reads the request: headers, body size, JSON size.

* Request headers: at most MAX_HEADER_COUNT of them, MAX_HEADER_BYTES in all (names and values)
  -> 431 `REQUEST_HEADERS_TOO_LARGE`. (The server bounds the request head before that, see
  app/http/server.py, so a megabyte of headers is never even buffered.)
* The body: at most MAX_REQUEST_BODY_BYTES -> 413 `REQUEST_TOO_LARGE`, at once when
  `Content-Length` says more, and as soon as the running count says more when the body comes in
  chunks of unknown total (`Transfer-Encoding: chunked`). Bytes are counted as they pass; nothing
  is held beyond what the route itself would hold.
* A JSON body: at most MAX_JSON_VALUES values (members and elements, nested ones included)
  -> 413 `REQUEST_TOO_LARGE`. Parsing a megabyte of tiny values, validating it and building one
  error per unknown member holds the event loop for half a second; no route takes more than a
  handful of values. Counting them takes a few passes of C over the bytes, without parsing.

The answers are JSON in the shape of every error answer (`detail`, `message`). The rest of a
refused body is read and dropped, up to DRAIN_BYTES, so that a client still sending it reads the
answer instead of a reset connection; memory stays flat, as nothing of it is kept. Past that, and
after a 431, the connection is closed.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_HEADER_COUNT = 100
MAX_HEADER_BYTES = 16 * 1024
MAX_JSON_VALUES = 1000
# The most of a refused body that is read (and dropped) so that the client, still sending, reads
# the answer; a client sending more has its connection closed (and may see it reset instead).
DRAIN_BYTES = 64 * 1024 * 1024

REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
REQUEST_HEADERS_TOO_LARGE = "REQUEST_HEADERS_TOO_LARGE"


class _BodyTooLarge(Exception):
    """Raised from `receive` to the route reading a body that went past the limit."""


class _Answer:
    """A refusal, written once; each request gets messages of its own (middleware outside may
    change their headers)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.body = json.dumps({"detail": code, "message": message}, ensure_ascii=True).encode()

    async def __call__(self, send: Send, *, close: bool) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(self.body)).encode())]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


class _Head:
    """What the limits read of the request headers, in one pass over them."""

    __slots__ = ("content_length", "content_type", "count", "expect", "size")

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.count = len(headers)
        self.size = 0
        self.content_length: bytes | None = None
        self.content_type: bytes | None = None
        self.expect: bytes | None = None
        for name, value in headers:
            self.size += len(name) + len(value)
            if name == b"content-length":
                self.content_length = value
            elif name == b"content-type":
                self.content_type = value
            elif name == b"expect":
                self.expect = value

    @property
    def declared_length(self) -> int | None:
        try:
            return int(self.content_length) if self.content_length is not None else None
        except ValueError:
            return None  # the server refuses such a request before it gets here

    @property
    def is_json(self) -> bool:
        """Whether the route will parse the body as JSON (FastAPI: application/json and */*+json)."""
        if self.content_type is None:
            return False
        media_type = bytes(self.content_type).split(b";", 1)[0].strip().lower()
        return media_type == b"application/json" or media_type.endswith(b"+json")

    @property
    def expects_continue(self) -> bool:
        return self.expect is not None and bytes(self.expect).lower() == b"100-continue"


_OUTSIDE_STRINGS = bytes(byte for byte in range(256) if byte not in b'",[{')


def json_values(body: bytes) -> int:
    """How many values the JSON text holds (members and elements at any depth, the top one
    included, an empty object or array counting as two), or more.

    Up to MAX_JSON_VALUES, this is the quick count of every comma and bracket, strings included:
    more than the values, and all that the limit needs. Past it, the count is exact for valid
    JSON, and for text that is not JSON exact as far as a parser would read it.

    Each value but the first in an object or array follows a comma, and each container adds one;
    commas and brackets inside strings do not count. Escaped backslashes and quotes are dropped
    first, so every quote left delimits a string, and what lies between every other pair of
    quotes is outside strings. For text that is not JSON the count may be off past the first
    error, where any parser stops anyway.
    """
    rough = body.count(b",") + body.count(b"[") + body.count(b"{") + 1
    if rough <= MAX_JSON_VALUES:
        return rough
    structure = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _OUTSIDE_STRINGS)
    outside = b"".join(structure.split(b'"')[0::2])
    return outside.count(b",") + outside.count(b"[") + outside.count(b"{") + 1


async def _drain(receive: Receive, received: int) -> bool:
    """Read and drop the rest of a refused body, up to DRAIN_BYTES in all; whether it ended."""
    while received <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return False  # the client went away
        received += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
    return False


class RequestLimits:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.too_large = _Answer(
            413, REQUEST_TOO_LARGE, f"The request body is larger than the limit of {max_body_bytes} bytes."
        )
        self.too_many_values = _Answer(
            413, REQUEST_TOO_LARGE, f"A JSON request body may hold at most {MAX_JSON_VALUES} values."
        )
        self.headers_too_large = _Answer(
            431,
            REQUEST_HEADERS_TOO_LARGE,
            f"The request has more than {MAX_HEADER_COUNT} headers or more than {MAX_HEADER_BYTES} bytes of them.",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = _Head(scope["headers"])
        if head.count > MAX_HEADER_COUNT or head.size > MAX_HEADER_BYTES:
            await self.headers_too_large(send, close=True)
            return
        declared = head.declared_length
        if declared is not None and declared > self.max_body_bytes:
            # Refused before a byte of it is read. The server drops what the client still sends
            # (a client that sent `Expect: 100-continue` sends nothing); beyond DRAIN_BYTES, the
            # connection is closed instead of reading it all.
            await self.too_large(send, close=head.expects_continue or declared > DRAIN_BYTES)
            return
        if head.is_json:
            await self._json(scope, receive, send)
        else:
            await self._streamed(scope, receive, send)

    async def _json(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The route reads the whole body before parsing it anyway: read it here (within the
        # limit), count its values, then hand it on in one message.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay(message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                ended = not message.get("more_body", False) or await _drain(receive, size)
                await self.too_large(send, close=not ended)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if json_values(body) > MAX_JSON_VALUES:
            await self.too_many_values(send, close=False)
            return
        await self.app(scope, _replay({"type": "http.request", "body": body, "more_body": False}, receive), send)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        exceeded = False
        ended = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded, ended
            if exceeded:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                ended = not message.get("more_body", False)
                if received > self.max_body_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded and not response_started:
                return  # whatever the route made of the interrupted body: 413 goes instead
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded or response_started:
                raise
        if exceeded and not response_started:
            ended = ended or await _drain(receive, received)
            await self.too_large(send, close=not ended)


def _replay(first: Message, receive: Receive) -> Receive:
    """A `receive` that returns `first`, then whatever the server says next (a disconnect)."""
    pending: list[Message] = [first]

    async def replaying_receive() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replaying_receive
