"""pvmbench/CarlaHighway-v0 against the stand-in for a CARLA server (tests/carla_standin: NOT CARLA).

No CARLA server runs in CI, so these check what the env asks of the server and makes of its answers:
a lost server, the Traffic Manager's port and settings, world settings, the reward's road direction,
steering, and collision events by frame. What a real server does with it is for the live tests.
"""

from __future__ import annotations

import math
import socket
import sys

import gymnasium as gym
import numpy as np
import pytest

import pvmbench.envs  # noqa: F401  (registers the ids)
from pvmbench.envs.carla import ego, supervisor
from pvmbench.envs.carla.supervisor import ServerLost
from pvmbench.envs.contract import check_pvm_env
from pvmbench.envs.driving import rules
from pvmbench.envs.driving.traffic import Ego, step_ego
from pvmbench.errors import UserError
from tests.carla_standin import api, server
from tests.carla_standin.ports import listening_port

ENV_ID = "pvmbench/CarlaHighway-v0"
RESET_TICKS = 3  # _clear's tick and the two settling ticks of _spawn


@pytest.fixture
def standin(monkeypatch):
    """`import carla` finds the stand-in; this process has lost no server; nothing outlives the test."""
    monkeypatch.setitem(sys.modules, "carla", api)
    monkeypatch.setattr(supervisor, "_lost", [])
    yield
    api.forget_traffic_managers()
    server.SERVERS.clear()


@pytest.fixture
def port(standin):
    with listening_port() as p:
        yield p


def make(port: int, **kwargs):
    return gym.make(ENV_ID, host="127.0.0.1", port=port, image_size=64, timeout=2.0, **kwargs)


def one_line(exc: pytest.ExceptionInfo) -> str:
    assert "\n" not in str(exc.value) and str(exc.value)
    return str(exc.value)


def test_the_env_keeps_the_contract_on_the_stand_in(port):
    server.serve(port)
    env = make(port, privileged=True)
    check_pvm_env(env)
    env.close()


# -- 1: a lost server leaves this process unable to drive CARLA ----------------------------------------
def test_a_lost_server_poisons_the_process_and_no_retry_touches_its_dead_traffic_manager(port):
    server.serve(port, die_after_ticks=RESET_TICKS + 3)
    env = make(port)
    env.reset(seed=0)
    env.step(np.zeros(2, np.float32))
    with pytest.raises(ServerLost) as exc:
        env.step(np.zeros(2, np.float32))  # the server dies in this step's second tick
    assert exc.value.poisons_process and "stopped answering" in one_line(exc)
    env.close()  # no call to the dead server, no error
    other = make(port)  # the server is back (restarted), but this process's Traffic Manager is dead
    with pytest.raises(ServerLost) as exc:
        other.reset(seed=0)
    assert exc.value.poisons_process and "fresh process" in one_line(exc)
    other.close()


def test_a_removed_ego_car_does_not_poison_the_process(port):
    srv = server.serve(port)
    env = make(port)
    env.reset(seed=0)
    srv.actors.pop(srv.ego().id)  # another env reset this server
    with pytest.raises(ServerLost) as exc:
        env.step(np.zeros(2, np.float32))
    assert not exc.value.poisons_process and not supervisor.process_lost()
    env.reset(seed=0)  # the same process goes on
    env.close()


# -- 3: the Traffic Manager's port follows the server's ------------------------------------------------
def test_each_server_gets_its_own_traffic_manager_port(standin):
    with listening_port() as a, listening_port() as b:
        envs = {p: make(p) for p in (a, b)}
        for p, env in envs.items():
            server.serve(p)
            env.reset(seed=0)
            assert env.unwrapped.tm_port == supervisor.tm_port_for(p) != p
            assert api.TRAFFIC_MANAGERS[env.unwrapped.tm_port]._srv is server.SERVERS[p]
        assert len({env.unwrapped.tm_port for env in envs.values()}) == 2
        for env in envs.values():
            env.close()


def test_a_taken_traffic_manager_port_is_one_line_user_error(port):
    server.serve(port)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", supervisor.tm_port_for(port)))
        env = make(port)
        with pytest.raises(UserError) as exc:
            env.reset(seed=0)
        message = one_line(exc)
        assert f"port {supervisor.tm_port_for(port)} is taken" in message and "--env-kwarg tm_port=" in message
        env.close()


@pytest.mark.parametrize("bad", [0, 70000, "8000", "same", "next"])
def test_bad_tm_port_is_one_line_user_error(port, bad):
    bad = {"same": port, "next": port + 1}.get(bad, bad)
    with pytest.raises(UserError) as exc:
        make(port, tm_port=bad)
    assert f"tm_port={bad!r}" in one_line(exc)


