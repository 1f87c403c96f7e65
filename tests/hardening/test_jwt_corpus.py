"""The JWT attack corpus: every token here must be refused with 401 and `WWW-Authenticate: Bearer`
(or, for the 100 KB one, 431 from the header limit), never a 500, on every protected route.

`CORPUS` is the list, one `Case` per attack, run against both kinds of deployment where the attack
applies: HS256 (a key derived from SECRET_KEY, the default) and RS256 (a private key file, plus a
retired public key that still verifies). Each case sends its token to GET /users/me, GET
/admin/users, POST /items and POST /auth/jwt/logout, and to POST /auth/jwt/revoke (which answers
200 whatever it is given). The forged tokens name a real admin and, unless the case is about the
session, the admin's live session: only the token checks stand between them and a 200. After each
case the admin's own token still works (nothing was revoked by a forged token) and no item was
written. The controls at the top show that the forging machinery makes tokens the service accepts
when nothing is wrong with them, so a refusal below is the check at work, not a broken forgery.

Attacks on the header that would make a verifier fetch or trust a key (`jku`, `x5u`, `jwk`,
`x5c`) point at a local HTTP server that records every request: it must receive none.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import hmac
import http.server
import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from app.core.signing_keys import thumbprint
from app.items.models import Item
from tests.factories import Account, Accounts, CapturingMail, Owners
from tests.sessions.support import write_private_key
from tests.support import OTHER_KEY, access_claims, access_token_key, session_id_of

HS256, RS256 = "HS256", "RS256"
BOTH = frozenset({HS256, RS256})

# Where each token is sent; every one needs a valid access token (an admin's would pass them all).
PROTECTED = [
    ("GET", "/users/me", None),
    ("GET", "/admin/users", None),
    ("POST", "/items", {"title": "written with a forged token"}),
    ("POST", "/auth/jwt/logout", None),
]
HUNDRED_KB = 100 * 1024


# --- keys ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFiles:
    current: Path  # the RS256 deployment's private key
    retired: Path  # a retired key: its public half still verifies
    stranger: Path  # an RSA key the service has never seen
    attacker_ec: Path

    @property
    def current_pem(self) -> bytes:
        return self.current.read_bytes()

    @staticmethod
    @functools.cache
    def private(path: Path) -> Any:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)

    @classmethod
    def public_pem(cls, path: Path) -> bytes:
        return (
            cls.private(path)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )

    @classmethod
    def public_der(cls, path: Path) -> bytes:
        return (
            cls.private(path)
            .public_key()
            .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        )

    @classmethod
    def jwk(cls, path: Path) -> dict[str, Any]:
        members = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(cls.private(path).public_key()))
        return {**members, "kid": thumbprint(members), "alg": "RS256", "use": "sig"}


@pytest.fixture(scope="session")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    directory = tmp_path_factory.mktemp("jwt-corpus-keys")
    return KeyFiles(
        current=write_private_key(directory / "current.pem", "RS256"),
        retired=write_private_key(directory / "retired.pem", "RS256"),
        stranger=write_private_key(directory / "stranger.pem", "RS256"),
        attacker_ec=write_private_key(directory / "attacker-ec.pem", "ES256"),
    )


def self_signed_certificate(private_key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gatehouse")])  # the service's name, forged
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(private_key, hashes.SHA256())
    )


# --- the attacker's key server: must never be asked anything -----------------------------------


class KeyServer:
    """A local HTTP server holding the attacker's JWK Set and certificate, counting requests."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = files.get(self.path, b"")
                self.send_response(200 if body else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture(scope="session")
def key_server(key_files: KeyFiles) -> Iterator[KeyServer]:
    attacker = KeyFiles.private(key_files.stranger)
    certificate = self_signed_certificate(attacker).public_bytes(serialization.Encoding.PEM)
    jwks = json.dumps({"keys": [KeyFiles.jwk(key_files.stranger)]}).encode()
    server = KeyServer({"/jwks.json": jwks, "/cert.pem": certificate})
    yield server
    server.close()


# --- the deployment -----------------------------------------------------------------------------


@pytest.fixture
def settings_overrides(deployment: str, key_files: KeyFiles) -> dict[str, object]:
    if deployment == HS256:
        return {}
    return {
        "jwt_algorithm": RS256,
        "jwt_private_key_file": key_files.current,
        "jwt_retired_public_key_files": [key_files.retired],
    }


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact(header: dict[str, Any] | bytes, payload: dict[str, Any] | bytes) -> str:
    """`base64url(header).base64url(payload)`, from JSON objects or from raw bytes."""
    parts = [part if isinstance(part, bytes) else json.dumps(part).encode() for part in (header, payload)]
    return f"{b64(parts[0])}.{b64(parts[1])}"


def hmac_signature(signing_input: str, secret: bytes, digest: Any = hashlib.sha256) -> str:
    return b64(hmac.new(secret, signing_input.encode(), digest).digest())


def rsa_signature(signing_input: str, private_key: rsa.RSAPrivateKey, digest: Any = None) -> str:
    return b64(private_key.sign(signing_input.encode(), padding.PKCS1v15(), digest or hashes.SHA256()))


@dataclass
class Target:
    """What a case attacks: the deployment, its real signing key, and the accounts involved."""

    deployment: str
    settings: Any
    client: Any
    app: Any
    accounts: Accounts
    owners: Owners
    notifier: CapturingMail
    key_files: KeyFiles
    key_server: KeyServer
    admin: Account  # the victim: a real admin with a live session
    user: Account  # another account, with a live session of its own

    # The deployment's own header and signature: a token signed here is valid unless a case
    # changes something.
    @property
    def header(self) -> dict[str, Any]:
        header: dict[str, Any] = {"alg": self.deployment, "typ": "at+jwt"}
        if self.deployment == RS256:
            header["kid"] = self.kid
        return header

    @property
    def kid(self) -> str:
        return str(jwt.get_unverified_header(self.admin.token).get("kid", ""))

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """Valid claims for the admin's live session; overrides replace (None removes)."""
        return access_claims(self.settings, self.admin.id, **{"sid": session_id_of(self.admin.token), **overrides})

    def signature(self, signing_input: str) -> str:
        if self.deployment == HS256:
            return hmac_signature(signing_input, access_token_key(self.settings).encode())
        return rsa_signature(signing_input, KeyFiles.private(self.key_files.current))

    def sign(self, header: dict[str, Any] | bytes | None = None, payload: dict[str, Any] | bytes | None = None) -> str:
        """A token signed with the deployment's real key (header and payload as given)."""
        signing_input = compact(
            self.header if header is None else header, self.claims() if payload is None else payload
        )
        return f"{signing_input}.{self.signature(signing_input)}"

    def sign_claims(self, **overrides: Any) -> str:
        return self.sign(payload=self.claims(**overrides))

    def header_with(self, **changes: Any) -> dict[str, Any]:
        header = {**self.header, **changes}
        return {name: value for name, value in header.items() if value is not None}


Build = Callable[[Target], Awaitable[str | bytes]]


@dataclass(frozen=True)
class Case:
    name: str
    build: Build
    deployments: frozenset[str] = BOTH
    statuses: frozenset[int] = frozenset({401})  # what each protected route may answer
    revoke_statuses: frozenset[int] = frozenset({200})  # POST /auth/jwt/revoke (a form field of at most 8 KiB)
    fetches_keys: bool = False  # points the header at the key server


CORPUS: list[Case] = []


def case(name: str, *, deployments: frozenset[str] = BOTH, statuses: frozenset[int] = frozenset({401}), **kw: Any):
    def register(build: Build) -> Build:
        CORPUS.append(Case(name, build, deployments, statuses, **kw))
        return build

    return register


def now() -> int:
    return int(time.time())


# --- algorithm and signature ----------------------------------------------------------------------


for spelling in ("none", "None", "NONE", "nOnE"):

    @case(f"alg {spelling}, no signature")
    async def _alg_none(t: Target, spelling: str = spelling) -> str:
        return compact(t.header_with(alg=spelling), t.claims()) + "."


@case("alg none, the genuine signature kept")
async def _alg_none_signature_kept(t: Target) -> str:
    genuine = t.sign().rsplit(".", 1)[1]
    return compact(t.header_with(alg="none"), t.claims()) + "." + genuine


@case("alg missing from the header")
async def _alg_missing(t: Target) -> str:
    return t.sign(header=t.header_with(alg=None))


@case("signature stripped")
async def _signature_stripped(t: Target) -> str:
    return t.sign().rsplit(".", 1)[0] + "."


@case("signature of another token (the payload swapped in)")
async def _payload_swapped(t: Target) -> str:
    header, _, signature = t.user.token.split(".")
    return f"{header}.{t.admin.token.split('.')[1]}.{signature}"


@case("one byte of the signature changed")
async def _signature_flipped(t: Target) -> str:
    token = t.sign()
    last = token[-2]
    return token[:-2] + ("A" if last != "A" else "B") + token[-1]


@case("alg in lower case (hs256/rs256), validly signed")
async def _alg_lower_case(t: Target) -> str:
    return t.sign(header=t.header_with(alg=t.deployment.lower()))


@case("HS512 with the service's HS256 key", deployments=frozenset({HS256}))
async def _hs512(t: Target) -> str:
    signing_input = compact(t.header_with(alg="HS512"), t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, access_token_key(t.settings).encode(), hashlib.sha512)}"


