"""The `pvmbench` command. User mistakes print one line and exit 2; --debug shows tracebacks."""

from __future__ import annotations

import pathlib
import sys

import typer

from pvmbench.analysis.cli import analyze_app
from pvmbench.envs import DEFAULT_ENV
from pvmbench.errors import UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="pvmbench: visuomotor agents under distribution shift.")
shifts_app = typer.Typer(no_args_is_help=True, help="Shift suites and galleries.")
app.add_typer(shifts_app, name="shifts")
app.add_typer(analyze_app, name="analyze")

_DEBUG = {"on": False}


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors.")) -> None:
    _DEBUG["on"] = debug


@shifts_app.command("gallery")
def gallery(
    env: str = typer.Option(DEFAULT_ENV, help="Gymnasium id of a pvmbench env."),
    seeds: int = typer.Option(4, help="Columns: reset seeds 0..N-1."),
    out: pathlib.Path = typer.Option(pathlib.Path("gallery.png"), help="PNG file to write."),
    levels: str = typer.Option("id,easy,hard", help="Rows, in --shift's forms: a comma list of levels, "
                               "severity=<s>,<s>,..., or 'presets' for every rung of a driving suite's ladder."),
    image_size: int = typer.Option(224, help="Frame size in pixels."),
    camera: str = typer.Option(None, help="Camera, for envs that have several (table-top: wrist, front)."),
) -> None:
    """Write a grid of first frames: a row per shift, a column per seed."""
    from pvmbench.envs.gallery import gallery_shifts, write_gallery

    kwargs = {"camera": camera} if camera else {}
    shifts = gallery_shifts(env, levels, image_size=image_size, **kwargs)
    path = write_gallery(env, out, seeds, shifts, image_size, **kwargs)
    typer.echo(f"wrote {path} ({len(shifts)} rows x {seeds} seeds)")


@shifts_app.command("list")
def shifts_list(env: str = typer.Option(DEFAULT_ENV, help="Gymnasium id of a pvmbench env.")) -> None:
    """Print an env's suite: its levels, the factors a severity can move, and its presets."""
    from pvmbench.envs.contract import env_contract

    contract = env_contract(env)
    suite = contract.suite
    typer.echo(f"{env}: suite {suite.name} (hash {suite.content_hash}, {suite.path.name})")
    typer.echo(f"levels:  {', '.join(suite.levels)}  (training level: {contract.train_level})")
    typer.echo(f"factors: {', '.join(suite.factors)}  (severity=<s>:<factor>,... moves only those)")
    if suite.preset_ladder:
        typer.echo(f"presets: {', '.join(suite.preset_ladder)}  (preset=<name>; 'presets' for all)")


