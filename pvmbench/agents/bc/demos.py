"""Demonstrations from a scripted expert, with DART noise on the executed actions, cached on disk.

The expert acts on privileged state; what is stored is what a visuomotor policy sees (the image, and the
robot `state` vector where the env has one) and the expert's clean action as the label. The executed,
noisy action is stored beside it (dart.py says why the two differ). Per frame also: its episode, the env's
grasp and success flags it was observed with, and its task phase (phases.py); per episode: the expert's
return and success under the noise, and the target object where the scenario names one. Where the env
draws its target from a pool of ID objects (the table-top), a few episodes are added until every object
has been the target at least once (_episode_indices).

A cache file is keyed by everything that changes the data (env, level, episodes, seed, image size, step
cap, noise sigma and dimensions, and this format's version), so retraining with other encoders or seeds
reuses the same frames, and a changed setting never reads a stale set.
"""

from __future__ import annotations

import hashlib
import os
import pathlib

import numpy as np

from pvmbench.agents.bc.dart import NoiseSpec, executed_action, noise_rng
from pvmbench.agents.bc.labelled import FRAME_KEYS, labelled_episode
from pvmbench.agents.bc.phases import frame_phases, phase_names

FORMAT = "bc-demos-v2"  # v1 (no labels/executed split, no state) files are never read as v2


def cache_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("PVMBENCH_CACHE", pathlib.Path.home() / ".cache" / "pvmbench")) / "demos"


def code_fingerprint() -> str:
    """A digest of the code that makes demos (the envs and the scripted experts): a changed expert or env
    must not be served the frames of the old one from the cache."""
    import pvmbench

    root = pathlib.Path(pvmbench.__file__).parent
    files = sorted([*(root / "envs").rglob("*.py"), *(root / "shifts").rglob("*.yaml"),
                    *(root / "agents").glob("scripted*.py")])
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def cache_path(env_id: str, level: str, episodes: int, seed: int, image_size: int, noise: NoiseSpec,
               max_steps: int | None = None) -> pathlib.Path:
    fields = (FORMAT, env_id, level, episodes, seed, image_size, max_steps, repr(float(noise.sigma)), noise.dims,
              code_fingerprint())
    key = hashlib.sha256("|".join(str(f) for f in fields).encode()).hexdigest()[:16]
    return cache_dir() / f"{env_id.replace('/', '_')}-{level}-{key}.npz"


def collect(env_id: str, episodes: int, seed: int, image_size: int, noise: NoiseSpec | None = None,
            max_steps: int | None = None, progress: bool = True, level: str | None = None) -> dict[str, np.ndarray]:
    """The demo set as arrays (see the module docstring), from the cache if it is there. `level`: the shift
    level the episodes are drawn from; None: the env's training level.

    Frames: images uint8 (N, S, S, 3), actions float32 (N, A) (clean labels), executed float32 (N, A),
    episode int32 (N,), phase int8 (N,), grasped and at_goal bool (N,), state float32 (N, D) if the env
    has one. Episodes: episode_return, episode_success (E,), episode_target (E,) if named. Names:
    phase_names, id_objects (the level's object pool, if the env's shift has one).
    """
    from pvmbench.envs.contract import env_contract

    contract = env_contract(env_id)  # the env names its expert and training level
    noise = noise or NoiseSpec(0.0, ())
    level = level or contract.train_level
    path = cache_path(env_id, level, episodes, seed, image_size, noise, max_steps)
    if path.exists():
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    data = _record(env_id, contract, level, episodes, seed, image_size, noise, max_steps, progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Per process: seeds trained side by side record the same demo set and finish it at about the same time.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **data)
    os.replace(tmp, path)
    return data


