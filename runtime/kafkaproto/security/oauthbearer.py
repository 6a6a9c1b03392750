"""SASL OAUTHBEARER (RFC 7628, KIP-255) as a sans-I/O client, and the token it carries.

The client sends one message, ``n,,^Aauth=Bearer <token>[^Aextensions]^A^A``. A broker that
refuses the token answers with an error JSON (``{"status":"invalid_token"}``); the client must
then send a lone ``^A`` and the broker fails the exchange (Kafka's ``OAuthBearerSaslClient``).
The JSON is kept in ``failure_detail`` so the final error can quote it.

:class:`OAuthBearerToken` is a token with its expiry; :meth:`OAuthBearerToken.from_jwt` reads
``exp``/``sub`` from a JWT's payload (without checking its signature: that is the broker's job,
as with Java's ``ClientJwtValidator``). :class:`TokenRefreshPolicy` decides when a cached token
is due for refresh with Java's ``sasl.login.refresh.*`` rules.

It must never log a token, and never fetch one itself (see :mod:`kafkaproto.security.oidc`).
"""

from __future__ import annotations

import base64
import binascii
import json
import random
from dataclasses import dataclass
from typing import Any

from kafkaproto.security.sasl_client import SaslMechanismError

__all__ = ["OAuthBearerClient", "OAuthBearerToken", "TokenRefreshPolicy", "parse_jwt_claims"]

_SEP = "\x01"


def parse_jwt_claims(token: str) -> dict[str, Any]:
    """The payload claims of a compact JWS ``header.payload.signature`` (RFC 7519 §7.2), not
    verified. Raises ValueError naming what is wrong with the token's shape."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError(f"a JWT has 3 dot-separated parts, this token has {len(parts)}")
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"the JWT payload is not base64url JSON: {exc}") from None
    if not isinstance(claims, dict):
        raise ValueError("the JWT payload is not a JSON object")
    return claims


@dataclass(frozen=True, slots=True)
class OAuthBearerToken:
    """An access token: ``value`` as sent, ``expires_at`` in seconds since the epoch (None:
    unknown, the token is fetched again for every authentication), ``principal`` its subject."""

    value: str
    expires_at: float | None = None
    principal: str | None = None
    issued_at: float | None = None

    @classmethod
    def from_jwt(cls, value: str) -> OAuthBearerToken:
        """Read ``exp``, ``iat`` and ``sub`` from a JWT. Raises ValueError if it is not one or
        lacks ``exp`` (Java's client refuses such tokens too)."""
        claims = parse_jwt_claims(value)
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise ValueError("the JWT has no numeric 'exp' claim")
        iat = claims.get("iat")
        sub = claims.get("sub")
        return cls(
            value=value,
            expires_at=float(exp),
            principal=sub if isinstance(sub, str) else None,
            issued_at=float(iat) if isinstance(iat, int | float) else None,
        )

    def __repr__(self) -> str:  # never show the token itself
        return f"OAuthBearerToken(principal={self.principal!r}, expires_at={self.expires_at!r})"


@dataclass(frozen=True, slots=True)
class TokenRefreshPolicy:
    """Java's ``ExpiringCredentialRefreshingLogin`` timing: refresh at ``window_factor`` (plus
    up to ``window_jitter``) of the token's lifetime, but at least ``buffer_s`` before expiry
    and not sooner than ``min_period_s`` after it was obtained (``sasl.login.refresh.*``)."""

    window_factor: float = 0.8
    window_jitter: float = 0.05
    min_period_s: int = 60
    buffer_s: int = 300

    def refresh_at(self, obtained_at: float, token: OAuthBearerToken) -> float:
        """When a token obtained at ``obtained_at`` should be replaced (seconds, epoch)."""
        if token.expires_at is None:
            return obtained_at  # unknown lifetime: fetch again for every authentication
        start = token.issued_at if token.issued_at is not None else obtained_at
        lifetime = token.expires_at - start
        due = start + lifetime * (self.window_factor + self.window_jitter * random.random())
        due = min(due, token.expires_at - self.buffer_s)
        due = max(due, obtained_at + self.min_period_s)
        return min(due, token.expires_at)  # never use a token past its expiry


class OAuthBearerClient:
    """One OAUTHBEARER authentication with ``token``; ``extensions`` are SASL extensions
    (KIP-342, sent as ``key=value`` after the token)."""

    mechanism = "OAUTHBEARER"

    def __init__(
        self,
        token: OAuthBearerToken,
        *,
        authorization_id: str = "",
        extensions: dict[str, str] | None = None,
    ) -> None:
        if not token.value or any(c in token.value for c in " \x01\r\n"):
            raise ValueError("an OAUTHBEARER token must be non-empty without spaces or ^A")
        for key in extensions or {}:
            if key == "auth" or not key.isalpha():
                raise ValueError(f"invalid SASL extension name {key!r} (letters only, not 'auth')")
        self.user: str | None = token.principal
        ext = "".join(f"{_SEP}{k}={v}" for k, v in (extensions or {}).items())
        authz = f"a={authorization_id}" if authorization_id else ""
        self._message = f"n,{authz},{_SEP}auth=Bearer {token.value}{ext}{_SEP}{_SEP}".encode()
        self._complete = False
        self._error: str | None = None
        self._started = False

    def start(self) -> bytes:
        self._started = True
        return self._message

    def receive(self, data: bytes) -> bytes | None:
        if not self._started or self._complete or self._error is not None:
            raise SaslMechanismError("unexpected OAUTHBEARER server message in this state")
        if data:
            # RFC 7628 §3.2.2: the server's error; answer with a lone kvsep and let it fail us.
            self._error = data.decode(errors="replace")
            return _SEP.encode()
        self._complete = True
        return None

    @property
    def complete(self) -> bool:
        return self._complete

    @property
    def failure_detail(self) -> str | None:
        return self._error
