"""`pvmbench analyze forgetting|invariance|attention`: each writes <name>.csv and <name>.png to --out."""

from __future__ import annotations

import contextlib
import pathlib
import sys

import typer

from pvmbench.errors import UserError

analyze_app = typer.Typer(no_args_is_help=True, help="PVM analyses of bc checkpoints: forgetting, invariance, attention.")

CHECKPOINTS = typer.Option(..., "--checkpoint", metavar="PATH", help="A bc checkpoint (.pt); repeatable.")
OUT = typer.Option(pathlib.Path("results/analysis"), help="Directory for the CSV and PNG.")


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


def _write(table, figure, out: pathlib.Path, name: str, *args) -> None:
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / f"{name}.csv", index=False, float_format="%.4f")
    figure(*args, out / f"{name}.png")
    typer.echo(f"wrote {out / f'{name}.csv'} and {out / f'{name}.png'}")


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
    """k-NN accuracy and linear CKA of fine-tuned encoders against their pretrained selves."""
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
    _write(table, forgetting_figure, out, "forgetting", table)


@analyze_app.command("invariance")
def invariance_command(
    checkpoint: list[pathlib.Path] = CHECKPOINTS,
    levels: str = typer.Option("id,id-resample,easy,hard", help="Comma-separated levels; id-resample: another "
                               "id seed's appearance, the variation seen in training."),
    severities: str = typer.Option("0,0.25,0.5,0.75,1", help="Severity ladder points (id -> hard); '' for none."),
    seeds: int = typer.Option(4, help="Scenario seeds 0..N-1."),
    steps: str = typer.Option("0,15,30", help="Oracle-episode steps at which the state is rendered."),
    out: pathlib.Path = OUT,
    progress: bool = typer.Option(True, help="Show the progress bar."),
) -> None:
    """Cosine similarity of features of one physical state under id and shifted appearance."""
    from pvmbench.analysis.figures import invariance_figure
    from pvmbench.analysis.invariance import ID_RESAMPLE, invariance_table, render_invariance_frames
    from pvmbench.analysis.policies import load_policies
    from pvmbench.envs.tabletop.reward import EPISODE_STEPS

    step_list = _int_list("--steps", steps)
    if seeds < 1 or max(step_list) >= EPISODE_STEPS:
        raise UserError(f"--seeds {seeds} --steps {steps!r}: accepted: seeds >= 1, steps below {EPISODE_STEPS}")
    policies = load_policies(checkpoint)
    names = _shifts(policies[0].env_id, policies[0].env_kwargs, levels, severities, extra=(ID_RESAMPLE,))
    with _progress(seeds * len(names) * len(step_list), "frame pair", progress) as bar:
        index, id_frames, shifted = render_invariance_frames(policies[0].env_id, policies[0].env_kwargs, names,
                                                             list(range(seeds)), step_list, bar)
    table = invariance_table(policies, index, id_frames, shifted)
    _write(table, invariance_figure, out, "invariance", table)


@analyze_app.command("attention")
def attention_command(
    checkpoint: list[pathlib.Path] = typer.Option([], "--checkpoint", metavar="PATH",
                                                  help="A bc checkpoint with a CNN encoder (Grad-CAM); repeatable."),
    vit: list[str] = typer.Option([], "--vit", metavar="NAME=SOURCE",
                                  help="A ViT for CLS attention: dinov2=DIR or clip=DIR (save_pretrained "
                                       "directory or cached hub name); repeatable."),
    levels: str = typer.Option("id,easy,hard", help="Comma-separated levels or severity=<0..1>."),
    seeds: int = typer.Option(4, help="Scenario seeds 0..N-1 per level."),
    top: float = typer.Option(0.1, help="Fraction of most salient pixels compared with the object mask."),
    image_size: int = typer.Option(96, "--image-size", help="Frame size when only --vit is given."),
    out: pathlib.Path = OUT,
    progress: bool = typer.Option(True, help="Show the progress bar."),
) -> None:
    """Grad-CAM (CNN policies) and CLS attention (ViTs) against the target object's mask."""
    from pvmbench.analysis.attention import attention_table, render_attention_frames, saliency_maps
    from pvmbench.analysis.figures import attention_figure
    from pvmbench.analysis.policies import TABLETOP, load_policies

    if not 0 < top <= 1:
        raise UserError(f"--top {top}: accepted: a fraction in (0, 1]")
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
    maps = saliency_maps(frames, policies, vits)
    table = attention_table(frames, maps, top)
    _write(table, attention_figure, out, "attention", frames, maps, table)


def _vits(items: list[str]) -> dict:
    from pvmbench.agents.encoders import build_encoder

    out = {}
    for item in items:
        name, sep, source = item.partition("=")
        if not sep or name not in ("dinov2", "clip") or not source:
            raise UserError(f"--vit {item!r}: accepted: dinov2=SOURCE or clip=SOURCE")
        options = {"tokens": "cls"} if name == "dinov2" else {}
        out[f"{name} ({pathlib.Path(source).name})"] = build_encoder(name, "frozen", source=source, **options)
    return out