@app.command("eval")
def eval_command(
    agent: str = typer.Option(..., help="A checkpoint file (.pt) or a registered agent name (random, scripted, ...)."),
    shift: str = typer.Option(..., help="id, easy, hard, all, a comma list, severity=<0..1>[,<0..1>...][:<factor>,...], "
                                         "preset=<name> or presets (driving); `pvmbench shifts list` shows an env's."),
    env: str = typer.Option(None, help="Env id; defaults to the one the checkpoint names."),
    episodes: int = typer.Option(20, help="Episodes per level."),
    seed: int = typer.Option(0, help="Run seed; episode seeds derive from (seed, level, index)."),
    num_envs: int = typer.Option(2, "--num-envs", help="Batch size: env slots the agent acts on at once."),
    workers: int = typer.Option(2, help="Env host processes (0: step envs in this process, no step timeout)."),
    executor: str = typer.Option("local", help="local or ray."),
    out: pathlib.Path = typer.Option(None, help="Results Parquet file (default: results/<label>_<shift>_seed<S>.parquet)."),
    resume: bool = typer.Option(False, help="Continue the run in --out, skipping episodes already written."),
    device: str = typer.Option("cpu", help="cpu or cuda, passed to the agent."),
    inference_dtype: str = typer.Option("float32", "--inference-dtype",
                                        help="float32 or bfloat16 (encoder under bf16 autocast; label gets +bf16)."),
    torch_threads: int = typer.Option(1, "--torch-threads",
                                      help="The agent's torch threads; fixed per run, since outputs depend on it."),
    retries: int = typer.Option(1, help="Retries of a failed episode, each on a fresh env."),
    step_timeout: float = typer.Option(60.0, "--step-timeout", help="Seconds an env host may take per step."),
    ray_address: str = typer.Option(None, "--ray-address", help="Existing Ray cluster (default: start a local one)."),
    image_size: int = typer.Option(None, "--image-size", help="Override the env's image size."),
    env_kwarg: list[str] = typer.Option([], "--env-kwarg", metavar="KEY=VALUE",
                                        help="Extra gym.make argument, repeatable; VALUE is parsed as JSON if it can "
                                             "be (e.g. --env-kwarg port=2000 --env-kwarg carla_cmd='...')."),
    progress: bool = typer.Option(True, help="Show the progress bar."),
) -> None:
    """Evaluate an agent under a shift; write one row per episode and print a summary per level."""
    from pvmbench.benchmark.evaluate import EvalConfig, run_eval
    from pvmbench.benchmark.summary import render_summary, summary_table

    if device not in ("cpu", "cuda"):
        raise UserError(f"--device {device!r}: accepted: cpu, cuda")
    env_kwargs = {"image_size": image_size} if image_size else {}
    env_kwargs.update(_parse_kwargs(env_kwarg))
    cfg = EvalConfig(agent=agent, shift=shift, env=env, episodes=episodes, seed=seed, num_envs=num_envs,
                     workers=workers, executor=executor, out=out, resume=resume, device=device,
                     inference_dtype=inference_dtype, torch_threads=torch_threads, retries=retries,
                     step_timeout=step_timeout, ray_address=ray_address, env_kwargs=env_kwargs, progress=progress,
                     command=["pvmbench", *sys.argv[1:]])
    rows, info = run_eval(cfg)
    table = summary_table(rows, info["levels"])
    label = rows["agent_label"].iloc[0] if len(rows) else agent
    render_summary(table, f"{label} on {rows['env_id'].iloc[0] if len(rows) else env}: normalised score = "
                          f"(R - {info['bounds'][0]:g}) / ({info['bounds'][1]:g} - {info['bounds'][0]:g})")
    typer.echo(f"results: {info['out']}  manifest: {info['manifest']}")


