"""DAgger (Ross, Gordon and Bagnell, 2011): the clone drives, the expert labels where it went.

DART's noisy demonstrations only wander as far from the expert's path as the noise takes them. A clone
makes its own kind of mistake (it steers late around a standing car, it drifts in its lane), and the
states those mistakes lead to are ones no demonstration visited. A DAgger round runs the current policy
at the env's training level, asks the expert (which reads privileged state) for its action in every state
the policy reached, and adds those frames, labelled, to the training set; training then continues on the
union. The executed action is the policy's, so the new frames are exactly the states it gets itself into.

With a frozen encoder (or a partial one's frozen trunk) and no augmentation shift, the frozen outputs the
policy computed while it drove are exactly what the training cache would compute again for those frames;
`reuse` keeps them (returned as "frozen", one per frame) so that a round encodes each frame once.

Episodes of round r come from their own seed stream ("dagger-<level>-r<r>" of the demo seed): never an
evaluation episode (the harness draws from "id"), a demonstration, or a rollout of the training loop.
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from pvmbench.agents.bc.inputs import FrozenReuse
from pvmbench.agents.bc.labelled import FRAME_KEYS, labelled_episode
from pvmbench.agents.bc.phases import frame_phases
from pvmbench.seeding import episode_seed


def dagger_seeds(demo_seed: int, level: str, round_index: int, episodes: int) -> list[int]:
    return [episode_seed(demo_seed, f"dagger-{level}-r{round_index}", i) for i in range(episodes)]


def round_steps(steps: int, rounds: int) -> list[int]:
    """The training steps after which each round collects: evenly spaced, the last well before the end
    so that the policy trains on the last round's frames (steps 3000, rounds 3: 750, 1500, 2250)."""
    return [steps * (k + 1) // (rounds + 1) for k in range(rounds)]


@torch.no_grad()
def on_policy_frames(policy, device: torch.device, env_id: str, level: str, image_size: int, seeds: list[int],
                     expert_name: str, use_state: bool, progress: bool = True,
                     reuse: FrozenReuse | None = None) -> dict[str, np.ndarray]:
    """Frames of the policy's own episodes, labelled by the expert: images, state (if used), actions (the
    expert's labels), executed (the policy's actions), phase; and per episode return and success. With
    `reuse`, the policy acts as tail(frozen(image)) and "frozen" holds each frame's frozen output (a tensor)."""
    import gymnasium as gym

    import pvmbench.envs  # noqa: F401
    from pvmbench.agents.registry import get_agent_factory

    env = gym.make(env_id, shift=level, image_size=image_size, privileged=True)
    expert = get_agent_factory(expert_name)({}, env.observation_space, env.action_space, 1)
    was_training = policy.training
    policy.eval()
    frames: dict[str, list] = {k: [] for k in FRAME_KEYS}
    returns, successes = [], []
    keys = ("image", "state") if use_state else ("image",)

    held: list[torch.Tensor] = []

    def the_policys(label: np.ndarray, batched: dict) -> np.ndarray:
        if reuse is None:
            return policy.act({k: batched[k] for k in keys}, device)[0]
        # policy.act's own path, split where the cache splits it: encoder(images) == tail(frozen(images)).
        frozen = reuse.frozen(torch.as_tensor(np.ascontiguousarray(batched["image"]), device=device))
        state = torch.as_tensor(np.asarray(batched["state"]), device=device) if use_state else None
        held.append(frozen[0])
        return policy.head_from_features(reuse.tail(frozen), state)[0].cpu().numpy().astype(np.float32)

    bar = tqdm(total=len(seeds), desc="dagger", unit="ep", dynamic_ncols=True, disable=not progress)
    try:
        for seed in seeds:
            obs, info = env.reset(seed=seed)
            episode, total, success = labelled_episode(env, expert, obs, info, the_policys)
            for k in FRAME_KEYS:
                frames[k] += episode[k]
            returns.append(total)
            successes.append(success)
            bar.update(1)
            bar.set_postfix_str(f"{len(frames['actions'])} frames, policy success {np.mean(successes):.0%}",
                                refresh=False)
    finally:
        bar.close()
        env.close()
        policy.train(was_training)
    labels = np.stack(frames["actions"]).astype(np.float32)
    out = {"images": np.stack(frames["images"]), "actions": labels,
           "executed": np.stack(frames["executed"]).astype(np.float32),
           "phase": frame_phases(expert_name, labels, np.asarray(frames["grasped"]), np.asarray(frames["at_goal"])),
           "episode_return": np.asarray(returns, np.float32), "episode_success": np.asarray(successes, bool)}
    if use_state:
        out["state"] = np.stack(frames["state"]).astype(np.float32)
    if reuse is not None:
        out["frozen"] = torch.stack(held)
    return out
