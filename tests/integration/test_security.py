"""TLS and SASL against the real secured broker of secure_testbed.py (ports and users there).

- every security protocol and SASL mechanism: the cluster client connects, the metadata names
  the listener it came in on, and the producer's records come back through our fetcher;
- OAUTHBEARER with real RS256 JWTs from the test bed's OIDC token server, checked by the broker
  against its JWKS, through Java's client-credentials settings and through a token provider;
- KIP-368: producing across several re-authentications (3 s sessions) loses and duplicates
  nothing, with SCRAM and with OAUTHBEARER tokens that are refreshed as they near expiry;
- every failure is a typed error that names what was wrong: wrong password (mechanism and user),
  a mechanism the listener does not enable (with the broker's list), an untrusted certificate, a
  wrong host name, a missing client certificate, TLS on a plaintext port and the reverse, SASL on
  a plain listener and the reverse, a token endpoint refusing us or handing out an expired token,
  and a token the broker refuses (its JSON reason quoted).

Marked `broker`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import secure_testbed as tb
from kafka_cluster import KafkaCluster
from kafkaproto.cluster import ClusterClient
from kafkaproto.fetcher import EARLIEST, fetch_partition
from kafkaproto.producer._internals.cluster_transport import ClusterTransport
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.config import ProducerConfig
from kafkaproto.producer.record import ProducerRecord
from kafkaproto.security.config import SecurityConfigError
from kafkaproto.security.errors import (
    OAuthBearerTokenError,
    SaslAuthenticationError,
    SaslMechanismNotEnabledError,
    SecurityProtocolMismatchError,
    SslAuthenticationError,
)
from kafkaproto.security.oauthbearer import OAuthBearerToken

pytestmark = pytest.mark.broker

SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule"
OAUTH = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"


@dataclass(frozen=True)
class Bed:
    ports: tb.SecurePorts
    files: tb.SecurityFiles

    def trust(self) -> dict[str, object]:
        return {"ssl.truststore.type": "PEM", "ssl.truststore.location": str(self.files.ca)}

    def sasl(
        self,
        mechanism: str,
        *,
        protocol: str = "SASL_SSL",
        password: str = tb.PASSWORD,
        client_id: str = "kafkaproto-client",
    ) -> dict[str, object]:
        settings: dict[str, object] = {"security.protocol": protocol, "sasl.mechanism": mechanism}
        if mechanism == "OAUTHBEARER":
            secret = tb.OIDC_CLIENTS.get(client_id, ("wrong", 0))[0]
            settings["sasl.jaas.config"] = f"{OAUTH} required;"
            settings["sasl.oauthbearer.token.endpoint.url"] = self.ports.token_endpoint
            settings["sasl.oauthbearer.client.credentials.client.id"] = client_id
            settings["sasl.oauthbearer.client.credentials.client.secret"] = secret
        else:
            module = PLAIN if mechanism == "PLAIN" else SCRAM
            settings["sasl.jaas.config"] = (
                f'{module} required username="{tb.USER}" password="{password}";'
            )
        if protocol == "SASL_SSL":
            settings.update(self.trust())
        return settings


@pytest.fixture(scope="module")
def bed(kafka_broker: KafkaCluster) -> Bed:
    return Bed(kafka_broker.secure_ports, kafka_broker.security_files)


def topic_name(what: str) -> str:
    return f"kafkaproto-security-{what}-{uuid.uuid4().hex[:8]}"


async def produce_and_read(
    bootstrap: str, settings: dict[str, Any], count: int = 20, *, topic: str | None = None
) -> list[bytes]:
    """Produce ``count`` records with these settings, read them back with the same ones."""
    topic = topic or topic_name("roundtrip")
    async with AsyncProducer({"bootstrap.servers": bootstrap, "linger.ms": 1, **settings}) as p:
        futures = [
            await p.send(ProducerRecord(topic, b"value-%d" % i, partition=0)) for i in range(count)
        ]
        await p.flush()
        offsets = [(await f).offset for f in futures]
    assert offsets == list(range(count))
    return await read_values(bootstrap, settings, topic, count)


async def read_values(
    bootstrap: str, settings: dict[str, Any], topic: str, count: int
) -> list[bytes]:
    async with ClusterClient(bootstrap, **settings) as client:
        await client.refresh_metadata([topic])
        return [
            bytes(r.value or b"")
            async for r in fetch_partition(client, topic, 0, EARLIEST, max_records=count)
        ]


# -- every protocol and mechanism -----------------------------------------------------------------

CASES = {
    "ssl": ("ssl", None, "SSL"),
    "mtls": ("mtls", None, "SSL"),
    "sasl-ssl-scram-sha-256": ("sasl_ssl", "SCRAM-SHA-256", "SASL_SSL"),
    "sasl-ssl-scram-sha-512": ("sasl_ssl", "SCRAM-SHA-512", "SASL_SSL"),
    "sasl-ssl-plain": ("sasl_ssl", "PLAIN", "SASL_SSL"),
    "sasl-ssl-oauthbearer": ("sasl_ssl", "OAUTHBEARER", "SASL_SSL"),
    "sasl-plaintext-scram-sha-512": ("sasl_plaintext", "SCRAM-SHA-512", "SASL_PLAINTEXT"),
    "sasl-plaintext-plain": ("sasl_plaintext", "PLAIN", "SASL_PLAINTEXT"),
}


def case_settings(bed: Bed, case: str) -> tuple[str, dict[str, Any]]:
    listener, mechanism, protocol = CASES[case]
    port = getattr(bed.ports, listener)
    if mechanism is not None:
        settings = bed.sasl(mechanism, protocol=protocol)
    else:
        settings = {"security.protocol": "SSL", **bed.trust()}
    if case == "mtls":
        settings.update(
            {
                "ssl.keystore.type": "PEM",
                "ssl.keystore.location": str(bed.files.client_keystore),
                "ssl.key.password": tb.CLIENT_KEY_PASSWORD,
            }
        )
    return f"{tb.HOST}:{port}", settings


@pytest.mark.parametrize("case", list(CASES))
def test_produce_and_fetch_over_every_protocol_and_mechanism(bed: Bed, case: str) -> None:
    bootstrap, settings = case_settings(bed, case)

    async def run() -> None:
        async with ClusterClient(bootstrap, **settings) as client:
            conn = await client.any_connection()
            assert conn.protocol_name == CASES[case][2]
            # The broker answers with the listener the request came in on.
            port = int(bootstrap.rsplit(":", 1)[1])
            assert [b.port for b in client.metadata.brokers.values()] == [port]
            if CASES[case][1] is not None:
                assert conn.authentications == 1
        values = await produce_and_read(bootstrap, settings)
        assert values == [b"value-%d" % i for i in range(20)]

    asyncio.run(run())


def test_pem_text_settings_and_a_ready_ssl_context(bed: Bed) -> None:
    import ssl

    ca = bed.files.ca.read_text()
    keystore = bed.files.client_keystore.read_text()
    key_end = keystore.index("-----END ENCRYPTED PRIVATE KEY-----") + 35
    text_settings = {
        "security.protocol": "SSL",
        "ssl.truststore.type": "PEM",
        "ssl.truststore.certificates": ca,
        "ssl.keystore.type": "PEM",
        "ssl.keystore.key": keystore[:key_end],
        "ssl.keystore.certificate.chain": keystore[key_end:],
        "ssl.key.password": tb.CLIENT_KEY_PASSWORD,
    }
    context = ssl.create_default_context(cafile=str(bed.files.ca))

    async def run() -> None:
        async with ClusterClient(f"{tb.HOST}:{bed.ports.mtls}", **text_settings) as client:
            await client.any_connection()
        ready = {"security.protocol": "SSL", "ssl.context": context}
        async with ClusterClient(f"{tb.HOST}:{bed.ports.ssl}", **ready) as client:
            await client.any_connection()

    asyncio.run(run())


def test_client_properties_file_works(bed: Bed) -> None:
    # What the test bed writes for users: Java property names, read as they are.
    lines = bed.files.client_properties.read_text().splitlines()
    props = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    bootstrap = props.pop("bootstrap.servers")

    async def run() -> None:
        async with ClusterClient(bootstrap, **props) as client:
            conn = await client.any_connection()
            assert conn.authentications == 1

    asyncio.run(run())


# -- OAUTHBEARER ------------------------------------------------------------------------------


def test_oauthbearer_token_provider_sync_and_async(bed: Bed) -> None:
    import base64
    import json
    import urllib.request

    calls: list[str] = []
    secret = tb.OIDC_CLIENTS["kafkaproto-client"][0]
    basic = base64.b64encode(f"kafkaproto-client:{secret}".encode()).decode()

    def fetch_token() -> str:
        # Any signer would do (an AWS MSK IAM one, say); here the test bed's token server.
        request = urllib.request.Request(
            bed.ports.token_endpoint,
            data=b"grant_type=client_credentials",
            headers={"Authorization": f"Basic {basic}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            calls.append("sync")
            return str(json.loads(answer.read())["access_token"])

    async def fetch_token_async() -> OAuthBearerToken:
        token = await asyncio.to_thread(fetch_token)
        return OAuthBearerToken.from_jwt(token)

    async def run() -> None:
        for provider in (fetch_token, fetch_token_async):
            settings = {
                "security.protocol": "SASL_SSL",
                "sasl.mechanism": "OAUTHBEARER",
                "sasl.oauthbearer.token.provider": provider,
                **bed.trust(),
            }
            async with ClusterClient(f"{tb.HOST}:{bed.ports.sasl_ssl}", **settings) as client:
                conn = await client.any_connection()
                assert 0 < conn.session_lifetime_ms <= 3600 * 1000

    asyncio.run(run())
    assert len(calls) == 2


def test_oidc_token_refused_names_the_endpoints_answer(bed: Bed) -> None:
    settings = bed.sasl("OAUTHBEARER", client_id="no-such-client")

    async def run() -> None:
        with pytest.raises(OAuthBearerTokenError) as info:
            async with ClusterClient(f"{tb.HOST}:{bed.ports.sasl_ssl}", **settings):
                pass
        error = info.value
        assert error.status == 401 and error.endpoint == bed.ports.token_endpoint
        assert "invalid_client" in str(error) and "no-such-client" in str(error)

    started = time.monotonic()
    asyncio.run(run())
    assert time.monotonic() - started < 5  # 401 is not retried (Java's unretryable codes)


def test_oidc_expired_token_is_refused_before_sending(bed: Bed) -> None:
    settings = bed.sasl("OAUTHBEARER", client_id="expired-client")

    async def run() -> None:
        with pytest.raises(OAuthBearerTokenError, match="expired") as info:
            async with ClusterClient(f"{tb.HOST}:{bed.ports.sasl_ssl}", **settings):
                pass
        assert info.value.endpoint == bed.ports.token_endpoint

    asyncio.run(run())


def test_broker_refusing_a_token_quotes_its_reason(bed: Bed) -> None:
    # A token from the provider that has already expired: the broker's validator refuses it and
    # says why in its OAUTHBEARER error message (RFC 7628 §3.2.2), which the error quotes.
    import base64
    import json

    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    forged = f"{part({'alg': 'RS256', 'kid': 'x'})}.{part({'sub': 'x', 'exp': 1})}.c2ln"
    settings = {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.oauthbearer.token.provider": lambda: forged,
        **bed.trust(),
    }

    async def run() -> None:
        with pytest.raises(SaslAuthenticationError) as info:
            async with ClusterClient(f"{tb.HOST}:{bed.ports.sasl_ssl}", **settings):
                pass
        assert info.value.mechanism == "OAUTHBEARER"
        assert "invalid_token" in str(info.value)

    asyncio.run(run())


# -- KIP-368 re-authentication ------------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "OAUTHBEARER"])
def test_producing_across_reauthentications_loses_nothing(bed: Bed, mechanism: str) -> None:
    settings = bed.sasl(mechanism, client_id="short-lived-client")
    if mechanism == "OAUTHBEARER":
        # 8 s tokens, refreshed at 80% of their life: re-authentications use fresh tokens.
        settings |= {
            "sasl.login.refresh.min.period.seconds": 0,
            "sasl.login.refresh.buffer.seconds": 0,
        }
    bootstrap = f"{tb.HOST}:{bed.ports.reauth}"
    topic = topic_name(f"reauth-{mechanism.lower()}")
    seconds = 11.0
    sent: list[bytes] = []

    async def run() -> tuple[int, int, int]:
        config = ProducerConfig({"bootstrap.servers": bootstrap, "linger.ms": 5, **settings})
        transport = ClusterTransport.for_config(config)
        try:
            async with AsyncProducer(config, transport=transport) as p:
                futures = []
                deadline = time.monotonic() + seconds
                i = 0
                while time.monotonic() < deadline:
                    for _ in range(50):
                        value = b"record-%06d" % i
                        sent.append(value)
                        futures.append(await p.send(ProducerRecord(topic, value, partition=0)))
                        i += 1
                    await asyncio.sleep(0.02)
                await p.flush()
                offsets = [(await f).offset for f in futures]
                assert offsets == list(range(len(futures)))
            # The connection the records went over (the broker's, not the bootstrap one).
            client = transport.client
            leader = client.metadata.leader_for(topic, 0)
            assert leader is not None
            conn = await client.connection(leader.node_id)
            cache = client._channel.token_cache
            fetches = cache.fetches if cache is not None else 0
            return conn.authentications, conn.session_lifetime_ms, fetches
        finally:
            await transport.close()

    auths, lifetime, fetches = asyncio.run(run())
    # 3 s sessions over 11 s of producing: the first authentication plus at least 3 more.
    assert 0 < lifetime <= tb.REAUTH_MS
    assert auths >= 4, auths
    if mechanism == "OAUTHBEARER":
        assert fetches >= 2, fetches
    values = asyncio.run(read_values(bootstrap, settings, topic, len(sent)))
    assert values == sent  # in order, each exactly once


# -- failures -----------------------------------------------------------------------------------


async def _connect(bootstrap: str, settings: dict[str, Any]) -> None:
    async with ClusterClient(bootstrap, **settings) as client:
        await client.any_connection()


def _expect(bootstrap: str, settings: dict[str, Any], kind: type[BaseException]) -> BaseException:
    started = time.monotonic()
    with pytest.raises(kind) as info:
        asyncio.run(_connect(bootstrap, settings))
    assert time.monotonic() - started < 15  # a clear answer, never a hang
    return info.value


def test_wrong_password_names_mechanism_and_user(bed: Bed) -> None:
    for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"):
        error = _expect(
            f"{tb.HOST}:{bed.ports.sasl_ssl}",
            bed.sasl(mechanism, password="not-the-password"),
            SaslAuthenticationError,
        )
        assert isinstance(error, SaslAuthenticationError)
        assert error.mechanism == mechanism and error.user == tb.USER
        assert mechanism in str(error) and repr(tb.USER) in str(error)
        assert "invalid" in str(error).lower()  # the broker's reason, quoted


def test_producer_fails_fast_on_a_wrong_password(bed: Bed) -> None:
    settings = bed.sasl("SCRAM-SHA-512", password="not-the-password")

    async def run() -> None:
        bootstrap = f"{tb.HOST}:{bed.ports.sasl_ssl}"
        async with AsyncProducer({"bootstrap.servers": bootstrap, **settings}) as p:
            record = ProducerRecord(topic_name("badpw"), b"x")

            async def deliver() -> None:
                await (await p.send(record))

            with pytest.raises(SaslAuthenticationError, match="SCRAM-SHA-512"):
                await asyncio.wait_for(deliver(), 20)

    started = time.monotonic()
    asyncio.run(run())
    assert time.monotonic() - started < 20  # not max.block.ms (60 s)


def test_mechanism_not_enabled_lists_the_brokers(bed: Bed) -> None:
    error = _expect(
        f"{tb.HOST}:{bed.ports.reauth}", bed.sasl("PLAIN"), SaslMechanismNotEnabledError
    )
    assert isinstance(error, SaslMechanismNotEnabledError)
    assert error.mechanism == "PLAIN"
    assert set(error.enabled) == set(tb.REAUTH_MECHANISMS)
    assert "SCRAM-SHA-512" in str(error) and "OAUTHBEARER" in str(error)


def test_untrusted_certificate_and_wrong_host(bed: Bed) -> None:
    untrusted = {
        "security.protocol": "SSL",
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(bed.files.rogue_ca),
    }
    error = _expect(f"{tb.HOST}:{bed.ports.ssl}", untrusted, SslAuthenticationError)
    assert isinstance(error, SslAuthenticationError) and error.host == tb.HOST
    assert "certificate" in str(error)
    # The broker's certificate covers IP 127.0.0.1 only.
    wrong_host = {"security.protocol": "SSL", **bed.trust()}
    error = _expect(f"localhost:{bed.ports.ssl}", wrong_host, SslAuthenticationError)
    assert isinstance(error, SslAuthenticationError) and error.host == "localhost"
    assert "Hostname mismatch" in str(error) and "'localhost'" in str(error)
    # ... and the check can be turned off, as in Java.
    asyncio.run(
        _connect(
            f"localhost:{bed.ports.ssl}",
            {**wrong_host, "ssl.endpoint.identification.algorithm": ""},
        )
    )


def test_missing_client_certificate(bed: Bed) -> None:
    error = _expect(
        f"{tb.HOST}:{bed.ports.mtls}",
        {"security.protocol": "SSL", **bed.trust()},
        SslAuthenticationError,
    )
    assert "client certificate" in str(error)


@pytest.mark.parametrize(
    ("listener", "protocol", "hint"),
    [
        ("base", "SSL", "PLAINTEXT or SASL_PLAINTEXT listener"),
        ("ssl", "PLAINTEXT", "set security.protocol=SSL or SASL_SSL"),
        ("sasl_plaintext", "PLAINTEXT", "SASL listener"),
        ("base", "SASL_PLAINTEXT", "does not use SASL"),
        ("sasl_ssl", "SASL_PLAINTEXT", "set security.protocol=SSL or SASL_SSL"),
    ],
)
def test_protocol_mismatch_names_the_likely_cause(
    bed: Bed, listener: str, protocol: str, hint: str
) -> None:
    settings: dict[str, Any] = {"security.protocol": protocol, **bed.trust()}
    if protocol.startswith("SASL"):
        settings = bed.sasl("PLAIN", protocol=protocol)
    started = time.monotonic()
    with pytest.raises((SecurityProtocolMismatchError, ConnectionError)) as info:
        asyncio.run(_connect(f"{tb.HOST}:{getattr(bed.ports, listener)}", settings))
    assert time.monotonic() - started < 15
    assert hint in str(info.value) and f"security.protocol={protocol}" in str(info.value)


def test_bad_settings_fail_at_construction(bed: Bed) -> None:
    with pytest.raises(SecurityConfigError, match="cannot load the private key"):
        ClusterClient(
            f"{tb.HOST}:{bed.ports.mtls}",
            **{
                "security.protocol": "SSL",
                **bed.trust(),
                "ssl.keystore.type": "PEM",
                "ssl.keystore.location": str(bed.files.client_keystore),
                "ssl.key.password": "wrong",
            },
        )