def test_traffic_manager_drives_as_rl_vigen_set_it(port):
    server.serve(port)
    env = make(port)
    env.reset(seed=0)
    tm = api.TRAFFIC_MANAGERS[env.unwrapped.tm_port]
    assert tm.settings["speed_difference"] == 30.0 and tm.settings["distance"] == 2.0
    assert tm.settings["synchronous_mode"] is True
    env.close()


# -- 4: world settings, at every reset -----------------------------------------------------------------
def test_settings_are_applied_at_every_reset_with_rendering_on(port):
    srv = server.serve(port, no_rendering_mode=True)  # someone ran CARLA's config.py --no-rendering
    first, second = make(port), make(port)
    first.reset(seed=0)
    assert srv.settings == {"synchronous_mode": True, "fixed_delta_seconds": rules.DT, "no_rendering_mode": False}
    second.reset(seed=1)
    first.close()  # hands the server back in asynchronous mode
    assert srv.settings["synchronous_mode"] is False
    second.reset(seed=2)
    assert srv.settings["synchronous_mode"] is True and srv.settings["fixed_delta_seconds"] == rules.DT
    second.close()


def test_settings_the_server_does_not_keep_are_one_line_user_error(port):
    server.serve(port, refuses_settings=True)
    env = make(port)
    with pytest.raises(UserError) as exc:
        env.reset(seed=0)
    assert "did not keep synchronous mode" in one_line(exc) and "synchronous_mode=False" in str(exc.value)
    env.close()


# -- 5: progress is measured along the road ------------------------------------------------------------
@pytest.mark.parametrize("off_road_deg, expected", [(90.0, 0.0), (60.0, 10.0 * 0.5 * 0.1), (0.0, 10.0 * 0.1)])
def test_reward_counts_speed_along_the_road_not_along_the_car(port, off_road_deg, expected):
    srv = server.serve(port, road_yaw=30.0)  # a road not along an axis
    env = make(port)
    env.reset(seed=0)
    car = srv.ego()
    car.transform.rotation.yaw, car.speed = 30.0 + off_road_deg, 10.0  # driving across the road (circling)
    _, reward, *_ = env.step(np.zeros(2, np.float32))  # no throttle, no steer: the reward is the distance
    assert reward == pytest.approx(expected, abs=1e-6)
    env.close()


# -- 6: one steer action turns the same on both backends -----------------------------------------------
def highway_heading_change(steer: float, speed: float, steps: int) -> float:
    car = Ego(speed=speed)
    for _ in range(steps * rules.ACTION_REPEAT):
        step_ego(car, steer, 0.0, rules.DT)
    return car.heading


@pytest.mark.parametrize("steer", [0.5, -1.0])
def test_steer_turns_as_on_highway(port, steer):
    server.serve(port)
    env = make(port, privileged=True)
    obs, _ = env.reset(seed=0)
    before = float(obs["privileged"][1])
    for _ in range(5):
        obs, *_ = env.step(np.array([steer, 0.0], np.float32))
    turned = float(obs["privileged"][1]) - before
    assert turned == pytest.approx(highway_heading_change(steer, 15.0, 5), rel=0.02)
    env.close()


def test_steer_command_reads_the_cars_max_steer_angle(port):
    srv = server.serve(port, max_steer_angle=35.0, steering_curve=((0.0, 1.0), (200.0, 1.0)))
    env = make(port)
    env.reset(seed=0)
    env.step(np.array([0.5, 0.0], np.float32))
    assert srv.controls[-1].steer == pytest.approx(ego.STEER_SIGN * 0.5 * math.degrees(0.15) / 35.0)
    env.close()


# -- 7: collision events count in the frame they happened in -------------------------------------------
def test_collision_events_are_counted_by_their_frame(port):
    srv = server.serve(port)
    env = make(port)
    env.reset(seed=0)
    settled = srv.frame  # the last settling frame: a touch then is not the agent's...
    srv.schedule_collision(settled, 5000.0, delivered_at=settled + 1)  # ...even when its event comes late
    *_, info = env.step(np.zeros(2, np.float32))
    assert info["collision_intensity"] == 0.0
    srv.schedule_collision(srv.frame + 1, 3000.0)  # next step's first tick, on time
    srv.schedule_collision(srv.frame + 1, 1000.0, delivered_at=srv.frame + 2)  # same frame, arriving a tick late
    *_, info = env.step(np.zeros(2, np.float32))
    assert info["collision_intensity"] == 4000.0
    env.close()