@case("HS384 with the service's HS256 key", deployments=frozenset({HS256}))
async def _hs384(t: Target) -> str:
    signing_input = compact(t.header_with(alg="HS384"), t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, access_token_key(t.settings).encode(), hashlib.sha384)}"


@case("HS256 keyed with the RS256 public key (PEM), the classic confusion", deployments=frozenset({RS256}))
async def _hs256_public_pem(t: Target) -> str:
    signing_input = compact(t.header_with(alg="HS256"), t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, KeyFiles.public_pem(t.key_files.current))}"


@case("HS256 keyed with the RS256 public key (PEM), without a kid", deployments=frozenset({RS256}))
async def _hs256_public_pem_no_kid(t: Target) -> str:
    signing_input = compact(t.header_with(alg="HS256", kid=None), t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, KeyFiles.public_pem(t.key_files.current))}"


@case("HS256 keyed with the RS256 public key (DER)", deployments=frozenset({RS256}))
async def _hs256_public_der(t: Target) -> str:
    signing_input = compact(t.header_with(alg="HS256"), t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, KeyFiles.public_der(t.key_files.current))}"


@case("HS256 keyed with the published JWK's modulus", deployments=frozenset({RS256}))
async def _hs256_jwk_modulus(t: Target) -> str:
    published = (await t.client.get("/.well-known/jwks.json")).json()["keys"][0]
    signing_input = compact(t.header_with(alg="HS256"), t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, published['n'].encode())}"


