"""The batched episode loop: K env slots spread over W host processes, one agent, one batch.

Each loop turn the agent sees one batched observation (all K slots) and returns K actions;
hosts step their slots. A slot whose episode ends takes the next pending episode. Because each
episode's trajectory depends only on its seed, dynamic assignment keeps results identical for
any K and W. Env failures (exceptions, non-finite values, no reply within the step timeout)
cost that episode an attempt; it is retried on a fresh env up to `retries` times.
"""

from __future__ import annotations

import collections
import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from pvmbench.benchmark.episodes import EpisodeSpec
from pvmbench.benchmark.worker import InProcessHost, ProcessHost
from pvmbench.errors import UserError


@dataclasses.dataclass
class EpisodeResult:
    spec: EpisodeSpec
    status: str  # "ok", "retried" (succeeded after a failed attempt) or "failed"
    episode_return: float
    success: bool
    length: int
    attempts: int
    wall_s: float
    error: str | None
    scenario: dict | None


@dataclasses.dataclass
class _Slot:
    spec: EpisodeSpec
    attempts: int = 0
    last_error: str | None = None
    ret: float = 0.0
    length: int = 0
    success: bool = False
    started: float = 0.0
    obs: dict | None = None
    scenario: dict | None = None
    needs_reset: bool = True
    fresh: bool = True


