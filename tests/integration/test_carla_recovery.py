"""The harness and a CARLA server that dies, starts slowly, or outlives its worker.

The env hosts are real spawned processes driving the stand-in for a CARLA server (tests/carla_standin,
NOT CARLA); the launched "servers" are real processes standing in for CarlaUE4 (a Python script that
listens on the port), so process groups, pipes and kills are the real thing.
"""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from pvmbench.benchmark.episodes import plan_episodes
from pvmbench.benchmark.runner import BatchedRunner
from pvmbench.envs.carla import supervisor
from pvmbench.errors import UserError
from tests.carla_standin.ports import listening_port

ENV_ID = "tests.carla_standin.hosted:CarlaStandIn-v0"
STAND_IN_SERVER = """import socket, sys, time
port = int([a for a in sys.argv if a.startswith("-carla-port=")][0].split("=")[1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(); time.sleep(600)
"""


class BrakingAgent:
    """Brakes from the start, so each episode ends "stuck" after about 30 steps."""

    def reset(self, fresh):
        pass

    def act(self, batch):
        return np.tile(np.array([0.0, -1.0], np.float32), (len(batch["image"]), 1))


def run_one_episode(port: int, step_timeout: float, **standin) -> list:
    kwargs = {"standin": standin, "host": "127.0.0.1", "port": port, "image_size": 64, "timeout": 2.0}
    runner = BatchedRunner(ENV_ID, kwargs, BrakingAgent(), (2,), num_envs=1, workers=1,
                           step_timeout=step_timeout, retries=1)
    results: list = []
    runner.run(plan_episodes(["id"], 1, run_seed=0), results.append)
    return results


# -- 1: a lost server is retried in a fresh host process -------------------------------------------------
def test_a_server_lost_mid_episode_is_retried_in_a_fresh_host_process(tmp_path):
    with listening_port() as port:
        # The stand-in server dies once, in the second agent step; the retry's host starts clean.
        [result] = run_one_episode(port, 30.0, die_after_ticks=6, die_once_marker=str(tmp_path / "died"))
    assert (tmp_path / "died").exists()
    assert result.status == "retried" and result.attempts == 2, result.error
    assert "ServerLost" in result.error and "stopped answering" in result.error
    assert result.length > 20 and np.isfinite(result.episode_return)


# -- 2: a reset gets the env's reset timeout, and a launched server dies with its worker --------------
def test_a_slow_first_reset_gets_the_envs_reset_timeout_not_the_step_timeout():
    with listening_port() as port:
        [result] = run_one_episode(port, 1.0, load_delay=3.0)  # loading Town04 takes 3 s; a step may take 1 s
    assert result.status == "ok", result.error


def launched_server_group(tmp_path, port: int) -> tuple[subprocess.Popen, int]:
    """A worker process that launched a stand-in server with carla_cmd; (the worker, the server's group)."""
    script = tmp_path / "server.py"
    script.write_text(STAND_IN_SERVER)
    worker_code = (f"from pvmbench.envs.carla import supervisor\n"
                   f"s = supervisor.ServerProcess({sys.executable!r} + ' {script} -carla-port={port}', '127.0.0.1', "
                   f"{port}, start_timeout=20, port_free_wait=0)\n"
                   f"s.start(); print(s.proc.pid, flush=True)\nimport time; time.sleep(600)\n")
    worker = subprocess.Popen([sys.executable, "-c", worker_code], stdout=subprocess.PIPE, text=True,
                              cwd=pathlib.Path(__file__).parents[2])
    return worker, int(worker.stdout.readline())


def group_gone(pgid: int) -> bool:
    """No live process in the group (an orphaned zombie awaiting its reaping does not count)."""
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return False
    return True


def test_a_launched_server_is_killed_with_the_worker_that_launched_it(tmp_path):
    port = free_port()
    worker, pgid = launched_server_group(tmp_path, port)
    try:
        assert supervisor.port_answers("127.0.0.1", port)
        worker.kill()  # what the runner does to a host past --step-timeout: SIGKILL, no cleanup
        worker.wait(5)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (group_gone(pgid) and not supervisor.port_answers("127.0.0.1", port)):
            time.sleep(0.2)
        assert group_gone(pgid) and not supervisor.port_answers("127.0.0.1", port)
    finally:
        worker.kill()
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_stop_ends_the_server_and_its_reaper(tmp_path):
    port = free_port()
    script = tmp_path / "server.py"
    script.write_text(STAND_IN_SERVER)
    server = supervisor.ServerProcess(f"{sys.executable} {script} -carla-port={port}", "127.0.0.1", port,
                                      start_timeout=20, port_free_wait=0)
    server.start()
    reaper = server.reaper
    assert reaper is not None and reaper.poll() is None
    server.stop()
    assert reaper.poll() is not None and server.reaper is None and not supervisor.port_answers("127.0.0.1", port)


def test_start_waits_for_a_previous_servers_port_to_free(tmp_path):
    port = free_port()
    script = tmp_path / "server.py"
    script.write_text(STAND_IN_SERVER)
    cmd = f"{sys.executable} {script} -carla-port={port}"
    dying = socket.socket()
    dying.bind(("127.0.0.1", port))
    dying.listen()
    with pytest.raises(UserError) as exc:  # a port that stays taken is the user's to free
        supervisor.ServerProcess(cmd, "127.0.0.1", port, start_timeout=20, port_free_wait=0.5).start()
    assert "already listens" in str(exc.value)
    threading.Timer(1.0, dying.close).start()  # a killed server's port frees a second later
    server = supervisor.ServerProcess(cmd, "127.0.0.1", port, start_timeout=20, port_free_wait=10)
    try:
        server.start()
        assert supervisor.port_answers("127.0.0.1", port)
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