@case("HS256 with the key an HS256 deployment would derive from SECRET_KEY", deployments=frozenset({RS256}))
async def _hs256_derived_key_on_rs256(t: Target) -> str:
    signing_input = compact({"alg": "HS256", "typ": "at+jwt"}, t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, access_token_key(t.settings).encode())}"


@case("RS512 with the service's own private key", deployments=frozenset({RS256}))
async def _rs512(t: Target) -> str:
    signing_input = compact(t.header_with(alg="RS512"), t.claims())
    return f"{signing_input}.{rsa_signature(signing_input, KeyFiles.private(t.key_files.current), hashes.SHA512())}"


@case("PS256 with the service's own private key", deployments=frozenset({RS256}))
async def _ps256(t: Target) -> str:
    signing_input = compact(t.header_with(alg="PS256"), t.claims())
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
    signature = KeyFiles.private(t.key_files.current).sign(signing_input.encode(), pss, hashes.SHA256())
    return f"{signing_input}.{b64(signature)}"


@case("ES256 by a stranger's EC key, under the service's kid")
async def _es256_stranger(t: Target) -> str:
    key = KeyFiles.private(t.key_files.attacker_ec)
    return jwt.encode(t.claims(), key, algorithm="ES256", headers=t.header_with(alg="ES256"))


# --- wrong keys -----------------------------------------------------------------------------------


