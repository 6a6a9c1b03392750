"""The secured side of the single test broker: TLS material, SCRAM users, JAAS lines, the local
OIDC token server and the client properties file, all made fresh when the broker is formatted.

Standard library plus the ``openssl`` command line only, and it must never import kafkaproto
(the broker has to come up even when the library is broken). kafka_cluster.py calls it for the
``broker`` topology; the three-node cluster stays PLAINTEXT.

Ports, relative to the broker's PLAINTEXT port P ($KAFKAPROTO_KAFKA_PORT, default 9092):

    P      PLAINTEXT        (as before; also the inter-broker listener)
    P+1    CONTROLLER       (KRaft)
    P+2    SSL              TLS, client certificate requested (not required)
    P+3    SASL_SSL         SCRAM-SHA-256, SCRAM-SHA-512, PLAIN, OAUTHBEARER
    P+4    SASL_PLAINTEXT   the same four mechanisms, no TLS
    P+5    SASL_SSL         listener REAUTH: SCRAM-SHA-512 and OAUTHBEARER only, with
                            connections.max.reauth.ms=REAUTH_MS (3 s)
    P+6    SSL              listener MTLS: client certificate required
    P+7    HTTP             the OIDC token server: POST /token, GET /jwks

Files, under build/kafka-run/broker/security/ (removed with the broker by ``make broker-stop``):

    ca.pem               the test CA that signed the broker and client certificates
    broker.pem           broker key (PKCS#8) + certificate, SAN IP:127.0.0.1 only (so "localhost"
                         is a wrong host name on purpose)
    client.pem/.key      client certificate and its key, encrypted with CLIENT_KEY_PASSWORD
    client-keystore.pem  both in one file (Kafka's PEM key store layout), for mutual TLS
    rogue-ca.pem         a CA that signed nothing the broker uses (an "untrusted" trust store)
    jwt-signing.pem      the OIDC server's RS256 key; its public half is served as the JWKS
    oidc-clients.json    the OIDC server's clients (id, secret, token lifetime)

and build/kafka-run/broker/client-sasl-ssl.properties for users and tests (SCRAM-SHA-512 over
SASL_SSL, in Java's client property names).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from processes import pid_alive  # a sibling module, as kafka_cluster.py imports this one

HOST = "127.0.0.1"

#: SCRAM (both hashes) and PLAIN user of the test broker.
USER = "alice"
PASSWORD = "alice-secret"
#: The password of client.key (PKCS#8, AES-256).
CLIENT_KEY_PASSWORD = "client-key-secret"
#: Session lifetime the REAUTH listener gives every SASL session (KIP-368).
REAUTH_MS = 3000
#: The OIDC token server's clients: id -> (secret, token lifetime in seconds; negative: the token
#: is already expired when issued).
OIDC_CLIENTS: dict[str, tuple[str, int]] = {
    "kafkaproto-client": ("kafkaproto-client-secret", 3600),
    "short-lived-client": ("short-lived-secret", 8),
    "expired-client": ("expired-secret", -60),
}
OIDC_AUDIENCE = "kafka-test-broker"
JAAS_SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule"
JAAS_PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule"
JAAS_OAUTH = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN", "OAUTHBEARER")
REAUTH_MECHANISMS = ("SCRAM-SHA-512", "OAUTHBEARER")
OIDC_SERVER = Path(__file__).resolve().parent / "oidc_server.py"


class SecureTestbedError(Exception):
    """Certificates, keys or the OIDC server could not be made or started."""


@dataclass(frozen=True)
class SecurePorts:
    """The secured listeners of a broker whose PLAINTEXT port is ``base``."""

    base: int

    @property
    def ssl(self) -> int:
        return self.base + 2

    @property
    def sasl_ssl(self) -> int:
        return self.base + 3

    @property
    def sasl_plaintext(self) -> int:
        return self.base + 4

    @property
    def reauth(self) -> int:
        return self.base + 5

    @property
    def mtls(self) -> int:
        return self.base + 6

    @property
    def oidc(self) -> int:
        return self.base + 7

    @property
    def listeners(self) -> dict[str, tuple[str, int]]:
        """Listener name -> (security protocol, port)."""
        return {
            "SSL": ("SSL", self.ssl),
            "SASL_SSL": ("SASL_SSL", self.sasl_ssl),
            "SASL_PLAINTEXT": ("SASL_PLAINTEXT", self.sasl_plaintext),
            "REAUTH": ("SASL_SSL", self.reauth),
            "MTLS": ("SSL", self.mtls),
        }

    @property
    def oidc_url(self) -> str:
        return f"http://{HOST}:{self.oidc}"

    @property
    def token_endpoint(self) -> str:
        return f"{self.oidc_url}/token"

    @property
    def jwks_endpoint(self) -> str:
        return f"{self.oidc_url}/jwks"


@dataclass(frozen=True)
class SecurityFiles:
    """Where the secured test bed keeps its files (under the broker's run directory)."""

    root: Path

    @property
    def dir(self) -> Path:
        return self.root / "security"

    @property
    def ca(self) -> Path:
        return self.dir / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.dir / "ca.key"

    @property
    def broker_pem(self) -> Path:
        return self.dir / "broker.pem"

    @property
    def client_cert(self) -> Path:
        return self.dir / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.dir / "client.key"

    @property
    def client_keystore(self) -> Path:
        """Kafka's PEM key store layout: the encrypted key, then the certificate chain."""
        return self.dir / "client-keystore.pem"

    @property
    def rogue_ca(self) -> Path:
        return self.dir / "rogue-ca.pem"

    @property
    def jwt_key(self) -> Path:
        return self.dir / "jwt-signing.pem"

    @property
    def oidc_clients(self) -> Path:
        return self.dir / "oidc-clients.json"

    @property
    def oidc_pid(self) -> Path:
        return self.dir / "oidc.pid"

    @property
    def oidc_log(self) -> Path:
        return self.dir / "oidc.log"

    @property
    def client_properties(self) -> Path:
        return self.root / "client-sasl-ssl.properties"

    @property
    def stamp(self) -> Path:
        """Written last: the secured layout is complete (a broker formatted by an older test
        bed lacks it and is re-created)."""
        return self.dir / "layout-v2"


# -- certificates -----------------------------------------------------------------------------


def _openssl(*args: str, cwd: Path) -> None:
    try:
        done = subprocess.run(
            ["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60
        )
    except FileNotFoundError as exc:
        raise SecureTestbedError("the openssl command is needed (`make openssl`)") from exc
    if done.returncode != 0:
        raise SecureTestbedError(f"openssl {' '.join(args)} failed:\n{done.stderr}")


def _make_ca(directory: Path, name: str, subject: str) -> None:
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
        "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", subject,
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash",
        cwd=directory,
    )  # fmt: skip


def _make_leaf(directory: Path, name: str, subject: str, extensions: str) -> None:
    (directory / f"{name}.ext").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n" + extensions
    )
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", f"{name}.plain.key",
        "-out", f"{name}.csr", "-subj", subject,
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-sha256", "-days", "30", "-in", f"{name}.csr", "-CA", "ca.pem",
        "-CAkey", "ca.key", "-CAcreateserial", "-out", f"{name}.crt",
        "-extfile", f"{name}.ext",
        cwd=directory,
    )  # fmt: skip


