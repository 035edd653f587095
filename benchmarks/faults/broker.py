"""The campaign's own Celery broker (a redis-server it starts, stops and starts
again), and the names its database connections carry."""

import signal
import socket
import subprocess
import time

import redis

WORKER_APPLICATION = "cs-fault-worker"
CAMPAIGN_APPLICATION = "cs-fault-campaign"


def worker_database_url(database_url: str) -> str:
    """The workers' connections carry a name of their own, so that the campaign
    terminates theirs and not its own."""
    return database_url.split("?")[0] + f"?application_name={WORKER_APPLICATION}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Broker:
    """A redis-server of the campaign's own, with nothing saved: a stop loses every
    queued task, as a broker that crashed would."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