@case("HS256 signed with another secret", deployments=frozenset({HS256}))
async def _other_secret(t: Target) -> str:
    return jwt.encode(t.claims(), OTHER_KEY, algorithm="HS256", headers={"typ": "at+jwt"})


@case("HS256 signed with SECRET_KEY itself instead of the derived key", deployments=frozenset({HS256}))
async def _raw_secret(t: Target) -> str:
    return jwt.encode(t.claims(), t.settings.signing_secret(), algorithm="HS256", headers={"typ": "at+jwt"})


@case("HS256 signed with an empty key")
async def _empty_key(t: Target) -> str:
    signing_input = compact(t.header_with(alg="HS256", kid=None), t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, b'')}"


@case("RS256 by a stranger's RSA key, under the service's kid")
async def _stranger_under_service_kid(t: Target) -> str:
    signing_input = compact(t.header_with(alg="RS256"), t.claims())
    return f"{signing_input}.{rsa_signature(signing_input, KeyFiles.private(t.key_files.stranger))}"


@case("RS256 by a stranger's RSA key, under its own kid")
async def _stranger_own_kid(t: Target) -> str:
    header = {"alg": "RS256", "typ": "at+jwt", "kid": KeyFiles.jwk(t.key_files.stranger)["kid"]}
    signing_input = compact(header, t.claims())
    return f"{signing_input}.{rsa_signature(signing_input, KeyFiles.private(t.key_files.stranger))}"


# --- kid, jku, x5u, jwk, x5c: the header choosing the key ----------------------------------------


@case("kid naming a file path (../../dev/null), HS256 with an empty key")
async def _kid_dev_null(t: Target) -> str:
    signing_input = compact(t.header_with(alg="HS256", kid="../../../../../../../dev/null"), t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, b'')}"


HOSTNAME_FILE = Path("/etc/hostname")
HOSTNAME_CONTENTS = HOSTNAME_FILE.read_bytes() if HOSTNAME_FILE.exists() else b""


@case("kid naming /etc/hostname, HS256 keyed with that file's contents")
async def _kid_file_contents(t: Target) -> str:
    path, contents = HOSTNAME_FILE, HOSTNAME_CONTENTS
    signing_input = compact(t.header_with(alg="HS256", kid=str(path)), t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, contents)}"


@case("kid naming the key file of the deployment, HS256 keyed with its bytes", deployments=frozenset({RS256}))
async def _kid_private_key_file(t: Target) -> str:
    signing_input = compact(t.header_with(alg="HS256", kid=str(t.key_files.current)), t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, t.key_files.current_pem)}"


@case("kid as SQL injection, HS256 keyed with the injected value")
async def _kid_sql(t: Target) -> str:
    signing_input = compact(t.header_with(alg="HS256", kid="x' UNION SELECT 'attacker-key' -- "), t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, b'attacker-key')}"


@case("kid naming the retired key, signed by the current key", deployments=frozenset({RS256}))
async def _kid_retired_signed_by_current(t: Target) -> str:
    return t.sign(header=t.header_with(kid=KeyFiles.jwk(t.key_files.retired)["kid"]))


@case("kid naming the retired key, HS256 keyed with its public PEM", deployments=frozenset({RS256}))
async def _kid_retired_hs256(t: Target) -> str:
    header = t.header_with(alg="HS256", kid=KeyFiles.jwk(t.key_files.retired)["kid"])
    signing_input = compact(header, t.claims())
    return f"{signing_input}.{hmac_signature(signing_input, KeyFiles.public_pem(t.key_files.retired))}"


@case("kid that is not a string (an object)")
async def _kid_object(t: Target) -> str:
    return t.sign(header=t.header_with(kid={"$ne": None}))


@case("jku pointing to the attacker's JWK Set, signed by the attacker's key", fetches_keys=True)
async def _jku(t: Target) -> str:
    header = {
        "alg": "RS256",
        "typ": "at+jwt",
        "kid": KeyFiles.jwk(t.key_files.stranger)["kid"],
        "jku": f"{t.key_server.base_url}/jwks.json",
    }
    signing_input = compact(header, t.claims())
    return f"{signing_input}.{rsa_signature(signing_input, KeyFiles.private(t.key_files.stranger))}"


