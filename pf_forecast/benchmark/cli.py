"""The command line of ``pf-forecast bench``: its options, their parsing, the resolved command and :func:`run_bench`.

Every option is validated, and every task loaded, before any model is trained; the run itself is
:func:`pf_forecast.benchmark.runner.run_benchmark`, its record and report are written through
:func:`pf_forecast.benchmark.store.recorded_run`.
"""

from __future__ import annotations

import argparse
import shlex
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pf_forecast.robustness.imputation import IMPUTE_POLICIES

from .models import MODEL_NAMES, check_model_names
from .report import write_report
from .runner import BenchRun, limited_threads, run_benchmark
from .settings import ACCELERATORS, FAULT_IMPUTE_CHOICES, BenchSettings
from .store import recorded_run
from .suites import OTHER_SUITES, SUITES, Suite, get_suite

__all__ = ["add_bench_arguments", "parse_seeds", "resolve_settings", "run_bench"]

_CSV_OPTIONS = ("time_col", "target", "past_covariates", "future_covariates", "modality", "input_chunk_length",
                "horizon", "val_fraction", "test_fraction", "freq", "name", "sep", "decimal", "dayfirst",
                "interpolate_target")


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``bench`` options to ``parser`` (a sub-command parser or a stand-alone one).

    Parameters
    ----------
    parser
        The parser to extend; every option defaults to ``None`` / ``False`` so that :func:`run_bench` can tell a
        suite's default from an explicit value.
    """
    what = parser.add_argument_group("what to run")
    what.add_argument("--suite", default=None, metavar="NAME",
                      help=f"benchmark suite: {', '.join(SUITES)} (default: quick, unless --csv is "
                           f"given). " + "; ".join([*(f"{s.name}: {s.description}" for s in SUITES.values()),
                                                    *(f"{name}: {text}" for name, text in OTHER_SUITES.items())]))
    what.add_argument("--models", default=None, metavar="LIST",
                      help=f"comma-separated models (default: the suite's); valid: {','.join(MODEL_NAMES)}")
    what.add_argument("--seeds", default=None, metavar="SPEC",
                      help="a count N (seeds 0..N-1) or a comma list, e.g. 0,1,2 ('7,' = seed 7 only); "
                           "default: the suite's (3 seeds; quick: 1)")
    what.add_argument("--tracks", default=None, metavar="LIST",
                      help="only these tracks of the suite, e.g. past or past,future (default: all)")
    what.add_argument("--datasets", default=None, metavar="LIST",
                      help="only these datasets of the suite, e.g. epf-NP,epf-BE (default: all)")
    what.add_argument("--out", default="bench_out", metavar="DIR",
                      help="output folder; finished cells in it are reused (default: bench_out)")
    what.add_argument("--data-dir", default=None, metavar="DIR",
                      help="folder laid out like datasets/ (default: pf_forecast.data's search order)")

    csv = parser.add_argument_group("your own CSV (instead of --suite)")
    csv.add_argument("--csv", default=None, metavar="PATH", help="wide CSV, one row per timestamp")
    csv.add_argument("--time-col", default=None, metavar="COL", help="timestamp column")
    csv.add_argument("--target", default=None, metavar="COL[,COL]", help="target column(s)")
    csv.add_argument("--past-covariates", default=None, metavar="COL,COL", help="covariates known up to now")
    csv.add_argument("--future-covariates", default=None, metavar="COL,COL",
                     help="covariates also known over the forecast horizon")
    csv.add_argument("--modality", action="append", default=None, metavar="NAME=COL,COL",
                     help="a named modality of covariate columns (repeatable; default: one per column)")
    csv.add_argument("--input-chunk-length", type=int, default=None, metavar="N", help="input window length")
    csv.add_argument("--horizon", type=int, default=None, metavar="N", help="forecast horizon")
    csv.add_argument("--val-fraction", type=float, default=None, metavar="F", help="validation rows (default 0.1)")
    csv.add_argument("--test-fraction", type=float, default=None, metavar="F", help="test rows (default 0.2)")
    csv.add_argument("--freq", default=None, metavar="FREQ", help="pandas frequency (default: inferred)")
    csv.add_argument("--name", default=None, metavar="NAME", help="dataset name in the results (default: file stem)")
    csv.add_argument("--sep", default=None, metavar="CHAR", help="column separator (default ',')")
    csv.add_argument("--decimal", default=None, metavar="CHAR", help="decimal mark (default '.'; e.g. ',')")
    csv.add_argument("--dayfirst", action="store_true", help="read dates as day first (13/01/2024)")
    csv.add_argument("--interpolate-target", action="store_true",
                     help="fill gaps inside the target linearly in time (default: an error naming the rows)")

    how = parser.add_argument_group("budget and evaluation (defaults: the suite's, see report.md)")
    how.add_argument("--max-epochs", type=int, default=None, metavar="N",
                     help=f"epoch cap of every neural model (default {BenchSettings.max_epochs})")
    how.add_argument("--patience", type=int, default=None, metavar="N",
                     help=f"early-stopping patience on the validation loss (default {BenchSettings.patience})")
    how.add_argument("--max-train-samples", default=None, metavar="N|all",
                     help="training windows per series and epoch: all (default, what fit() uses), or N as an "
                          "explicit budget (darts max_samples_per_ts), printed in the report")
    how.add_argument("--train-stride", default=None, metavar="N|auto",
                     help="stride of training windows; auto = 1, or with --max-train-samples N the stride that "
                          "spreads the N windows over the whole training segment (default auto)")
    how.add_argument("--impute", default=None, choices=IMPUTE_POLICIES,
                     help="how missing covariate values are filled for models that cannot take NaN (all but pf), "
                          "in the clean run and every sweep: ffill (default: last value, else the training mean), "
                          "mean (training mean), zero, seasonal (the value a season earlier, e.g. 24 h), or none "
                          "(NaN passed on; such cells fail)")
    how.add_argument("--fault-impute", default=None, choices=("best", *FAULT_IMPUTE_CHOICES),
                     help="with --faults, how the gaps a fault leaves are filled for models that cannot take NaN: "
                          "best (default: per model, fault and stream the policy with the lowest validation MSE "
                          "at the fault's middle severity) or one fixed policy")
    how.add_argument("--test-stride", type=int, default=None, metavar="N",
                     help="stride of the clean test windows (default 1 = the protocol)")
    how.add_argument("--robustness-stride", default=None, metavar="N|horizon",
                     help="stride of the noise / missing-modality sweeps' windows (default: the horizon)")
    how.add_argument("--batch-size", type=int, default=None, metavar="N", help="batch size (default 64)")
    how.add_argument("--average-top-k", type=int, default=None, metavar="K",
                     help="neural models: restore the weight average of the K epochs with the lowest validation "
                          "loss where it validates lower than the best epoch (default 1: the best epoch)")
    how.add_argument("--learning-rate", type=float, default=None, metavar="LR", help="Adam learning rate (1e-3)")
    how.add_argument("--levels", default=None, metavar="P,P,...",
                     help="MultiBench noise levels, starting at 0 (default 0,0.1,...,0.8; quick 0,0.4,0.8)")
    how.add_argument("--repeats", type=int, default=None, metavar="N", help="noise draws per level (default 1)")
    how.add_argument("--no-missing", action="store_true", help="skip the missing-modality sweep")
    how.add_argument("--faults", action="store_true",
                     help="also run the stream-fault sweeps per modality: outage, latency, stuck, spikes at their "
                          "default grids; off by default")
    how.add_argument("--probabilistic", action="store_true",
                     help="quantile models (levels 0.1..0.9) scored by SQL, MASE, WQL and 80%% coverage in the "
                          "target's units (the fev-epf suite's default)")
    how.add_argument("--profile", default=None, choices=("default", "tiny"),
                     help="model sizes: the models' defaults, or tiny networks for smoke runs")
    how.add_argument("--threads", type=int, default=1, metavar="N",
                     help="torch and BLAS threads (default 1: on a small shared CPU more threads are slower)")
    how.add_argument("--accelerator", default=None, choices=ACCELERATORS,
                     help="where the neural models train: auto (default: a GPU when there is one, else the CPU), "
                          "cpu, gpu / cuda or mps; not part of the settings, so a run resumes on another device")
    how.add_argument("--devices", default=None, metavar="auto|1|I,",
                     help="which device of that accelerator: auto or 1 (default: the first), or one index such as "
                          "1, (the second GPU); every model trains on one device")
    how.add_argument("--keep-going", action="store_true",
                     help="record a failing cell and continue with the others")
    how.add_argument("--no-progress", action="store_true", help="no progress bar")


# --------------------------------------------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------------------------------------------
def parse_seeds(text: str) -> list[int]:
    """``"3"`` -> ``[0, 1, 2]``; ``"0,5,9"`` -> ``[0, 5, 9]``; ``"7,"`` -> ``[7]``.

    Parameters
    ----------
    text
        A count, or a comma list of non-negative integers.

    Returns
    -------
    list of int

    Raises
    ------
    ValueError
        Naming the value and the accepted forms.
    """
    fix = "give a count (e.g. 3 for seeds 0,1,2) or a comma list of non-negative integers (e.g. 0,1,2; '7,' = seed 7)"
    text = str(text).strip()
    try:
        if "," in text:
            seeds = [int(part) for part in text.split(",") if part.strip()]
            if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
                raise ValueError
            return seeds
        count = int(text)
        if count < 1:
            raise ValueError
        return list(range(count))
    except ValueError:
        raise ValueError(f"--seeds {text!r} is not valid; {fix}.") from None


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _optional_int(option: str, text: Any, none_words: tuple[str, ...]) -> int | None:
    if text is None:
        return None
    if isinstance(text, str) and text.strip().lower() in none_words:
        return None
    try:
        value = int(text)
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        raise ValueError(f"{option} {text!r} is not valid; give a positive integer or one of {list(none_words)}.")
    return value


def _levels(text: str) -> tuple[float, ...]:
    try:
        levels = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError:
        levels = []
    if not levels or levels[0] != 0.0 or levels[-1] > 1.0:
        raise ValueError(
            f"--levels {text!r} is not valid; give noise levels in [0, 1] including 0 (the clean point), "
            f"e.g. 0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8."
        )
    return tuple(levels)


def resolve_settings(args: argparse.Namespace, suite: Suite | None, work_dir: str | None = None) -> BenchSettings:
    """Combine the :class:`BenchSettings` defaults, the suite's overrides and explicit command-line options.

    Parameters
    ----------
    args
        Parsed ``bench`` options.
    suite
        The suite (``None`` for a ``--csv`` run).
    work_dir
        darts ``work_dir``.

    Returns
    -------
    BenchSettings

    Raises
    ------
    ValueError
        For an invalid option value (the message names the option and the value).
    """
    values = dict(suite.settings) if suite else {}
    for option, key in (("--max-epochs", "max_epochs"), ("--patience", "patience"), ("--test-stride", "test_stride"),
                        ("--batch-size", "batch_size"), ("--repeats", "n_repeats"),
                        ("--average-top-k", "average_top_k")):
        value = getattr(args, key if key != "n_repeats" else "repeats")
        if value is not None:
            if value < 1:
                raise ValueError(f"{option} {value!r} is not valid; give a positive integer.")
            values[key] = value
    if args.max_train_samples is not None:
        values["max_train_samples"] = _optional_int("--max-train-samples", args.max_train_samples, ("all", "none"))
    if args.train_stride is not None:
        values["train_stride"] = _optional_int("--train-stride", args.train_stride, ("auto",))
    if args.robustness_stride is not None:
        values["robustness_stride"] = _optional_int("--robustness-stride", args.robustness_stride, ("horizon",))
    if args.learning_rate is not None:
        if not args.learning_rate > 0:
            raise ValueError(f"--learning-rate {args.learning_rate!r} is not valid; give a positive number.")
        values["learning_rate"] = args.learning_rate
    if args.levels is not None:
        values["levels"] = _levels(args.levels)
    if args.profile is not None:
        values["profile"] = args.profile
    if args.impute is not None:
        values["impute"] = args.impute
    if args.no_missing:  # otherwise the suite's choice (default: run it)
        values["missing"] = False
    if args.probabilistic:
        values["probabilistic"] = True
    if getattr(args, "faults", False):
        values["faults"] = True
    if getattr(args, "fault_impute", None) is not None:
        values["fault_impute"] = args.fault_impute
    if getattr(args, "accelerator", None) is not None:
        values["accelerator"] = args.accelerator
    if getattr(args, "devices", None) is not None:
        values["devices"] = _devices(args.devices)
    values["work_dir"] = work_dir
    return BenchSettings(**values)


def _devices(text: Any) -> int | str:
    """``"auto"`` -> ``"auto"``, ``"1"`` -> ``1``, ``"2,"`` -> ``"2,"`` (one device index); else an error."""
    text = str(text).strip()
    try:
        return BenchSettings(devices=int(text) if text.isdigit() else text).devices
    except ValueError:
        raise ValueError(f"--devices {text!r} is not valid; every model trains on one device: give auto or 1 (the "
                         f"first), or one device index such as 1, (the second GPU).") from None


def _command(args: argparse.Namespace, suite: Suite | None, models: Sequence[str], seeds: Sequence[int],
             settings: BenchSettings, tracks: Sequence[str] | None, datasets: Sequence[str] | None = None) -> str:
    """The equivalent command line with every resolved option spelled out."""
    parts = ["pf-forecast", "bench"]
    if suite is not None:
        parts += ["--suite", suite.name]
    else:
        parts += ["--csv", args.csv, "--time-col", args.time_col, "--target", args.target]
        for option in ("past_covariates", "future_covariates", "freq", "name", "sep", "decimal"):
            if getattr(args, option):
                parts += [f"--{option.replace('_', '-')}", getattr(args, option)]
        parts += [flag for flag, on in (("--dayfirst", args.dayfirst),
                                        ("--interpolate-target", args.interpolate_target)) if on]
        for spec in args.modality or []:
            parts += ["--modality", spec]
        parts += ["--input-chunk-length", str(args.input_chunk_length), "--horizon", str(args.horizon),
                  "--val-fraction", str(args.val_fraction or 0.1), "--test-fraction", str(args.test_fraction or 0.2)]
    parts += ["--models", ",".join(models), "--seeds", ",".join(map(str, seeds)) + ("," if len(seeds) == 1 else "")]
    if tracks:
        parts += ["--tracks", ",".join(tracks)]
    if datasets:
        parts += ["--datasets", ",".join(datasets)]
    if args.data_dir:
        parts += ["--data-dir", args.data_dir]
    parts += [
        "--out", str(args.out), "--max-epochs", str(settings.max_epochs), "--patience", str(settings.patience),
        "--max-train-samples", str(settings.max_train_samples or "all"),
        "--train-stride", str(settings.train_stride or "auto"), "--test-stride", str(settings.test_stride),
        "--robustness-stride", str(settings.robustness_stride or "horizon"), "--batch-size", str(settings.batch_size),
        "--learning-rate", f"{settings.learning_rate:g}", "--levels", ",".join(f"{p:g}" for p in settings.levels),
        "--repeats", str(settings.n_repeats), "--profile", settings.profile, "--impute", settings.impute,
        "--threads", str(args.threads), "--accelerator", settings.accelerator, "--devices", str(settings.devices),
    ]
    if not settings.missing:
        parts.append("--no-missing")
    if settings.probabilistic:
        parts.append("--probabilistic")
    if settings.faults:
        parts += ["--faults", "--fault-impute", settings.fault_impute]
    if settings.average_top_k != 1:
        parts += ["--average-top-k", str(settings.average_top_k)]
    if args.keep_going:
        parts.append("--keep-going")
    return shlex.join(parts)


def _csv_task(args: argparse.Namespace) -> Any:
    from pf_forecast.data import load_csv

    missing = [f"--{option.replace('_', '-')}" for option in ("time_col", "target", "input_chunk_length", "horizon")
               if getattr(args, option) is None]
    if missing:
        raise ValueError(f"--csv {args.csv!r} needs {', '.join(missing)} as well.")
    modalities = None
    if args.modality:
        modalities = {}
        for spec in args.modality:
            name, sep, columns = spec.partition("=")
            if not sep or not name.strip() or not _names(columns):
                raise ValueError(f"--modality {spec!r} is not valid; write NAME=COL[,COL...], e.g. weather=temp,wind.")
            if name.strip() in modalities:
                raise ValueError(f"--modality {spec!r}: the modality {name.strip()!r} is given twice; merge them.")
            modalities[name.strip()] = _names(columns)
    targets = _names(args.target)
    return load_csv(
        args.csv, args.time_col, targets[0] if len(targets) == 1 else targets,
        past_covariates=_names(args.past_covariates), future_covariates=_names(args.future_covariates),
        modalities=modalities, input_chunk_length=args.input_chunk_length, horizon=args.horizon,
        val_fraction=0.1 if args.val_fraction is None else args.val_fraction,
        test_fraction=0.2 if args.test_fraction is None else args.test_fraction,
        freq=args.freq, name=args.name, sep=args.sep or ",", decimal=args.decimal or ".", dayfirst=args.dayfirst,
        interpolate_target=args.interpolate_target,
    )


def _check_writable(out: Path, given: Any) -> None:
    """Create ``out`` and check a file can be written in it, before any training."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-check-"):
            pass
    except OSError as err:
        raise ValueError(
            f"--out {str(given)!r} cannot be written ({err.strerror or type(err).__name__}); pass a folder you can "
            f"write to, e.g. --out ./bench_out."
        ) from None


