"""Table-top textures for visual shifts: procedural families plus tinted crops of real photos.

A visual shift rewrites the table texture in place at every env reset, so each generator is plain
vectorised numpy (about a millisecond at 256 px) and a pure function of (family, seed, size).

Speed notes that shape the code below: separable terms are computed on 1-D rows/columns and only
combined at full size once; full-size fields are updated in place, because every fresh 256x256
temporary can cost a round of page faults that dwarfs the arithmetic.
"""

import zlib
from functools import cache, lru_cache, partial

import numpy as np

from pvmbench.errors import UserError

MIN_SIZE, MAX_SIZE = 8, 2048

# Colour anchors (RGB in [0, 1]) chosen to look like things a table top could be made of or covered with.
_LIGHT_WOOD = ((0.86, 0.68, 0.46), (0.62, 0.42, 0.24)), ((0.80, 0.58, 0.36), (0.55, 0.33, 0.17))
_DARK_WOOD = ((0.30, 0.18, 0.10), (0.12, 0.06, 0.03)), ((0.26, 0.15, 0.09), (0.09, 0.05, 0.03))
# fmt: off
_SOLIDS = ((0.92, 0.90, 0.85), (0.25, 0.27, 0.30), (0.70, 0.32, 0.22), (0.33, 0.45, 0.60),
           (0.55, 0.62, 0.45), (0.85, 0.75, 0.50), (0.45, 0.30, 0.40), (0.60, 0.60, 0.62))
# fmt: on
_MARBLE_BASES = ((0.93, 0.92, 0.90), (0.88, 0.86, 0.82), (0.80, 0.82, 0.83))
_MARBLE_VEINS = ((0.35, 0.36, 0.38), (0.45, 0.42, 0.35), (0.30, 0.40, 0.36))
_PHOTO_TINTS = {  # (shadow, highlight) per photo family
    "photo_brick": ((0.22, 0.09, 0.06), (0.88, 0.55, 0.42)),
    "photo_grass": ((0.06, 0.14, 0.04), (0.62, 0.80, 0.34)),
    "photo_gravel": ((0.18, 0.17, 0.15), (0.88, 0.85, 0.78)),
}


# ---------------------------------------------------------------- shared helpers


@lru_cache(maxsize=16)
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates as a column v (size, 1) and a row u (1, size), both in [0, 1)."""
    axis = (np.arange(size, dtype=np.float32) + 0.5) / size
    axis.flags.writeable = False  # shared by every call
    return axis[:, None], axis[None, :]


@lru_cache(maxsize=64)
def _interp_weights(size: int, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Lattice index left of each pixel (wrapping, so noise tiles seamlessly) and its smoothstep weight."""
    p = np.arange(size) * (cells / size)
    j0 = np.floor(p).astype(np.intp)
    t = p - j0
    weight = (t * t * (3 - 2 * t)).astype(np.float32)
    j0 %= cells
    j0.flags.writeable = weight.flags.writeable = False
    return j0, weight


def _noise(rng: np.random.Generator, size: int, cells_v: int, cells_u: int | None = None) -> np.ndarray:
    """Smooth value noise in [0, 1], interpolated along u on the small lattice first, then along v.

    Deliberately not a BLAS matmul: threaded BLAS stalls when cores are busy and its rounding may
    depend on the thread count, which would break bit-identical textures across worker processes.
    """
    lattice = rng.random((cells_v, cells_u or cells_v), dtype=np.float32)
    j0, w = _interp_weights(size, lattice.shape[1])
    step = np.roll(lattice, -1, axis=1) - lattice
    rows = step[:, j0] * w + lattice[:, j0]  # (cells_v, size): cheap
    j0, w = _interp_weights(size, cells_v)
    out = np.take(np.roll(rows, -1, axis=0) - rows, j0, axis=0)
    out *= w[:, None]
    out += np.take(rows, j0, axis=0)
    return out


def _fbm(rng: np.random.Generator, size: int, cells: int, octaves: int = 4) -> np.ndarray:
    """Fractal noise rescaled to [0, 1]: stacking octaves gives the cloudy detail real surfaces have."""
    total = _noise(rng, size, cells)
    for k in range(1, octaves):
        octave = _noise(rng, size, cells << k)
        octave *= 0.5**k
        total += octave
    lo, hi = total.min(), total.max()
    total -= lo
    total *= 1.0 / max(hi - lo, 1e-6)
    return total