@case("jku pointing to the attacker's JWK Set, under the service's own kid", fetches_keys=True)
async def _jku_service_kid(t: Target) -> str:
    header = {**t.header_with(alg="RS256"), "jku": f"{t.key_server.base_url}/jwks.json"}
    signing_input = compact(header, t.claims())
    return f"{signing_input}.{rsa_signature(signing_input, KeyFiles.private(t.key_files.stranger))}"


@case("x5u pointing to the attacker's certificate, signed by the attacker's key", fetches_keys=True)
async def _x5u(t: Target) -> str:
    header = {**t.header_with(alg="RS256"), "x5u": f"{t.key_server.base_url}/cert.pem"}
    signing_input = compact(header, t.claims())
    return f"{signing_input}.{rsa_signature(signing_input, KeyFiles.private(t.key_files.stranger))}"


@case("jwk: the attacker's public key embedded in the header", fetches_keys=True)
async def _embedded_jwk(t: Target) -> str:
    header = {**t.header_with(alg="RS256"), "jwk": KeyFiles.jwk(t.key_files.stranger)}
    signing_input = compact(header, t.claims())
    return f"{signing_input}.{rsa_signature(signing_input, KeyFiles.private(t.key_files.stranger))}"


@case("x5c: the attacker's self-signed certificate embedded in the header", fetches_keys=True)
async def _embedded_x5c(t: Target) -> str:
    attacker = KeyFiles.private(t.key_files.stranger)
    certificate = self_signed_certificate(attacker).public_bytes(serialization.Encoding.DER)
    header = {**t.header_with(alg="RS256"), "x5c": [base64.b64encode(certificate).decode()]}
    signing_input = compact(header, t.claims())
    return f"{signing_input}.{rsa_signature(signing_input, attacker)}"


# --- audience, issuer, type -------------------------------------------------------------------------


@case("aud of another service")
async def _wrong_aud(t: Target) -> str:
    return t.sign_claims(aud="another-service")


@case("aud missing")
async def _no_aud(t: Target) -> str:
    return t.sign_claims(aud=None)


@case("aud a list without this service")
async def _aud_list(t: Target) -> str:
    return t.sign_claims(aud=["another-service", "a-third"])


@case("aud empty")
async def _aud_empty(t: Target) -> str:
    return t.sign_claims(aud="")


@case("iss of another issuer")
async def _wrong_iss(t: Target) -> str:
    return t.sign_claims(iss="https://evil.example.com")


@case("iss missing")
async def _no_iss(t: Target) -> str:
    return t.sign_claims(iss=None)


@case("iss in other letter case")
async def _iss_case(t: Target) -> str:
    return t.sign_claims(iss=t.settings.jwt_issuer.upper())


@case("typ JWT instead of at+jwt")
async def _typ_jwt(t: Target) -> str:
    return t.sign(header=t.header_with(typ="JWT"))


@case("typ missing")
async def _typ_missing(t: Target) -> str:
    return t.sign(header=t.header_with(typ=None))


# --- times ---------------------------------------------------------------------------------------------


@case("expired beyond the leeway")
async def _expired(t: Target) -> str:
    return t.sign_claims(iat=now() - 3600, exp=now() - t.settings.jwt_leeway_seconds - 5)


@case("exp missing")
async def _no_exp(t: Target) -> str:
    return t.sign_claims(exp=None)


@case("iat missing")
async def _no_iat(t: Target) -> str:
    return t.sign_claims(iat=None)


@case("nbf in the future beyond the leeway")
async def _nbf_future(t: Target) -> str:
    return t.sign_claims(nbf=now() + t.settings.jwt_leeway_seconds + 60)


@case("iat in the future beyond the leeway")
async def _iat_future(t: Target) -> str:
    issued = now() + t.settings.jwt_leeway_seconds + 60
    return t.sign_claims(iat=issued, exp=issued + 300)


@case("exp a string")
async def _exp_string(t: Target) -> str:
    return t.sign_claims(exp=str(now() + 300))


@case("iat a string")
async def _iat_string(t: Target) -> str:
    return t.sign_claims(iat=str(now()))