class BatchedRunner:
    def __init__(
        self,
        env_id: str,
        env_kwargs: dict[str, Any],
        agent: Any,
        action_shape: tuple[int, ...],
        num_envs: int,
        workers: int,
        step_timeout: float = 60.0,
        retries: int = 1,
    ):
        if num_envs < 1:
            raise UserError(f"--num-envs {num_envs}: accepted: an integer >= 1")
        if workers < 0:
            raise UserError(f"--workers {workers}: accepted: an integer >= 0 (0 steps envs in this process)")
        self.env_id, self.env_kwargs, self.agent = env_id, env_kwargs, agent
        self.action_shape = tuple(action_shape)
        self.num_envs, self.workers = num_envs, workers
        self.step_timeout, self.retries = step_timeout, retries
        self._hosts: list = []

    def close(self) -> None:
        """Stop the env hosts kept by run(keep_hosts=True)."""
        for host in self._hosts:
            host.close()
        self._hosts = []

    def _new_host(self):
        cls = ProcessHost if self.workers > 0 else InProcessHost
        return cls(self.env_id, self.env_kwargs)

    def run(self, episodes: list[EpisodeSpec], on_result: Callable[[EpisodeResult], None],
            keep_hosts: bool = False) -> None:
        """Run every episode, calling on_result as each ends. keep_hosts keeps the env host processes
        (and their envs and renderers) for the next run() until close()."""
        if not episodes:
            return
        k = min(self.num_envs, len(episodes))
        n_hosts = max(1, min(self.workers, k))
        while len(self._hosts) < n_hosts:
            self._hosts.append(self._new_host())
        hosts = self._hosts
        host_of = [i % n_hosts for i in range(k)]
        pending = collections.deque(episodes)
        slots: list[_Slot | None] = [None] * k
        template: dict | None = None
        try:
            for i in range(k):
                slots[i] = _Slot(pending.popleft())
            while any(s is not None for s in slots):
                self._do_resets(hosts, host_of, slots, pending, on_result)
                active = [i for i, s in enumerate(slots) if s is not None and not s.needs_reset]
                if not active:
                    continue
                template = template or slots[active[0]].obs
                actions = self._act(slots, template)
                self._do_steps(hosts, host_of, slots, active, actions, pending, on_result)
        finally:
            if not keep_hosts:
                self.close()

    # -- agent ----------------------------------------------------------------------------------
    def _act(self, slots: list[_Slot | None], template: dict) -> np.ndarray:
        k = len(slots)
        fresh = np.array([s is not None and s.fresh for s in slots])
        if fresh.any():
            if hasattr(self.agent, "set_episode_seeds"):
                seeds = np.array([s.spec.seed if s is not None else 0 for s in slots])
                self.agent.set_episode_seeds(fresh, seeds)
            self.agent.reset(fresh)
            for s in slots:
                if s is not None:
                    s.fresh = False
        batch = {
            key: np.stack([s.obs[key] if s is not None and s.obs is not None else np.zeros_like(value) for s in slots])
            for key, value in template.items()
        }
        actions = np.asarray(self.agent.act(batch))
        if actions.shape != (k, *self.action_shape):
            raise UserError(
                f"agent returned actions of shape {actions.shape}; expected {(k, *self.action_shape)} "
                "(one action per batch slot)"
            )
        return actions

    # -- env hosts ------------------------------------------------------------------------------
    def _exchange(self, hosts, messages: dict[int, dict]) -> dict[int, tuple]:
        """Send each host its message, gather replies; a host that does not answer is replaced."""
        for h, message in messages.items():
            hosts[h].send(message)
        replies: dict[int, tuple] = {}
        deadline = time.monotonic() + self.step_timeout
        for h, message in messages.items():
            reply = hosts[h].receive(max(0.0, deadline - time.monotonic()))
            if reply is None:
                hosts[h].kill()
                hosts[h] = self._new_host()
                why = f"env host gave no reply within {self.step_timeout:g} s (hung or crashed); restarted"
                reply = {slot: ("error", why) for slot in next(iter(message.values()))}
            replies.update(reply)
        return replies

    def _do_resets(self, hosts, host_of, slots, pending, on_result) -> None:
        while True:
            todo = {i: s for i, s in enumerate(slots) if s is not None and s.needs_reset}
            if not todo:
                return
            messages: dict[int, dict] = collections.defaultdict(lambda: {"reset": {}})
            for i, s in todo.items():
                messages[host_of[i]]["reset"][i] = (s.spec.shift, s.spec.seed)
                s.started = time.perf_counter()
            for i, reply in self._exchange(hosts, dict(messages)).items():
                s = slots[i]
                if reply[0] == "ok":
                    s.obs, s.scenario, s.needs_reset, s.fresh = reply[1], reply[2]["scenario"], False, True
                    s.ret, s.length, s.success = 0.0, 0, False
                else:
                    self._attempt_failed(i, slots, pending, reply[1], on_result)

    def _do_steps(self, hosts, host_of, slots, active, actions, pending, on_result) -> None:
        messages: dict[int, dict] = collections.defaultdict(lambda: {"step": {}})
        for i in active:
            messages[host_of[i]]["step"][i] = actions[i]
        for i, reply in self._exchange(hosts, dict(messages)).items():
            s = slots[i]
            if reply[0] != "ok":
                self._attempt_failed(i, slots, pending, reply[1], on_result)
                continue
            _, s.obs, reward, done, s.success = reply
            s.ret += reward
            s.length += 1
            if done:
                status = "ok" if s.attempts == 0 else "retried"
                on_result(EpisodeResult(s.spec, status, s.ret, s.success, s.length, s.attempts + 1,
                                        time.perf_counter() - s.started, s.last_error, s.scenario))
                slots[i] = _Slot(pending.popleft()) if pending else None

    def _attempt_failed(self, i, slots, pending, error: str, on_result) -> None:
        s = slots[i]
        s.attempts += 1
        s.last_error = error
        if s.attempts <= self.retries:
            slots[i] = dataclasses.replace(s, needs_reset=True, obs=None, fresh=True)
            return
        on_result(EpisodeResult(s.spec, "failed", float("nan"), False, s.length, s.attempts,
                                time.perf_counter() - s.started, error, s.scenario))
        slots[i] = _Slot(pending.popleft()) if pending else None


def build_runner(checkpoint: dict, contract, env_kwargs: dict[str, Any], num_envs: int, workers: int,
                 step_timeout: float, retries: int) -> BatchedRunner:
    """The agent (built from its checkpoint, its torch threads pinned) and a runner over env hosts: the one
    way every executor, local or Ray, turns a plan's settings into a running loop."""
    from pvmbench.agents.registry import get_agent_factory
    from pvmbench.benchmark.threads import pin_torch_threads

    agent = get_agent_factory(checkpoint["agent"])(checkpoint, contract.observation_space, contract.action_space,
                                                   num_envs)
    pin_torch_threads(int(checkpoint.get("torch_threads", 1)))
    return BatchedRunner(contract.env_id, env_kwargs, agent, contract.action_space.shape, num_envs, workers,
                         step_timeout, retries)

