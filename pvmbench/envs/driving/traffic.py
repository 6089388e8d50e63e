"""Highway traffic in numpy: IDM car following, MOBIL lane changes, a kinematic-bicycle ego car.

The road runs along +x with `lanes` lanes of LANE_WIDTH. Traffic lives in a window around the
ego car; a car that leaves the window re-enters at the far end, so density stays constant over
an episode of any length ("treadmill" traffic). All randomness comes from one seeded generator.

Highway-v1 adds stalled cars (`stalled` > 0): broken-down cars standing in a lane, the first one ahead in
the ego car's own lane, the others spaced along the road in changing lanes, never two abreast. A car
passed by re-enters far ahead. Moving traffic brakes for them (IDM) and changes lane around them (MOBIL);
a driver who never changes lane runs into one.
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
# m/s^2 the new follower may be asked to brake; how near (m) and slow (m/s) the car ahead is for urgency.
URGENT_BSAFE, URGENT_RANGE, URGENT_SPEED = 6.0, 150.0, 2.0
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


STALLED_FIRST = (60.0, 120.0)  # m ahead of the ego car: the first stalled car, in its lane
STALLED_SPACING = (150.0, 250.0)  # m between consecutive stalled cars along the road


class Traffic:
    def __init__(self, n: int, lanes: int, seed: int, ego: Ego, stalled: int = 0):
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
        self.stalled = np.zeros(n, dtype=bool)
        if stalled:  # drawn after everything v0 draws, so stalled=0 keeps v0's traffic exactly
            self._place_stalled(ego, stalled)

    def _place_stalled(self, ego: Ego, count: int) -> None:
        self.stalled[:count] = True
        ego_lane = int(np.argmin(np.abs(lane_centre(np.arange(self.lanes), self.lanes) - ego.y)))
        x, lane = ego.x + self.rng.uniform(*STALLED_FIRST), ego_lane
        for i in range(count):
            self._stand(i, x, lane)
            x += self.rng.uniform(*STALLED_SPACING)
            lane = self._other_lane(lane)
        moving = ~self.stalled
        for i in np.flatnonzero(self.stalled):  # no moving car starts on top of (or just behind) a stalled one
            clash = moving & (self.lane == self.lane[i]) & (np.abs(self.x - self.x[i]) < 20.0)
            self.x[clash] = self.x[i] - 25.0 - 10.0 * np.arange(clash.sum())
        # Nothing hides the first stalled car: the ego lane is clear up to it, so what the ego car meets
        # first is the obstacle itself, not a queue forming behind it. Those cars start behind instead.
        between = moving & (self.lane == ego_lane) & (self.x > ego.x - 12.0) & (self.x < self.x[0] + 20.0)
        self.x[between] = ego.x - 40.0 - 25.0 * np.arange(between.sum())

    def _other_lane(self, lane: int) -> int:
        return int((lane + self.rng.integers(1, self.lanes)) % self.lanes)

    def _stand(self, i: int, x: float, lane: int) -> None:
        self.x[i], self.lane[i], self.target_lane[i] = x, lane, lane
        self.y[i] = lane_centre(lane, self.lanes)
        self.v[i] = 0.0

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
        self._leader = j  # which car each car follows (index n: the ego car), for MOBIL's urgency
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
        free = (self.target_lane == self.lane) & ~self.stalled
        # A car held up by a stalled car, or by the queue behind one, merges as drivers do at a lane
        # closure: the new follower yields. Only where stalled cars exist (v0's traffic is unchanged).
        # A stalled car is seen from afar and merged past early, at speed, when gaps are easiest to take.
        behind_stalled = np.append(self.stalled, False)[self._leader] & (self._gaps < URGENT_RANGE)
        urgent = self.stalled.any() & (behind_stalled | ((self._lead_v < URGENT_SPEED) & (self._gaps < URGENT_RANGE)))
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
            bsafe = np.where(urgent, URGENT_BSAFE, MOBIL_BSAFE)
            safe = ~has_follower | ((gap_back >= 1.0) & (a_follower >= -bsafe))
            gain = a_new - accel + MOBIL_POLITENESS * np.where(has_follower, np.minimum(a_follower, 0.0), 0.0)
            move = free & (lane >= 0) & (lane < self.lanes) & safe & (gain > MOBIL_THRESHOLD)
            self.target_lane = np.where(move, lane, self.target_lane)
            free &= ~move

    def step(self, ego: Ego, dt: float) -> None:
        gap, lead_v = self._leaders(ego)
        self._gaps, self._lead_v = gap, lead_v
        accel = np.where(self.stalled, 0.0, self.idm(self.v, self.v0, gap, lead_v))
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

    def _lane_clear_of_stalled(self, lane: int, x: float) -> int:
        """``lane`` unless a stalled car stands within 80 m ahead of (or 20 m behind) ``x`` there: a car
        entering at speed could not stop for it. Then the next lane that is clear (v0 never gets here)."""
        for k in range(self.lanes):
            candidate = (lane + k) % self.lanes
            near = self.stalled & (self.lane == candidate) & (self.x - x > -20.0) & (self.x - x < 80.0)
            if not near.any():
                return candidate
        return lane

    def _recycle(self, ego: Ego) -> None:
        """Cars far behind re-enter far ahead, and vice versa, in a random free lane; a stalled car passed
        by stands again beyond the furthest one, in another lane."""
        for i in np.flatnonzero(self.stalled & (self.x < ego.x - WINDOW_BEHIND)):
            last = np.flatnonzero(self.stalled)[np.argmax(self.x[self.stalled])]
            x = max(self.x[last] + self.rng.uniform(*STALLED_SPACING), ego.x + WINDOW_AHEAD - 5)
            self._stand(i, x, self._other_lane(int(self.lane[last])))
        moving_out = ~self.stalled & ((self.x < ego.x - WINDOW_BEHIND) | (self.x > ego.x + WINDOW_AHEAD))
        for i in np.flatnonzero(moving_out):
            front = self.x[i] < ego.x
            lane = int(self.rng.integers(0, self.lanes))
            base = ego.x + (WINDOW_AHEAD - 5 if front else -WINDOW_BEHIND + 5)
            if self.stalled.any():
                lane = self._lane_clear_of_stalled(lane, base)
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


def guard_rail(ego: Ego, corners: np.ndarray, rail_y: float) -> float:
    """The guard rail holds the ego car (whose `corners` are given): pushed back inside, heading halved,
    speed cut by 10%; returns the collision intensity (N*s, at least one mass times 1 m/s), 0 if no contact."""
    if np.abs(corners[:, 1]).max() <= rail_y:
        return 0.0
    lateral_speed = abs(ego.speed * np.sin(ego.heading))
    ego.y = float(np.clip(ego.y, -rail_y + CAR_WIDTH / 2, rail_y - CAR_WIDTH / 2))
    ego.heading *= 0.5
    ego.speed *= 0.9
    return CAR_MASS * max(lateral_speed, 1.0)


def collisions(ego: Ego, traffic: Traffic, rail_y: float) -> tuple[float, bool]:
    """Collision intensity this tick (N*s) and whether the ego car touches a car or a guard rail.

    Cars are separated along their axes (separating-axis test, ego oriented, traffic aligned
    with the road); a touching car is pushed ahead of or behind the ego car, both lose the
    closing speed, and the intensity is mass times that closing speed.
    """
    corners = ego.corners()
    intensity = guard_rail(ego, corners, rail_y)
    touching = intensity > 0
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
