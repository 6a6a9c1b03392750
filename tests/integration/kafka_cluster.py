"""Start and stop real Kafka brokers (KRaft, combined broker+controller) for the tests.

One code path for everyone: the Makefile calls this file as a CLI (`make broker`, `make cluster`,
...) and the pytest fixtures in conftest.py import it, so a broker started by either is found and
reused by the other. Standard library only; it must never import kafkaproto (the broker has to come
up even when the generated code is broken).

Layout, all under the git-ignored build/ folder of the repository:
    build/kafka-<version>/libs/            jars fetched by `make kafka-jars` (Maven)
    build/kafka-run/<name>/node-<id>/      server.properties, data/, server.log, console.log, pid

Two fixed topologies, on loopback only, so that they can run side by side:
    broker   one node, id 1, PLAINTEXT 127.0.0.1:9092, controller 127.0.0.1:9093, and the secured
             listeners of secure_testbed.py on 9094-9098 (SSL, SASL_SSL, SASL_PLAINTEXT, a
             SASL_SSL listener with a short re-authentication period, SSL with a required client
             certificate) plus its OIDC token server on 9099
    cluster  three nodes, ids 1-3, PLAINTEXT 127.0.0.1:19092/19094/19096, controllers on the next
             port up (19093/19095/19097), a static three-voter quorum, replication factor 3 and
             min.insync.replicas 2, so that one node can be stopped without losing writes.

Every wait is bounded by a deadline; a node that dies while starting raises with its log tail.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import kafka_wire  # a sibling module: the script's folder is on sys.path, and pytest's too
import secure_testbed
from processes import pid_alive

REPO = Path(__file__).resolve().parents[2]
RUN_ROOT = REPO / "build" / "kafka-run"
LOG4J_CONFIG = Path(__file__).resolve().parent / "log4j2-broker.properties"
HOST = "127.0.0.1"
DEFAULT_KAFKA_VERSION = "4.4.0"
JVM_HEAP = ("-Xms128m", "-Xmx512m")
# A node restarted right after a SIGKILL has (rarely, on a loaded machine) exited during
# start-up; its console.log says why. Starting relaunches such a node, up to this many times.
_START_ATTEMPTS = 3


def kafka_version() -> str:
    """The pinned version, decided like the Makefile: $KAFKA_VERSION, schemas/kafka.lock, 4.4.0."""
    env = os.environ.get("KAFKA_VERSION", "").strip()
    if env:
        return env
    lock = REPO / "schemas" / "kafka.lock"
    if lock.is_file():
        for line in lock.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() == "kafka_version" and value.strip():
                return value.strip()
    return DEFAULT_KAFKA_VERSION


def libs_dir(version: str | None = None) -> Path:
    return REPO / "build" / f"kafka-{version or kafka_version()}" / "libs"


class KafkaError(Exception):
    """A broker could not be started, stopped or reached; the message carries the log tail."""


class NodeExitedError(KafkaError):
    """A node's process ended while it was starting; the message carries its console output."""

    def __init__(self, message: str, node_id: int) -> None:
        super().__init__(message)
        self.node_id = node_id


@dataclass(frozen=True)
class NodeSpec:
    node_id: int
    port: int
    controller_port: int

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"


@dataclass(frozen=True)
class ClusterSpec:
    name: str
    nodes: tuple[NodeSpec, ...]
    replication_factor: int
    min_insync_replicas: int
    #: Adds secure_testbed.py's TLS/SASL listeners, SCRAM users and OIDC server (one node only).
    secured: bool = False

    def node(self, node_id: int) -> NodeSpec:
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        raise KafkaError(
            f"{self.name} has no node {node_id}; ids: {[n.node_id for n in self.nodes]}"
        )


