"""Running the services, and a Kafka broker of a test's own, as separate operating-system processes."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.support import KAFKA, TOPIC_PREFIX, free_port, pg_url

ROOT = Path(__file__).resolve().parents[2]
SEEDBED = ROOT / ".venv" / "bin" / "seedbed"
KAFKA_LIB = ROOT / "var" / "kafka" / "lib"
LOG4J = ROOT / "deploy" / "local" / "kafka" / "log4j2.properties"


def service_env(service: str, bootstrap: str = KAFKA, prefix: str = TOPIC_PREFIX, **extra: str) -> dict[str, str]:
    """A service process's settings (without the SEEDBED_<SERVICE>_ prefix): this run's database, topics and ports."""
    return {"ENVIRONMENT": "test", "DATABASE_URL": pg_url(service), "KAFKA_BOOTSTRAP": bootstrap,
            "KAFKA_TOPIC_PREFIX": prefix, "HTTP_PORT": str(free_port()), "WORKER_HTTP_PORT": str(free_port()),
            "RELAY_IDLE_SECONDS": "0.05", **extra}


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


class ServiceProcess:
    """``seedbed <service> api|worker`` with settings from the environment, as in production."""

    def __init__(self, service: str, role: str, env: dict[str, str], log_dir: Path) -> None:
        self.service, self.role = service, role
        prefix = f"SEEDBED_{service.upper()}_"
        # The checkout's own code: the shared virtual environment's editable install points at the main checkout,
        # so a worktree's processes would otherwise run main's services, not the code under test.
        python_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        self.env = {**os.environ, "PYTHONPATH": python_path, **{prefix + k: v for k, v in env.items()}}
        self.log_path = log_dir / f"{service}-{role}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = int(env.get("HTTP_PORT", "0"))
        self.worker_port = int(env.get("WORKER_HTTP_PORT", "0"))

    def start(self) -> ServiceProcess:
        return self.spawn().wait_ready()

    def spawn(self) -> ServiceProcess:
        """Start the process without waiting for it (several start side by side, then wait_ready each)."""
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(SEEDBED), self.service, self.role], env=self.env, stdout=log, stderr=log,
                                     cwd=ROOT, start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 30.0) -> ServiceProcess:
        wait_http(f"{self.url}/healthz", timeout)
        return self

    @property
    def url(self) -> str:
        """The API's address, or the worker's own health/metrics server."""
        return f"http://127.0.0.1:{self.port if self.role == 'api' else self.worker_port}"

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""


class OwnBroker:
    """A single-node KRaft broker on free ports with its data under a temp folder, for tests that restart it.

    It uses the jars that deploy/local/kafka.sh fetched for the shared broker."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port, self.controller_port = free_port(), free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.props = workdir / "server.properties"
        self.props.write_text("\n".join([
            "process.roles=broker,controller", "node.id=1",
            f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "controller.listener.names=CONTROLLER", "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            f"log.dirs={workdir / 'data'}",
            "offsets.topic.replication.factor=1", "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1", "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1", "offsets.topic.num.partitions=1",
            "transaction.state.log.num.partitions=1", "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
        ]) + "\n")
        cluster_id = ""
        while not cluster_id or cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        subprocess.run(["java", "-cp", f"{KAFKA_LIB}/*", "kafka.tools.StorageTool", "format", "--standalone",
                        "-t", cluster_id, "-c", str(self.props)], check=True, capture_output=True, timeout=120)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.workdir / "kafka.log", "ab")
        self.proc = subprocess.Popen(
            ["java", "-Xms128m", "-Xmx512m", f"-Dlog4j2.configurationFile={LOG4J}", f"-Dkafka.logs.dir={self.workdir}",
             "-cp", f"{KAFKA_LIB}/*", "kafka.Kafka", str(self.props)],
            stdout=log, stderr=log, start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise AssertionError("own Kafka broker did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
