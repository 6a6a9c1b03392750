"""SASL SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as a sans-I/O client.

Four messages: client-first (user name, client nonce), server-first (combined nonce, salt,
iteration count), client-final (channel binding ``biws`` = no binding, proof), server-final (the
server's signature, which we verify: a broker that does not know the password cannot forge it).
Follows Kafka's ``ScramSaslClient``/``ScramFormatter``: the user name is escaped as a saslname
(``=`` -> ``=3D``, ``,`` -> ``=2C``), the password is used as UTF-8 without SASLprep, and an
iteration count below 4096 (Kafka's ``ScramMechanism`` minimum for both hashes) is refused.

It must never log the password, the salted password or the proofs, and never touch a socket.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Final

from kafkaproto.security.sasl_client import SaslMechanismError

__all__ = ["SCRAM_MECHANISMS", "ScramClient"]

#: Mechanism name -> (hashlib name, minimum iterations): Kafka's ``ScramMechanism`` enum.
SCRAM_MECHANISMS: Final[dict[str, tuple[str, int]]] = {
    "SCRAM-SHA-256": ("sha256", 4096),
    "SCRAM-SHA-512": ("sha512", 4096),
}
# RFC 5802 §7: value-safe printable characters, attributes as single letters. Kafka's parser
# also allows reserved "m=" first and extensions after the known attributes.
_SERVER_FIRST = re.compile(
    r"(?:m=[^,]*,)?r=(?P<nonce>[\x21-\x2b\x2d-\x7e]+),s=(?P<salt>[A-Za-z0-9+/=]+),"
    r"i=(?P<iterations>[0-9]+)(?:,.*)?"
)
_SERVER_FINAL = re.compile(r"(?:e=(?P<error>[^,]+)|v=(?P<signature>[A-Za-z0-9+/=]+))(?:,.*)?")

_START, _FIRST_SENT, _FINAL_SENT, _COMPLETE, _FAILED = range(5)


def _saslname(username: str) -> str:
    return username.replace("=", "=3D").replace(",", "=2C")


class ScramClient:
    """One SCRAM authentication. ``nonce`` is for tests (RFC 7677's vector); leave it None."""

    def __init__(
        self,
        mechanism: str,
        username: str,
        password: str,
        *,
        nonce: str | None = None,
        extensions: dict[str, str] | None = None,
    ) -> None:
        if mechanism not in SCRAM_MECHANISMS:
            known = ", ".join(SCRAM_MECHANISMS)
            raise ValueError(f"unknown SCRAM mechanism {mechanism!r} (known: {known})")
        if not username:
            raise ValueError(f"{mechanism} needs a non-empty username")
        if not password:
            raise ValueError(f"{mechanism} needs a non-empty password")
        self.mechanism = mechanism
        self.user: str | None = username
        self._hash, self._min_iterations = SCRAM_MECHANISMS[mechanism]
        self._password = password.encode()
        # Java: new BigInteger(130, random).toString(36); any printable non-comma text will do.
        self._nonce = nonce if nonce is not None else secrets.token_urlsafe(24)
        if not nonce and nonce is not None:
            raise ValueError("the client nonce must not be empty")
        ext = "".join(f",{k}={v}" for k, v in (extensions or {}).items())
        self._client_first_bare = f"n={_saslname(username)},r={self._nonce}{ext}"
        self._auth_message = b""
        self._server_signature = b""
        self._state = _START

    # -- the exchange -------------------------------------------------------------------------

    def start(self) -> bytes:
        if self._state != _START:
            raise SaslMechanismError("SCRAM exchange already started")
        self._state = _FIRST_SENT
        return b"n,," + self._client_first_bare.encode()

    def receive(self, data: bytes) -> bytes | None:
        if self._state == _FIRST_SENT:
            return self._client_final(data)
        if self._state == _FINAL_SENT:
            self._verify_server_final(data)
            return None
        raise SaslMechanismError(f"unexpected {self.mechanism} server message in this state")

    @property
    def complete(self) -> bool:
        return self._state == _COMPLETE

    @property
    def failure_detail(self) -> str | None:
        return None

    # -- steps --------------------------------------------------------------------------------

    def _client_final(self, data: bytes) -> bytes:
        self._state = _FAILED
        try:
            server_first = data.decode()
        except UnicodeDecodeError:
            raise SaslMechanismError("server-first message is not UTF-8") from None
        match = _SERVER_FIRST.fullmatch(server_first)
        if match is None:
            raise SaslMechanismError(f"invalid server-first message: {server_first!r}")
        nonce = match["nonce"]
        if not nonce.startswith(self._nonce) or nonce == self._nonce:
            raise SaslMechanismError("invalid server nonce: it does not extend the client nonce")
        iterations = int(match["iterations"])
        if iterations < self._min_iterations:
            raise SaslMechanismError(
                f"requested iterations {iterations} is less than the minimum "
                f"{self._min_iterations} for {self.mechanism}"
            )
        try:
            salt = base64.b64decode(match["salt"], validate=True)
        except ValueError:
            raise SaslMechanismError("the salt is not valid base64") from None
        without_proof = f"c=biws,r={nonce}"
        auth_message = f"{self._client_first_bare},{server_first},{without_proof}".encode()
        salted = hashlib.pbkdf2_hmac(self._hash, self._password, salt, iterations)
        client_key = hmac.digest(salted, b"Client Key", self._hash)
        stored_key = hashlib.new(self._hash, client_key).digest()
        client_signature = hmac.digest(stored_key, auth_message, self._hash)
        proof = bytes(a ^ b for a, b in zip(client_key, client_signature, strict=True))
        server_key = hmac.digest(salted, b"Server Key", self._hash)
        self._server_signature = hmac.digest(server_key, auth_message, self._hash)
        self._state = _FINAL_SENT
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def _verify_server_final(self, data: bytes) -> None:
        self._state = _FAILED
        text = data.decode(errors="replace")
        match = _SERVER_FINAL.fullmatch(text)
        if match is None:
            raise SaslMechanismError(f"invalid server-final message: {text!r}")
        if match["error"] is not None:
            raise SaslMechanismError(f"the broker answered with SCRAM error {match['error']!r}")
        signature = base64.b64decode(match["signature"])
        if not hmac.compare_digest(signature, self._server_signature):
            raise SaslMechanismError(
                "invalid server signature: the broker does not know this user's credentials",
                refused_by_us=True,
            )
        self._state = _COMPLETE