# $KAFKAPROTO_KAFKA_PORT moves every port (default 9092: broker 9092, cluster 19092-19097), so
# that two checkouts on one machine can each run their own Kafka.
BASE_PORT = int(os.environ.get("KAFKAPROTO_KAFKA_PORT", "9092"))
BROKER = ClusterSpec(
    "broker",
    (NodeSpec(1, BASE_PORT, BASE_PORT + 1),),
    replication_factor=1,
    min_insync_replicas=1,
    secured=True,
)
CLUSTER = ClusterSpec(
    "cluster",
    tuple(NodeSpec(i + 1, BASE_PORT + 10000 + 2 * i, BASE_PORT + 10001 + 2 * i) for i in range(3)),
    replication_factor=3,
    min_insync_replicas=2,
)


def spec_for(nodes: int) -> ClusterSpec:
    if nodes == 1:
        return BROKER
    if nodes == 3:
        return CLUSTER
    raise KafkaError(f"only 1 (broker) or 3 (cluster) nodes are supported, not {nodes}")


def random_cluster_id() -> str:
    """A Kafka Uuid in its text form: 16 random bytes, URL-safe base64 without padding.

    Kafka's own generator also avoids ids starting with '-' (they look like CLI flags)."""
    while True:
        text = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def ephemeral_ports() -> tuple[int, int]:
    """The kernel's range for the local ports of outgoing connections (Linux's default
    32768-60999): a listening port inside it can be taken by any client socket meanwhile."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _tail(path: Path, lines: int) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 256 * 1024))
            text = fh.read().decode(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


class KafkaCluster:
    """Manage one topology (BROKER or CLUSTER) through its files under build/kafka-run/<name>/."""

    def __init__(self, spec: ClusterSpec, version: str | None = None) -> None:
        self.spec = spec
        self.version = version or kafka_version()
        self.libs = libs_dir(self.version)
        self.root = RUN_ROOT / spec.name
        self.security_files = secure_testbed.SecurityFiles(self.root)
        self.secure_ports = secure_testbed.SecurePorts(spec.nodes[0].port)

    # -- paths and state ----------------------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        return ",".join(node.address for node in self.spec.nodes)

    def node_dir(self, node_id: int) -> Path:
        return self.root / f"node-{node_id}"

    def log_file(self, node_id: int) -> Path:
        return self.node_dir(node_id) / "server.log"

    def _console_file(self, node_id: int) -> Path:
        return self.node_dir(node_id) / "console.log"

    def _pid_file(self, node_id: int) -> Path:
        return self.node_dir(node_id) / "pid"

    def _properties(self, node_id: int) -> Path:
        return self.node_dir(node_id) / "server.properties"

    def pid(self, node_id: int) -> int | None:
        """The recorded pid if that process is alive and is our broker for this node."""
        try:
            pid = int(self._pid_file(node_id).read_text().strip())
        except (OSError, ValueError):
            return None
        if not pid_alive(pid):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        # Guard against pid reuse: the process must be the JVM running this node's properties.
        return pid if str(self._properties(node_id)).encode() in cmdline else None

    def node_up(self, node_id: int) -> bool:
        node = self.spec.node(node_id)
        return self.pid(node_id) is not None and kafka_wire.broker_answers(HOST, node.port)

    def is_up(self) -> bool:
        if self.spec.secured and not self._secured_layout_up():
            return False
        return all(self.node_up(node.node_id) for node in self.spec.nodes)

    def _secured_layout_up(self) -> bool:
        files = self.security_files
        return (
            files.stamp.is_file()
            and secure_testbed.oidc_pid(files) is not None
            and secure_testbed.oidc_answers(self.secure_ports)
        )

    def log_tail(self, lines: int = 60, node_ids: Iterable[int] | None = None) -> str:
        ids = list(node_ids) if node_ids is not None else [n.node_id for n in self.spec.nodes]
        parts = []
        for node_id in ids:
            for path in (self.log_file(node_id), self._console_file(node_id)):
                if path.exists() and path.stat().st_size:
                    parts.append(f"--- {path} (last {lines} lines) ---\n{_tail(path, lines)}")
        return "\n".join(parts) or f"(no logs under {self.root})"

    # -- configuration ------------------------------------------------------------------------

    def _server_properties(self, node: NodeSpec) -> str:
        rf = self.spec.replication_factor
        voters = ",".join(f"{n.node_id}@{HOST}:{n.controller_port}" for n in self.spec.nodes)
        settings: dict[str, object] = {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            # A static quorum: the same voter set is written into every node's properties, and
            # the storage is formatted without --standalone/--initial-controllers.
            "controller.quorum.voters": voters,
            "controller.listener.names": "CONTROLLER",
            "listeners": f"PLAINTEXT://{HOST}:{node.port},CONTROLLER://{HOST}:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{node.port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": self.node_dir(node.node_id) / "data",
            "auto.create.topics.enable": "true",
            # Tests write records with fixed, old timestamps; time-based retention would delete
            # them while a test still reads (the segment's newest timestamp decides).
            "log.retention.ms": -1,
            "num.partitions": 1,
            "default.replication.factor": rf,
            "min.insync.replicas": self.spec.min_insync_replicas,
            "offsets.topic.replication.factor": rf,
            # 50 partitions (the default) makes the first group coordinator lookup slow on a small
            # machine; tests do not need more than a few.
            "offsets.topic.num.partitions": 4,
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": self.spec.min_insync_replicas,
            "transaction.state.log.num.partitions": 4,
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": self.spec.min_insync_replicas,
            "group.initial.rebalance.delay.ms": 0,
            # KIP-848 groups: the session timeout and heartbeat interval are the broker's. The
            # defaults (45 s, 5 s) would make every join and failure test wait that long.
            "group.consumer.min.session.timeout.ms": 6000,
            "group.consumer.session.timeout.ms": 10000,
            "group.consumer.min.heartbeat.interval.ms": 500,
            "group.consumer.heartbeat.interval.ms": 1000,
            # How soon the coordinator matches a new topic against KIP-848 subscribed patterns (its
            # minimum).
            "group.consumer.regex.refresh.interval.ms": 10000,
            # Faster fail-over when a node is killed without a controlled shutdown.
            "broker.heartbeat.interval.ms": 500,
            "broker.session.timeout.ms": 6000,
            "log.segment.bytes": 16 * 1024 * 1024,
            "num.network.threads": 2,
            "num.io.threads": 4,
        }
        if self.spec.secured:
            extra, protocols = secure_testbed.listeners(self.secure_ports)
            settings["listeners"] = f"{settings['listeners']},{extra}"
            # Every listener is advertised, so that metadata fetched over a secured listener
            # names that listener's port (Kafka answers with the listener the request came in on).
            settings["advertised.listeners"] = f"{settings['advertised.listeners']},{extra}"
            settings["listener.security.protocol.map"] = (
                f"{settings['listener.security.protocol.map']},{protocols}"
            )
            settings.update(secure_testbed.broker_settings(self.secure_ports, self.security_files))
        lines = ["# Written by tests/integration/kafka_cluster.py; rewritten on every start."]
        lines += [f"{key}={value}" for key, value in settings.items()]
        return "\n".join(lines) + "\n"

    def _java(self, main: str, *args: str, node_id: int) -> list[str]:
        if not self.libs.is_dir():
            raise KafkaError(f"Kafka jars missing at {self.libs}: run `make kafka-jars`")
        extra = secure_testbed.jvm_options(self.secure_ports) if self.spec.secured else []
        return [
            "java",
            *JVM_HEAP,
            *extra,
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            f"-Dkafkaproto.log.file={self.log_file(node_id)}",
            "-cp",
            f"{self.libs}/*",
            main,
            *args,
        ]

    # -- lifecycle ----------------------------------------------------------------------------

    def _formatted(self) -> bool:
        return all(
            (self.node_dir(n.node_id) / "data" / "meta.properties").is_file()
            for n in self.spec.nodes
        )

    def _format(self) -> None:
        cluster_id = random_cluster_id()
        scram: list[str] = []
        if self.spec.secured:
            try:
                secure_testbed.make_tls_material(self.security_files)
            except secure_testbed.SecureTestbedError as exc:
                raise KafkaError(str(exc)) from exc
            scram = secure_testbed.scram_format_args()
        procs: list[tuple[int, subprocess.Popen[bytes]]] = []
        for node in self.spec.nodes:
            node_dir = self.node_dir(node.node_id)
            node_dir.mkdir(parents=True, exist_ok=True)
            self._properties(node.node_id).write_text(self._server_properties(node))
            cmd = self._java(
                "kafka.tools.StorageTool",
                "format",
                "--config",
                str(self._properties(node.node_id)),
                "--cluster-id",
                cluster_id,
                *scram,
                node_id=node.node_id,
            )
            with self._console_file(node.node_id).open("ab") as out:
                procs.append(
                    (node.node_id, subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT))
                )
        for node_id, proc in procs:
            try:
                code = proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                code = -1
            if code != 0:
                raise KafkaError(
                    f"formatting node {node_id} failed ({code})\n{self.log_tail(40, [node_id])}"
                )
        (self.root / "cluster.id").write_text(cluster_id + "\n")

    def _launch(self, node: NodeSpec) -> None:
        if kafka_wire.broker_answers(HOST, node.port, timeout=1.0):
            raise KafkaError(
                f"something that is not our node {node.node_id} already answers on {node.address}"
            )
        if self.spec.secured:
            # The broker fetches the JWKS while it starts: the token server comes first.
            try:
                secure_testbed.start_oidc(self.secure_ports, self.security_files)
            except secure_testbed.SecureTestbedError as exc:
                raise KafkaError(str(exc)) from exc
        # Rewritten each time so that a changed setting here applies on the next start.
        self._properties(node.node_id).write_text(self._server_properties(node))
        cmd = self._java("kafka.Kafka", str(self._properties(node.node_id)), node_id=node.node_id)
        with self._console_file(node.node_id).open("ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.node_dir(node.node_id),
                start_new_session=True,  # outlives the CLI; Ctrl-C in a test run does not hit it
            )
        self._pid_file(node.node_id).write_text(f"{proc.pid}\n")

    def _wait_ready(self, node_ids: list[int], timeout: float) -> None:
        """Each node answers ApiVersions, then its metadata lists every node of the topology."""
        deadline = time.monotonic() + timeout
        pending = list(node_ids)
        expected = {n.node_id for n in self.spec.nodes}
        last_error = ""
        while pending:
            for node_id in list(pending):
                if self.pid(node_id) is None:
                    # The console first: a JVM that dies early says why there, not in server.log.
                    raise NodeExitedError(
                        f"{self.spec.name} node {node_id} exited while starting"
                        f"{self._bind_failure(node_id)}\n"
                        f"--- {self._console_file(node_id)} (last 40 lines) ---\n"
                        f"{_tail(self._console_file(node_id), 40)}\n"
                        + self.log_tail(30, [node_id]),
                        node_id,
                    )
                node = self.spec.node(node_id)
                try:
                    kafka_wire.api_versions_v0(HOST, node.port, timeout=2.0)
                    brokers = kafka_wire.metadata_v12(HOST, node.port, [], timeout=5.0).brokers
                except (OSError, kafka_wire.WireError) as exc:
                    last_error = f"node {node_id}: {exc}"
                    continue
                alive = {n for n in expected if n in node_ids or self.pid(n) is not None}
                if alive <= set(brokers):
                    pending.remove(node_id)
                else:
                    last_error = (
                        f"node {node_id} sees brokers {sorted(brokers)}, want {sorted(alive)}"
                    )
            if pending and time.monotonic() > deadline:
                raise KafkaError(
                    f"{self.spec.name} nodes {pending} not ready after {timeout:.0f}s"
                    f" ({last_error})\n{self.log_tail(40, pending)}"
                )
            if pending:
                time.sleep(0.25)

    def _bind_failure(self, node_id: int) -> str:
        """Why a node could not listen, when its log says a port was taken; else empty."""
        text = _tail(self._console_file(node_id), 400) + _tail(self.log_file(node_id), 400)
        match = re.search(r"failed to bind to ([0-9.]+:[0-9]+): Address already in use", text)
        if match is None:
            return ""
        port = int(match.group(1).rsplit(":", 1)[1])
        low, high = ephemeral_ports()
        why = (
            f" (in the kernel's ephemeral range {low}-{high}: a client socket took it while the "
            "node was down; choose KAFKAPROTO_KAFKA_PORT so that every port, +10005 for the "
            f"cluster, stays below {low})"
            if low <= port <= high
            else ""
        )
        return f": {match.group(1)} was already in use{why}"

    def start(self, timeout: float = 180.0) -> str:
        """Start every node that is not running (formatting fresh storage if needed) and wait.

        Returns the bootstrap address list. A topology that is already up returns at once."""
        if self.is_up():
            return self.bootstrap
        low, high = ephemeral_ports()
        ports = [p for n in self.spec.nodes for p in (n.port, n.controller_port)]
        taken = [p for p in ports if low <= p <= high]
        if taken:
            print(
                f"kafka_cluster: warning: ports {taken} lie in the kernel's ephemeral range "
                f"{low}-{high}; a client socket may take one while a node is down, and the node "
                f"then cannot restart. Choose KAFKAPROTO_KAFKA_PORT below {low - 10_007}.",
                file=sys.stderr,
            )
        for node in self.spec.nodes:
            if self.pid(node.node_id) is None and kafka_wire.broker_answers(HOST, node.port, 1.0):
                raise KafkaError(
                    f"something that is not our node {node.node_id} already answers on "
                    f"{node.address} (another checkout's broker? stop it there first)"
                )
        if not self._formatted() or (self.spec.secured and not self.security_files.stamp.is_file()):
            # Fresh storage; also when a broker formatted by an older test bed lacks the secured
            # layout (its SCRAM users are only written at format time).
            self._kill_all()
            secure_testbed.stop_oidc(self.security_files)
            shutil.rmtree(self.root, ignore_errors=True)
            self._format()
        everyone = [n.node_id for n in self.spec.nodes]
        for attempt in range(1, _START_ATTEMPTS + 1):
            for node_id in everyone:
                if self.pid(node_id) is None:
                    self._launch(self.spec.node(node_id))
            try:
                self._wait_ready(everyone, timeout)
                if self.spec.secured:
                    self._wait_secured(timeout)
                return self.bootstrap
            except NodeExitedError as exc:
                if attempt == _START_ATTEMPTS:
                    raise
                self._report_relaunch(exc, attempt)
        raise AssertionError("unreachable")

    def _wait_secured(self, timeout: float) -> None:
        """Every secured listener accepts TCP connections; then the client file and the stamp."""
        deadline = time.monotonic() + timeout
        for name, (_protocol, port) in self.secure_ports.listeners.items():
            while not kafka_wire.port_open(HOST, port):
                if time.monotonic() > deadline:
                    raise KafkaError(
                        f"listener {name} on {HOST}:{port} not open after {timeout:.0f}s\n"
                        + self.log_tail(40)
                    )
                time.sleep(0.25)
        secure_testbed.write_client_properties(self.secure_ports, self.security_files)
        self.security_files.stamp.write_text("secured test bed complete\n")

    @staticmethod
    def _report_relaunch(exc: NodeExitedError, attempt: int) -> None:
        # Rare (seen after a SIGKILL of the whole cluster on a loaded machine): say so with the
        # node's console output, then relaunch it; its logs are appended to, never replaced.
        print(
            f"kafka_cluster: node {exc.node_id} exited during start-up (attempt {attempt} of "
            f"{_START_ATTEMPTS}); relaunching it\n{exc}",
            file=sys.stderr,
        )
        time.sleep(2.0)

    def start_node(self, node_id: int, timeout: float = 120.0) -> None:
        """Restart one stopped node on its existing storage and wait until the others see it."""
        node = self.spec.node(node_id)
        if not self._formatted():
            raise KafkaError(f"{self.spec.name} was never started; start it first")
        for attempt in range(1, _START_ATTEMPTS + 1):
            if self.pid(node_id) is None:
                self._launch(node)
            try:
                self._wait_ready([node_id], timeout)
                break
            except NodeExitedError as exc:
                if attempt == _START_ATTEMPTS:
                    raise
                self._report_relaunch(exc, attempt)
        others = [
            n.node_id for n in self.spec.nodes if n.node_id != node_id and self.pid(n.node_id)
        ]
        self._wait_ready(others, timeout)

    def stop_node(self, node_id: int, hard: bool = False, timeout: float = 60.0) -> None:
        """Stop one node, keeping its storage. hard=True is SIGKILL (no controlled shutdown)."""
        self.spec.node(node_id)
        pid = self.pid(node_id)
        if pid is not None:
            self._signal_and_wait(pid, signal.SIGKILL if hard else signal.SIGTERM, timeout)
        self._pid_file(node_id).unlink(missing_ok=True)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop every node and remove all of this topology's files (storage and logs)."""
        self._kill_all(timeout)
        secure_testbed.stop_oidc(self.security_files)
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill_all(self, timeout: float = 60.0) -> None:
        pids = [pid for n in self.spec.nodes if (pid := self.pid(n.node_id)) is not None]
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for pid in pids:
            self._signal_and_wait(pid, None, max(1.0, deadline - time.monotonic()))

    @staticmethod
    def _signal_and_wait(pid: int, sig: signal.Signals | None, timeout: float) -> None:
        if sig is not None:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
        deadline = time.monotonic() + timeout
        while pid_alive(pid):
            if time.monotonic() > deadline:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    return
                deadline = time.monotonic() + 10
            time.sleep(0.1)


