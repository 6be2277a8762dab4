"""Small socket helpers shared by the service wrappers."""

from __future__ import annotations

import socket
import time


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (bind to 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(host: str, port: int, *, open: bool = True, timeout: float = 10.0) -> None:
    """Poll until the port accepts connections (or, with open=False, refuses them)."""
    deadline = time.monotonic() + timeout
    while port_open(host, port) != open:
        if time.monotonic() > deadline:
            state = "accept" if open else "close"
            raise TimeoutError(f"{host}:{port} did not {state} connections within {timeout}s")
        time.sleep(0.05)
