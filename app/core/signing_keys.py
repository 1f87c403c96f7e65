"""The keys that sign and verify access tokens, and the JWK Set that publishes them.

* HS256 (the default): one symmetric key derived from SECRET_KEY. Nothing is published, since
  anyone able to verify could also sign.
* RS256 / ES256: the private key in JWT_PRIVATE_KEY_FILE signs. Its public key, and the public keys
  in JWT_RETIRED_PUBLIC_KEY_FILES, verify and are published at `/.well-known/jwks.json`, so other
  services check tokens without any secret. Each key is named by its RFC 7638 thumbprint (`kid`),
  which every token carries in its header: verification picks the key by `kid`, so tokens signed
  before a rotation stay valid until they expire while the retired key is still listed.

A retired key keeps its own algorithm (an RSA key verifies RS256, a P-256 key ES256), so moving
from RS256 to ES256 is a rotation like any other. Keys are checked at start-up: a missing,
unreadable, encrypted or wrong-type file stops the service with a `ConfigurationError` that
names the file and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk
from jose.backends.base import Key
from jose.utils import base64url_encode

from app.config import ConfigurationError, Settings
from app.core.secrets import SecretPurpose, derive_secret

MIN_RSA_BITS = 2048
ALGORITHMS = ("RS256", "ES256")
GENERATED_RSA_BITS = 3072
# RFC 7638 3.2: the members of the thumbprint input, per key type.
THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


@dataclass(frozen=True, slots=True)
class VerificationKey:
    kid: str | None
    algorithm: str
    key: Key | str
    public_jwk: dict[str, Any] | None  # what the JWK Set publishes; None for the HMAC key


@dataclass(frozen=True, slots=True)
class SigningKeys:
    algorithm: str
    kid: str | None
    signing_key: Key | str
    verification_keys: tuple[VerificationKey, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> SigningKeys:
        if settings.jwt_algorithm == "HS256":
            secret = derive_secret(settings.signing_secret(), SecretPurpose.ACCESS_TOKEN)
            return cls(
                algorithm="HS256",
                kid=None,
                signing_key=secret,
                verification_keys=(VerificationKey(kid=None, algorithm="HS256", key=secret, public_jwk=None),),
            )
        if settings.jwt_private_key_file is None:  # Settings refuses this; kept for type narrowing
            raise ConfigurationError(f"JWT_ALGORITHM={settings.jwt_algorithm} needs JWT_PRIVATE_KEY_FILE")
        private_key = _load_private_key(settings.jwt_private_key_file, settings.jwt_algorithm)
        current = _verification_key(private_key.public_key(), settings.jwt_algorithm)
        keys = {current.kid: current}
        for path in settings.jwt_retired_public_key_files:
            retired = _load_public_key(path)
            algorithm = "RS256" if isinstance(retired, rsa.RSAPublicKey) else "ES256"
            key = _verification_key(retired, algorithm)
            keys.setdefault(key.kid, key)
        return cls(
            algorithm=settings.jwt_algorithm,
            kid=current.kid,
            signing_key=jwk.construct(private_key, settings.jwt_algorithm),  # type: ignore[arg-type]
            verification_keys=tuple(keys.values()),
        )

    def find(self, *, kid: str | None, algorithm: str | None) -> VerificationKey | None:
        """The key for a token header, or None. The header's `alg` must be the key's own: a token
        cannot choose how it is verified (no `none`, no HMAC with a public key)."""
        for key in self.verification_keys:
            if key.kid == kid and key.algorithm == algorithm:
                return key
        return None

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [key.public_jwk for key in self.verification_keys if key.public_jwk is not None]}


def generate_private_key_pem(algorithm: str) -> bytes:
    """A new, unencrypted PKCS#8 PEM private key for `algorithm` (RSA 3072 bits, or EC P-256)."""
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if algorithm == "RS256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=GENERATED_RSA_BITS)
    elif algorithm == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        raise ValueError(f"no key to generate for {algorithm}; choose one of {', '.join(ALGORITHMS)}")
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def key_id(private_pem: bytes) -> str:
    """The `kid` tokens signed with this PEM private key will carry (its RFC 7638 thumbprint)."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError("not an RSA or EC private key")
    algorithm = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    kid = _verification_key(key.public_key(), algorithm).kid
    assert kid is not None
    return kid


def thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): a stable name derived from the key itself."""
    members = {name: public_jwk[name] for name in THUMBPRINT_MEMBERS[public_jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64url_encode(hashlib.sha256(canonical).digest()).decode("ascii")


def _verification_key(public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey, algorithm: str) -> VerificationKey:
    # python-jose accepts `cryptography` key objects; its stubs name only serialised forms.
    key = jwk.construct(public_key, algorithm)  # type: ignore[arg-type]
    members = key.to_dict()
    kid = thumbprint(members)
    public_jwk = {**members, "kid": kid, "use": "sig", "alg": algorithm}
    return VerificationKey(kid=kid, algorithm=algorithm, key=key, public_jwk=public_jwk)


def _read_pem(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigurationError(f"{setting}: cannot read {path}: {error.strerror or error}") from error


def _load_private_key(path: Path, algorithm: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    data = _read_pem(path, "JWT_PRIVATE_KEY_FILE")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as error:
        raise ConfigurationError(
            f"JWT_PRIVATE_KEY_FILE: {path} is encrypted; store the key unencrypted with file permissions 0600"
        ) from error
    except ValueError as error:
        raise ConfigurationError(f"JWT_PRIVATE_KEY_FILE: {path} is not a PEM private key") from error
    if algorithm == "RS256":
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigurationError(f"JWT_PRIVATE_KEY_FILE: JWT_ALGORITHM=RS256 needs an RSA key; {path} is not one")
        _check_rsa_size(key.key_size, path, "JWT_PRIVATE_KEY_FILE")
        return key
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ConfigurationError(
            f"JWT_PRIVATE_KEY_FILE: JWT_ALGORITHM=ES256 needs an EC key on curve P-256; {path} is not one"
        )
    return key


def _load_public_key(path: Path) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    """A retired key: a PEM public key, or a private key whose public half is taken."""
    data = _read_pem(path, "JWT_RETIRED_PUBLIC_KEY_FILES")
    key: Any
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (TypeError, ValueError) as error:
            raise ConfigurationError(f"JWT_RETIRED_PUBLIC_KEY_FILES: {path} is not a PEM public key") from error
    if isinstance(key, rsa.RSAPublicKey):
        _check_rsa_size(key.key_size, path, "JWT_RETIRED_PUBLIC_KEY_FILES")
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise ConfigurationError(
        f"JWT_RETIRED_PUBLIC_KEY_FILES: {path} is neither an RSA key (RS256) nor an EC P-256 key (ES256)"
    )


def _check_rsa_size(bits: int, path: Path, setting: str) -> None:
    if bits < MIN_RSA_BITS:
        raise ConfigurationError(f"{setting}: {path} is a {bits}-bit RSA key; RS256 needs at least {MIN_RSA_BITS} bits")