# -- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--kafka-version", default=None, help="default: the pinned version")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "stop", "status", "logs"):
        p = sub.add_parser(name)
        p.add_argument("--nodes", type=int, default=1, choices=(1, 3))
        if name == "start":
            p.add_argument("--timeout", type=float, default=180.0)
        if name == "logs":
            p.add_argument("--lines", type=int, default=60)
    for name in ("stop-node", "start-node"):
        p = sub.add_parser(name, help=f"{name.split('-')[0]} one node of the three-node cluster")
        p.add_argument("node_id", type=int)
        if name == "stop-node":
            p.add_argument("--hard", action="store_true", help="SIGKILL instead of SIGTERM")
    args = parser.parse_args(argv)

    nodes = getattr(args, "nodes", 3)
    cluster = KafkaCluster(spec_for(nodes), args.kafka_version)
    try:
        if args.command == "start":
            began = time.monotonic()
            was_up = cluster.is_up()
            bootstrap = cluster.start(timeout=args.timeout)
            verb = "already running" if was_up else f"started in {time.monotonic() - began:.1f}s"
            print(f"kafka {cluster.version} {cluster.spec.name} {verb}: {bootstrap}")
            print(
                f"logs: {', '.join(str(cluster.log_file(n.node_id)) for n in cluster.spec.nodes)}"
            )
        elif args.command == "stop":
            cluster.stop()
            print(f"kafka {cluster.spec.name} stopped, {cluster.root} removed")
        elif args.command == "status":
            for node in cluster.spec.nodes:
                state = "up" if cluster.node_up(node.node_id) else "down"
                print(f"{cluster.spec.name} node {node.node_id} {node.address}: {state}")
            return 0 if cluster.is_up() else 1
        elif args.command == "logs":
            print(cluster.log_tail(args.lines))
        elif args.command == "stop-node":
            cluster.stop_node(args.node_id, hard=args.hard)
            print(f"cluster node {args.node_id} stopped")
        elif args.command == "start-node":
            began = time.monotonic()
            cluster.start_node(args.node_id)
            print(f"cluster node {args.node_id} started in {time.monotonic() - began:.1f}s")
    except KafkaError as exc:
        print(f"kafka_cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