@app.command("train")
def train_command(
    ctx: typer.Context,
    algo: str = typer.Option("bc", help="bc (behaviour cloning of the env's expert), blind (the best constant "
                                         "action, a grid search that never looks at an image) or dreamerv3."),
    env: str = typer.Option(DEFAULT_ENV, help="Env id."),
    encoder: str = typer.Option("cnn", help="cnn, efficientnet-lite0, dinov2, clip, hf:<hub id or directory>, or any "
                                            "registered encoder (`pvmbench encoders` lists them)."),
    encoder_option: list[str] = typer.Option([], "--encoder-option", metavar="KEY=VALUE",
                                             help="Encoder option, repeatable, e.g. features=cls or trainable_blocks=2 "
                                                  "(VALUE is parsed as JSON if it can be)."),
    mode: str = typer.Option("scratch", help="scratch (cnn), frozen, partial or full."),
    demos: int = typer.Option(None, help="bc: expert episodes to clone, cached on disk (default per env: table-top "
                                         "300, driving 100)."),
    episodes: int = typer.Option(3, help="blind: episodes per candidate action."),
    steps: int = typer.Option(None, help="bc: gradient steps (default per mode: scratch, frozen and partial 3000, "
                                         "full 400; 10/3 of that on driving)."),
    batch: int = typer.Option(None, help="bc: batch size (default 64; partial and full 32)."),
    image_size: int = typer.Option(96, "--image-size", help="Env image size for demos and evaluation."),
    seed: int = typer.Option(0, help="Training seed."),
    demo_seed: int = typer.Option(0, help="Seed of the demonstration set (fixed across training seeds)."),
    device: str = typer.Option("cpu", help="Where to train: cpu or cuda. Checkpoints evaluate on the CPU."),
    out: pathlib.Path = typer.Option(..., help="Checkpoint file to write (.pt)."),
    progress: bool = typer.Option(True, help="Show progress bars."),
    demo_noise: float = typer.Option(None, "--demo-noise", help="bc: DART noise std on the expert's executed motion; "
                                     "labels stay clean (default: table-top 0.2 on xyz, driving 0.05 on steer)."),
    aug_pad: int = typer.Option(None, "--aug-pad", help="bc: DrQ random shift in pixels (0: no augmentation; "
                                "default table-top 4, driving 0)."),
    aug_copies: int = typer.Option(None, "--aug-copies", help="bc frozen/partial: shifted copies of each frame whose "
                                   "frozen features (frozen) or trunk output (partial) are cached (default 2)."),
    val_fraction: float = typer.Option(0.1, "--val-fraction", help="bc: share of demo episodes held out for the "
                                       "per-phase loss."),
    state: bool = typer.Option(True, "--state/--no-state", help="bc: join the env's robot `state` vector, where it "
                               "has one, to the image features."),
    dagger_rounds: int = typer.Option(None, "--dagger-rounds", help="bc: DAgger rounds during training: the policy "
                                      "drives, the expert labels where it went, the frames join the training set "
                                      "(default table-top 0, driving 10)."),
    dagger_episodes: int = typer.Option(None, "--dagger-episodes", help="bc: policy episodes per DAgger round "
                                        "(default table-top 60, driving 30)."),
    level: str = typer.Option(None, "--level", help="bc: the shift level demos, DAgger rounds and training rollouts "
                              "draw from (default: the env's; `pvmbench suite` lists them)."),
    neck: str = typer.Option("none", "--neck", help="bc: trainable layers between the encoder's features and the head: "
                             "none, or conv (two 3x3 convs over a spatial map, e.g. efficientnet-lite0 "
                             "--encoder-option features=map14)."),
    size: str = typer.Option("12m", help="dreamerv3: model size, debug, 12m, 25m or 50m."),
    env_steps: int = typer.Option(100_000, "--env-steps", help="dreamerv3: env steps to train for (in total, with --resume)."),
    num_envs: int = typer.Option(1, "--num-envs", help="dreamerv3: envs collecting in parallel."),
    train_ratio: float = typer.Option(None, "--train-ratio", help="dreamerv3: replayed steps per env step (default 32)."),
    resume: bool = typer.Option(False, "--resume", help="dreamerv3: continue the run saved at --out (replay included)."),
    eval_every: int = typer.Option(10_000, "--eval-every", help="dreamerv3: env steps between evaluations and saves. "
                                   "bc: gradient steps between held-out loss and rollouts (default steps/5; 0: at the end)."),
    eval_episodes: int = typer.Option(4, "--eval-episodes", help="dreamerv3: episodes per evaluation, at id. bc: rollout "
                                      "episodes per round at the training level (default table-top 10, driving 4; 0: none)."),
) -> None:
    """Train an agent and save a v1 checkpoint that `pvmbench eval` loads."""
    if algo not in ("bc", "blind", "dreamerv3"):
        raise UserError(f"--algo {algo!r}: accepted: bc, blind, dreamerv3")
    if algo == "dreamerv3":
        from pvmbench.agents.dreamerv3.train import DreamerTrainConfig, train_dreamerv3

        result = train_dreamerv3(DreamerTrainConfig(
            env=env, encoder=encoder, encoder_options=_parse_kwargs(encoder_option, "--encoder-option"), mode=mode,
            size=size, env_steps=env_steps, num_envs=num_envs, train_ratio=train_ratio, seed=seed, device=device,
            resume=resume, image_size=image_size, eval_every=eval_every, eval_episodes=eval_episodes), out, progress)
        score = f", eval score {result['eval']['score_mean']:.3f}" if result["eval"] else ""
        typer.echo(f"wrote {result['out']} ({result['label']}, {result['env_steps']} env steps, "
                   f"{result['updates']} updates{score}; curve {result['curve']})")
        return
    if algo == "blind":
        from pvmbench.agents.blind.search import BlindConfig, search_blind

        found = search_blind(BlindConfig(env=env, episodes=episodes, seed=seed), out, progress=progress)
        typer.echo(f"wrote {found['out']} (blind: action {found['action']} of {found['candidates']}, mean return "
                   f"{found['mean_return']:.2f} at id on the search seeds, normalised {found['normalised']:.3f})")
        return
    from pvmbench.agents.bc.train import BCConfig, train_bc

    # --eval-every/--eval-episodes are shared with dreamerv3, whose defaults they carry: bc takes them only if given.
    # (By name: typer vendors its own click, whose ParameterSource is not click.core's.)
    given = {name for name in ("eval_every", "eval_episodes") if ctx.get_parameter_source(name).name != "DEFAULT"}
    result = train_bc(BCConfig(env=env, encoder=encoder, mode=mode, encoder_options=_parse_kwargs(encoder_option, "--encoder-option"), demos=demos, steps=steps, batch=batch,
                               image_size=image_size, seed=seed, demo_seed=demo_seed, device=device, demo_noise=demo_noise,
                               aug_pad=aug_pad, aug_copies=aug_copies, val_fraction=val_fraction, use_state=state,
                               dagger_rounds=dagger_rounds, dagger_episodes=dagger_episodes, level=level, neck=neck,
                               eval_every=eval_every if "eval_every" in given else None,
                               eval_episodes=eval_episodes if "eval_episodes" in given else None),
                       out, progress=progress)
    held = f", held-out loss {result['val_loss']:.4f}" if result["val_loss"] is not None else ""
    rollout = result["rollout"]
    success = f", rollout success {rollout['success']:.0%} over {rollout['episodes']} episodes" if rollout else ""
    typer.echo(f"wrote {result['out']} ({result['label']}, {result['frames']} frames, final loss "
               f"{result['final_loss']:.4f}{held}{success})")


