"""pvmbench/Highway-v1: Highway-v0's scene and rules with CARLA-like contact and stalled cars.

What changed from v0, and why (a changed task is a new version):
- Contact is physical (contact.collisions_physical): a rear-ended car is not shoved ahead, so an ego car
  that keeps pushing stays in contact and the study's 20-tick rule ends the episode. On v0 a blind
  full-throttle policy scored a normalised 1.6-1.9, above the scripted driver.
- Broken-down cars stand in the lanes (suite driving-v2, traffic.stalled), the first one ahead in the
  ego car's lane: progress needs lane changes, which needs eyes.
- The privileged state adds the neighbouring lanes' gaps (lane_gaps.py), so the scripted driver that
  defines R_max changes lane.
- The shift suite is driving-v2: driving-v1's levels, presets and ladder, plus per-knob factors (fog,
  rain, wet_road, clouds, darkness) for per-factor attribution.
- The observation adds `state`, the car's speedometer in m/s (interface.STATE_LAYOUT_V1): a single frame
  cannot show speed, which the expert's throttle and braking depend on.
Action space, reward and termination (rules.py) are v0's.
"""

from __future__ import annotations

import numpy as np

from pvmbench.envs.driving import interface
from pvmbench.envs.driving.contact import collisions_physical
from pvmbench.envs.driving.env import HighwayEnv
from pvmbench.envs.driving.lane_gaps import ego_lane, lane_gaps, neighbour_state

# Mean returns over 50 `id` episodes each (seeds 0-49; random -6.96 +- 6.98, scripted 1156.90 +- 48.15 s.e.m.),
# measured with `python -m pvmbench.benchmark.measure_bounds --env pvmbench/Highway-v1 --episodes 50`: the
# uniform random policy and the scripted driver (lane keeping + IDM + lane changes). See README "Score bounds".
R_RANDOM_V1 = -6.96
R_SCRIPTED_V1 = 1156.90


class HighwayEnvV1(HighwayEnv):
    score_bounds = (R_RANDOM_V1, R_SCRIPTED_V1)
    default_suite = "driving-v2"
    privileged_dim = interface.PRIVILEGED_DIM_V1
    state_dim = interface.STATE_DIM_V1
    resolve_contact = staticmethod(collisions_physical)
    # At the traffic's pace: an ego car that starts slow behind a stalled car cannot merge in front of
    # faster cars without making them brake hard, so it would have to stop, which the rules end as stuck.
    START_SPEED = 22.0  # m/s

    def privileged_state(self) -> np.ndarray:
        """v0's six values, but the gap and leader speed are those of the lane the ego car is in (by its
        centre), not of every car within 2.5 m sideways: a car halfway into the next lane follows that
        lane's leader, so a lane change past a standing car does not stall on it. Then the neighbours."""
        e = self.ego
        gap, lead_v, _, _ = lane_gaps(e, self.traffic, ego_lane(e, self.hm.lanes))
        own = np.array([e.y, e.heading, e.speed, e.y - self._lane_offset(), gap, lead_v], dtype=np.float32)
        return np.concatenate([own, neighbour_state(e, self.traffic)])

    def _observation(self) -> dict[str, np.ndarray]:
        obs = super()._observation()
        obs["state"] = np.array([self.ego.speed], dtype=np.float32)
        return obs
