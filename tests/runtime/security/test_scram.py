"""SCRAM against RFC 7677's SCRAM-SHA-256 test vector (§3), and the checks of the server's
messages (nonce, iteration count, server signature)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from kafkaproto.security.sasl_client import SaslMechanismError
from kafkaproto.security.scram import ScramClient

# RFC 7677 §3: user "user", password "pencil".
CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO"
CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def rfc_client() -> ScramClient:
    return ScramClient("SCRAM-SHA-256", "user", "pencil", nonce=CLIENT_NONCE)


def test_rfc7677_vector() -> None:
    client = rfc_client()
    assert client.start() == CLIENT_FIRST
    assert client.receive(SERVER_FIRST) == CLIENT_FINAL
    assert not client.complete
    assert client.receive(SERVER_FINAL) is None
    assert client.complete


def test_wrong_server_signature_is_refused() -> None:
    client = rfc_client()
    client.start()
    client.receive(SERVER_FIRST)
    forged = b"v=" + base64.b64encode(b"\0" * 32)
    with pytest.raises(SaslMechanismError, match="server signature") as info:
        client.receive(forged)
    assert info.value.refused_by_us
    assert not client.complete


def test_server_error_is_reported() -> None:
    client = rfc_client()
    client.start()
    client.receive(SERVER_FIRST)
    with pytest.raises(SaslMechanismError, match="invalid-proof"):
        client.receive(b"e=invalid-proof")


@pytest.mark.parametrize(
    ("server_first", "match"),
    [
        (b"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce"),
        (b"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce"),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095", "minimum 4096"),
        (b"garbage", "invalid server-first"),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=***,i=4096", "invalid server-first"),
    ],
)
def test_bad_server_first(server_first: bytes, match: str) -> None:
    client = rfc_client()
    client.start()
    with pytest.raises(SaslMechanismError, match=match):
        client.receive(server_first)


def test_sha512_proof_matches_an_independent_computation() -> None:
    client = ScramClient("SCRAM-SHA-512", "a=b,c", "pässword", nonce="abc")
    first = client.start()
    # RFC 5802 §5.1: '=' and ',' in the user name are escaped.
    assert first == b"n,,n=a=3Db=2Cc,r=abc"
    salt = b"0123456789abcdef"
    server_first = b"r=abcdef,s=" + base64.b64encode(salt) + b",i=4096"
    final = client.receive(server_first)
    assert final is not None
    without_proof, _, proof_b64 = final.decode().rpartition(",p=")
    auth = b"n=a=3Db=2Cc,r=abc," + server_first + b"," + without_proof.encode()
    salted = hashlib.pbkdf2_hmac("sha512", "pässword".encode(), salt, 4096)
    client_key = hmac.digest(salted, b"Client Key", "sha512")
    signature = hmac.digest(hashlib.sha512(client_key).digest(), auth, "sha512")
    expected = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    assert base64.b64decode(proof_b64) == expected
    server_sig = hmac.digest(hmac.digest(salted, b"Server Key", "sha512"), auth, "sha512")
    assert client.receive(b"v=" + base64.b64encode(server_sig)) is None
    assert client.complete


def test_random_nonces_differ_and_bad_arguments_are_refused() -> None:
    a = ScramClient("SCRAM-SHA-256", "u", "p").start()
    b = ScramClient("SCRAM-SHA-256", "u", "p").start()
    assert a != b
    with pytest.raises(ValueError, match="unknown SCRAM mechanism"):
        ScramClient("SCRAM-SHA-1", "u", "p")
    with pytest.raises(ValueError, match="password"):
        ScramClient("SCRAM-SHA-256", "u", "")
