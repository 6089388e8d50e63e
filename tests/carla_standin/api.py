"""The stand-in `carla` module (NOT the carla client): the names and signatures of carla 0.9.16 that
pvmbench/CarlaHighway-v0 uses, answered by this process's stand-in servers (server.py).

Like the real client, it keeps one Traffic Manager per port per process (`get_trafficmanager` hands
back the cached one, dead or alive) and binds that port for real, so a taken port fails with the
client's own bind-error message.
"""

from __future__ import annotations

import socket
import types

from tests.carla_standin import server as servers
from tests.carla_standin.actors import (  # noqa: F401 (VehicleControl is carla.VehicleControl)
    ActorBlueprint,
    BlueprintLibrary,
    Sensor,
    Vehicle,
    VehicleControl,
)
from tests.carla_standin.geometry import Location, Rotation, Transform, Vector2D, Vector3D  # noqa: F401 (carla.*)

TRAFFIC_MANAGERS: dict[int, TrafficManager] = {}  # the client library's per-process map, by port


class LaneType:
    Driving, Shoulder = 2, 4


class WeatherParameters:
    def __init__(self, **values):
        self.__dict__.update(values)


class WorldSettings:
    def __init__(self, values: dict):
        self.__dict__.update(values)


# -- world, map, client -------------------------------------------------------------------------------
class Waypoint:
    def __init__(self, srv: servers.StandInServer, s: float, lane: int):
        self._srv, self._s, self._lane = srv, s, lane
        self.transform = srv.lane_point(s, lane)
        self.is_junction, self.lane_id = False, -(lane + 1)
        self.lane_type = LaneType.Driving if 0 <= lane < srv.lanes else LaneType.Shoulder

    def get_left_lane(self):
        if self._lane == 0:  # the carriageway the other way: a driving lane of the opposite sign
            wp = Waypoint(self._srv, self._s, 0)
            wp.lane_id = 1
            return wp
        return Waypoint(self._srv, self._s, self._lane - 1)

    def get_right_lane(self):
        return Waypoint(self._srv, self._s, self._lane + 1) if self._lane < self._srv.lanes else None


class Map:
    def __init__(self, srv: servers.StandInServer):
        self._srv, self.name = srv, srv.map_name

    def get_spawn_points(self) -> list[Transform]:
        return self._srv.spawn_points()

    def get_waypoint(self, location, project_to_road: bool = True, lane_type: int = LaneType.Driving) -> Waypoint:
        return Waypoint(self._srv, *self._srv.project(location))


class World:
    def __init__(self, srv: servers.StandInServer):
        self._srv, self._epoch = srv, srv.epoch

    def _live(self):
        self._srv.check(self._epoch)
        return self._srv

    def get_map(self) -> Map:
        return Map(self._live())

    def get_settings(self) -> WorldSettings:
        return WorldSettings(dict(self._live().settings))

    def apply_settings(self, settings: WorldSettings) -> int:
        self._live().apply_settings({k: getattr(settings, k) for k in self._srv.settings})
        return self._srv.frame

    def tick(self, seconds: float = 10.0) -> int:
        return self._srv.tick(self._epoch)

    def set_weather(self, weather: WeatherParameters) -> None:
        self._live().weather = weather

    def get_weather(self) -> WeatherParameters:
        return self._live().weather

    def get_blueprint_library(self) -> BlueprintLibrary:
        self._live()
        return BlueprintLibrary()

    def get_actors(self, actor_ids=None) -> list:
        actors = self._live().actors
        return list(actors.values()) if actor_ids is None else [actors[i] for i in actor_ids if i in actors]

    def try_spawn_actor(self, bp: ActorBlueprint, transform: Transform, attach_to=None):
        srv = self._live()
        if bp.id.startswith("sensor."):
            return Sensor(srv, bp, transform, attach_to)
        if any(isinstance(a, Vehicle) and a.transform.location.distance(transform.location) < 2.0
               for a in srv.actors.values()):
            return None
        return Vehicle(srv, bp, transform, attach_to)

    def spawn_actor(self, bp: ActorBlueprint, transform: Transform, attach_to=None):
        actor = self.try_spawn_actor(bp, transform, attach_to)
        if actor is None:
            raise RuntimeError("Spawn failed because of collision at spawn position")
        return actor