def make_tls_material(files: SecurityFiles) -> None:
    """The test CA, the broker's key store, a client certificate with an encrypted key, an
    unrelated CA, and the OIDC server's signing key."""
    d = files.dir
    d.mkdir(parents=True, exist_ok=True)
    _make_ca(d, "ca", "/CN=kafkaproto test CA")
    _make_ca(d, "rogue-ca", "/CN=kafkaproto untrusted CA")
    # SAN IP:127.0.0.1 only: the advertised listeners use that address, and "localhost" gives
    # the tests a wrong host name to be refused.
    _make_leaf(
        d, "broker", "/CN=kafkaproto test broker",
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n",
    )  # fmt: skip
    _make_leaf(d, "client", "/CN=kafkaproto test client", "extendedKeyUsage=clientAuth\n")
    # Kafka's PEM key store: the private key (unencrypted PKCS#8 when no ssl.key.password is
    # set) followed by the certificate chain, in one file.
    files.broker_pem.write_text(
        (d / "broker.plain.key").read_text() + (d / "broker.crt").read_text() + files.ca.read_text()
    )
    (d / "client.crt").replace(files.client_cert)
    _openssl(
        "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "client.plain.key",
        "-out", "client.key", "-passout", f"pass:{CLIENT_KEY_PASSWORD}",
        cwd=d,
    )  # fmt: skip
    files.client_keystore.write_text(
        files.client_key.read_text() + files.client_cert.read_text() + files.ca.read_text()
    )
    _openssl(
        "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
        "-out", files.jwt_key.name,
        cwd=d,
    )  # fmt: skip
    for leftover in d.glob("*.plain.key"):
        if leftover.name != "broker.plain.key":
            leftover.unlink()
    for pattern in ("*.csr", "*.ext", "*.srl", "rogue-ca.key"):
        for leftover in d.glob(pattern):
            leftover.unlink()


# -- broker settings --------------------------------------------------------------------------


def _jaas(module: str, **options: str) -> str:
    opts = "".join(f' {k}="{v}"' for k, v in options.items())
    return f"{module} required{opts};"


