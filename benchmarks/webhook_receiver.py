"""A webhook receiver for the benchmarks, run as its own process so that it shares
neither the interpreter lock nor the CPU time of the process that measures.

    python webhook_receiver.py SECRET

It listens on a free loopback port, prints that port as its first line, answers
every POST with 200 (HTTP/1.1, keep-alive) after checking the notice's signature,
and answers GET /summary with what it received so far, as JSON: the number of
requests, of distinct idempotency keys and of bad signatures. Standard library only.
"""

import hashlib
import hmac
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(secret: bytes) -> None:
    lock = threading.Lock()
    requests = 0
    bad_signatures = 0
    keys: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The headers and the body of an answer are written separately; with
        # Nagle's algorithm on, the body would wait for the client's delayed ACK
        # (40 ms on Linux) on every request of a kept-alive connection. Servers
        # in production (nginx, gunicorn, uvicorn) set TCP_NODELAY too.
        disable_nagle_algorithm = True

        def do_POST(self):  # noqa: N802 (http.server API)
            nonlocal requests, bad_signatures
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
            is_valid = hmac.compare_digest(
                expected, self.headers.get("X-Saleor-CS-Signature", "")
            )
            with lock:
                requests += 1
                bad_signatures += not is_valid
                keys.add(self.headers.get("Idempotency-Key", ""))
            self._answer(b"ok")

        def do_GET(self):  # noqa: N802 (http.server API)
            with lock:
                summary = {
                    "requests": requests,
                    "keys": len(keys),
                    "badSignatures": bad_signatures,
                }
            self._answer(json.dumps(summary).encode())

        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1].encode())
