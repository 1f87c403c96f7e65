"""Password hashing: passlib with bcrypt 5, no 72-byte truncation, never on the event loop."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from app.core.passwords import PasswordHasher, PasswordHashingOnEventLoop

MULTIBYTE_256 = ("pässwörd-密码-🔐" * 20)[:256]


@pytest.fixture
def hasher():
    hasher = PasswordHasher(rounds=4, threads=1)
    yield hasher
    hasher.close()


def test_hash_and_verify_work_with_the_installed_passlib_and_bcrypt(hasher):
    hashed = hasher.hash("correct horse battery staple")

    assert hasher.verify_and_update("correct horse battery staple", hashed)[0] is True
    assert hasher.verify_and_update("wrong horse battery staple", hashed)[0] is False


def test_first_use_in_a_fresh_process_works_with_bcrypt_5():
    # passlib 1.7.4's backend self-test raises with bcrypt 5 on the first hash of a process, so
    # this must run where nothing has hashed yet.
    code = textwrap.dedent(
        """
        import bcrypt
        assert int(bcrypt.__version__.split(".")[0]) >= 5, bcrypt.__version__
        from app.core.passwords import PasswordHasher
        hasher = PasswordHasher(rounds=4, threads=1)
        hashed = hasher.hash("correct horse battery staple")
        assert hasher.verify_and_update("correct horse battery staple", hashed)[0]
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_passwords_sharing_their_first_72_bytes_do_not_both_verify(hasher):
    prefix = "p" * 72
    hashed = hasher.hash(prefix + "-first")

    assert hasher.verify_and_update(prefix + "-first", hashed)[0] is True
    assert hasher.verify_and_update(prefix + "-second", hashed)[0] is False
    assert hasher.verify_and_update(prefix, hashed)[0] is False


def test_multibyte_password_of_256_characters_hashes_and_verifies(hasher):
    assert len(MULTIBYTE_256) == 256
    assert len(MULTIBYTE_256.encode()) > 72 * 4
    hashed = hasher.hash(MULTIBYTE_256)

    assert hasher.verify_and_update(MULTIBYTE_256, hashed)[0] is True
    assert hasher.verify_and_update(MULTIBYTE_256[:-1], hashed)[0] is False


def test_hash_is_salted(hasher):
    assert hasher.hash("same password here") != hasher.hash("same password here")


def test_a_stored_value_that_is_not_a_hash_never_verifies(hasher):
    assert hasher.verify_and_update("anything at all", "not-a-hash") == (False, None)


def test_a_hash_with_fewer_rounds_is_upgraded_on_verification():
    cheap = PasswordHasher(rounds=4, threads=1)
    dearer = PasswordHasher(rounds=5, threads=1)
    try:
        old_hash = cheap.hash("correct horse battery staple")

        verified, new_hash = dearer.verify_and_update("correct horse battery staple", old_hash)

        assert verified is True
        assert new_hash is not None
        assert dearer.verify_and_update("correct horse battery staple", new_hash) == (True, None)
    finally:
        cheap.close()
        dearer.close()


async def test_hash_called_inside_a_coroutine_raises(hasher):
    with pytest.raises(PasswordHashingOnEventLoop):
        hasher.hash("correct horse battery staple")


async def test_verify_called_inside_a_coroutine_raises(hasher):
    hashed = await hasher.hash_async("correct horse battery staple")

    with pytest.raises(PasswordHashingOnEventLoop):
        hasher.verify_and_update("correct horse battery staple", hashed)


async def test_async_hash_and_verify_run_in_the_thread_pool(hasher):
    hashed = await hasher.hash_async("correct horse battery staple")

    assert await hasher.verify_async("correct horse battery staple", hashed) == (True, None)
    assert (await hasher.verify_async("wrong", hashed))[0] is False


async def test_register_and_login_with_a_multibyte_password_of_256_characters(client, accounts):
    response = await client.post("/auth/register", json={"email": "utf8@example.com", "password": MULTIBYTE_256})
    assert response.status_code == 201

    assert await accounts.login("utf8@example.com", MULTIBYTE_256)


async def test_login_with_a_password_sharing_the_first_72_bytes_is_refused(client, accounts):
    password = "p" * 72 + "-the-real-end"
    account = await accounts.create(password=password, login=False)

    response = await client.post("/auth/jwt/login", data={"username": account.email, "password": "p" * 72 + "-other"})

    assert response.status_code == 400