# --------------------------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------------------------
def run_bench(args: argparse.Namespace) -> int:
    """Run ``pf-forecast bench`` with parsed options; write cells, ``results.csv``, ``report.md`` and plots.

    Every option is validated, and every task loaded, before any model is trained.

    Parameters
    ----------
    args
        Options from a parser extended by :func:`add_bench_arguments`.

    Returns
    -------
    int
        0 when every planned cell is finished, 1 when some failed (only with ``--keep-going``).

    Raises
    ------
    ValueError
        Unknown suite, model or track; invalid seeds, levels, strides; an ``--out`` that is a file; CSV errors from
        :func:`pf_forecast.data.load_csv` (missing columns, unordered or duplicate timestamps, too few rows).
    FileNotFoundError
        A missing dataset or CSV file (raised by :mod:`pf_forecast.data`).
    """
    if args.suite in OTHER_SUITES:
        raise ValueError(f"--suite {args.suite!r} is not part of pf-forecast bench any more: it "
                         f"{OTHER_SUITES[args.suite]}.")
    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(args.out)!r} is an existing file; pass a folder (new, or an earlier --out "
                         f"to resume it).")
    csv_given = [f"--{o.replace('_', '-')}" for o in _CSV_OPTIONS if getattr(args, o, None) not in (None, [], False)]
    if args.csv is None and csv_given:
        raise ValueError(f"{', '.join(csv_given)} only apply with --csv PATH; add --csv or drop them.")
    if args.csv is not None and args.suite is not None:
        raise ValueError(f"--suite {args.suite!r} and --csv {args.csv!r} exclude each other; give one of them.")
    if args.threads is None or args.threads < 1:
        raise ValueError(f"--threads {args.threads!r} is not valid; give a positive integer (1 is often fastest on "
                         f"a small shared CPU).")

    suite = None if args.csv is not None else get_suite(args.suite or "quick")
    models = check_model_names(_names(args.models)) if args.models is not None else list(
        suite.models if suite else [m for m in MODEL_NAMES])
    seeds = parse_seeds(args.seeds) if args.seeds is not None else list(suite.seeds if suite else (0, 1, 2))
    settings = resolve_settings(args, suite, work_dir=str(out / ".darts_work"))
    tracks = _names(args.tracks) or None
    datasets = _names(getattr(args, "datasets", None)) or None
    if datasets is not None and suite is None:
        raise ValueError(f"--datasets {args.datasets!r} selects tasks of a suite; with --csv the dataset is the CSV "
                         f"(drop --datasets, or give --suite instead of --csv).")

    if suite is not None:
        specs = list(suite.tasks)
        if tracks is not None:
            unknown = [t for t in tracks if t not in suite.tracks()]
            if unknown:
                raise ValueError(f"--tracks: {unknown} not in suite {suite.name!r}; its tracks are {suite.tracks()}.")
            specs = [spec for spec in specs if spec.track in tracks]
        if datasets is not None:
            known = list(dict.fromkeys(spec.name for spec in suite.tasks))
            unknown = [d for d in datasets if d not in known]
            if unknown:
                raise ValueError(f"--datasets: {unknown} not in suite {suite.name!r}; its datasets are {known}.")
            specs = [spec for spec in specs if spec.name in datasets]
        tasks = [spec.load(args.data_dir) for spec in specs]
    else:
        tasks = [_csv_task(args)]
        if tracks is not None and tasks[0].track not in tracks:
            raise ValueError(f"--tracks {tracks}: the CSV task's track is {tasks[0].track!r}.")

    _check_writable(out, args.out)
    run = BenchRun(out=out)  # filled cell by cell: a stopped run still records what it finished
    start = {"command": _command(args, suite, models, seeds, settings, tracks, datasets),
             "settings": settings.fingerprint()}
    with limited_threads(args.threads), recorded_run(
            out, start, report=lambda: write_report(out, run.results),
            progress=lambda: {"ran": run.ran, "skipped": run.skipped, "failed": run.failed, "excluded": run.excluded},
    ) as record:
        run_benchmark(tasks, models, seeds, settings, out, progress=not args.no_progress,
                      keep_going=args.keep_going, run=run)
        record["status"] = "failed cells" if run.failed else "finished"
    print(  # the CLI summary
        f"bench: {len(run.ran)} cells run, {len(run.skipped)} reused, {len(run.failed)} failed, "
        f"{len(run.excluded)} model/task pairs left out, in {record['seconds']:.0f} s.\n"
        f"  results: {out / 'results.csv'}\n  report:  {out / 'report.md'}"
    )
    return 1 if run.failed else 0
