"""Defaults of `pvmbench train --algo bc` per fine-tune mode and per env, chosen for a 2-core CPU.

One demo set per env serves every mode (same image size, count and noise), so that configurations differ
in training and not in their data, as in the reference study; modes differ in how far a CPU can take
them. Measured on the shared 2-core EPYC this was written on, 1 torch thread, 96 px frames, TableTopPick-v1
state (tests/perf/test_bc_train_speed.py; the machine was busy, so +-2x between runs):

  mode     encoder             steps/s at batch 32 / 64   cache built at  default run
  scratch  cnn                 10.2 / 5.7                 -               3000 steps x 64, fresh shifts: ~9 min
  frozen   efficientnet-lite0  172 / 180 (the head)       15 frames/s     2 copies: 27k frames, ~30 min of cache,
                                                                          then 3000 steps x 64 in ~20 s
  partial  efficientnet-lite0  1.2 / 0.55 (the tail)      16 frames/s     2 copies: ~30 min of cache, then
                                                                          3000 steps x 32: ~43 min
  full     efficientnet-lite0  0.21 / 0.08                -               400 steps x 32: ~32 min

EfficientNet-Lite0 runs at its 224 px crop whatever the frame size, so the trunk (stem + 12 blocks) costs
a frame what a whole forward does, and its last stage (4 blocks at 1152 channels + the 1280-channel head
conv), the part `partial` trains, is the heavy part of a training step: caching the trunk makes a partial
step ~7x cheaper than a full one, not more. Two cached copies per frame keep DrQ's augmentation (every
batch draws one of two shifts of each frame) at twice, not once, the cost of encoding the demo set.
`full` gets a smoke budget on a CPU (the study's full rows need --device cuda, where every mode can run
3000 steps x 64 and BCConfig's steps/batch should be set equal across modes).

With `--encoder-option features=map` (the v1 table-top reference: the last block's 320x7x7 map, no head
conv), measured 2026-12-02 at seed 0 beside one other job: the frozen cache took 19 min (24 frames/s), then
3000 steps x 64 with its rollouts 4.7 min (the head's first layer reads 15,680 features); partial's trunk
cache ~45 frames/s, then 1500 steps x 32 in 22 min (1.1 steps/s). Partial's default was 1500 steps until
2026-12-03: at 1500 x 32 its held-out loss was still falling (0.047) and its 3 seeds succeeded in 35%
[24, 48] of ID episodes; 3000 x 32 (42 min at 1 thread) took seed 0 to held-out 0.038 and 60% of its 20 ID
episodes (BENCHMARKS.md, "eighth session"). Scratch, frozen and partial now train the same number of
steps; partial's batch stays 32, half the others' samples, for the CPU's sake.

Image size: 96 px for every mode (the published checkpoints' size). A smaller frame would not make
EfficientNet cheaper, and the cnn resizes to its 64 px input in uint8, which costs little. Per env: how
many demos (a few hundred 50-step table-top episodes, topped up until all 60 ID objects were targets;
driving episodes are 500 steps, so fewer), and how many rollout episodes per evaluation round.

Driving (Highway-v1) differs in three measured ways (seed 0, cnn/scratch, 100 demos, rollouts at `train`):
- No DrQ shift (aug_pad 0). A sideways shift of a forward road view is a change of heading, the very
  signal lane keeping reads: with a 4 px shift the held-out loss stalled at 0.033 (predicting the mean:
  0.047), without it 0.026.
- DAgger rounds (dagger.py). With demonstrations only, the clone never reacted to a standing car in
  rollouts (0% success, score 0.08-0.09, the blind level): DART's demos change lane as soon as the car
  comes into sight, so a clone that reacts late is somewhere no demo went. Four rounds of 30 episodes took
  the policy's own episodes from return 101 to 578 (27% success); more rounds, more steps (steps_factor).
- Less DART noise (dart.py, sigma 0.05): at 0.2 most steering labels are corrections of the injected
  noise (steer label variance 0.023 against 0.008), which buries the lane changes; DAgger supplies the
  recovery states instead.
- Data at `id`, not at the env's `train` weather. Trained on `train` (rain and clouds in nearly every frame),
  the clones scored a third less at `id` (clear noon, a corner of that range) than at `train`: 0.27-0.33
  against 0.43-0.56 on the same traffic. With demos, DAgger and rollouts at `id`, 10 rounds and 10,000
  steps, the clones' own DAgger episodes reached returns of 670-940 (30-60% success) by the last rounds,
  against 370-700 at `train` with 6 rounds (BENCHMARKS.md, "fourth session").
- A frozen EfficientNet needs `--encoder-option features=map14 --neck conv` there (block 10's 14x14 map and
  two trained 3x3 convs; given on the command line, as `features=map` is on the table-top). On the 7x7 maps
  the frozen clones scored 0.075 at `id`, below blind: probes found the car ahead's place and size, which
  braking reads, only in the 14x14 map (scripts/probes/highway_features/). With them, the same defaults
  (100 demos, 10 DAgger rounds, 10,000 steps x 64) took the clones' DAgger episodes to returns of 530-1000
  from round 3 on (BENCHMARKS.md, "tenth session"). Seed 0 took 84 min at 1 thread beside one or two other runs: 13 min
  encoding the demos (once per recipe: the frozen store), most of the rest the policy driving its ~90k DAgger
  frames (EfficientNet to block 10 at 224 px, ~25-50 frames/s; batching frames made it slower per frame).
- Partial on driving (same options; it trains blocks 7-10, the neck and the head) was run with `--steps 3000`
  on this CPU, not the driving default of 10,000: ~1.1-1.7 s a step at batch 32, so seed 0 took 126 min at
  1 thread with its 10 DAgger rounds (18 min of them caching the trunk), and reached held-out 0.0211, the
  lowest of the driving clones (BENCHMARKS.md, "eleventh session"). On a GPU keep the default.
"""

