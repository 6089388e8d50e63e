"""`pvmbench analyze forgetting|invariance|attention`: each writes to --out <name>.csv (the summary: each
number with its CI and its floor), <name>.png, and for invariance and attention <name>_frames.csv (one row
per frame) and, for attention, attention_scores.png."""

from __future__ import annotations

import contextlib
import pathlib
import sys

import typer

from pvmbench.errors import UserError

analyze_app = typer.Typer(no_args_is_help=True, help="PVM analyses of bc checkpoints: forgetting, invariance, attention.")

CHECKPOINTS = typer.Option(..., "--checkpoint", metavar="PATH", help="A bc checkpoint (.pt); repeatable.")
OUT = typer.Option(pathlib.Path("results/analysis"), help="Directory for the CSVs and PNGs.")


@contextlib.contextmanager
def _progress(total: int, what: str, enabled: bool = True):
    from tqdm import tqdm

    with tqdm(total=total, unit=what, desc=f"render {what}s", disable=not enabled, file=sys.stderr,
              bar_format="{desc}: {n}/{total} |{bar}| {rate_fmt} ETA {remaining}") as bar:
        yield bar


def _int_list(option: str, text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 0:
        raise UserError(f"{option} {text!r}: accepted: comma-separated non-negative integers, e.g. 0,10,20")
    return values


def _shifts(env_id: str, env_kwargs: dict, levels: str, severities: str, extra: tuple[str, ...] = ()) -> list:
    """The shifts to render, parsed once against the env's suite: `--levels` items (or an analysis-only
    name from `extra`) and a severity sweep; each one's str() is its canonical label."""
    from pvmbench.envs.contract import env_contract

    suite = env_contract(env_id, env_kwargs).suite
    try:
        out: list = [item if item in extra else suite.parse(item) for item in (v.strip() for v in levels.split(",")) if item]
    except UserError as exc:
        raise UserError(f"--levels {levels!r}: {exc}") from None
    if severities.strip():
        try:
            out += suite.parse_many(f"severity={severities.strip()}")
        except UserError:
            raise UserError(f"--severities {severities!r}: accepted: comma-separated numbers in [0, 1]") from None
    if not out:
        raise UserError("--levels and --severities are both empty: give at least one level")
    return out


def _conditions(env_id: str, env_kwargs: dict, levels: str, severities: str) -> list:
    """Invariance conditions: each --levels item, with an optional :camera or :no-camera suffix that
    keeps only that part of the level's appearance, then the severity ladder (every factor)."""
    from pvmbench.analysis.invariance import ID_RESAMPLE, SUBSETS, Condition

    plain, subsets = [], []
    for item in (v.strip() for v in levels.split(",")):
        if not item:
            continue
        name, subset = item.rsplit(":", 1) if ":" in item and item.rsplit(":", 1)[1] in SUBSETS else (item, "")
        if subset and name == "id":
            raise UserError(f"--levels {item!r}: id's appearance is the reference; accepted: a shifted level")
        plain.append(name)
        subsets.append(subset)
    if not plain and not severities.strip():
        raise UserError("--levels and --severities are both empty: give at least one level")
    shifts = _shifts(env_id, env_kwargs, ",".join(plain), "", extra=(ID_RESAMPLE,)) if plain else []
    ladder = _shifts(env_id, env_kwargs, "", severities) if severities.strip() else []
    return [Condition(s, sub) for s, sub in zip(shifts, subsets, strict=True)] + [Condition(s) for s in ladder]


def _write(out: pathlib.Path, tables: dict, figures: dict) -> None:
    """tables: {file stem: DataFrame}; figures: {file stem: (draw function, its arguments but the path)}."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, table in tables.items():
        table.to_csv(out / f"{stem}.csv", index=False, float_format="%.4g")
        written.append(out / f"{stem}.csv")
    for stem, (draw, args) in figures.items():
        written.append(draw(*args, out / f"{stem}.png"))
    typer.echo("wrote " + ", ".join(str(p) for p in written))


@analyze_app.command("forgetting")
def forgetting_command(
    checkpoint: list[pathlib.Path] = CHECKPOINTS,
    views: int = typer.Option(4, help="Renders per procedural object."),
    objects: int = typer.Option(74, help="Procedural objects in the probe set (of 74)."),
    k: int = typer.Option(5, help="Neighbours of the k-NN probe."),
    seed: int = typer.Option(0, help="Seed of the probe set's poses and colours."),
    out: pathlib.Path = OUT,
    progress: bool = typer.Option(True, help="Show the progress bar."),
) -> None:
    """k-NN accuracy and debiased linear CKA of fine-tuned encoders against their pretrained selves, each
    with a 95% CI, chance, a random-init floor and a shuffled-row null."""
    from pvmbench.analysis.figures import forgetting_figure
    from pvmbench.analysis.forgetting import check_pretrained, forgetting_table
    from pvmbench.analysis.policies import load_policies
    from pvmbench.analysis.probe_set import render_probe_set
    from pvmbench.envs.tabletop.procedural_objects import N_PROCEDURAL

    if not 2 <= objects <= N_PROCEDURAL or views < 1 or k < 1 or k > (objects - 1) * views:
        raise UserError(f"--objects {objects} --views {views} --k {k}: accepted: 2 <= objects <= {N_PROCEDURAL}, "
                        "views >= 1, 1 <= k <= (objects - 1) * views")
    policies = load_policies(checkpoint)
    check_pretrained(policies)
    with _progress(objects * views, "image", progress) as bar:
        probe = render_probe_set(policies[0].env_id, policies[0].env_kwargs, views, objects, seed, bar)
    table = forgetting_table(policies, probe, k)
    _write(out, {"forgetting": table}, {"forgetting": (forgetting_figure, (table,))})


@analyze_app.command("invariance")
def invariance_command(
    checkpoint: list[pathlib.Path] = CHECKPOINTS,
    levels: str = typer.Option("id,id-resample,easy,hard,hard:no-camera,hard:camera",
                               help="Comma-separated conditions: a level (its appearance factors), LEVEL:camera "
                               "(its camera only), LEVEL:no-camera (all but the camera); id-resample: another "
                               "id seed's appearance, the variation seen in training."),
    severities: str = typer.Option("0,0.25,0.5,0.75,1", help="Severity ladder points (id -> hard); '' for none."),
    seeds: int = typer.Option(4, help="Scenario seeds 0..N-1."),
    steps: str = typer.Option("0,15,30", help="Oracle-episode steps at which the state is rendered."),
    out: pathlib.Path = OUT,
    progress: bool = typer.Option(True, help="Show the progress bar."),
) -> None:
    """Same-state retrieval and centred cosine of one physical state under id and shifted appearance."""
    from pvmbench.analysis.figures import invariance_figure
    from pvmbench.analysis.invariance import invariance_tables, render_invariance_frames
    from pvmbench.analysis.policies import load_policies
    from pvmbench.envs.tabletop.reward import EPISODE_STEPS

    step_list = _int_list("--steps", steps)
    if seeds < 1 or max(step_list) >= EPISODE_STEPS:
        raise UserError(f"--seeds {seeds} --steps {steps!r}: accepted: seeds >= 1, steps below {EPISODE_STEPS}")
    policies = load_policies(checkpoint)
    conditions = _conditions(policies[0].env_id, policies[0].env_kwargs, levels, severities)
    with _progress(seeds * len(conditions) * len(step_list), "shifted frame", progress) as bar:
        frames = render_invariance_frames(policies[0].env_id, policies[0].env_kwargs, conditions,
                                          list(range(seeds)), step_list, bar)
    summary, per_frame = invariance_tables(policies, frames)
    _write(out, {"invariance": summary, "invariance_frames": per_frame}, {"invariance": (invariance_figure, (summary,))})


@analyze_app.command("attention")
def attention_command(
    checkpoint: list[pathlib.Path] = typer.Option([], "--checkpoint", metavar="PATH",
                                                  help="A bc checkpoint; its encoder's own attention, or "
                                                       "Grad-CAM of the action; repeatable."),
    vit: list[str] = typer.Option([], "--vit", metavar="NAME=SOURCE",
                                  help="A pretrained encoder alone (no policy), e.g. dinov2=DIR or clip=DIR "
                                       "(save_pretrained directory or cached hub name); repeatable."),
    levels: str = typer.Option("id,easy,hard", help="Comma-separated levels or severity=<0..1>."),
    seeds: int = typer.Option(4, help="Scenario seeds 0..N-1 per level."),
    patches: int = typer.Option(16, help="Random patches of the object's shape hidden per frame (occlusion test)."),
    image_size: int = typer.Option(96, "--image-size", help="Frame size when only --vit is given."),
    out: pathlib.Path = OUT,
    progress: bool = typer.Option(True, help="Show the progress bar."),
) -> None:
    """Saliency (own attention, else Grad-CAM) against the target object's mask, and an occlusion test."""
    from pvmbench.analysis.attention import attention_tables, render_attention_frames, saliency_maps, subjects
    from pvmbench.analysis.attention_figures import attention_maps_figure, attention_scores_figure
    from pvmbench.analysis.policies import TABLETOP, load_policies

    if patches < 1:
        raise UserError(f"--patches {patches}: accepted: an integer >= 1")
    if seeds < 1:
        raise UserError(f"--seeds {seeds}: accepted: an integer >= 1")
    vits = _vits(vit)
    if not checkpoint and not vits:
        raise UserError("give at least one --checkpoint or --vit")
    policies = load_policies(checkpoint) if checkpoint else []
    env_id, env_kwargs = (policies[0].env_id, policies[0].env_kwargs) if policies else (TABLETOP, {"image_size": image_size})
    names = _shifts(env_id, env_kwargs, levels, "")
    with _progress(len(names) * seeds, "frame", progress) as bar:
        frames = render_attention_frames(env_id, env_kwargs, names, list(range(seeds)), bar)
    maps = saliency_maps(frames, subjects(policies, vits))
    summary, per_frame = attention_tables(frames, maps, patches)
    _write(out, {"attention": summary, "attention_frames": per_frame},
           {"attention": (attention_maps_figure, (frames, maps, per_frame)),
            "attention_scores": (attention_scores_figure, (summary,))})


# Options for encoders used alone: the occlusion test compares their features, and DINOv2's default
# features are every patch token, which hiding a patch changes locally whatever the model makes of it.
STANDALONE_OPTIONS = {"dinov2": {"tokens": "cls"}}


def _vits(items: list[str]) -> dict:
    """--vit NAME=SOURCE (an encoder that loads from a source) or --vit SPEC: encoders used alone. What
    they offer (attention or a spatial map), not their name, decides whether they can be analysed."""
    from pvmbench.agents.encoders import build_encoder

    out = {}
    for item in items:
        name, sep, source = item.partition("=")
        options = {"source": source} if sep else {}
        if not name or (sep and not source):
            raise UserError(f"--vit {item!r}: accepted: NAME=SOURCE (e.g. dinov2=DIR, clip=DIR) or an encoder spec")
        try:
            encoder = build_encoder(name, "frozen", **options, **STANDALONE_OPTIONS.get(name, {}))
        except UserError as exc:
            raise UserError(f"--vit {item!r}: accepted: NAME=SOURCE (e.g. dinov2=DIR, clip=DIR) or an encoder "
                            f"spec; {exc}") from None
        if not (encoder.has_attention or encoder.has_spatial_map):
            raise UserError(f"--vit {item!r}: encoder {name!r} has neither attention of its own nor a spatial "
                            "feature map to explain")
        out[f"{name} ({pathlib.Path(source).name})" if sep else name] = encoder
    return out