@case("nbf a string")
async def _nbf_string(t: Target) -> str:
    return t.sign_claims(nbf=str(now()))


@case("exp true")
async def _exp_boolean(t: Target) -> str:
    return t.sign_claims(exp=True)


@case("exp an object")
async def _exp_object(t: Target) -> str:
    return t.sign_claims(exp={"$gt": 0})


def _raw_claims(t: Target, replacements: dict[str, str]) -> bytes:
    """The claims as JSON text with some values written raw (numbers JSON has no value for)."""
    claims = t.claims()
    text = json.dumps({name: value for name, value in claims.items() if name not in replacements})
    extra = ", ".join(f'"{name}": {raw}' for name, raw in replacements.items())
    return (text[:-1] + ", " + extra + "}").encode()


@case("exp Infinity (a JSON extension Python's parser accepts)")
async def _exp_infinity(t: Target) -> str:
    return t.sign(payload=_raw_claims(t, {"exp": "Infinity"}))


@case("exp 1e999 (overflows to infinity)")
async def _exp_overflow(t: Target) -> str:
    return t.sign(payload=_raw_claims(t, {"exp": "1e999"}))


@case("exp NaN")
async def _exp_nan(t: Target) -> str:
    return t.sign(payload=_raw_claims(t, {"exp": "NaN"}))


@case("iat -Infinity")
async def _iat_minus_infinity(t: Target) -> str:
    return t.sign(payload=_raw_claims(t, {"iat": "-Infinity"}))


@case("nbf -1e999")
async def _nbf_overflow(t: Target) -> str:
    return t.sign(payload=_raw_claims(t, {"nbf": "-1e999"}))


# --- subject and session --------------------------------------------------------------------------


@case("forged sub: the admin's id with another user's live session")
async def _sub_admin_with_users_session(t: Target) -> str:
    return t.sign_claims(sid=session_id_of(t.user.token))


@case("forged sub: another user's id with the admin's live session")
async def _sub_user_with_admins_session(t: Target) -> str:
    return t.sign_claims(sub=str(t.user.id))


@case("sub of no account, with a live session")
async def _sub_nobody(t: Target) -> str:
    return t.sign_claims(sub=str(uuid.uuid4()))


@case("sub not a user id")
async def _sub_name(t: Target) -> str:
    return t.sign_claims(sub="admin")


@case("sub a number")
async def _sub_number(t: Target) -> str:
    return t.sign_claims(sub=1)


@case("sub missing")
async def _no_sub(t: Target) -> str:
    return t.sign_claims(sub=None)


@case("jti missing")
async def _no_jti(t: Target) -> str:
    return t.sign_claims(jti=None)


@case("sid missing (no session)")
async def _no_sid(t: Target) -> str:
    return t.sign_claims(sid=None)


@case("sid of no session")
async def _sid_unknown(t: Target) -> str:
    return t.sign_claims(sid=str(uuid.uuid4()))


@case("sid not a session id")
async def _sid_not_uuid(t: Target) -> str:
    return t.sign_claims(sid="' OR 1=1 --")


# --- tokens of another kind -------------------------------------------------------------------------


@case("a refresh token")
async def _refresh_token(t: Target) -> str:
    response = await t.client.post("/auth/jwt/login", data={"username": t.admin.email, "password": t.admin.password})
    assert response.status_code == 200, response.text
    return str(response.json()["refresh_token"])


@case("a reset-password token (from the forgot-password flow)")
async def _reset_token(t: Target) -> str:
    response = await t.client.post("/auth/forgot-password", json={"email": t.admin.email})
    assert response.status_code == 202, response.text
    return t.notifier.reset_tokens[t.admin.email]


@case("a verification token (from the request-verify-token flow)")
async def _verify_token(t: Target) -> str:
    email = f"unverified-{uuid.uuid4().hex[:8]}@example.com"
    registered = await t.client.post("/auth/register", json={"email": email, "password": "a-long-enough-password"})
    assert registered.status_code == 201, registered.text
    response = await t.client.post("/auth/request-verify-token", json={"email": email})
    assert response.status_code == 202, response.text
    return t.notifier.verify_tokens[email]


