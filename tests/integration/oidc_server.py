"""A small OAuth 2 / OIDC token server for the secured test broker (KIP-768's client-credentials
flow): ``POST /token`` answers ``grant_type=client_credentials`` with an RS256-signed JWT,
``GET /jwks`` serves the public key the broker verifies those JWTs with.

Standard library plus the ``openssl`` command (once, to read the signing key's numbers); the RSA
signature itself is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2, RFC 7518 §3.3), computed here.
It binds to loopback only and must never be used outside the tests: it knows a fixed list of
clients (``--clients`` JSON: id -> secret and token lifetime) and nothing about real users.

Answers follow RFC 6749 §5: 200 with ``access_token``/``token_type``/``expires_in``, or 400/401
with ``error`` and ``error_description``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import subprocess
import sys
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# DER prefix of DigestInfo for SHA-256 (RFC 8017 §9.2, note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


class RsaKey:
    """The numbers of an RSA private key, read with ``openssl rsa -text``."""

    def __init__(self, path: Path) -> None:
        text = subprocess.run(
            ["openssl", "rsa", "-in", str(path), "-noout", "-text"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        self.n = self._hex_block(text, "modulus")
        self.d = self._hex_block(text, "privateExponent")
        match = re.search(r"publicExponent: (\d+)", text)
        if match is None:
            raise ValueError(f"no public exponent in the openssl output for {path}")
        self.e = int(match.group(1))
        self.size = (self.n.bit_length() + 7) // 8
        self.kid = hashlib.sha256(_int_bytes(self.n)).hexdigest()[:16]

    @staticmethod
    def _hex_block(text: str, name: str) -> int:
        match = re.search(rf"^{name}:\n((?:\s+[0-9a-f:]+\n)+)", text, re.MULTILINE)
        if match is None:
            raise ValueError(f"no {name} in the openssl output")
        return int(re.sub(r"[\s:]", "", match.group(1)), 16)

    def sign(self, message: bytes) -> bytes:
        digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
        padding = b"\xff" * (self.size - len(digest_info) - 3)
        encoded = int.from_bytes(b"\x00\x01" + padding + b"\x00" + digest_info, "big")
        return pow(encoded, self.d, self.n).to_bytes(self.size, "big")

    def jwk(self) -> dict[str, str]:
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": b64url(_int_bytes(self.n)),
            "e": b64url(_int_bytes(self.e)),
        }


def make_jwt(key: RsaKey, claims: dict[str, Any]) -> str:
    header = {"alg": "RS256", "typ": "JWT", "kid": key.kid}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    return signing_input + "." + b64url(key.sign(signing_input.encode()))


class TokenServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        key: RsaKey,
        clients: dict[str, dict[str, Any]],
        issuer: str,
        audience: str,
    ) -> None:
        super().__init__(address, Handler)
        self.key = key
        self.clients = clients
        self.issuer = issuer
        self.audience = audience


class Handler(BaseHTTPRequestHandler):
    server: TokenServer

    def log_message(self, format: str, *args: Any) -> None:
        sys.stdout.write(f"{self.address_string()} {format % args}\n")
        sys.stdout.flush()

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, status: int, error: str, description: str) -> None:
        self._answer(status, {"error": error, "error_description": description})

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/jwks":
            self._answer(200, {"keys": [self.server.key.jwk()]})
        else:
            self._refuse(404, "not_found", f"no such path: {self.path}")

    def do_POST(self) -> None:
        if self.path.split("?")[0] != "/token":
            self._refuse(404, "not_found", f"no such path: {self.path}")
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
        if form.get("grant_type") != ["client_credentials"]:
            self._refuse(400, "unsupported_grant_type", "only client_credentials is supported")
            return
        client_id, secret = self._credentials(form)
        client = self.server.clients.get(client_id or "")
        if client is None or client["secret"] != secret:
            self._refuse(401, "invalid_client", f"unknown client or wrong secret: {client_id}")
            return
        now = int(time.time())
        lifetime = int(client["lifetime"])
        scope = form.get("scope", ["kafka"])[0]
        claims = {
            "iss": self.server.issuer,
            "aud": self.server.audience,
            "sub": client_id,
            "iat": now if lifetime > 0 else now + lifetime - 60,
            "exp": now + lifetime,
            "scope": scope,
            "jti": str(uuid.uuid4()),
        }
        self._answer(
            200,
            {
                "access_token": make_jwt(self.server.key, claims),
                "token_type": "Bearer",
                "expires_in": lifetime,
                "scope": scope,
            },
        )

    def _credentials(self, form: dict[str, list[str]]) -> tuple[str | None, str | None]:
        # RFC 6749 §2.3.1: HTTP Basic (what Kafka's client sends), or form fields.
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return None, None
            return urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(secret)
        return form.get("client_id", [None])[0], form.get("client_secret", [None])[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--clients", type=Path, required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--audience", required=True)
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the test token server binds to loopback only")
    server = TokenServer(
        (args.host, args.port),
        RsaKey(args.key),
        json.loads(args.clients.read_text()),
        args.issuer,
        args.audience,
    )
    print(f"oidc test server on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