def broker_settings(ports: SecurePorts, files: SecurityFiles) -> dict[str, object]:
    """server.properties entries for the secured listeners (merged over the PLAINTEXT ones)."""
    listeners = ports.listeners
    settings: dict[str, object] = {
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": files.broker_pem,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": files.ca,
        "ssl.client.auth": "requested",
        "listener.name.mtls.ssl.client.auth": "required",
        "sasl.enabled.mechanisms": ",".join(MECHANISMS),
        # OAUTHBEARER: real signed JWTs checked against the token server's JWKS (KIP-768).
        "sasl.oauthbearer.jwks.endpoint.url": ports.jwks_endpoint,
        "sasl.oauthbearer.expected.audience": OIDC_AUDIENCE,
        "sasl.oauthbearer.expected.issuer": ports.oidc_url,
        "listener.name.reauth.connections.max.reauth.ms": REAUTH_MS,
        # Fewer mechanisms here, so that asking for PLAIN shows the broker's list in the error.
        "listener.name.reauth.sasl.enabled.mechanisms": ",".join(REAUTH_MECHANISMS),
    }
    for name, (protocol, _port) in listeners.items():
        if not protocol.startswith("SASL_"):
            continue
        prefix = f"listener.name.{name.lower()}"
        settings[f"{prefix}.plain.sasl.jaas.config"] = _jaas(
            JAAS_PLAIN, **{f"user_{USER}": PASSWORD}
        )
        for scram in ("scram-sha-256", "scram-sha-512"):
            settings[f"{prefix}.{scram}.sasl.jaas.config"] = _jaas(JAAS_SCRAM)
        settings[f"{prefix}.oauthbearer.sasl.jaas.config"] = _jaas(JAAS_OAUTH)
        settings[f"{prefix}.oauthbearer.sasl.server.callback.handler.class"] = (
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler"
        )
    return settings


def listeners(ports: SecurePorts) -> tuple[str, str]:
    """(listeners, listener.security.protocol.map) additions: ``NAME://host:port`` entries."""
    names = ports.listeners
    return (
        ",".join(f"{name}://{HOST}:{port}" for name, (_p, port) in names.items()),
        ",".join(f"{name}:{protocol}" for name, (protocol, _port) in names.items()),
    )


def jvm_options(ports: SecurePorts) -> list[str]:
    # Kafka 4 refuses to fetch a JWKS (or token) from a URL not listed here.
    return [f"-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls={ports.jwks_endpoint}"]


def scram_format_args() -> list[str]:
    """``kafka-storage format`` arguments that create the SCRAM users in the KRaft metadata."""
    args: list[str] = []
    for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
        args += ["--add-scram", f"{mechanism}=[name={USER},password={PASSWORD}]"]
    return args


def write_client_properties(ports: SecurePorts, files: SecurityFiles) -> None:
    """build/kafka-run/broker/client-sasl-ssl.properties: what a Java client (or ours) needs."""
    jaas = _jaas(JAAS_SCRAM, username=USER, password=PASSWORD)
    files.client_properties.write_text(
        "# Written by tests/integration/secure_testbed.py when the test broker starts.\n"
        f"bootstrap.servers={HOST}:{ports.sasl_ssl}\n"
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism=SCRAM-SHA-512\n"
        f"sasl.jaas.config={jaas}\n"
        "ssl.truststore.type=PEM\n"
        f"ssl.truststore.location={files.ca}\n"
    )


# -- the OIDC token server --------------------------------------------------------------------


def oidc_pid(files: SecurityFiles) -> int | None:
    try:
        pid = int(files.oidc_pid.read_text().strip())
    except (OSError, ValueError):
        return None
    if not pid_alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if str(files.oidc_clients).encode() in cmdline else None


def oidc_answers(ports: SecurePorts, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(ports.jwks_endpoint, timeout=timeout) as response:
            return bool(json.loads(response.read()).get("keys"))
    except (OSError, ValueError):
        return False


def start_oidc(ports: SecurePorts, files: SecurityFiles, timeout: float = 30.0) -> None:
    """Start the token server (detached, like the broker) unless it already runs."""
    if oidc_pid(files) is not None and oidc_answers(ports):
        return
    if oidc_answers(ports):
        raise SecureTestbedError(
            f"something else already serves {ports.jwks_endpoint} (another checkout's test "
            "bed? stop it there first)"
        )
    files.oidc_clients.write_text(
        json.dumps(
            {cid: {"secret": s, "lifetime": life} for cid, (s, life) in OIDC_CLIENTS.items()}
        )
    )
    cmd = [
        sys.executable, str(OIDC_SERVER), "--host", HOST, "--port", str(ports.oidc),
        "--key", str(files.jwt_key), "--clients", str(files.oidc_clients),
        "--issuer", ports.oidc_url, "--audience", OIDC_AUDIENCE,
    ]  # fmt: skip
    with files.oidc_log.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    files.oidc_pid.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while not oidc_answers(ports):
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = files.oidc_log.read_text(errors="replace")[-2000:]
            raise SecureTestbedError(f"the OIDC token server did not come up:\n{tail}")
        time.sleep(0.1)


def stop_oidc(files: SecurityFiles, timeout: float = 10.0) -> None:
    pid = oidc_pid(files)
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