def _colour(rng: np.random.Generator, anchors, amount: float = 0.05) -> np.ndarray:
    """One anchor, jittered in brightness and per channel so seeds differ without leaving the palette."""
    base = np.asarray(anchors[rng.integers(len(anchors))], np.float32)
    c = base * rng.uniform(0.88, 1.12) + rng.uniform(-amount, amount, 3)
    return np.clip(c, 0.0, 1.0).astype(np.float32)


def _two_colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two distinct solids; re-drawing keeps a pattern from vanishing into one flat colour."""
    a, b = _colour(rng, _SOLIDS), _colour(rng, _SOLIDS)
    while np.abs(a - b).sum() < 0.45:
        b = _colour(rng, _SOLIDS)
    return a, b


def _aa_band(dist: np.ndarray, half_width: float, px_per_unit: float) -> np.ndarray:
    """1 where dist < half_width, else 0, with a one-pixel ramp so edges don't staircase. Overwrites dist."""
    dist -= half_width
    dist *= -px_per_unit
    dist += 0.5
    return np.clip(dist, 0.0, 1.0, out=dist)


def _paint(t: np.ndarray, c0: np.ndarray, c1: np.ndarray, shade: np.ndarray | None = None) -> np.ndarray:
    """uint8 RGB running from c0 (t=0) to c1 (t=1), optionally darkened by shade; t, shade in [0, 1].

    One channel at a time: broadcasting against a length-3 colour axis hits numpy's slow inner loop and
    full-size RGB float temporaries, which together cost more than any pattern generator here.
    """
    out = np.empty((*t.shape, 3), np.uint8)
    plane = np.empty(t.shape, np.float32)
    for ch in range(3):
        np.multiply(t, (c1[ch] - c0[ch]) * 255.0, out=plane)
        plane += c0[ch] * 255.0
        if shade is not None:
            plane *= shade
        plane += 0.5  # the uint8 cast truncates, so this rounds; inputs in [0, 1] keep it within 0..255
        out[..., ch] = plane
    return out


# ---------------------------------------------------------------- procedural families


def _checker(rng: np.random.Generator, size: int) -> np.ndarray:
    v, u = _grid(size)
    n = int(rng.choice([4, 6, 8, 10, 12, 16]))  # even, so the board tiles seamlessly
    cells = (np.floor(u * n) % 2) != (np.floor(v * n) % 2)
    shade = _noise(rng, size, 8)  # faint mottling; a perfectly flat board looks rendered
    shade *= 0.07
    shade += 0.93
    return _paint(cells, *_two_colours(rng), shade)


def _stripes(rng: np.random.Generator, size: int) -> np.ndarray:
    v, u = _grid(size)
    kx, ky = 0, 0
    while np.hypot(kx, ky) < 3:  # integer wave vector: any orientation, still tileable
        kx, ky = (int(k) for k in rng.integers(-10, 11, 2))
    phase = kx * u + ky * v
    phase -= np.floor(phase)
    phase -= 0.5
    band = _aa_band(np.abs(phase, out=phase), rng.uniform(0.15, 0.3), size / np.hypot(kx, ky))
    return _paint(band, *_two_colours(rng))


def _tiles(rng: np.random.Generator, size: int) -> np.ndarray:
    v, u = _grid(size)
    n = int(rng.integers(3, 9))
    fu, fv = u * n, v * n
    edge = np.maximum(np.abs(fu - np.floor(fu) - 0.5), np.abs(fv - np.floor(fv) - 0.5))  # 0.5 on grout
    tile = _aa_band(edge, 0.5 - rng.uniform(0.02, 0.06), size / n)
    # Each tile is fired separately, so its glaze is a little lighter or darker than its neighbours'.
    tile_id = fv.astype(np.intp) * n + fu.astype(np.intp)
    firing = np.take(rng.uniform(0.85, 1.0, n * n).astype(np.float32), tile_id)
    glaze = _colour(rng, _SOLIDS)
    # Grout contrasts with the glaze: light grout on dark tiles, mid-grey on light ones.
    grout = _colour(rng, ((0.82, 0.81, 0.77),) if glaze.mean() < 0.5 else ((0.42, 0.42, 0.40),), 0.02)
    return _paint(tile, grout, glaze, firing)


