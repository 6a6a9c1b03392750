"""Security settings: Java's names, defaults and rules, and what kafkaproto refuses."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from kafkaproto.security.channel import ChannelSecurity, TokenCache
from kafkaproto.security.config import SecurityConfig, SecurityConfigError
from kafkaproto.security.errors import OAuthBearerTokenError
from kafkaproto.security.oauthbearer import OAuthBearerToken, TokenRefreshPolicy

SCRAM_JAAS = (
    'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";'
)


def test_defaults_are_javas() -> None:
    c = SecurityConfig.from_settings({})
    assert c.security_protocol == "PLAINTEXT"
    assert c.sasl_mechanism == "GSSAPI"
    assert c.ssl_protocol == "TLSv1.3"
    assert c.ssl_enabled_protocols == ("TLSv1.2", "TLSv1.3")
    assert c.ssl_endpoint_identification_algorithm == "https"
    assert c.ssl_truststore_type == "JKS"
    assert c.sasl_login_refresh_window_factor == 0.8
    assert c.sasl_login_retry_backoff_max_ms == 10000


def test_java_and_python_names_and_case() -> None:
    c = SecurityConfig.from_settings(
        {
            "security.protocol": "sasl_ssl",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl.jaas.config": SCRAM_JAAS,
        }
    )
    assert c.security_protocol == "SASL_SSL" and c.uses_tls and c.uses_sasl
    assert c.jaas is not None and c.jaas.options["username"] == "u"
    assert "p" not in {v for k, v, *_ in c.explain() if k == "sasl.jaas.config"}


@pytest.mark.parametrize(
    ("settings", "key", "match"),
    [
        ({"security.protocol": "TLS"}, "security.protocol", "must be one of"),
        ({"security.protocol": "SASL_SSL"}, "sasl.mechanism", "GSSAPI"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": ""}, "sasl.mechanism", "non-empty"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-1"}, "sasl.mechanism",
         "not a mechanism"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}, "sasl.jaas.config",
         "needs sasl.jaas.config"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
          "sasl.jaas.config": SCRAM_JAAS + SCRAM_JAAS}, "sasl.jaas.config", "2 login modules"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER",
          "sasl.jaas.config": SCRAM_JAAS}, "sasl.jaas.config", "does not serve OAUTHBEARER"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-256",
          "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required "
          'username="u";'}, "sasl.jaas.config", "password option"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER",
          "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
          " required;"}, "sasl.oauthbearer.token.endpoint.url", "needs a token"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER",
          "sasl.oauthbearer.token.endpoint.url": "https://idp/token"},
         "sasl.oauthbearer.client.credentials.client.id", "clientId"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER",
          "sasl.oauthbearer.token.endpoint.url": "ftp://idp/token"},
         "sasl.oauthbearer.token.endpoint.url", "invalid protocol"),
        ({"ssl.truststore.location": "/x.jks"}, "ssl.truststore.type", "PEM stores only"),
        ({"ssl.truststore.type": "PEM", "ssl.truststore.password": "x",
          "ssl.truststore.location": "/x"}, "ssl.truststore.password", "PEM format"),
        ({"ssl.keystore.type": "PEM", "ssl.keystore.key": "k"}, "ssl.keystore.certificate.chain",
         "both"),
        ({"ssl.enabled.protocols": "SSLv3"}, "ssl.enabled.protocols", "unknown TLS version"),
        ({"ssl.endpoint.identification.algorithm": "ldaps"},
         "ssl.endpoint.identification.algorithm", "only https"),
        ({"ssl.engine.factory.class": "com.example.Factory"}, "ssl.engine.factory.class",
         "Java plug-in"),
        ({"sasl.login.refresh.window.factor": "0.2"}, "sasl.login.refresh.window.factor",
         "at least 0.5"),
        ({"sasl.login.refresh.buffer.seconds": "x"}, "sasl.login.refresh.buffer.seconds",
         "Not a number"),
        ({"ssl.bogus": "1"}, "ssl.bogus", "not a security setting"),
    ],
)  # fmt: skip
def test_rejected(settings: dict[str, object], key: str, match: str) -> None:
    with pytest.raises(SecurityConfigError, match=match) as info:
        SecurityConfig.from_settings(settings)
    assert info.value.key == key


def test_secrets_are_not_shown_in_errors() -> None:
    with pytest.raises(SecurityConfigError) as info:
        SecurityConfig.from_settings(
            {
                "ssl.truststore.type": "PEM",
                "ssl.truststore.location": "/x",
                "ssl.truststore.password": "hunter2",
            }
        )
    assert "hunter2" not in str(info.value)


def test_missing_trust_store_and_encrypted_key_without_password(tmp_path: Path) -> None:
    missing = SecurityConfig.from_settings(
        {
            "security.protocol": "SSL",
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(tmp_path / "nope.pem"),
        }
    )
    with pytest.raises(SecurityConfigError, match="cannot load the trusted certificates"):
        ChannelSecurity(missing)


def test_plaintext_channel_has_no_tls_or_sasl() -> None:
    channel = ChannelSecurity.plaintext()
    assert not channel.uses_tls and not channel.uses_sasl


def test_token_cache_reuses_refreshes_and_types_provider_failures() -> None:
    now = [1000.0]
    calls: list[int] = []

    async def provider() -> OAuthBearerToken:
        calls.append(1)
        return OAuthBearerToken(f"t{len(calls)}", expires_at=now[0] + 100, issued_at=now[0])

    cache = TokenCache(
        provider, TokenRefreshPolicy(0.8, 0.0, 0, 0), name="test", clock=lambda: now[0]
    )

    async def run() -> None:
        assert (await cache.get()).value == "t1"
        now[0] += 79
        assert (await cache.get()).value == "t1"
        now[0] += 2
        assert (await cache.get()).value == "t2"

        def broken() -> str:
            raise RuntimeError("signer down")

        failing = TokenCache(broken, TokenRefreshPolicy(), name="signer")
        with pytest.raises(OAuthBearerTokenError, match="signer down"):
            await failing.get()
        wrong = TokenCache(lambda: 42, TokenRefreshPolicy(), name="wrong")
        with pytest.raises(OAuthBearerTokenError, match="returned a int"):
            await wrong.get()

    asyncio.run(run())
