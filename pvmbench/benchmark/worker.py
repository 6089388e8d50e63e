"""Env hosts: a worker process (or the calling process) that owns some batch slots' envs.

Envs, and with them their GL renderers, are created inside the host, never pickled across.
An env that raised, or produced a non-finite value, is discarded: its episode's retry gets a
fresh env.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
import traceback
from typing import Any

import numpy as np

from pvmbench.shifts.spec import ShiftSpec


class EnvHost:
    """Runs in whichever process hosts the envs; slots map to one env per (slot, shift label)."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any]):
        self.env_id, self.env_kwargs = env_id, env_kwargs
        self.envs: dict[tuple[int, str], Any] = {}
        self.current: dict[int, tuple[int, str]] = {}
        self.poisoned = False  # an env's error said this process cannot host it again (e.g. CARLA's ServerLost)

    def _env(self, slot: int, shift: ShiftSpec):
        import gymnasium as gym

        import pvmbench.envs  # noqa: F401

        key = (slot, shift.label)
        if key not in self.envs:
            self.envs[key] = gym.make(self.env_id, shift=shift, **self.env_kwargs)
        return self.envs[key]

    def _discard(self, slot: int) -> None:
        key = self.current.pop(slot, None)
        env = self.envs.pop(key, None) if key else None
        if env is not None:
            try:
                env.close()
            except Exception:  # a broken env may fail to close too; it is being dropped anyway
                pass

    def reset(self, slot: int, shift: ShiftSpec, seed: int) -> tuple:
        try:
            env = self._env(slot, shift)
            self.current[slot] = (slot, shift.label)
            obs, info = env.reset(seed=seed)
            _check_finite(obs, 0.0)
            return ("ok", obs, {"scenario": info.get("scenario")})
        except Exception as exc:
            return self._failed(slot, exc)

    def step(self, slot: int, action: np.ndarray) -> tuple:
        try:
            env = self.envs[self.current[slot]]
            obs, reward, terminated, truncated, info = env.step(action)
            _check_finite(obs, reward)
            return ("ok", obs, float(reward), bool(terminated or truncated), bool(info.get("is_success", False)))
        except Exception as exc:
            return self._failed(slot, exc)

    def _failed(self, slot: int, exc: Exception) -> tuple:
        self._discard(slot)
        self.poisoned = self.poisoned or bool(getattr(exc, "poisons_process", False))
        return ("error", _describe(exc))

    def handle(self, message: dict) -> dict:
        if "reset" in message:
            return {slot: self.reset(slot, shift, seed) for slot, (shift, seed) in message["reset"].items()}
        return {slot: self.step(slot, action) for slot, action in message["step"].items()}

    def close(self) -> None:
        for slot in list(self.current):
            self._discard(slot)
        for env in self.envs.values():
            env.close()
        self.envs.clear()


def _check_finite(obs: dict, reward: float) -> None:
    if not np.isfinite(reward):
        raise FloatingPointError(f"non-finite reward {reward}")
    for key, value in obs.items():
        if np.issubdtype(np.asarray(value).dtype, np.floating) and not np.all(np.isfinite(value)):
            raise FloatingPointError(f"non-finite values in observation {key!r}")


def _describe(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {os.path.basename(last[0].filename)}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}: {exc}{where}".replace("\n", " ")


def _serve(conn, env_id: str, env_kwargs: dict) -> None:
    # llvmpipe otherwise starts one render thread per core in every worker; workers are the
    # parallelism, so each renders on one thread.
    os.environ.setdefault("LP_NUM_THREADS", "1")
    host = EnvHost(env_id, env_kwargs)
    try:
        while True:
            message = conn.recv()
            if message is None:
                break
            conn.send((host.handle(message), host.poisoned))
            if host.poisoned:  # the parent starts a fresh process for the retries
                break
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        host.close()


class ProcessHost:
    """An EnvHost in a spawned process, spoken to through a pipe."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any]):
        from pvmbench.envs.contract import env_class

        self.env_id, self.env_kwargs = env_id, env_kwargs
        # An env class may need longer than --step-timeout for a reset (CARLA: launching a server, loading a map).
        self.reset_timeout = float(getattr(env_class(env_id), "reset_timeout", 0.0))
        self._reset_deadline = 0.0
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, self.env_id, self.env_kwargs), daemon=True)
        self.process.start()
        child.close()

    def send(self, message: dict) -> None:
        self._reset_deadline = time.monotonic() + self.reset_timeout if "reset" in message else 0.0
        self.conn.send(message)

    def receive(self, timeout: float) -> dict | None:
        """The reply, or None if none came within timeout seconds (the host is then killed)."""
        if self.conn.poll(max(timeout, self._reset_deadline - time.monotonic())):
            try:
                reply, poisoned = self.conn.recv()
            except EOFError:
                return None
            if poisoned:  # the host exits after this reply (closing its envs); the next message needs a new one
                self.process.join(60)
                self.kill()
                self._start()
            return reply
        return None

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()

    def close(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
        self.conn.close()


class InProcessHost:
    """The same interface in the calling process: for --workers 0 and inside Ray tasks."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any]):
        self.host = EnvHost(env_id, env_kwargs)
        self._reply: dict | None = None

    def send(self, message: dict) -> None:
        self._reply = self.host.handle(message)

    def receive(self, timeout: float) -> dict | None:
        reply, self._reply = self._reply, None
        return reply

    def kill(self) -> None:
        self.host.close()

    def close(self) -> None:
        self.host.close()