def _marble(rng: np.random.Generator, size: int) -> np.ndarray:
    v, u = _grid(size)
    angle, freq = rng.uniform(0, np.pi), rng.uniform(2, 4)
    # float32 casts: a float64 numpy scalar would silently promote the whole field to float64.
    phase = u * np.float32(np.pi * freq * np.cos(angle)) + v * np.float32(np.pi * freq * np.sin(angle))
    # A small warp relative to the linear term keeps veins flowing one way instead of closing into loops.
    warp = _fbm(rng, size, 2, octaves=5)
    wobble = np.pi * rng.uniform(0.5, 0.9)
    warp *= wobble
    phase += warp
    veins = np.abs(np.sin(phase, out=phase), out=phase)
    np.subtract(1.0, veins, out=veins)
    veins **= 6  # sharpen the ridge of |sin| into thin veins
    veins *= 0.85
    warp *= 0.15 / wobble  # the same warp doubles as soft clouding between the veins
    veins += warp
    base, vein = _colour(rng, _MARBLE_BASES, 0.02), _colour(rng, _MARBLE_VEINS, 0.03)
    return _paint(np.clip(veins, 0.0, 1.0, out=veins), base, vein)


def _wood(rng: np.random.Generator, size: int, palette=_LIGHT_WOOD) -> np.ndarray:
    v, _ = _grid(size)
    planks = int(rng.integers(3, 7))
    plank_f = v * planks
    plank_id = plank_f.astype(np.intp)
    # Rings: nearly parallel to the plank, gently bent, each plank cut from a different part of the log.
    rings = _noise(rng, size, 4, 2)
    rings *= 0.25
    rings += v
    rings *= rng.uniform(3, 7) * planks
    rings += rng.uniform(0, 10, planks).astype(np.float32)[plank_id]
    rings -= np.floor(rings)
    rings **= 2.5  # sawtooth with a soft early-wood ramp and a sharp late-wood edge
    rings *= 0.55
    # Fibres are long along the grain and thin across it: many lattice cells across, few along.
    fibre = _noise(rng, size, max(8, size // 3), 4)
    fibre *= 0.45
    rings += fibre
    t = np.clip(rings, 0.0, 1.0, out=rings)
    seam = _aa_band(np.abs(plank_f - np.floor(plank_f) - 0.5), 0.5 - 0.012 * planks, size / planks)
    seam = 0.55 + 0.45 * seam  # dark gaps between planks (1-D, so cheap)
    if rng.random() < 0.5:  # planks run either across or along the table
        t, seam = t.T, seam.T
    light, dark = palette[rng.integers(len(palette))]
    return _paint(t, _colour(rng, (light,), 0.03), _colour(rng, (dark,), 0.02), seam)


def _dots(rng: np.random.Generator, size: int) -> np.ndarray:
    v, u = _grid(size)
    n = int(rng.integers(5, 13))
    dy = v * n % 1.0 - 0.5
    dx = u * n % 1.0 - 0.5
    if rng.random() < 0.5:  # staggered rows: odd rows shift half a cell
        odd_row = (v * n).astype(np.intp) % 2 == 1
        dx = np.where(odd_row, (u * n + 0.5) % 1.0 - 0.5, dx)
    dot = _aa_band(np.hypot(dx, dy), rng.uniform(0.18, 0.36), size / n)
    return _paint(dot, *_two_colours(rng))


def _plaid(rng: np.random.Generator, size: int) -> np.ndarray:
    colours = np.stack([_colour(rng, _SOLIDS) for _ in range(4)])
    period = size / int(rng.integers(2, 5))
    # A tartan sett: bands of random width and colour, shared by warp (columns) and weft (rows).
    widths = rng.integers(1, 6, int(rng.integers(4, 8)))
    bounds = np.cumsum(widths) / widths.sum()
    band = np.searchsorted(bounds, (np.arange(size) % period) / period, side="right")
    sett = (colours[rng.integers(0, 4, widths.size)] * 255.0 + 0.5).astype(np.uint8)[band]
    thread = np.arange(size) // max(1, size // 128)
    twill = (thread[:, None] + thread[None, :]) // 2 % 2 == 0  # 2/2 twill: warp and weft alternate
    out = np.empty((size, size, 3), np.uint8)
    for ch in range(3):  # per channel for the same reason as _paint
        out[..., ch] = np.where(twill, sett[None, :, ch], sett[:, None, ch])
    return out


def _noise_family(rng: np.random.Generator, size: int) -> np.ndarray:
    # Speckled laminate: cloudy fbm plus sparse single-pixel flecks.
    t = _fbm(rng, size, int(rng.integers(3, 7)), octaves=4)
    t *= 0.8
    flecks = rng.random((size, size), dtype=np.float32) > rng.uniform(0.85, 0.95)
    np.add(t, 0.2, out=t, where=flecks)
    return _paint(t, *_two_colours(rng))


# ---------------------------------------------------------------- photo families


@cache
def _photo(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(full-res, 2x box-downsampled) contrast-stretched grayscale, loaded once per process."""
    from skimage import data  # deferred: a heavy import that only photo families need

    img = getattr(data, name)().astype(np.float32)  # brick/grass/gravel are CC0 images from skimage.data
    lo, hi = np.percentile(img, [1, 99])
    img = np.clip((img - lo) / (hi - lo), 0.0, 1.0)
    h, w = (img.shape[0] // 2) * 2, (img.shape[1] // 2) * 2
    half = img[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    img.flags.writeable = half.flags.writeable = False
    return img, half


def _photo_family(rng: np.random.Generator, size: int, family: str) -> np.ndarray:
    full, half = _photo(family.removeprefix("photo_"))
    side = int(rng.integers(min(full.shape) // 2, min(full.shape) + 1))
    # Sample the half-res copy when shrinking 2x or more: nearest sampling of the full image would alias.
    src, side = (half, side // 2) if side >= 2 * size else (full, side)
    r0 = int(rng.integers(0, src.shape[0] - side + 1))
    c0 = int(rng.integers(0, src.shape[1] - side + 1))
    rows = r0 + (np.arange(size) * side) // size
    cols = c0 + (np.arange(size) * side) // size
    if rng.random() < 0.5:
        rows = rows[::-1]
    if rng.random() < 0.5:
        cols = cols[::-1]
    gray = np.take(np.take(src, rows, axis=0), cols, axis=1)
    if rng.random() < 0.5:
        gray = gray.T
    shadow, highlight = _PHOTO_TINTS[family]
    return _paint(gray, _colour(rng, (shadow,), 0.03), _colour(rng, (highlight,), 0.06))


# ---------------------------------------------------------------- public API

_GENERATORS = {
    "checker": _checker,
    "stripes": _stripes,
    "tiles": _tiles,
    "marble": _marble,
    "wood": _wood,
    "dots": _dots,
    "plaid": _plaid,
    "noise": _noise_family,
    "dark_wood": partial(_wood, palette=_DARK_WOOD),
}
PROCEDURAL_FAMILIES: tuple[str, ...] = tuple(_GENERATORS)
PHOTO_FAMILIES: tuple[str, ...] = tuple(_PHOTO_TINTS)
_GENERATORS.update({f: partial(_photo_family, family=f) for f in PHOTO_FAMILIES})


def texture_families() -> tuple[str, ...]:
    """Every accepted family name: procedural first, then photo-based."""
    return PROCEDURAL_FAMILIES + PHOTO_FAMILIES


def make_texture(family: str, seed: int, size: int = 256) -> np.ndarray:
    """A (size, size, 3) uint8 RGB texture, bit-identical for the same (family, seed, size).

    Identical across processes and runs; across different CPUs or numpy builds, vectorised float32
    sin/pow may round differently in the last bit, which can move a pixel by one level.
    """
    generator = _GENERATORS.get(family) if isinstance(family, str) else None
    if generator is None:
        raise UserError(f"unknown texture family {family!r}; accepted: {', '.join(texture_families())}")
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or not MIN_SIZE <= size <= MAX_SIZE:
        raise UserError(f"texture size must be an int from {MIN_SIZE} to {MAX_SIZE}; got size={size!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise UserError(f"texture seed must be a non-negative int; got seed={seed!r}")
    # crc32, not hash(): Python salts str hashes per process, which would break reproducibility.
    rng = np.random.default_rng([int(seed), zlib.crc32(family.encode())])
    return generator(rng, int(size))
