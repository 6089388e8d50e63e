"""Connecting to a CARLA server, and supervising one that pvmbench launched from `carla_cmd`.

The server is the user's: pvmbench never ships or finds one. A missing server is a one-line
UserError at the first reset; a server that stops answering mid-episode raises ServerLost, which
the evaluation harness counts as a failed attempt and retries in a fresh env host process (which,
with `carla_cmd`, starts the server again).
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

from pvmbench.envs.carla import reaper
from pvmbench.envs.carla.weather import import_carla
from pvmbench.envs.driving import rules
from pvmbench.errors import UserError

DEFAULT_PORT = 2000  # CARLA's own default RPC port
START_TIMEOUT = 300.0  # a cold CarlaUE4 start (shader cache, first map load) can take minutes
READY_TIMEOUT = 60.0  # the RPC port opens before the server answers calls
LOAD_TIMEOUT = 120.0  # load_world("Town04") on a slow disk
MAX_RESTARTS = 3  # a server that keeps dying is a broken install, not bad luck
PORT_FREE_WAIT = 20.0  # a killed server (a previous worker's) may hold its port a few seconds while it exits
# How long the harness waits for one reset (not --step-timeout): launch, connect and load Town04, with
# a minute to spare for the spawn calls. Killing a host mid-start only makes the next one start over.
RESET_TIMEOUT = PORT_FREE_WAIT + START_TIMEOUT + READY_TIMEOUT + LOAD_TIMEOUT + 60.0
TM_PORT_OFFSET = 6000  # CARLA's own defaults pair RPC port 2000 with Traffic Manager port 8000


class ServerLost(RuntimeError):
    """The CARLA server stopped answering: the episode under way is lost.

    `poisons_process`: the carla client keeps one Traffic Manager per port per process, and its
    thread dies with the server (carla issues #6748, #4577, #4072; it can abort the process):
    get_trafficmanager() then hands back the dead one. So nothing in this process may drive CARLA
    again; the harness's env host exits on it and the runner starts a fresh one."""

    def __init__(self, message: str, poisons_process: bool = True):
        super().__init__(message)
        self.poisons_process = poisons_process


_lost: list[str] = []  # why this process may no longer drive CARLA (see ServerLost), once it happened


def mark_lost(exc: ServerLost) -> None:
    if exc.poisons_process and not _lost:
        _lost.append(str(exc))


def check_not_lost(where: str) -> None:
    """Refuse to drive CARLA from a process that lost a server: its Traffic Manager is dead."""
    if _lost:
        raise ServerLost(f"this process lost a CARLA server earlier ({_lost[0]}); its Traffic Manager died with "
                         f"it, so a fresh process must drive {where} (pvmbench eval --workers >= 1 starts one)")


def process_lost() -> bool:
    return bool(_lost)


def tm_port_for(port: int) -> int:
    """The Traffic Manager port of an env on RPC port `port`: distinct per server, so that two servers'
    clients on one machine do not both bind 8000."""
    return port + TM_PORT_OFFSET if port + TM_PORT_OFFSET < 65536 else port - TM_PORT_OFFSET


def check_tm_port(tm_port, port: int) -> int:
    if not isinstance(tm_port, int) or not 0 < tm_port < 65536 or tm_port in (port, port + 1, port + 2):
        raise UserError(f"tm_port={tm_port!r}: accepted: an integer from 1 to 65535 other than port, port+1 and "
                        f"port+2 ({port}-{port + 2}, the server's own); by default port + {TM_PORT_OFFSET}")
    return tm_port


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
    """The world, with `town` loaded if another map is up."""
    world = client.get_world()
    if world.get_map().name.rsplit("/", 1)[-1] != town:
        client.set_timeout(max(timeout, LOAD_TIMEOUT))
        world = client.load_world(town)
        client.set_timeout(timeout)
    return world


def apply_sync(world, where: str) -> None:
    """Synchronous mode at rules.DT with rendering on, applied at every reset and read back: any client of
    the server (another env's close(), CARLA's config.py --no-rendering) may have changed them since."""
    settings = world.get_settings()
    settings.synchronous_mode = True  # the server advances only on our world.tick(): determinism
    settings.fixed_delta_seconds = rules.DT
    settings.no_rendering_mode = False  # with it on the server renders nothing: no camera image to send
    world.apply_settings(settings)
    got = world.get_settings()
    if not (got.synchronous_mode and not got.no_rendering_mode
            and abs((got.fixed_delta_seconds or 0.0) - rules.DT) < 1e-6):
        raise UserError(f"CARLA server at {where} did not keep synchronous mode at {rules.DT} s with rendering on "
                        f"(read back synchronous_mode={got.synchronous_mode}, fixed_delta_seconds="
                        f"{got.fixed_delta_seconds}, no_rendering_mode={got.no_rendering_mode}); is another client "
                        f"changing its settings?")


def traffic_manager(client, tm_port: int, seed: int):
    """The Traffic Manager, synchronous with the world and seeded, so that traffic replays from the seed;
    30 % below the speed limit, 2 m behind the car ahead, as RL-ViGen set it."""
    try:
        tm = client.get_trafficmanager(tm_port)
    except RuntimeError as exc:
        if "bind error" not in str(exc):
            raise
        raise UserError(f"CARLA Traffic Manager port {tm_port} is taken on this machine (another pvmbench run or "
                        f"CARLA client?); pass --env-kwarg tm_port=<a free port> (default: port + "
                        f"{TM_PORT_OFFSET})") from None
    tm.set_synchronous_mode(True)
    tm.set_random_device_seed(int(seed))
    tm.global_percentage_speed_difference(30.0)
    tm.set_global_distance_to_leading_vehicle(2.0)
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
    CarlaUE4.sh's child binary too; restarted when it died, stopped by stop(), and killed by a reaper
    (reaper.py) when the process that launched it dies without stopping it."""

    def __init__(self, cmd: str, host: str = "localhost", port: int = DEFAULT_PORT,
                 start_timeout: float = START_TIMEOUT, port_free_wait: float = PORT_FREE_WAIT):
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
        self.port_free_wait = port_free_wait
        self.proc: subprocess.Popen | None = None
        self.reaper: subprocess.Popen | None = None
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
        deadline = time.monotonic() + self.port_free_wait
        while port_answers(self.host, self.port) and time.monotonic() < deadline:
            time.sleep(0.5)
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
        self.reaper = reaper.watch(self.proc.pid)
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
        if self.reaper is not None:
            reaper.dismiss(self.reaper)
            self.reaper = None


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
