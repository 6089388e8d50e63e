"""Keep glibc from handing large tensor buffers back to the kernel after every forward pass.

By default glibc serves allocations above its dynamic mmap threshold with fresh mmaps and trims freed
heap memory, so each batch-32 forward of an EfficientNet re-faults its activations page by page:
1,864-2,414 minor page faults per cnn call against 395 for the same forward with the buffers kept.
Raising both thresholds to 1 GiB took an EfficientNet-Lite0 agent at batch 32 from 32.5 to 94.3
images/s here; batch 2, the eval default, is unaffected at 66-70 images/s (tests/perf/allocator_probe.py).
Memory freed below 1 GiB then stays with the process, which for a benchmark run is the point.

Applied once when the CLI starts; library users can call `keep_freed_memory()` themselves. A user who
set MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ keeps their own settings.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers
THRESHOLD = 1 << 30


def keep_freed_memory() -> bool:
    """True if glibc accepted both settings; False where there is no glibc (macOS, musl) or it refused."""
    if any(k in os.environ for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD)) & bool(mallopt(M_TRIM_THRESHOLD, THRESHOLD))
