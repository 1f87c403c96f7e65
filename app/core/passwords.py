"""Password hashing with passlib and bcrypt, always off the event loop.

* Scheme: passlib's `bcrypt_sha256`. The password is HMAC-SHA256'd before bcrypt, so every byte
  counts: bcrypt alone reads only the first 72 bytes, and two passwords sharing those would both
  verify.
* bcrypt 5 refuses inputs over 72 bytes, and passlib 1.7.4's one-time backend self-test probes
  for a historic wrap-around bug with a 255-byte input, so its first use raises. The bugs that
  self-test looks for (8-bit and wrap-around bugs of old C implementations, missing $2b$) do not
  exist in bcrypt 5, so the self-test is marked done. Our scheme never hands bcrypt more than 44
  bytes, and a test pins the behaviour.
* A bcrypt run takes a few hundred milliseconds of CPU. Run on the event loop it would freeze
  every other request on the worker, so hashing and verifying go to a thread pool sized to the
  cores (bcrypt releases the GIL, so the threads really run in parallel). The synchronous methods
  refuse to run on an event-loop thread, so a forgotten code path fails loudly instead of
  quietly stalling the server.
* Each worker admits a bounded number of password operations at once (`queue_limit`, from
  PASSWORD_HASH_QUEUE_LIMIT): a request takes its place with `admission()` before it touches the
  database, and beyond the limit gets `ServiceBusy` (503 with `Retry-After`) at once, instead of
  queueing for longer than any client waits.
* Passwords are NFKC-normalised before hashing (NIST SP 800-63B). A hash made from the raw form,
  before normalisation was introduced, still verifies, and is replaced at that login.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from passlib.context import CryptContext
from passlib.handlers import bcrypt as passlib_bcrypt

from app.core import metrics
from app.core.errors import ServiceBusy
from app.core.text import normalise_password

# passlib logs a traceback at WARNING when it cannot read `bcrypt.__about__`, which bcrypt>=4.1
# no longer has. The version is only used for that log line.
logging.getLogger("passlib.handlers.bcrypt").setLevel(logging.ERROR)
# Private passlib attributes (no stub knows them): the self-test is done, and the ident is 2b.
passlib_bcrypt._BcryptBackend._workrounds_initialized = True  # type: ignore[attr-defined]
passlib_bcrypt._BcryptBackend._fallback_ident = passlib_bcrypt.IDENT_2B  # type: ignore[attr-defined]


T = TypeVar("T")

# Whether the current task (request) holds a place in a hasher's queue already.
_admitted_here: contextvars.ContextVar[bool] = contextvars.ContextVar("gatehouse_password_admitted", default=False)


class PasswordHashingOnEventLoop(RuntimeError):
    """A password hash was computed on the event loop thread, where it would stall the worker."""


def _refuse_on_event_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise PasswordHashingOnEventLoop("password hashing must run in PasswordHasher's thread pool")


HASHING_THREAD_NICENESS = 10


def _yield_to_requests() -> None:
    """Lower this hashing thread's CPU priority (Linux schedules threads one by one), so that
    while logins keep every core busy the event loop still gets the CPU first, and the other
    requests on the worker stay fast. With idle cores, hashing runs at full speed all the same."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_THREAD_NICENESS)


def _timed(function: Callable[..., T], submitted: float, *args: str) -> T:
    """Run `function` on a hashing thread, recording how long it waited for the thread and ran."""
    started = time.perf_counter()
    metrics.PASSWORD_QUEUE_WAIT.observe(started - submitted)
    try:
        return function(*args)
    finally:
        metrics.PASSWORD_HASH_DURATION.observe(time.perf_counter() - started)


class PasswordHasher:
    """Hash and verify passwords. Implements fastapi-users' PasswordHelperProtocol (the sync
    methods) and adds awaitable versions that run in a dedicated thread pool."""

    def __init__(self, *, rounds: int, threads: int = 0, queue_limit: int = 1_000_000) -> None:
        self.rounds = rounds
        self.queue_limit = queue_limit
        self._admitted = 0
        self._seconds_per_hash = 0.25  # measured at warm-up
        self.context = CryptContext(
            schemes=["bcrypt_sha256"],
            bcrypt_sha256__default_rounds=rounds,
            bcrypt_sha256__min_rounds=rounds,  # older, cheaper hashes are upgraded at next login
        )
        self.threads = threads or os.cpu_count() or 1
        self._executor = ThreadPoolExecutor(
            max_workers=self.threads, thread_name_prefix="password", initializer=_yield_to_requests
        )
        self._dummy_hash: str | None = None

    # fastapi-users' PasswordHelperProtocol: synchronous, never on the event loop.
    def hash(self, password: str) -> str:
        _refuse_on_event_loop()
        hashed: str = self.context.hash(password)
        return hashed

    def verify_and_update(self, plain_password: str, hashed_password: str) -> tuple[bool, str | None]:
        _refuse_on_event_loop()
        try:
            verified, new_hash = self.context.verify_and_update(plain_password, hashed_password)
            return bool(verified), new_hash
        except (ValueError, TypeError):  # not a hash we know: never verifies
            return False, None

    def generate(self) -> str:
        return secrets.token_urlsafe(32)

    # What the service calls.
    @contextlib.contextmanager
    def admission(self) -> Iterator[None]:
        """A place among the password operations this worker takes on, or `ServiceBusy` at once.
        Take it before any database work of the request, and keep it until the hash is done. A
        request that holds a place already (a route took it, then the service asks again) keeps
        its one place."""
        if _admitted_here.get():
            yield
            return
        if self._admitted >= self.queue_limit:
            metrics.PASSWORD_BUSY.inc()
            # The queue drains at `threads` hashes per hash time: retry once it has.
            raise ServiceBusy(retry_after=math.ceil(self._admitted / self.threads * self._seconds_per_hash))
        self._admitted += 1
        metrics.PASSWORD_QUEUE_DEPTH.inc()
        token = _admitted_here.set(True)
        try:
            yield
        finally:
            _admitted_here.reset(token)
            self._admitted -= 1
            metrics.PASSWORD_QUEUE_DEPTH.dec()

    async def hash_async(self, password: str) -> str:
        return await self._in_pool(self.hash, normalise_password(password))

    async def verify_async(self, password: str, hashed_password: str) -> tuple[bool, str | None]:
        normalised = normalise_password(password)
        verified, new_hash = await self._in_pool(self.verify_and_update, normalised, hashed_password)
        if verified or normalised == password:
            return verified, new_hash
        # A hash made before passwords were normalised: the raw form verifies, the new hash is
        # made from the normalised one.
        verified, _ = await self._in_pool(self.verify_and_update, password, hashed_password)
        return (True, await self._in_pool(self.hash, normalised)) if verified else (False, None)

    async def _in_pool(self, function: Callable[[str, str], T] | Callable[[str], T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, _timed, function, time.perf_counter(), *args
        )

    async def warm_up(self) -> None:
        """Make the hash that unknown-email logins verify against, at start-up, so that even the
        first such login costs one verification and nothing more; and time one hash, for the
        `Retry-After` of a full queue."""
        if self._dummy_hash is None:
            started = time.perf_counter()
            self._dummy_hash = await self.hash_async(secrets.token_urlsafe(16))
            self._seconds_per_hash = time.perf_counter() - started

    async def burn_verify(self, password: str) -> None:
        """Spend the time of one real verification, for logins with an unknown email, so that
        their answer takes as long as a wrong password for a real account."""
        await self.warm_up()
        assert self._dummy_hash is not None
        await self.verify_async(password, self._dummy_hash)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