from __future__ import annotations

import dataclasses

from pvmbench.agents.bc.augment import DEFAULT_PAD


@dataclasses.dataclass(frozen=True)
class ModeRecipe:
    steps: int
    batch: int
    aug_copies: int  # shifted copies cached per frame; 0: the mode shifts every batch afresh


@dataclasses.dataclass(frozen=True)
class EnvRecipe:
    demos: int
    eval_episodes: int
    dagger_rounds: int = 0  # DAgger rounds during training (dagger.py)
    dagger_episodes: int = 20  # policy episodes per round
    aug_pad: int = DEFAULT_PAD  # DrQ shift in pixels; 0: none
    steps_factor: float = 1  # the mode's steps times this, rounded (DAgger's data arrives during training)
    level: str | None = None  # the level demos, DAgger and rollouts draw from; None: the env's training level


MODE_RECIPES = {
    "scratch": ModeRecipe(steps=3000, batch=64, aug_copies=0),
    "frozen": ModeRecipe(steps=3000, batch=64, aug_copies=2),
    "partial": ModeRecipe(steps=3000, batch=32, aug_copies=2),
    "full": ModeRecipe(steps=400, batch=32, aug_copies=0),
}
ENV_RECIPES = {  # keyed by the env's expert, which names the task family
    "scripted": EnvRecipe(demos=300, eval_episodes=10, dagger_episodes=60),
    # scratch: 10,000 steps; data at id (clear noon), where the clone is scored: see the docstring.
    "scripted-driver": EnvRecipe(demos=100, eval_episodes=4, dagger_rounds=10, dagger_episodes=30, aug_pad=0,
                                 steps_factor=10 / 3, level="id"),
}
OTHER_ENV = EnvRecipe(demos=100, eval_episodes=5)
EVAL_ROUNDS = 5  # default --eval-every: this many rounds of held-out loss and rollouts, the last at the end
IMAGE_SIZE = 96