class TrafficManager:
    def __init__(self, srv: servers.StandInServer, port: int):
        self._srv, self._epoch, self._port = srv, srv.epoch, port
        self._socket = socket.socket()
        try:
            self._socket.bind(("127.0.0.1", port))  # the client's TM runs an RPC server on this port
            self._socket.listen()
        except OSError:
            self._socket.close()
            raise RuntimeError("trying to create rpc server for traffic manager; but the system failed to create "
                               "because of bind error.") from None
        self.settings: dict = {}

    def _live(self) -> None:
        if self._epoch != self._srv.epoch:  # its thread died with the server; the real one may abort the process
            raise RuntimeError("stand-in: this Traffic Manager's server is gone")

    def get_port(self) -> int:
        return self._port

    def set_synchronous_mode(self, mode: bool) -> None:
        self._live()
        self.settings["synchronous_mode"] = mode

    def set_random_device_seed(self, seed: int) -> None:
        self._live()
        self.settings["seed"] = seed

    def global_percentage_speed_difference(self, percentage: float) -> None:
        self._live()
        self.settings["speed_difference"] = percentage

    def set_global_distance_to_leading_vehicle(self, distance: float) -> None:
        self._live()
        self.settings["distance"] = distance

    def shut_down(self) -> None:
        self._socket.close()


class Client:
    def __init__(self, host: str = "127.0.0.1", port: int = 2000, worker_threads: int = 0):
        self._port, self._timeout = port, 5.0

    def _srv(self) -> servers.StandInServer:
        srv = servers.SERVERS.get(self._port)
        if srv is None:
            raise RuntimeError(f"{servers.TIMEOUT_MESSAGE} to 127.0.0.1:{self._port}")
        return srv

    def set_timeout(self, seconds: float) -> None:
        self._timeout = seconds

    def get_server_version(self) -> str:
        self._srv()
        return "0.9.16"

    def get_world(self) -> World:
        return World(self._srv())

    def load_world(self, map_name: str, reset_settings: bool = True) -> World:
        srv = self._srv()
        srv.load(map_name)
        return World(srv)

    def get_trafficmanager(self, client_connection: int = 8000) -> TrafficManager:
        tm = TRAFFIC_MANAGERS.get(client_connection)
        if tm is None:
            tm = TRAFFIC_MANAGERS[client_connection] = TrafficManager(self._srv(), client_connection)
        return tm

    def apply_batch_sync(self, commands: list, do_tick: bool = False) -> list:
        srv, world, responses = self._srv(), World(self._srv()), []
        for cmd in commands:
            if isinstance(cmd, command.DestroyActor):
                srv.actors.pop(cmd.actor_id, None)
                responses.append(types.SimpleNamespace(actor_id=cmd.actor_id, error=""))
                continue
            actor = world.try_spawn_actor(cmd.blueprint, cmd.transform)
            if actor is None:
                responses.append(types.SimpleNamespace(actor_id=0, error="Spawn failed because of collision"))
                continue
            for then in cmd.then_commands:  # SetAutopilot(FutureActor, True, tm_port)
                actor.autopilot_port = then.tm_port if then.enabled else None
            responses.append(types.SimpleNamespace(actor_id=actor.id, error=""))
        if do_tick:
            world.tick()
        return responses


class _SpawnActor:
    def __init__(self, blueprint: ActorBlueprint, transform: Transform, parent=None):
        self.blueprint, self.transform, self.then_commands = blueprint, transform, []

    def then(self, other):
        self.then_commands.append(other)
        return self


class _SetAutopilot:
    def __init__(self, actor, enabled: bool, tm_port: int = 8000):
        self.actor, self.enabled, self.tm_port = actor, enabled, tm_port


class _DestroyActor:
    def __init__(self, actor_id: int):
        self.actor_id = actor_id


command = types.SimpleNamespace(SpawnActor=_SpawnActor, SetAutopilot=_SetAutopilot, DestroyActor=_DestroyActor,
                                FutureActor=0)


def forget_traffic_managers() -> None:
    """Between tests: what a process exit does to the real client's Traffic Managers."""
    for tm in TRAFFIC_MANAGERS.values():
        tm.shut_down()
    TRAFFIC_MANAGERS.clear()
