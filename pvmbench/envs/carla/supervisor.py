"""Connecting to a CARLA server, and supervising one that pvmbench launched from `carla_cmd`.

The server is the user's: pvmbench never ships or finds one. A missing server is a one-line
UserError at the first reset; a server that stops answering mid-episode raises ServerLost, which
the evaluation harness counts as a failed attempt and retries on a fresh env (which, with
`carla_cmd`, restarts the server first).
"""

from __future__ import annotations

import atexit
import os
import re
import shlex
import signal
import socket
import subprocess
import tempfile
import time

from pvmbench.envs.carla.weather import import_carla
from pvmbench.envs.driving import rules
from pvmbench.errors import UserError

DEFAULT_PORT = 2000  # CARLA's own default RPC port
START_TIMEOUT = 300.0  # a cold CarlaUE4 start (shader cache, first map load) can take minutes
READY_TIMEOUT = 60.0  # the RPC port opens before the server answers calls
LOAD_TIMEOUT = 120.0  # load_world("Town04") on a slow disk
MAX_RESTARTS = 3  # a server that keeps dying is a broken install, not bad luck


class ServerLost(RuntimeError):
    """The CARLA server stopped answering: the episode under way is lost."""


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """Cheap check that something accepts TCP connections; the carla client itself only notices by timing out."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:  # refused, unreachable, or a host name that does not resolve
        return False


def no_server(host: str, port: int) -> UserError:
    return UserError(f"no CARLA server answered at {host}:{port}; start one (CarlaUE4.sh -RenderOffScreen "
                     f"-carla-port={port}) or pass --carla-cmd \"CarlaUE4.sh -RenderOffScreen -carla-port={port}\" "
                     f"(env kwarg carla_cmd) to have pvmbench launch it")


def connect(host: str, port: int, timeout: float = 10.0):
    """A carla.Client that has answered one call; otherwise the one-line UserError of `no_server`."""
    carla = import_carla()
    if not port_answers(host, port, min(timeout, 2.0)):
        raise no_server(host, port)  # fail in milliseconds instead of after the client's full timeout
    client = carla.Client(host, port)
    client.set_timeout(timeout)
    try:
        client.get_server_version()
    except RuntimeError:  # the port is open but no CARLA answered in time (still starting, or not CARLA)
        raise no_server(host, port) from None
    return client


def setup_world(client, town: str, timeout: float):
    """Load `town` if another map is up, then fix the step: synchronous mode at rules.DT (determinism)."""
    world = client.get_world()
    if world.get_map().name.rsplit("/", 1)[-1] != town:
        client.set_timeout(max(timeout, LOAD_TIMEOUT))
        world = client.load_world(town)
        client.set_timeout(timeout)
    settings = world.get_settings()
    settings.synchronous_mode = True  # the server advances only on our world.tick()
    settings.fixed_delta_seconds = rules.DT
    world.apply_settings(settings)
    return world


def traffic_manager(client, tm_port: int, seed: int):
    """The Traffic Manager, synchronous with the world and seeded, so that traffic replays from the seed."""
    tm = client.get_trafficmanager(tm_port)
    tm.set_synchronous_mode(True)
    tm.set_random_device_seed(int(seed))
    return tm


def release_world(client, world, tm_port: int) -> None:
    """Back to asynchronous mode: a synchronous server nobody ticks looks frozen to every other client."""
    settings = world.get_settings()
    settings.synchronous_mode, settings.fixed_delta_seconds = False, None
    world.apply_settings(settings)
    client.get_trafficmanager(tm_port).set_synchronous_mode(False)


def tick(world, timeout: float, where: str) -> int:
    try:
        return world.tick(timeout)
    except RuntimeError as exc:
        raise ServerLost(f"CARLA server at {where} stopped answering: world.tick gave no frame within "
                         f"{timeout:g} s ({exc}); this episode is lost") from None


class ServerProcess:
    """A CARLA server launched from a command line, in its own process group so that stop() reaches
    CarlaUE4.sh's child binary too; restarted when it died, stopped by stop()."""

    def __init__(self, cmd: str, host: str = "localhost", port: int = DEFAULT_PORT,
                 start_timeout: float = START_TIMEOUT):
        try:
            self.argv = shlex.split(cmd)
        except ValueError as exc:
            raise UserError(f"--carla-cmd {cmd!r}: cannot parse it ({exc})") from None
        if not self.argv:
            raise UserError("--carla-cmd: empty; accepted: a command that starts a CARLA server")
        named = [int(m) for a in self.argv for m in re.findall(r"^-carla-(?:rpc-)?port=(\d+)$", a)]
        if named and named[-1] != port:
            raise UserError(f"--carla-cmd {cmd!r} serves port {named[-1]} but the env connects to port {port}; "
                            f"make them the same")
        if not named and port != DEFAULT_PORT:  # CARLA would listen on its default, not where we connect
            self.argv.append(f"-carla-port={port}")
        self.cmd, self.host, self.port, self.start_timeout = cmd, host, port, start_timeout
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.log_path = os.path.join(tempfile.gettempdir(), f"pvmbench-carla-{port}-{os.getpid()}.log")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and port_answers(self.host, self.port)

    def ensure(self) -> bool:
        """Start the server, or restart it if it died or hung; True when it was (re)started just now."""
        if self.alive():
            return False
        self.stop()
        self.start()
        return True

    def start(self) -> None:
        if port_answers(self.host, self.port):
            raise UserError(f"--carla-cmd: something already listens on {self.host}:{self.port}; stop it, "
                            f"or drop --carla-cmd to use that server")
        if self.starts > MAX_RESTARTS:
            raise UserError(f"--carla-cmd {self.cmd!r}: the server died {self.starts} times; see {self.log_path}")
        self.starts += 1
        with open(self.log_path, "ab") as log:
            try:
                self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                             start_new_session=True)
            except OSError as exc:
                raise UserError(f"--carla-cmd {self.cmd!r}: cannot run it ({exc.strerror})") from None
        deadline = time.monotonic() + self.start_timeout
        while not port_answers(self.host, self.port, 0.5):
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.stop()
                raise UserError(f"--carla-cmd {self.cmd!r}: exited with status {code} before {self.host}:{self.port} "
                                f"answered; see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise UserError(f"--carla-cmd {self.cmd!r}: {self.host}:{self.port} did not answer within "
                                f"{self.start_timeout:g} s; see {self.log_path}")
            time.sleep(0.5)

    def stop(self, grace: float = 15.0) -> None:
        if self.proc is None:
            return
        group = self.proc.pid  # start_new_session: the launched process leads its own group
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and _group_alive(group, self.proc):
                time.sleep(0.2)
            if not _group_alive(group, self.proc):
                break
        self.proc = None


def _group_alive(group: int, leader: subprocess.Popen) -> bool:
    leader.poll()  # reap the leader, or its zombie would keep the group "alive"
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False


# One server per command line in a process: the harness keeps one env per (slot, level), and those
# envs take turns on the same server rather than each launching (and fighting over) its own.
_SHARED: dict[tuple[str, str, int], list] = {}


def acquire(cmd: str, host: str, port: int) -> ServerProcess:
    entry = _SHARED.setdefault((cmd, host, port), [None, 0])
    if entry[0] is None:
        entry[0] = ServerProcess(cmd, host, port)
    entry[1] += 1
    return entry[0]


def release(server: ServerProcess) -> None:
    """Stop the server when its last env closes (multiprocessing workers exit without running atexit)."""
    for key, entry in list(_SHARED.items()):
        if entry[0] is server:
            entry[1] -= 1
            if entry[1] <= 0:
                server.stop()
                del _SHARED[key]


@atexit.register
def _stop_all() -> None:
    for server, _ in list(_SHARED.values()):
        server.stop()
