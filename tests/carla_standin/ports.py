"""Ports for stand-in servers: a real listening socket where the env's TCP probe looks for a CARLA
server (the stand-in answers the client calls in-process), and room for its Traffic Manager port."""

from __future__ import annotations

import contextlib
import socket
import threading

from pvmbench.envs.carla.supervisor import tm_port_for


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@contextlib.contextmanager
def listening_port():
    """A port that accepts TCP connections (and whose Traffic Manager port is free) while inside."""
    for _ in range(50):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        if _free(tm_port_for(sock.getsockname()[1])):
            break
        sock.close()
    sock.listen()
    stop = threading.Event()

    def accept():  # the env only probes the port: accept and hang up, so the backlog never fills
        sock.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                sock.accept()[0].close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()
