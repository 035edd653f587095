"""An HTTP receiver that misbehaves on purpose, for the fault campaign.

``/notices`` is the plugin's webhook: each post is answered, by a seeded draw, with
500, with a hang past the sender's delivery timeout (then 200, to a sender that has
gone), with a reset connection (TCP RST, nothing answered), or with 200.
``/notify`` is the app that receives Saleor's NOTIFY_USER webhooks: it always
answers 200. Every post is recorded with its arrival time, its Idempotency-Key (a
notify post carries the notice's key in its payload) and what it was answered.
"""

import json
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCEPTED = "accepted"
ERROR = "error"
HUNG = "hung"
RESET = "reset"
# A hung post was taken in and answered too late: the receiver has the notice
# although its sender saw a timeout.
TAKEN = {ACCEPTED, HUNG}


@dataclass(frozen=True)
class Post:
    received_at: float
    path: str
    notice_id: str
    idempotency_key: str
    outcome: str


@dataclass(frozen=True)
class Faults:
    error_share: float = 0.10
    hang_share: float = 0.05
    reset_share: float = 0.02
    hang_seconds: float = 3.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A reset connection or a sender gone after a hang; expected here.
        pass


class FaultyReceiver:
    def __init__(self, faults: Faults, *, seed: int):
        self.faults = faults
        self.posts: list[Post] = []
        self._lock = threading.Lock()
        self._draw = random.Random(seed)

    def _outcome(self) -> str:
        with self._lock:
            draw = self._draw.random()
        faults = self.faults
        if draw < faults.error_share:
            return ERROR
        if draw < faults.error_share + faults.hang_share:
            return HUNG
        if draw < faults.error_share + faults.hang_share + faults.reset_share:
            return RESET
        return ACCEPTED

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                path = self.path.rstrip("/")
                if path == "/notify":
                    # Saleor's legacy webhook body: the plugin's payload inside.
                    payload = json.loads(body)["payload"]
                    key, outcome = payload["idempotencyKey"], ACCEPTED
                else:
                    payload = json.loads(body)
                    key, outcome = (
                        self.headers.get("Idempotency-Key", ""),
                        receiver._outcome(),
                    )
                with receiver._lock:
                    receiver.posts.append(
                        Post(time.time(), path, str(payload["id"]), key, outcome)
                    )
                if outcome == RESET:
                    # Linger 0: close sends RST instead of FIN.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    self.connection.close()
                    return
                if outcome == HUNG:
                    time.sleep(receiver.faults.hang_seconds)
                    self.close_connection = True
                status = 500 if outcome == ERROR else 200
                answer = b"planned answer"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def snapshot(self) -> list[Post]:
        with self._lock:
            return list(self.posts)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