@case("a reset-password token's claims, re-signed with the access-token key")
async def _reset_claims_resigned(t: Target) -> str:
    await t.client.post("/auth/forgot-password", json={"email": t.admin.email})
    reset_claims = jwt.decode(t.notifier.reset_tokens[t.admin.email], options={"verify_signature": False})
    return t.sign(payload=reset_claims)


@case("an API key sent as a bearer token")
async def _api_key_as_bearer(t: Target) -> str:
    response = await t.client.post("/api-keys", json={"name": "corpus"}, headers=t.admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


# --- the account or session behind a real token -------------------------------------------------------


@case("a deleted user's real token")
async def _deleted_user(t: Target) -> str:
    doomed = await t.accounts.create()
    response = await t.client.delete(f"/admin/users/{doomed.id}", headers=t.admin.headers)
    assert response.status_code == 204, response.text
    return doomed.token


@case("a deactivated user's real token")
async def _deactivated_user(t: Target) -> str:
    other = await t.accounts.create()
    response = await t.client.patch(f"/admin/users/{other.id}", json={"is_active": False}, headers=t.admin.headers)
    assert response.status_code == 200, response.text
    return other.token


@case("a logged-out session's real token")
async def _logged_out(t: Target) -> str:
    token = await t.accounts.login(t.admin.email, t.admin.password)
    response = await t.client.post("/auth/jwt/logout", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204, response.text
    return token


@case("a real token from before a password change elsewhere")
async def _before_password_change(t: Target) -> str:
    other = await t.accounts.create()
    old_token = await t.accounts.login(other.email, other.password)
    response = await t.client.patch(
        "/users/me",
        json={"password": "an-entirely-new-password", "current_password": other.password},
        headers=other.headers,
    )
    assert response.status_code == 200, response.text
    return old_token


# --- size and shape -------------------------------------------------------------------------------------


@case("a 100 KB token", statuses=frozenset({401, 431}), revoke_statuses=frozenset({200, 413, 422, 431}))
async def _hundred_kb(t: Target) -> str:
    header, payload, signature = t.sign().split(".")
    return f"{header}.{payload}{'A' * HUNDRED_KB}.{signature}"


for label, text in {
    "one part": "eyJhbGciOiJIUzI1NiJ9",
    "two parts": "eyJhbGciOiJIUzI1NiJ9.e30",
    "four parts": "a.b.c.d",
    "five parts (JWE shape)": "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d",
    "only dots": "..",
    "bad base64": "!!!.@@@.###",
    "base64 with padding": "eyJhbGciOiJIUzI1NiJ9==.e30=.sig=",
    "plain text": "not-a-jwt",
    "spaces inside": "eyJh bGci.e30.x",
}.items():

    @case(f"malformed: {label}")
    async def _malformed(t: Target, text: str = text) -> str:
        return text


for label, header_bytes in {
    "header not JSON": b"{not json",
    "header a JSON array": b'["HS256"]',
    "header a JSON string": b'"HS256"',
    "header null": b"null",
    "header not UTF-8": b"\xff\xfe\xfd",
    "header nested 2,000 deep": b'{"a":' + b"[" * 2000 + b"]" * 2000 + b"}",
}.items():

    @case(f"malformed: {label}")
    async def _bad_header(t: Target, header_bytes: bytes = header_bytes) -> str:
        return t.sign(header=header_bytes)


for label, payload_bytes in {
    "payload not JSON (validly signed)": b"{not json",
    "payload a JSON array (validly signed)": b'["admin"]',
    "payload a number (validly signed)": b"42",
    "payload not UTF-8 (validly signed)": b"\xff\xfe\xfd",
    "payload nested 2,000 deep (validly signed)": b'{"a":' + b"[" * 2000 + b"]" * 2000 + b"}",
}.items():

    @case(f"malformed: {label}")
    async def _bad_payload(t: Target, payload_bytes: bytes = payload_bytes) -> str:
        return t.sign(payload=payload_bytes)


@case("malformed: a lone surrogate in sub (validly signed)")
async def _surrogate(t: Target) -> str:
    return t.sign(payload=_raw_claims(t, {"sub": '"\\ud800"'}))


@case("malformed: non-UTF-8 bytes in the Authorization header")
async def _raw_bytes_in_header(t: Target) -> bytes:
    return t.sign().encode()[:20] + b"\xff\xfe\x80" + t.sign().encode()[23:]


@case("malformed: a NUL byte inside the token")
async def _nul_in_token(t: Target) -> bytes:
    token = t.sign().encode()
    return token[:10] + b"\x00" + token[10:]


# --- the runner -----------------------------------------------------------------------------------------


def corpus_cases() -> list[Any]:
    return [
        pytest.param(deployment, attack, id=f"{deployment}: {attack.name}")
        for attack in CORPUS
        for deployment in sorted(attack.deployments)
    ]


@pytest.fixture
async def target(
    deployment, settings, client, app, accounts, owners, notifier, key_files, key_server, admin, user
) -> Target:
    return Target(
        deployment=deployment,
        settings=settings,
        client=client,
        app=app,
        accounts=accounts,
        owners=owners,
        notifier=notifier,
        key_files=key_files,
        key_server=key_server,
        admin=admin,
        user=user,
    )


def authorization(token: str | bytes) -> dict[str, Any]:
    return {"Authorization": b"Bearer " + token if isinstance(token, bytes) else f"Bearer {token}"}


async def item_count(app) -> int:
    async with app.state.services.database.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(Item)) or 0)