def _parse_kwargs(items: list[str], flag: str = "--env-kwarg") -> dict:
    import json

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{flag} {item!r}: accepted: KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


@app.command("encoders")
def encoders_command() -> None:
    """List the encoders `--encoder` accepts: built-in, registered, and from installed packages' entry points."""
    from pvmbench.agents.encoders import available_encoders

    for name, source in available_encoders().items():
        typer.echo(f"{name:24s} {source}")
    typer.echo(f"{'hf:<hub id or directory>':24s} any Hugging Face vision backbone (pvmbench[hf])")


@app.command("agents")
def agents_command() -> None:
    """List the registered agents, built-in and from installed packages' entry points."""
    from pvmbench.agents.registry import available_agents

    for name, source in available_agents().items():
        typer.echo(f"{name:24s} {source}")


@app.command("inspect")
def inspect_command(checkpoint: pathlib.Path = typer.Argument(..., help="A pvmbench checkpoint file.")) -> None:
    """Show a checkpoint's agent, env, config, meta, parameter count and sha256."""
    import json

    from pvmbench.agents.checkpoint import describe_checkpoint

    info = describe_checkpoint(checkpoint)
    for key in ("agent", "env", "parameters", "tensors", "size_bytes", "sha256"):
        typer.echo(f"{key:11s} {info[key]}")
    typer.echo(f"{'config':11s} {json.dumps(info['config'], sort_keys=True)}")
    typer.echo(f"{'meta':11s} {json.dumps(info['meta'], sort_keys=True)}")


