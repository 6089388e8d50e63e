"""Highway traffic in numpy: IDM car following, MOBIL lane changes, a kinematic-bicycle ego car.

The road runs along +x with `lanes` lanes of LANE_WIDTH. Traffic lives in a window around the
ego car; a car that leaves the window re-enters at the far end, so density stays constant over
an episode of any length ("treadmill" traffic). All randomness comes from one seeded generator.
"""

from __future__ import annotations

import dataclasses

import numpy as np

LANE_WIDTH = 3.5
CAR_LENGTH, CAR_WIDTH = 4.6, 1.9
WHEELBASE = 2.7
MAX_STEER = 0.15  # rad of front-wheel angle at steer = 1; more would roll a car at highway speed
MAX_ACCEL, MAX_BRAKE = 3.5, 8.0
CAR_MASS = 1500.0  # kg; collision intensity is mass times closing speed, in N*s as CARLA reports
WINDOW_BEHIND, WINDOW_AHEAD = 80.0, 260.0
# IDM (Treiber et al. 2000) and MOBIL (Kesting et al. 2007) parameters for highway cars.
IDM_A, IDM_B, IDM_T, IDM_S0, IDM_DELTA = 1.5, 2.0, 1.3, 3.0, 4.0
MOBIL_POLITENESS, MOBIL_BSAFE, MOBIL_THRESHOLD = 0.3, 3.0, 0.2
LANE_CHANGE_SECONDS = 2.5
MOBIL_EVERY_TICKS = 10


def lane_centre(lane: np.ndarray | int, lanes: int) -> np.ndarray | float:
    return (np.asarray(lane) - (lanes - 1) / 2.0) * LANE_WIDTH


@dataclasses.dataclass
class Ego:
    x: float = 0.0
    y: float = 0.0
    heading: float = 0.0
    speed: float = 15.0

    def corners(self) -> np.ndarray:
        c, s = np.cos(self.heading), np.sin(self.heading)
        half = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]]) * [CAR_LENGTH / 2, CAR_WIDTH / 2]
        return np.array([self.x, self.y]) + half @ np.array([[c, s], [-s, c]])


class Traffic:
    def __init__(self, n: int, lanes: int, seed: int, ego: Ego):
        self.rng = np.random.default_rng(seed)
        self.lanes, self.n, self.tick = lanes, n, 0
        self.v0 = self.rng.uniform(22.0, 31.0, n)  # desired speeds, m/s
        self.lane = self.rng.integers(0, lanes, n)
        self.target_lane = self.lane.copy()
        self.y = lane_centre(self.lane, lanes).astype(float)
        # Spread cars over the window at random gaps, never on top of the ego car.
        slots = np.linspace(-WINDOW_BEHIND + 10, WINDOW_AHEAD - 10, n) + self.rng.uniform(-4, 4, n)
        self.x = ego.x + slots
        clash = (np.abs(self.x - ego.x) < 12) & (np.abs(self.y - ego.y) < LANE_WIDTH / 2)
        self.x[clash] += 20.0
        self.v = self.v0 * self.rng.uniform(0.8, 1.0, n)
        self.colour_index = self.rng.integers(0, 1 << 16, n)

    def _leaders(self, ego: Ego) -> tuple[np.ndarray, np.ndarray]:
        """Gap to and speed of the nearest car (ego included) ahead in the same lane, for every car."""
        xs = np.append(self.x, ego.x)
        ys = np.append(self.y, ego.y)
        vs = np.append(self.v, ego.speed * np.cos(ego.heading))
        dx = xs[None, :] - self.x[:, None]
        same_lane = np.abs(ys[None, :] - self.y[:, None]) < LANE_WIDTH * 0.8
        dx = np.where(same_lane & (dx > 0), dx, np.inf)
        j = np.argmin(dx, axis=1)
        gap = dx[np.arange(self.n), j] - CAR_LENGTH
        return gap, vs[j]

    @staticmethod
    def idm(v: np.ndarray, v0: np.ndarray, gap: np.ndarray, lead_v: np.ndarray) -> np.ndarray:
        s_star = IDM_S0 + np.maximum(0.0, v * IDM_T + v * (v - lead_v) / (2 * np.sqrt(IDM_A * IDM_B)))
        free = 1.0 - (v / v0) ** IDM_DELTA
        interaction = np.where(np.isfinite(gap), (s_star / np.maximum(gap, 0.1)) ** 2, 0.0)
        return np.clip(IDM_A * (free - interaction), -9.0, IDM_A)

    def _mobil(self, ego: Ego, accel: np.ndarray) -> None:
        """MOBIL for every car at once: change lane when the gain beats the threshold and the new
        follower need not brake harder than MOBIL_BSAFE. Left is tried before right."""
        xs, ys = np.append(self.x, ego.x), np.append(self.y, ego.y)
        vs, v0s = np.append(self.v, ego.speed), np.append(self.v0, 30.0)
        dx = xs[None, :] - self.x[:, None]
        not_self = np.ones((self.n, self.n + 1), dtype=bool)
        not_self[np.arange(self.n), np.arange(self.n)] = False
        free = self.target_lane == self.lane
        for side in (-1, 1):
            lane = self.lane + side
            centre = lane_centre(np.clip(lane, 0, self.lanes - 1), self.lanes)
            in_lane = (np.abs(ys[None, :] - centre[:, None]) < LANE_WIDTH * 0.8) & not_self
            ahead = np.where(in_lane & (dx > 0), dx, np.inf)
            behind = np.where(in_lane & (dx <= 0), -dx, np.inf)
            lead, follow = np.argmin(ahead, axis=1), np.argmin(behind, axis=1)
            rows = np.arange(self.n)
            gap_ahead, gap_back = ahead[rows, lead] - CAR_LENGTH, behind[rows, follow] - CAR_LENGTH
            a_new = self.idm(self.v, self.v0, gap_ahead, np.where(np.isfinite(gap_ahead), vs[lead], self.v))
            has_follower = np.isfinite(gap_back)
            a_follower = self.idm(vs[follow], v0s[follow], np.where(has_follower, gap_back, np.inf), self.v)
            safe = ~has_follower | ((gap_back >= 1.0) & (a_follower >= -MOBIL_BSAFE))
            gain = a_new - accel + MOBIL_POLITENESS * np.where(has_follower, np.minimum(a_follower, 0.0), 0.0)
            move = free & (lane >= 0) & (lane < self.lanes) & safe & (gain > MOBIL_THRESHOLD)
            self.target_lane = np.where(move, lane, self.target_lane)
            free &= ~move

    def step(self, ego: Ego, dt: float) -> None:
        gap, lead_v = self._leaders(ego)
        accel = self.idm(self.v, self.v0, gap, lead_v)
        if self.tick % MOBIL_EVERY_TICKS == 0:
            self._mobil(ego, accel)
        self.v = np.maximum(0.0, self.v + accel * dt)
        self.x = self.x + self.v * dt
        target_y = lane_centre(self.target_lane, self.lanes)
        lateral = LANE_WIDTH / LANE_CHANGE_SECONDS * dt
        self.y = self.y + np.clip(target_y - self.y, -lateral, lateral)
        done = np.abs(self.y - target_y) < 1e-6
        self.lane = np.where(done, self.target_lane, self.lane)
        self._recycle(ego)
        self.tick += 1

    def _recycle(self, ego: Ego) -> None:
        """Cars far behind re-enter far ahead, and vice versa, in a random free lane."""
        for i in np.flatnonzero((self.x < ego.x - WINDOW_BEHIND) | (self.x > ego.x + WINDOW_AHEAD)):
            front = self.x[i] < ego.x
            lane = int(self.rng.integers(0, self.lanes))
            base = ego.x + (WINDOW_AHEAD - 5 if front else -WINDOW_BEHIND + 5)
            others = (self.lane == lane) & (np.arange(self.n) != i)
            x = base
            while others.any() and np.min(np.abs(self.x[others] - x)) < 15:
                x += -15 if front else 15
            self.x[i], self.lane[i], self.target_lane[i] = x, lane, lane
            self.y[i] = lane_centre(lane, self.lanes)
            self.v[i] = self.v0[i] * 0.9


