"""PLAIN and OAUTHBEARER messages, OAUTHBEARER's failure path, JWT claims and the token refresh
timing of Java's sasl.login.refresh.* rules."""

from __future__ import annotations

import base64
import json

import pytest
from kafkaproto.security.oauthbearer import (
    OAuthBearerClient,
    OAuthBearerToken,
    TokenRefreshPolicy,
    parse_jwt_claims,
)
from kafkaproto.security.plain import PlainClient
from kafkaproto.security.sasl_client import SaslMechanismError


def jwt(claims: dict[str, object]) -> str:
    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def test_plain_message() -> None:
    client = PlainClient("alice", "secret")
    assert client.start() == b"\0alice\0secret"
    assert client.receive(b"") is None
    assert client.complete
    with pytest.raises(ValueError, match="NUL"):
        PlainClient("a\0b", "x")
    with pytest.raises(SaslMechanismError):
        PlainClient("a", "b").receive(b"unexpected")


def test_oauthbearer_success() -> None:
    token = OAuthBearerToken.from_jwt(jwt({"sub": "svc", "exp": 2_000_000_000, "iat": 1}))
    assert token.principal == "svc" and token.expires_at == 2_000_000_000
    client = OAuthBearerClient(token, extensions={"traceId": "abc"})
    assert client.start() == f"n,,\x01auth=Bearer {token.value}\x01traceId=abc\x01\x01".encode()
    assert client.receive(b"") is None
    assert client.complete and client.failure_detail is None
    assert token.value not in repr(token)


def test_oauthbearer_failure_answers_kvsep_and_keeps_the_reason() -> None:
    client = OAuthBearerClient(OAuthBearerToken("opaque-token"))
    client.start()
    error = b'{"status":"invalid_token"}'
    assert client.receive(error) == b"\x01"
    assert not client.complete
    assert client.failure_detail == '{"status":"invalid_token"}'


@pytest.mark.parametrize(
    ("token", "match"),
    [
        ("a.b", "3 dot-separated parts"),
        ("a.!!!.c", "not base64url JSON"),
        (jwt({"sub": "x"}), "no numeric 'exp'"),
    ],
)
def test_bad_jwts(token: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        OAuthBearerToken.from_jwt(token)


def test_jwt_claims() -> None:
    assert parse_jwt_claims(jwt({"exp": 5, "scope": "a b"}))["scope"] == "a b"


def test_refresh_policy_follows_javas_window_buffer_and_min_period() -> None:
    no_jitter = TokenRefreshPolicy(window_jitter=0.0)
    hour = OAuthBearerToken("t", expires_at=1000.0 + 3600, issued_at=1000.0)
    # 80% of an hour is 2880 s, but the 300 s buffer before expiry comes first: 3300 s.
    assert no_jitter.refresh_at(1000.0, hour) == 1000.0 + min(2880, 3300)
    short = OAuthBearerToken("t", expires_at=1000.0 + 400, issued_at=1000.0)
    # 80%: 320 s; buffer: 100 s; min period 60 s after fetching wins over the buffer: 100 -> 100.
    assert no_jitter.refresh_at(1000.0, short) == 1100.0
    tiny = OAuthBearerToken("t", expires_at=1000.0 + 8, issued_at=1000.0)
    # Shorter than the minimum period: never past expiry.
    assert no_jitter.refresh_at(1000.0, tiny) == 1008.0
    quick = TokenRefreshPolicy(window_jitter=0.0, min_period_s=0, buffer_s=0)
    assert quick.refresh_at(1000.0, tiny) == pytest.approx(1006.4)
    assert quick.refresh_at(1000.0, OAuthBearerToken("opaque")) == 1000.0
