"""Throughput of the Telegram sandbox: sendMessage over keep-alive connections, limits off.

Usage: python bench/sandbox_throughput.py [--seconds 5] [--clients 8] [--users 5000]
Prints one JSON line: {"scenario", "requests", "seconds", "rps", "errors"}.
"""

import argparse
import http.client
import json
import multiprocessing
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

TOKEN = "123456:BENCH"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, deadline: float) -> None:
    """Wait until the sandbox accepts connections."""
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the sandbox did not start")


def control(port: int, method: str, path: str, payload: dict) -> dict:
    """One control API call."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, json.dumps(payload), {"Content-Type": "application/json"})
    answer = json.loads(connection.getresponse().read())
    connection.close()
    return answer


def _get(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    body = connection.getresponse().read()
    connection.close()
    return body


def drive(port: int, first_id: int, users: int, seconds: float, worker: int, results) -> None:
    """Send sendMessage in a loop over one keep-alive connection until the time is up."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    paths = [
        f"/bot{TOKEN}/sendMessage?"
        + urlencode(
            {
                "chat_id": first_id + (worker * 7919 + i) % users,
                "text": f"<b>Hello</b> number {i}",
                "parse_mode": "HTML",
            }
        )
        for i in range(512)
    ]
    sent = errors = 0
    start = time.monotonic()
    stop = start + seconds
    while time.monotonic() < stop:
        try:
            connection.request("GET", paths[sent % 512])
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        sent += 1
    results.put((sent, errors, time.monotonic() - start))


def main() -> None:
    """Start the sandbox, drive it from several processes, print the figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--users", type=int, default=5000)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "telegram_sandbox", "--port", str(port), "--no-limits", "--token", TOKEN],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_listening(port, time.monotonic() + 15)
        first_id = control(port, "POST", "/sandbox/users/bulk", {"count": args.users})["first_id"]
        results = multiprocessing.Queue()
        workers = [
            multiprocessing.Process(target=drive, args=(port, first_id, args.users, args.seconds, n, results))
            for n in range(args.clients)
        ]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=args.seconds + 60) for _ in workers]
        for worker in workers:
            worker.join()
        delivered = json.loads(_get(port, f"/sandbox/stats?token={TOKEN}"))["sent"]
    finally:
        server.terminate()
        server.wait(timeout=10)
    requests = sum(sent for sent, _, _ in outcomes)
    errors = sum(failed for _, failed, _ in outcomes)
    errors += abs(requests - errors - delivered)  # every answered request must have delivered one message
    seconds = max(elapsed for _, _, elapsed in outcomes)
    figure = {
        "scenario": "sandbox_sendMessage",
        "requests": requests,
        "seconds": round(seconds, 2),
        "rps": round(requests / seconds, 1),
        "errors": errors,
    }
    print(json.dumps(figure))


if __name__ == "__main__":
    main()