@app.command("regress")
def regress_command(
    baseline: list[str] = typer.Option(..., metavar="PATH", help="Baseline result files or a directory of them (repeatable)."),
    results: list[str] = typer.Option(..., metavar="PATH", help="New result files or directories (repeatable)."),
    alpha: float = typer.Option(0.05, help="Significance level of the one-sided permutation tests."),
    min_effect: float = typer.Option(0.05, "--min-effect", help="Smallest score drop that counts as a regression."),
    update: bool = typer.Option(False, help="Copy the new results into the baseline directory and exit 0."),
    only_evaluated: bool = typer.Option(False, "--only-evaluated",
                                        help="Judge only the baseline's agent/env/level keys present in --results."),
) -> None:
    """Compare new results with a baseline per agent, env and level; exit 1 on a regression."""
    from pvmbench.leaderboard.regress_cli import regress

    raise typer.Exit(regress(baseline, results, alpha=alpha, min_effect=min_effect, update=update,
                             only_evaluated=only_evaluated))


@app.command("plot")
def plot_command(
    results: list[pathlib.Path] = typer.Argument(..., metavar="PATH...", help="Result files (.parquet) or directories of them."),
    out: pathlib.Path = typer.Option(pathlib.Path("figures"), help="Directory for the PNG and PDF files."),
    gallery: list[str] = typer.Option(None, metavar="ENV_ID=PNG", help="A shift gallery to include (repeatable)."),
) -> None:
    """Write the study's figures as PNG and PDF: scores by level, severity ladder, robustness, galleries."""
    try:
        import matplotlib  # noqa: F401
        import seaborn  # noqa: F401
    except ImportError as exc:
        raise UserError(f"pvmbench plot needs {exc.name}: pip install 'pvmbench[plots]'") from None
    from pvmbench.leaderboard.figures import write_figures
    from pvmbench.leaderboard.rows import load_results

    galleries = {}
    for item in gallery or []:
        env_id, _, png = item.partition("=")
        if not env_id or not png:
            raise UserError(f"--gallery {item!r}: accepted: ENV_ID=PATH.png, e.g. pvmbench/TableTopPick-v1=gallery.png")
        galleries[env_id] = pathlib.Path(png)
    for path in write_figures(load_results(results), out, galleries):
        typer.echo(f"wrote {path}")


@app.command("leaderboard")
def leaderboard_command(
    results: list[pathlib.Path] = typer.Argument(..., help="Result files or directories (pvmbench eval output)."),
    out: pathlib.Path = typer.Option(pathlib.Path("leaderboard"), help="Directory for the tables and page."),
    figure: list[pathlib.Path] = typer.Option([], help="PNG figures to show on the page (repeatable)."),
    gallery: list[pathlib.Path] = typer.Option([], help="Shift-gallery PNGs to show on the page (repeatable)."),
) -> None:
    """Write LEADERBOARD.md, leaderboard.csv, leaderboard.tex and index.html from result rows."""
    from pvmbench.leaderboard.build import build_leaderboard

    paths = build_leaderboard(results, out, figures=figure, galleries=gallery)
    for key in ("markdown", "csv", "latex", "html"):
        typer.echo(f"wrote {paths[key]}")


def main(argv: list[str] | None = None) -> int:
    from pvmbench.allocator import keep_freed_memory

    keep_freed_memory()  # 3x faster batched CPU forwards; see allocator.py
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # Without standalone mode, a command's typer.Exit(code) comes back as the return value.
        code = app(args=args, prog_name="pvmbench", standalone_mode=False)
    except UserError as exc:
        if debug:
            raise
        print(f"pvmbench: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # an optional extra that is not installed: say which one
        from pvmbench.extras import missing_extra_message

        message = missing_extra_message(exc, " ".join(a for a in args[:2] if not a.startswith("-")))
        if debug or message is None:
            raise
        print(f"pvmbench: error: {message}", file=sys.stderr)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors: unknown option, bad type, missing value
        if debug:
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group name: its help is the answer
            print(exc.format_message())
            return 0
        print(f"pvmbench: error: {exc.format_message()} (see --help)", file=sys.stderr)
        return 2
    except typer.Abort:
        print("pvmbench: aborted", file=sys.stderr)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