@pytest.mark.parametrize("deployment", [HS256, RS256])
async def test_control_a_token_forged_with_the_deployments_key_and_valid_claims_is_accepted(target, attacks):
    for token in (target.sign(), target.sign(payload=_raw_claims(target, {"exp": str(now() + 300)}))):
        for method, path, body in PROTECTED[:3]:
            attacks.add()
            response = await target.client.request(method, path, json=body, headers=authorization(token))
            assert response.status_code in (200, 201), f"{method} {path}: {response.text}"


@pytest.mark.parametrize("deployment", [HS256, RS256])
async def test_control_the_attackers_key_server_answers_when_asked(target, attacks):
    attacks.add()
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{target.key_server.base_url}/jwks.json")).status_code == 200
    target.key_server.requests.clear()


@pytest.mark.parametrize(("deployment", "attack"), corpus_cases())
async def test_attack_token_is_refused_with_401_on_every_protected_route(target, attack: Case, attacks):
    token = await attack.build(target)
    items_before = await item_count(target.app)
    fetched_before = len(target.key_server.requests)

    for method, path, body in PROTECTED:
        attacks.add()
        response = await target.client.request(method, path, json=body, headers=authorization(token))
        assert response.status_code in attack.statuses, f"{method} {path}: {response.status_code} {response.text}"
        if response.status_code == 401:
            assert response.headers.get("WWW-Authenticate") == "Bearer", f"{method} {path}"

    # RFC 7009 revocation answers 200 to anything; a forged token must not end the admin's session.
    attacks.add()
    form_token = token.decode("latin-1") if isinstance(token, bytes) else token
    revoked = await target.client.post("/auth/jwt/revoke", data={"token": form_token})
    assert revoked.status_code in attack.revoke_statuses, revoked.text

    still_in = await target.client.get("/users/me", headers=target.admin.headers)
    assert still_in.status_code == 200, "the admin's own session was ended by a forged token"
    assert await item_count(target.app) == items_before, "POST /items wrote an item"
    if attack.fetches_keys:
        assert target.key_server.requests[fetched_before:] == [], "the service fetched the attacker's key"


def test_the_corpus_covers_every_attack_the_issue_names():
    names = " | ".join(attack.name for attack in CORPUS).lower()
    for required in (
        "alg none",
        "public key",
        "another secret",
        "aud of another",
        "aud missing",
        "iss of another",
        "iss missing",
        "expired",
        "nbf in the future",
        "iat in the future",
        "exp a string",
        "forged sub",
        "refresh token",
        "reset-password token",
        "verification token",
        "deleted user",
        "100 kb",
        "malformed",
        "not utf-8",
        "kid naming a file",
        "kid naming the retired key",
        "jku",
        "x5u",
    ):
        assert required in names, required
