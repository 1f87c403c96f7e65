"""Run as `python tests/auth/verifier.py METADATA_URL AUDIENCE TOKEN`: a service that trusts
Gatehouse, in a process of its own, verifying an access token with PyJWT's PyJWKClient and with
python-jose, from the metadata document alone (plus the audience it was told). Prints the claims
each library accepted, as JSON; exits 1 with the error when one refuses."""

from __future__ import annotations

import json
import sys
import urllib.request

import jwt
from jose import jwk
from jose import jwt as jose_jwt


def main(metadata_url: str, audience: str, token: str) -> None:
    with urllib.request.urlopen(metadata_url) as answer:  # noqa: S310 (a loopback test URL)
        metadata = json.load(answer)
    issuer, jwks_uri = metadata["issuer"], metadata["jwks_uri"]

    signing_key = jwt.PyJWKClient(jwks_uri).get_signing_key_from_jwt(token)
    by_pyjwt = jwt.decode(
        token,
        signing_key.key,
        algorithms=["RS256", "ES256"],
        audience=audience,
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )

    header = jose_jwt.get_unverified_header(token)
    with urllib.request.urlopen(jwks_uri) as answer:  # noqa: S310
        keys = {key["kid"]: key for key in json.load(answer)["keys"]}
    public = jwk.construct(keys[header["kid"]], algorithm=header["alg"])
    by_jose = jose_jwt.decode(token, public.to_dict(), algorithms=[header["alg"]], audience=audience, issuer=issuer)

    print(json.dumps({"typ": header["typ"], "alg": header["alg"], "pyjwt": by_pyjwt, "jose": by_jose}))


if __name__ == "__main__":
    try:
        main(*sys.argv[1:4])
    except Exception as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