def _record(env_id: str, contract, level: str, episodes: int, seed: int, image_size: int, noise: NoiseSpec,
            max_steps: int | None, progress: bool) -> dict[str, np.ndarray]:
    # Imported here so that training from a cache builds no env and renders nothing (a GPU machine without GL).
    import gymnasium as gym
    from tqdm import tqdm

    import pvmbench.envs  # noqa: F401
    from pvmbench.agents.registry import get_agent_factory
    from pvmbench.seeding import episode_seed

    env = gym.make(env_id, shift=level, image_size=image_size, privileged=True)
    expert = get_agent_factory(contract.expert_agent)({}, env.observation_space, env.action_space, 1)
    frames: dict[str, list] = {k: [] for k in (*FRAME_KEYS, "episode")}
    returns, successes, targets = [], [], []

    def record_episode(ep: int) -> None:
        """Episode `ep` of the demo stream: its seed and its noise both come from (seed, level, ep)."""
        obs, info = env.reset(seed=episode_seed(seed, f"demo-{level}", ep))
        targets.append(_target(info.get("scenario", {})))
        rng = noise_rng(seed, level, ep)
        episode, total, success = labelled_episode(env, expert, obs, info,
                                                    lambda label, _: executed_action(label, noise, rng), max_steps)
        for k in FRAME_KEYS:
            frames[k] += episode[k]
        frames["episode"] += [ep] * len(episode["actions"])
        returns.append(total)
        successes.append(success)

    shift = getattr(env.unwrapped, "shift", None)
    pool = getattr(shift, "splits", {}).get("id", [])  # the ID objects, where the env draws from a pool
    bar = tqdm(total=episodes, desc="demos", unit="ep", dynamic_ncols=True, disable=not progress)
    def target_of(ep: int) -> str:
        return _target(shift.sample(episode_seed(seed, f"demo-{level}", ep)))

    for ep in _episode_indices(episodes, pool, targets, target_of):
        record_episode(ep)
        if bar.n >= bar.total:  # a coverage episode beyond the count asked for
            bar.total += 1
        bar.update(1)
        bar.set_postfix_str(f"{len(frames['episode'])} frames, expert success {np.mean(successes):.0%}",
                            refresh=False)
    bar.close()
    env.close()
    data = {
        "images": np.stack(frames["images"]),
        "actions": np.stack(frames["actions"]).astype(np.float32),
        "executed": np.stack(frames["executed"]).astype(np.float32),
        "episode": np.asarray(frames["episode"], dtype=np.int32),
        "grasped": np.asarray(frames["grasped"], dtype=bool),
        "at_goal": np.asarray(frames["at_goal"], dtype=bool),
        "episode_return": np.asarray(returns, dtype=np.float32),
        "episode_success": np.asarray(successes, dtype=bool),
        "phase_names": np.asarray(phase_names(contract.expert_agent)),
        "id_objects": np.asarray(sorted(pool), dtype=str),
    }
    data["phase"] = frame_phases(contract.expert_agent, data["actions"], data["grasped"], data["at_goal"])
    if frames["state"]:
        data["state"] = np.stack(frames["state"]).astype(np.float32)
    if any(targets):
        data["episode_target"] = np.asarray(targets)
    return data


def _target(scenario: dict) -> str:
    return str(scenario.get("objects", {}).get("target", ""))


# Seeds scanned per missing object before giving up on it (with 60 objects, one comes up in ~60 draws).
COVERAGE_SCAN = 2000


def _episode_indices(episodes: int, pool: list[str], recorded: list[str], target_of):
    """Indices into the demo stream to record: 0 .. episodes-1, then, where the env draws its target from a pool
    of ID objects, at least as many episodes were asked for as there are objects, and some object never came
    up, the first later episodes whose target is one of those. Random draws miss one or two of 60 objects in
    a few hundred episodes, and a clone never shown an object cannot be expected to pick it. Targets are read
    from the scenario a seed draws, without running the episode; the recorded list fills in as this yields."""
    yield from range(episodes)
    if episodes < len(pool):  # fewer episodes than objects asked for (a smoke run): coverage cannot be the point
        return
    missing = set(pool) - set(recorded)
    ep = episodes
    while missing and ep < episodes + COVERAGE_SCAN * len(missing):
        target = target_of(ep)
        if target in missing:
            missing.discard(target)
            yield ep
        ep += 1


def demo_stats(data: dict[str, np.ndarray]) -> dict:
    """What the progress line and the checkpoint's meta report about a demo set."""
    stats = {"episodes": int(len(data["episode_return"])), "frames": int(len(data["episode"])),
             "expert_success": float(np.mean(data["episode_success"])),
             "expert_mean_return": float(np.mean(data["episode_return"])),
             "frames_per_phase": {str(name): int(np.sum(data["phase"] == i))
                                  for i, name in enumerate(data["phase_names"])}}
    if "episode_target" in data and len(data["id_objects"]):
        covered = set(data["episode_target"].tolist()) & set(data["id_objects"].tolist())
        stats["objects_covered"] = f"{len(covered)}/{len(data['id_objects'])}"
    return stats
