"""Kills a launched CARLA server's process group when the process that launched it dies.

The harness kills an env host that overruns its timeout with SIGKILL, which runs no cleanup: the
server it launched (`carla_cmd`) would live on, holding its port, and the next host could not start
one there. So ServerProcess starts this reaper beside each server, in a session of its own (out of
reach of the terminal's Ctrl-C and of the server's group). It blocks on its stdin, a pipe whose only
write end the launching process holds; however that process ends, the pipe closes, and the reaper
sends the group SIGTERM, then SIGKILL. It also exits when the group ends by itself, so that it never
signals a reused process group id later. Run as a script with `python -I`: it imports nothing from
pvmbench, to start in milliseconds.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

GRACE = 10.0  # CarlaUE4 usually exits within a few seconds of SIGTERM


def watch(pgid: int, grace: float = GRACE) -> subprocess.Popen:
    """Start a reaper for process group `pgid`; keep the returned Popen (its stdin is the lifeline)."""
    return subprocess.Popen([sys.executable, "-I", os.path.abspath(__file__), str(pgid), str(grace)],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def dismiss(reaper: subprocess.Popen) -> None:
    """After a normal stop: close the lifeline; the group is gone, so the reaper just exits."""
    try:
        reaper.stdin.close()
        reaper.wait(GRACE + 10.0)
    except (OSError, subprocess.TimeoutExpired):
        reaper.kill()
        reaper.wait()


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:  # a group we may not signal is not ours any more
        return False


def main(pgid: int, grace: float) -> None:
    while _alive(pgid):
        ready, _, _ = select.select([sys.stdin], [], [], 1.0)
        if ready and not os.read(sys.stdin.fileno(), 1024):
            break  # end of file: the launching process is gone (or stopped the server itself)
    else:
        return  # the group ended by itself
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pgid):
            time.sleep(0.1)


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