def step_ego(ego: Ego, steer: float, throttle_brake: float, dt: float) -> None:
    """Kinematic bicycle model about the rear axle; no reversing."""
    accel = MAX_ACCEL * throttle_brake if throttle_brake >= 0 else MAX_BRAKE * throttle_brake
    accel -= 0.0004 * ego.speed**2  # aerodynamic drag, so full throttle settles near 90 m/s
    ego.speed = max(0.0, ego.speed + accel * dt)
    delta = MAX_STEER * float(np.clip(steer, -1.0, 1.0))
    ego.heading += ego.speed / WHEELBASE * np.tan(delta) * dt
    ego.x += ego.speed * np.cos(ego.heading) * dt
    ego.y += ego.speed * np.sin(ego.heading) * dt


def collisions(ego: Ego, traffic: Traffic, rail_y: float) -> tuple[float, bool]:
    """Collision intensity this tick (N*s) and whether the ego car touches a car or a guard rail.

    Cars are separated along their axes (separating-axis test, ego oriented, traffic aligned
    with the road); a touching car is pushed ahead of or behind the ego car, both lose the
    closing speed, and the intensity is mass times that closing speed.
    """
    corners = ego.corners()
    intensity, touching = 0.0, False
    if np.abs(corners[:, 1]).max() > rail_y:
        touching = True
        lateral_speed = abs(ego.speed * np.sin(ego.heading))
        intensity += CAR_MASS * max(lateral_speed, 1.0)
        ego.y = float(np.clip(ego.y, -rail_y + CAR_WIDTH / 2, rail_y - CAR_WIDTH / 2))
        ego.heading *= 0.5
        ego.speed *= 0.9
    dx, dy = traffic.x - ego.x, traffic.y - ego.y
    near = np.flatnonzero((np.abs(dx) < CAR_LENGTH + 1) & (np.abs(dy) < CAR_WIDTH + 1))
    for i in near:
        other = np.array([[traffic.x[i] + sx * CAR_LENGTH / 2, traffic.y[i] + sy * CAR_WIDTH / 2]
                          for sx, sy in ((1, 1), (1, -1), (-1, -1), (-1, 1))])
        if _overlap(corners, other):
            touching = True
            closing = abs(ego.speed * np.cos(ego.heading) - traffic.v[i])
            intensity += CAR_MASS * max(closing, 0.5)
            shared = (ego.speed + traffic.v[i]) / 2
            ego.speed, traffic.v[i] = shared, shared
            traffic.x[i] = ego.x + np.sign(dx[i] or 1.0) * (CAR_LENGTH + 0.05)
    return intensity, touching


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    for poly in (a, b):
        for k in range(4):
            edge = poly[(k + 1) % 4] - poly[k]
            axis = np.array([-edge[1], edge[0]])
            pa, pb = a @ axis, b @ axis
            if pa.max() < pb.min() or pb.max() < pa.min():
                return False
    return True
