"""The scaling study: how the fit cost of pf and TiDE grows with modalities, series and input length.

A repository script beside the committed results in ``benchmarks/scaling/`` (not part of the installed package).
For :class:`~pf_forecast.ProgressiveFusionForecaster` (``pf``, its defaults) and darts' ``TiDEModel`` (``tide``, its
defaults) on the same synthetic data, three axes are swept, one at a time, around a base point (M = 4 modalities,
one series, input length 96, horizon 24):

``modalities``
    M = 1, 4, 16, 64 past-covariate components, one modality each (``modalities=None``); TiDE reads the same
    covariates.
``n_series``
    1, 10, 100, 1000 series of 300 steps with ``max_samples_per_ts = W // n`` windows each, so every point trains
    on about W windows per epoch whatever the number of series (the series of the 1- and 10-series points are
    lengthened so that they hold that many windows).
``input_length``
    input chunk length 96, 192, 336, 720.

Every point trains on W = 2,000 windows per epoch (batch 64, one torch thread, 4 epochs) so that time per epoch
compares across points. The two models alternate within each axis (pf, tide, then tide, pf, ...) so that a drift
in the machine's load hits both. The study measures CPU cost: every point trains on the CPU (its memory measure is
the process's resident set size, which a GPU's memory is not part of).

Measures
--------
``seconds_per_epoch``
    A Lightning callback records the wall time of every training epoch; the first is dropped as warm-up and the
    median of the rest is reported (all epoch times are kept in ``epoch_seconds``).
``peak_rss_mb``
    Every point runs in a fresh process (``multiprocessing`` *spawn*: a new interpreter, nothing inherited from
    other points). After the imports, a tiny warm-up fit of the same model class (which loads Lightning's lazily
    imported code) and building the data, the child frees what it can (``gc``, ``malloc_trim``), resets the kernel's
    peak-RSS mark to its current RSS (Linux ``/proc/self/clear_refs`` = 5, so the imports' and warm-up's peak do not
    hide a smaller fit) and fits; ``peak_rss_mb`` = ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after the fit
    minus the RSS before it: the memory training needs (parameters, optimiser state, darts' dataset, activations of
    a batch), without the interpreter, the libraries or the data. RSS rather than ``tracemalloc`` because
    ``tracemalloc`` only sees Python's allocator, not torch's tensor memory. ``data_mb`` is what building the
    series added to the RSS.

Files, through :mod:`pf_forecast.benchmark.store`: ``<out>/points/<axis>__<value>__<model>.json`` (one per finished
point, written atomically, with the settings fingerprint it was measured with; a rerun skips them after the same
settings check as ``pf-forecast bench``), ``<out>/results.csv`` (tidy, one row per point and model, rewritten
atomically after every point), ``<out>/runs.jsonl`` (one record per run), ``<out>/report.md`` (tables, log-log
exponents, pf / TiDE ratios) and ``<out>/plots/scaling.png``.

The ``tiny`` profile (``--profile tiny``) is a smoke run for the tests: 2 values per axis, tiny networks, 2 epochs,
120 windows, and *fork* instead of spawn (a child of a parent that only imported the libraries; the RSS increase is
still measured from the child's own start) so that no point pays a fresh interpreter's ~6 s of imports.

Usage (from a checkout with ``pf_forecast`` installed)::

    python benchmarks/scaling_study.py --out benchmarks/scaling       # the committed study; resumes
    python benchmarks/scaling_study.py --profile tiny --out scaling_smoke
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import multiprocessing
import os
import shlex
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pf_forecast.benchmark.report import markdown_table, portable_paths
from pf_forecast.benchmark.store import (
    atomic_write_text,
    check_settings,
    machine_info,
    read_runs,
    recorded_run,
    remove_stale_temporaries,
    write_json,
)

logger = logging.getLogger("scaling_study")

#: The swept axes, in report order.
AXES: tuple[str, ...] = ("modalities", "n_series", "input_length")
#: Models the scaling study knows.
SCALING_MODELS: tuple[str, ...] = ("pf", "tide")
#: Columns of ``results.csv``: the first seven are the tidy measurement, the rest describe the point and its run.
SCALING_COLUMNS: tuple[str, ...] = (
    "axis",
    "value",
    "model",
    "seconds_per_epoch",
    "peak_rss_mb",
    "n_params",
    "windows_per_epoch",
    "n_modalities",
    "n_series",
    "input_chunk_length",
    "series_length",
    "samples_per_series",
    "epochs",
    "epoch_seconds",
    "fit_seconds",
    "data_mb",
    "baseline_rss_mb",
    "peak_rss_total_mb",
    "peak_reset",
    "load_before",
    "load_after",
    "order",
    "finished",
)
POINTS_DIR = "points"
RESULTS_FILE = "results.csv"
REPORT_FILE = "report.md"
PLOT_FILE = "plots/scaling.png"
_AXIS_LABEL = {"modalities": "modalities M", "n_series": "number of series", "input_length": "input length"}
_AXIS_CLAIM = {"modalities": "M", "n_series": "series", "input_length": "input length"}


@dataclass(frozen=True)
class ScalingConfig:
    """What the scaling study sweeps and how each point is trained and measured.

    Parameters
    ----------
    modalities, n_series, input_lengths
        The values of the three axes (an empty axis is skipped).
    base_modalities, base_input_length
        The fixed M and input length of the other axes (the number of series is 1 off its own axis).
    series_length
        Steps of each series on the ``n_series`` axis (a series is lengthened where it would hold fewer than
        ``windows_per_epoch // n`` windows).
    horizon
        ``output_chunk_length``.
    windows_per_epoch
        W: training windows per epoch (``max_samples_per_ts = W // n_series``).
    batch_size, epochs
        Training; the first epoch is the warm-up, the median of the others is reported.
    threads
        torch and BLAS threads of every point.
    models
        Which of :data:`SCALING_MODELS` to run.
    profile
        ``"default"`` (the models' default sizes) or ``"tiny"`` (the benchmark's tiny networks).
    start_method
        ``multiprocessing`` start method of the per-point process (``"spawn"`` or ``"fork"``).
    seed
        ``random_state`` of the models and seed of the synthetic data.
    """

    modalities: tuple[int, ...] = (1, 4, 16, 64)
    n_series: tuple[int, ...] = (1, 10, 100, 1000)
    input_lengths: tuple[int, ...] = (96, 192, 336, 720)
    base_modalities: int = 4
    base_input_length: int = 96
    series_length: int = 300
    horizon: int = 24
    windows_per_epoch: int = 2000
    batch_size: int = 64
    epochs: int = 4
    threads: int = 1
    models: tuple[str, ...] = SCALING_MODELS
    profile: str = "default"
    start_method: str = "spawn"
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("base_modalities", "base_input_length", "series_length", "horizon", "windows_per_epoch",
                     "batch_size", "epochs", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer.")
        for name in ("modalities", "n_series", "input_lengths"):  # an empty axis is skipped
            values = getattr(self, name)
            if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values):
                raise ValueError(f"{name}={values!r} must be positive integers.")
        if not (self.modalities or self.n_series or self.input_lengths):
            raise ValueError("every axis is empty: give values for at least one of modalities, n_series, "
                             "input_lengths.")
        unknown = [m for m in self.models if m not in SCALING_MODELS]
        if not self.models or unknown:
            raise ValueError(f"models={list(self.models)!r}: the scaling suite runs {list(SCALING_MODELS)}.")
        if self.profile not in ("default", "tiny"):
            raise ValueError(f"profile={self.profile!r} is not valid; choose 'default' or 'tiny'.")
        if self.start_method not in multiprocessing.get_all_start_methods():
            raise ValueError(f"start_method={self.start_method!r} is not available here; "
                             f"choose from {multiprocessing.get_all_start_methods()}.")

    def fingerprint(self) -> dict[str, Any]:
        """The settings that change a point's measurement (not the axis values, not the model list).

        Returns
        -------
        dict
        """
        out = asdict(self)
        for key in ("modalities", "n_series", "input_lengths", "models"):
            out.pop(key)
        return out

    def points(self) -> list[ScalingPoint]:
        """Every (axis, value, model) in run order: axis by axis, the two models alternating per value.

        Returns
        -------
        list of ScalingPoint
        """
        points = []
        for axis, values in zip(AXES, (self.modalities, self.n_series, self.input_lengths)):
            for i, value in enumerate(values):
                models = self.models if i % 2 == 0 else tuple(reversed(self.models))
                points += [ScalingPoint(axis, int(value), model, self) for model in models]
        return points


@dataclass(frozen=True)
class ScalingPoint:
    """One measurement: ``model`` at ``axis = value``, the other axes at the base point."""

    axis: str
    value: int
    model: str
    config: ScalingConfig = field(repr=False, compare=False)

    @property
    def key(self) -> str:
        """File-name stem ``<axis>__<value>__<model>``."""
        return f"{self.axis}__{self.value}__{self.model}"

    @property
    def n_modalities(self) -> int:
        """Covariate components, one modality each."""
        return self.value if self.axis == "modalities" else self.config.base_modalities

    @property
    def n_series(self) -> int:
        """Number of series."""
        return self.value if self.axis == "n_series" else 1

    @property
    def input_chunk_length(self) -> int:
        """Input chunk length."""
        return self.value if self.axis == "input_length" else self.config.base_input_length

    @property
    def samples_per_series(self) -> int:
        """``max_samples_per_ts``: ``W // n_series`` (at least 1)."""
        return max(1, self.config.windows_per_epoch // self.n_series)

    @property
    def series_length(self) -> int:
        """Steps per series: exactly ``samples_per_series`` windows off the ``n_series`` axis, else at least
        ``config.series_length``."""
        needed = self.input_chunk_length + self.config.horizon - 1 + self.samples_per_series
        return max(self.config.series_length, needed) if self.axis == "n_series" else needed

    def spec(self) -> dict[str, Any]:
        """Everything the child process needs, as plain JSON-able values."""
        c = self.config
        return {"key": self.key, "axis": self.axis, "value": self.value, "model": self.model,
                "n_modalities": self.n_modalities, "n_series": self.n_series,
                "input_chunk_length": self.input_chunk_length, "series_length": self.series_length,
                "samples_per_series": self.samples_per_series, "horizon": c.horizon, "batch_size": c.batch_size,
                "epochs": c.epochs, "threads": c.threads, "profile": c.profile, "seed": c.seed}


#: The full study and the tests' smoke configuration.
SCALING_PROFILES: dict[str, ScalingConfig] = {
    "default": ScalingConfig(),
    "tiny": ScalingConfig(modalities=(1, 4), n_series=(1, 10), input_lengths=(24, 48), base_input_length=24,
                          series_length=60, horizon=6, windows_per_epoch=120, batch_size=32, epochs=2,
                          profile="tiny",
                          start_method="fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"),
}


def _rss_mb() -> float:
    """This process's peak resident set size (``ru_maxrss``) so far, in MiB."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def _current_rss_mb() -> float | None:
    """This process's resident set size now, in MiB (Linux ``/proc/self/statm``; ``None`` elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _release_free_memory() -> None:
    """Collect garbage and hand glibc's free heap pages back to the system, so they do not hide a later peak."""
    gc.collect()
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (``ru_maxrss``) to the current RSS (Linux ``clear_refs`` 5).

    Returns
    -------
    bool
        Whether it was reset; if not, the peak of the imports and the warm-up stays in ``ru_maxrss``.
    """
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _synthetic(n_series: int, n_components: int, length: int, seed: int) -> tuple[list[Any], list[Any]]:
    """Targets driven by lagged covariates (sines of different periods and phases plus noise), float32."""
    from darts import TimeSeries

    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=np.float64)
    periods = 6.0 + 4.0 * np.arange(n_components)
    targets, covariates = [], []
    for _ in range(n_series):
        phase = rng.uniform(0, 2 * np.pi, n_components)
        cov = np.sin(t[:, None] * (2 * np.pi / periods) + phase) + 0.1 * rng.standard_normal((length, n_components))
        lagged = np.roll(cov, 3, axis=0).mean(axis=1)
        y = lagged + 0.1 * rng.standard_normal(length)
        names = [f"c{i}" for i in range(n_components)]
        targets.append(TimeSeries.from_values(y[:, None].astype(np.float32), columns=["y"]))
        covariates.append(TimeSeries.from_values(cov.astype(np.float32), columns=names))
    return targets, covariates


def _epoch_timer() -> Any:
    import pytorch_lightning as pl

    class EpochTimer(pl.Callback):
        """Wall seconds and training windows of every training epoch."""

        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []
            self.windows: list[int] = []
            self._start = 0.0

        def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
            self.windows.append(0)
            self._start = time.perf_counter()

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
            first = getattr(batch, "past_target", None)
            if first is None and isinstance(batch, list | tuple):
                first = batch[0]
            self.windows[-1] += int(len(first)) if first is not None else 0

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


def _build_model(spec: dict[str, Any], callbacks: list[Any], work_dir: str, tiny: bool) -> Any:
    from darts.models import TiDEModel

    from pf_forecast.benchmark.models import TINY_SIZES, trainer_kwargs
    from pf_forecast.model import ProgressiveFusionForecaster

    kwargs: dict[str, Any] = {
        "input_chunk_length": spec["input_chunk_length"], "output_chunk_length": spec["horizon"],
        "n_epochs": spec["epochs"], "batch_size": spec["batch_size"], "random_state": spec["seed"],
        "model_name": f"scaling-{spec['key']}", "work_dir": work_dir, "force_reset": True,
        "save_checkpoints": False, "pl_trainer_kwargs": trainer_kwargs(callbacks, accelerator="cpu"),
    }
    if tiny:
        kwargs.update(TINY_SIZES[spec["model"]])
    if spec["model"] == "pf":
        return ProgressiveFusionForecaster(modalities=None, **kwargs)  # one modality per covariate component
    return TiDEModel(**kwargs)


def measure_point(spec: dict[str, Any]) -> dict[str, Any]:
    """Train one point in this process and measure it (meant to run in a fresh child process).

    Parameters
    ----------
    spec
        :meth:`ScalingPoint.spec`.

    Returns
    -------
    dict
        ``seconds_per_epoch``, ``epoch_seconds``, ``fit_seconds``, ``peak_rss_mb`` (increase of the peak RSS during
        the fit), ``data_mb``, ``baseline_rss_mb``, ``peak_rss_total_mb``, ``n_params``, ``windows_per_epoch``.
    """
    import torch

    from pf_forecast.benchmark.runner import limited_threads, quiet_training

    with contextlib.suppress(RuntimeError):  # already fixed in a forked child
        torch.set_num_interop_threads(1)
    tiny = spec["profile"] == "tiny"
    with tempfile.TemporaryDirectory(prefix="pf-scaling-") as work_dir, limited_threads(int(spec["threads"])), \
            quiet_training():
        # warm-up: a tiny fit of the same model class loads Lightning's and darts' lazily imported code
        series, covariates = _synthetic(1, 2, 40, seed=spec["seed"])
        warm = _build_model({**spec, "input_chunk_length": 8, "horizon": 2, "epochs": 1, "batch_size": 8,
                             "key": "warm-up"}, [], work_dir, tiny=True)
        warm.fit(series, past_covariates=covariates, max_samples_per_ts=8, verbose=False,
                 dataloader_kwargs={"pin_memory": False})
        del warm, series, covariates
        _release_free_memory()

        baseline = _current_rss_mb()
        series, covariates = _synthetic(spec["n_series"], spec["n_modalities"], spec["series_length"],
                                        seed=spec["seed"])
        _release_free_memory()
        current = _current_rss_mb()
        # the peak of the fit above the RSS it starts from: reset the kernel's peak mark to the current RSS first
        # (without the reset, e.g. off Linux, ru_maxrss still holds the imports' and warm-up's peak)
        reset = _reset_peak_rss() and current is not None
        before_fit = current if reset else _rss_mb()
        timer = _epoch_timer()
        model = _build_model(spec, [timer], work_dir, tiny=tiny)
        start = time.perf_counter()
        model.fit(series, past_covariates=covariates, max_samples_per_ts=spec["samples_per_series"],
                  verbose=False, dataloader_kwargs={"pin_memory": False})
        fit_seconds = time.perf_counter() - start
        peak = _rss_mb()
        n_params = int(sum(p.numel() for p in model.model.parameters() if p.requires_grad))
    seconds = [float(s) for s in timer.seconds]
    if not seconds:
        raise RuntimeError(f"point {spec['key']}: no training epoch was timed.")
    timed = seconds[1:] if len(seconds) > 1 else seconds
    return {
        "seconds_per_epoch": float(statistics.median(timed)),
        "epoch_seconds": seconds,
        "fit_seconds": fit_seconds,
        "peak_rss_mb": max(0.0, peak - before_fit),
        "data_mb": max(0.0, current - baseline) if current is not None and baseline is not None else float("nan"),
        "baseline_rss_mb": before_fit,
        "peak_rss_total_mb": peak,
        "peak_reset": reset,
        "n_params": n_params,
        "windows_per_epoch": int(timer.windows[-1]) if timer.windows else 0,
    }


def _child(spec: dict[str, Any], result_path: str) -> None:
    """Entry point of the per-point process: measure, then write the result (or the error) as JSON."""
    try:
        payload = {"ok": True, **measure_point(spec)}
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        payload = {"ok": False, "error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
    Path(result_path).write_text(json.dumps(payload), encoding="utf-8")


def _run_in_child(point: ScalingPoint) -> dict[str, Any]:
    context = multiprocessing.get_context(point.config.start_method)
    with tempfile.TemporaryDirectory(prefix="pf-scaling-result-") as folder:
        result_path = os.path.join(folder, "result.json")
        # daemon: an interrupted parent (Ctrl-C) takes its measuring process down with it
        process = context.Process(target=_child, args=(point.spec(), result_path), name=f"scaling-{point.key}",
                                  daemon=True)
        process.start()
        try:
            process.join()
        finally:
            if process.is_alive():
                process.terminate()
                process.join()
        if not os.path.isfile(result_path):
            raise RuntimeError(f"scaling point {point.key}: the measuring process died (exit code "
                               f"{process.exitcode}) without a result; out of memory?")
        payload = json.loads(Path(result_path).read_text(encoding="utf-8"))
    if not payload.pop("ok"):
        raise RuntimeError(f"scaling point {point.key} failed in its process: {payload['error']}\n"
                           f"{payload['traceback']}")
    return payload


@dataclass
class ScalingRun:
    """What :func:`run_scaling` did: points run now, reused, failed (key -> error), and ``results.csv``."""

    out: Path
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    results: pd.DataFrame | None = None


def _point_path(out: Path, point: ScalingPoint) -> Path:
    return out / POINTS_DIR / f"{point.key}.json"


def collect_scaling_results(out: str | os.PathLike) -> pd.DataFrame:
    """Gather every finished point under ``out`` and (re)write ``out/results.csv`` atomically.

    Parameters
    ----------
    out
        Output folder of the scaling study.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SCALING_COLUMNS`, ordered by axis, value and model.
    """
    out = Path(out)
    rows = []
    for path in sorted((out / POINTS_DIR).glob("*.json")):
        if path.name.startswith("."):
            continue
        with contextlib.suppress(ValueError, KeyError):
            rows.append(json.loads(path.read_text(encoding="utf-8"))["row"])
    results = pd.DataFrame(rows, columns=list(SCALING_COLUMNS))
    if not results.empty:
        axis_order = {axis: i for i, axis in enumerate(AXES)}
        model_order = {model: i for i, model in enumerate(SCALING_MODELS)}
        results = results.assign(_a=results["axis"].map(axis_order), _m=results["model"].map(model_order))
        results = results.sort_values(["_a", "value", "_m"], kind="stable").drop(columns=["_a", "_m"])
        results = results.reset_index(drop=True)
    atomic_write_text(out / RESULTS_FILE, results.to_csv(index=False))
    return results


def _check_existing(out: Path, points: Sequence[ScalingPoint], config: ScalingConfig) -> None:
    finished = [(point.key, _point_path(out, point)) for point in points if _point_path(out, point).is_file()]
    check_settings(out, finished, config.fingerprint(), what="scaling point")


def _load() -> float:
    try:
        return float(os.getloadavg()[0])
    except (OSError, AttributeError):  # pragma: no cover - not on Linux / macOS
        return float("nan")


def run_scaling(config: ScalingConfig, out: str | os.PathLike, *, progress: bool = True,
                keep_going: bool = False, run: ScalingRun | None = None) -> ScalingRun:
    """Measure every point of ``config`` not finished yet under ``out``, one fresh process per point.

    After every point its file is written atomically and ``results.csv`` regenerated, so an interrupted run loses no
    finished point and a rerun skips them.

    Parameters
    ----------
    config
        What to sweep.
    out
        Output folder (created if needed).
    progress
        A tqdm bar over the points (stderr).
    keep_going
        Record a failing point and go on instead of stopping.
    run
        A :class:`ScalingRun` for ``out`` to fill as points finish, so that a caller still knows which points ran
        when the run stops early; a new one by default.

    Returns
    -------
    ScalingRun

    Raises
    ------
    ValueError
        If ``out`` holds points measured with other settings (checked before any training).
    RuntimeError
        A point failed in its process (without ``keep_going``).
    """
    from tqdm.auto import tqdm

    out = Path(out)
    points = config.points()
    _check_existing(out, points, config)
    (out / POINTS_DIR).mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out / POINTS_DIR)
    run = ScalingRun(out=out) if run is None else run
    bar = tqdm(total=len(points), desc="scaling", unit="point", disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    try:
        for order, point in enumerate(points):
            bar.set_postfix_str(point.key, refresh=False)
            if _point_path(out, point).is_file():
                run.skipped.append(point.key)
                bar.update(1)
                continue
            load_before = _load()
            try:
                measured = _run_in_child(point)
            except Exception as error:
                if not keep_going:
                    raise
                logger.exception("scaling point %s failed", point.key)
                run.failed[point.key] = f"{type(error).__name__}: {error}".splitlines()[0]
            else:
                spec = point.spec()
                row = {
                    **{k: spec[k] for k in ("axis", "value", "model", "n_modalities", "n_series",
                                            "input_chunk_length", "series_length", "samples_per_series", "epochs")},
                    **{k: v for k, v in measured.items() if k != "epoch_seconds"},
                    "epoch_seconds": ";".join(f"{s:.4f}" for s in measured["epoch_seconds"]),
                    "load_before": round(load_before, 2), "load_after": round(_load(), 2), "order": order,
                    "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
                }
                record = {"row": {k: row.get(k) for k in SCALING_COLUMNS}, "settings": config.fingerprint(),
                          "spec": spec}
                write_json(_point_path(out, point), record)
                collect_scaling_results(out)
                run.ran.append(point.key)
            bar.update(1)
    finally:
        bar.close()
        run.results = collect_scaling_results(out)
    return run


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (the exponent b of ``y ~ x^b``).

    Parameters
    ----------
    x, y
        Positive values (non-positive or non-finite pairs are dropped).

    Returns
    -------
    float
        NaN with fewer than two distinct usable ``x``.

    Examples
    --------
    >>> round(loglog_slope([1, 2, 4], [3, 6, 12]), 6)
    1.0
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if len(np.unique(x[keep])) < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _ratio(a: float, b: float) -> float:
    return a / b if np.isfinite(a) and np.isfinite(b) and b > 0 else float("nan")


def _exponents(results: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for axis in AXES:
        for model in SCALING_MODELS:
            sel = results[(results.axis == axis) & (results.model == model)]
            if sel.empty:
                continue
            sel = sel.sort_values("value")
            tail = sel.iloc[-2:]  # the two largest values: the asymptotic exponent, less diluted by fixed costs
            rows.append({"axis": axis, "model": model, "n_points": len(sel),
                         "time_exponent": loglog_slope(sel.value, sel.seconds_per_epoch),
                         "time_exponent_tail": loglog_slope(tail.value, tail.seconds_per_epoch),
                         "memory_exponent": loglog_slope(sel.value, sel.peak_rss_mb),
                         "memory_exponent_tail": loglog_slope(tail.value, tail.peak_rss_mb),
                         "params_exponent": loglog_slope(sel.value, sel.n_params)})
    return pd.DataFrame(rows, columns=["axis", "model", "n_points", "time_exponent", "time_exponent_tail",
                                       "memory_exponent", "memory_exponent_tail", "params_exponent"])


def _axis_table(results: pd.DataFrame, axis: str) -> tuple[str, pd.DataFrame]:
    sel = results[results.axis == axis]
    wide = sel.pivot_table(index="value", columns="model",
                           values=["seconds_per_epoch", "peak_rss_mb", "n_params", "windows_per_epoch"],
                           aggfunc="first")
    header = [_AXIS_LABEL[axis], "windows/epoch", "pf s/epoch", "tide s/epoch", "pf / tide time", "pf MB",
              "tide MB", "pf / tide MB", "pf params", "tide params"]
    rows = []
    ratios = []
    for value in wide.index:
        def get(column: str, model: str, value: Any = value) -> float:
            try:
                return float(wide.loc[value, (column, model)])
            except KeyError:
                return float("nan")

        time_ratio = _ratio(get("seconds_per_epoch", "pf"), get("seconds_per_epoch", "tide"))
        memory_ratio = _ratio(get("peak_rss_mb", "pf"), get("peak_rss_mb", "tide"))
        ratios.append({"axis": axis, "value": value, "time_ratio": time_ratio, "memory_ratio": memory_ratio})
        windows = {int(get("windows_per_epoch", m)) for m in SCALING_MODELS if np.isfinite(get("windows_per_epoch", m))}
        rows.append([
            int(value), "/".join(str(w) for w in sorted(windows)) or "n/a",
            _fmt(get("seconds_per_epoch", "pf"), 3), _fmt(get("seconds_per_epoch", "tide"), 3), _fmt(time_ratio),
            _fmt(get("peak_rss_mb", "pf"), 1), _fmt(get("peak_rss_mb", "tide"), 1), _fmt(memory_ratio),
            "n/a" if not np.isfinite(get("n_params", "pf")) else f"{int(get('n_params', 'pf')):,}",
            "n/a" if not np.isfinite(get("n_params", "tide")) else f"{int(get('n_params', 'tide')):,}",
        ])
    return markdown_table(header, rows), pd.DataFrame(ratios)


def scaling_plot(results: pd.DataFrame, path: str | os.PathLike) -> Path | None:
    """Log-log plots of seconds per epoch (top) and fit peak-RSS increase (bottom) against each axis.

    Parameters
    ----------
    results
        ``results.csv`` as a frame.
    path
        PNG file to write (atomically).

    Returns
    -------
    pathlib.Path or None
        ``path``, or ``None`` without results.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    from pf_forecast.benchmark.plots import save_figure_atomically

    if results.empty:
        return None
    figure, axes = plt.subplots(2, len(AXES), figsize=(13, 7), squeeze=False)
    try:
        for j, axis in enumerate(AXES):
            for i, (column, label) in enumerate((("seconds_per_epoch", "seconds / epoch"),
                                                  ("peak_rss_mb", "fit peak RSS increase (MB)"))):
                ax = axes[i][j]
                for model in SCALING_MODELS:
                    sel = results[(results.axis == axis) & (results.model == model)].sort_values("value")
                    if sel.empty:
                        continue
                    slope = loglog_slope(sel.value, sel[column])
                    y = sel[column].where(sel[column] > 0)
                    ax.plot(sel.value, y, marker="o", label=f"{model} (exponent {_fmt(slope)})")
                ax.set_xscale("log")
                ax.set_yscale("log")
                values = sorted(results.loc[results.axis == axis, "value"].unique())
                if values:  # ticks at the measured values, as plain numbers
                    ax.set_xticks(values)
                    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
                    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
                ax.set_xlabel(_AXIS_LABEL[axis])
                ax.set_ylabel(label)
                ax.grid(alpha=0.3, which="both")
                if ax.get_legend_handles_labels()[0]:  # an axis with no finished point yet has nothing to label
                    ax.legend(fontsize=8)
        figure.suptitle("Scaling of ProgressiveFusionForecaster (pf) and TiDE: fit cost per epoch and memory")
        figure.tight_layout()
        save_figure_atomically(figure, path, dpi=100)
    finally:
        plt.close(figure)
    return Path(path)


def _base_point_spread(results: pd.DataFrame, config: dict[str, Any]) -> str:
    """The base point (M = base, one series, base input length) is measured once per axis: a noise estimate."""
    base = results[(results.n_modalities == config.get("base_modalities")) & (results.n_series == 1)
                   & (results.input_chunk_length == config.get("base_input_length"))]
    lines = []
    for model in SCALING_MODELS:
        sel = base[base.model == model]
        if len(sel) > 1:
            values = sel.seconds_per_epoch
            lines.append(f"{model}: {', '.join(f'{v:.3f}' for v in values)} s/epoch (max / min "
                         f"{values.max() / values.min():.2f}); peak RSS increase "
                         f"{', '.join(f'{v:.0f}' for v in sel.peak_rss_mb)} MB")
    if not lines:
        return ""
    return (f"The base point (M = {config.get('base_modalities')}, one series, input length "
            f"{config.get('base_input_length')}) lies on every axis and was measured once per axis, in separate "
            f"processes at different times; its spread is the measurement noise of this run:\n\n"
            + "\n".join(f"- {line}" for line in lines) + "\n")


def _verdicts(results: pd.DataFrame, exponents: pd.DataFrame) -> str:
    def exponent(axis: str, model: str, column: str) -> float:
        sel = exponents[(exponents.axis == axis) & (exponents.model == model)]
        return float(sel[column].iloc[0]) if len(sel) else float("nan")

    lines = ["## Targets\n"]
    b = exponent("modalities", "pf", "time_exponent")
    if np.isfinite(b):
        tail = exponent("modalities", "pf", "time_exponent_tail")
        worst = max(b, tail) if np.isfinite(tail) else b
        lines.append(f"- **Cost at most linear in M** (grouped convolution: one conv per layer over every modality): "
                     f"pf's time-per-epoch exponent vs M is {b:.2f} over all points and {_fmt(tail)} between the two "
                     f"largest M — " + ("met (both ≤ 1.1)." if worst <= 1.1 else "NOT met (> 1.1).")
                     + f" Its parameters grow with exponent {_fmt(exponent('modalities', 'pf', 'params_exponent'))} "
                       f"and its fit memory with {_fmt(exponent('modalities', 'pf', 'memory_exponent'))} "
                       f"({_fmt(exponent('modalities', 'pf', 'memory_exponent_tail'))} between the two largest M: "
                       f"activations are per modality, so memory is bounded by batch size x M). TiDE: time exponent "
                       f"{_fmt(exponent('modalities', 'tide', 'time_exponent'))} (it projects every step's covariates "
                       f"to a few features with one shared MLP, so M barely matters to it).")
    sel = results[(results.axis == "n_series") & (results.model == "pf")].sort_values("value")
    if len(sel) > 1:
        first, last = sel.iloc[0], sel.iloc[-1]
        ratio = last.peak_rss_mb / first.peak_rss_mb if first.peak_rss_mb > 0 else float("nan")
        bounded = np.isfinite(ratio) and ratio <= 1.25
        lines.append(
            f"- **Memory bounded by the batch size, not the number of series**: pf's fit peak-RSS increase is "
            f"{first.peak_rss_mb:.0f} MB with {int(first.value)} series and {last.peak_rss_mb:.0f} MB with "
            f"{int(last.value)} series (x{_fmt(ratio)}, exponent "
            f"{_fmt(exponent('n_series', 'pf', 'memory_exponent'))}) at the same windows per epoch — "
            + ("met (≤ 1.25x)." if bounded else "NOT met (> 1.25x).")
            + f" The series themselves add {last.data_mb:.1f} MB at {int(last.value)} series (`data_mb`, not part of "
              f"the fit's increase). Time per epoch exponent vs series: "
              f"{_fmt(exponent('n_series', 'pf', 'time_exponent'))} (pf), "
              f"{_fmt(exponent('n_series', 'tide', 'time_exponent'))} (TiDE).")
    b = exponent("input_length", "pf", "time_exponent")
    if np.isfinite(b):
        lines.append(f"- **Input length**: pf's time exponent is {b:.2f}, TiDE's "
                     f"{_fmt(exponent('input_length', 'tide', 'time_exponent'))} (both read the whole window; pf's "
                     f"encoders convolve over it after patching).")
    points = int(exponents.n_points.max()) if len(exponents) else 0
    lines.append(f"\nThe thresholds (1.1 for linear, 1.25x for bounded) are this report's; the exponents are "
                 f"least-squares slopes over {points} points per axis measured on a shared machine, so read them to "
                 f"about ±0.1 (see the base-point spread above).\n")
    return "\n".join(lines)


def write_scaling_report(out: str | os.PathLike, results: pd.DataFrame | None = None) -> Path:
    """Write ``out/report.md`` and ``out/plots/scaling.png`` from the scaling study's results.

    Parameters
    ----------
    out
        Output folder of the scaling study.
    results
        ``results.csv`` as a frame; read from ``out`` when ``None``.

    Returns
    -------
    pathlib.Path
        The report file.
    """
    out = Path(out)
    if results is None:
        results = pd.read_csv(out / RESULTS_FILE) if (out / RESULTS_FILE).is_file() else pd.DataFrame(
            columns=list(SCALING_COLUMNS))
    runs = read_runs(out)
    settings: dict[str, Any] = {}
    for path in sorted((out / POINTS_DIR).glob("*.json")):
        with contextlib.suppress(ValueError):
            settings = json.loads(path.read_text(encoding="utf-8")).get("settings", settings)
            break
    machine = runs[-1].get("machine") if runs and runs[-1].get("machine") else machine_info()

    parts = ["# Scaling study: pf and TiDE (benchmarks/scaling_study.py)\n",
             "How the fit cost of ProgressiveFusionForecaster (`pf`, its defaults: hidden 32, 4 layers, 2 refinements) "
             "and darts' `TiDEModel` (`tide`, its defaults) grows with the number of modalities M, the number of "
             "series and the input length, on the same synthetic data in the same run (the two models alternate "
             "point by point).\n"]
    if runs:
        parts.append("## Command\n")
        parts += [f"```\n{run.get('command')}\n```\n(started {run.get('started')}, {run.get('status')}, "
                  f"{run.get('seconds', '?')} s)\n" for run in runs[-3:]]
    parts.append("## Machine\n")
    parts.append("\n".join(f"- {k}: {v}" for k, v in machine.items()) + "\n")
    if not results.empty:
        loads = pd.concat([results.load_before, results.load_after]).astype(float)
        parts.append(
            f"**Load**: the 1-minute load average around the points ranged {loads.min():.2f}-{loads.max():.2f} "
            f"(median {loads.median():.2f}) on {machine.get('logical_cpus')} logical CPUs; every point trains on "
            f"{settings.get('threads', 1)} thread(s), so a load well above {settings.get('threads', 1)} means other "
            f"processes shared the cores and absolute times are inflated (ratios and exponents less so: the models "
            f"alternate).\n")
    parts.append("## Method\n")
    parts.append(
        "- Each point trains one model for `epochs` epochs on `windows_per_epoch` windows (darts "
        "`max_samples_per_ts = W // n_series`), batch `batch_size`, no validation. A Lightning callback times every "
        "training epoch; **seconds per epoch = median of the epochs after the first** (warm-up), all kept in "
        "`epoch_seconds`.\n"
        f"- Each point runs in a **fresh process** (`multiprocessing` start method "
        f"`{settings.get('start_method', '?')}`). After the imports, a tiny warm-up fit of the same model class and "
        "building the data, the child frees what it can (`gc`, `malloc_trim`), resets the kernel's peak-RSS mark to "
        "the current RSS (Linux `/proc/self/clear_refs` = 5; `peak_reset` says whether that worked) and fits; "
        "**peak_rss_mb = `resource.getrusage(RUSAGE_SELF).ru_maxrss` after the fit minus the RSS before it**: what "
        "training needs (parameters, optimiser state, darts' dataset, a batch's activations), without the "
        "interpreter, the libraries or the data. RSS, not `tracemalloc`, because `tracemalloc` does not see torch's "
        "tensor allocations. `data_mb` = what building the series added to the RSS.\n"
        "- **Exponents** are least-squares slopes of log(seconds per epoch), log(peak RSS increase) and log(parameters) "
        "against log(axis value); 1 = linear, 0 = flat.\n"
        "- Axes (one varies, the others stay at the base point): M = number of past-covariate components, one "
        "modality each (`modalities=None`), TiDE reads the same covariates; number of series of "
        f"{settings.get('series_length', '?')} steps (lengthened where needed to hold W // n windows); input "
        "chunk length.\n")
    if settings:
        parts.append("Settings: " + ", ".join(f"`{k}` = {v!r}" for k, v in settings.items()) + "\n")
    if results.empty:
        parts.append("No finished point yet.\n")
    else:
        exponents = _exponents(results)
        parts.append("## Exponents\n")
        parts.append("Least-squares slope over all points of the axis, and (\"last two\") the slope between its two "
                     "largest values, which fixed costs (the target's own encoder, the head, Python overhead) dilute "
                     "less.\n")
        parts.append(markdown_table(["axis", "model", "points", "time exponent", "time, last two", "memory exponent",
                             "memory, last two", "params exponent"],
                            [[r.axis, r.model, r.n_points, _fmt(r.time_exponent), _fmt(r.time_exponent_tail),
                              _fmt(r.memory_exponent), _fmt(r.memory_exponent_tail), _fmt(r.params_exponent)]
                             for r in exponents.itertuples()]) + "\n")
        ratio_frames = []
        for axis in AXES:
            if (results.axis == axis).any():
                table, ratios = _axis_table(results, axis)
                ratio_frames.append(ratios)
                parts.append(f"## {_AXIS_LABEL[axis]}\n")
                parts.append(table + "\n")
        ratios = pd.concat(ratio_frames, ignore_index=True) if ratio_frames else pd.DataFrame()
        if not ratios.empty:
            finite = ratios.time_ratio[np.isfinite(ratios.time_ratio)]
            if len(finite):
                parts.append(f"pf / TiDE time per epoch over all points: {finite.min():.2f}-{finite.max():.2f} "
                             f"(median {finite.median():.2f}).\n")
        parts.append(_base_point_spread(results, settings))
        parts.append(_verdicts(results, exponents))
        if scaling_plot(results, out / PLOT_FILE) is not None:
            parts.append(f"![scaling]({PLOT_FILE})\n")
    path = out / REPORT_FILE
    atomic_write_text(path, portable_paths("\n".join(parts), out))  # no machine path in a committed report
    return path




# --------------------------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The options of ``python benchmarks/scaling_study.py`` (every one defaults to the profile's value)."""
    parser = argparse.ArgumentParser(
        prog="python benchmarks/scaling_study.py",
        description="Fit time per epoch and peak memory of pf and TiDE against the number of modalities, of series "
                    "and the input length (synthetic data, CPU). Finished points in --out are reused.")
    parser.add_argument("--out", default="scaling_out", metavar="DIR",
                        help="output folder; finished points in it are reused (default: scaling_out; the committed "
                             "study: benchmarks/scaling)")
    parser.add_argument("--profile", default="default", choices=tuple(SCALING_PROFILES),
                        help="default: the full study; tiny: 2 values per axis and tiny networks, a smoke run")
    parser.add_argument("--models", default=None, metavar="LIST", help="pf,tide (default) or one of them")
    parser.add_argument("--epochs", default=None, metavar="N",
                        help="training epochs per point, the first one = warm-up (default 4; tiny 2)")
    parser.add_argument("--batch-size", default=None, metavar="N", help="batch size (default 64; tiny 32)")
    parser.add_argument("--windows-per-epoch", default=None, metavar="N",
                        help="training windows per epoch, W (default 2000; tiny 120)")
    parser.add_argument("--threads", default=None, metavar="N", help="torch and BLAS threads per point (default 1)")
    parser.add_argument("--keep-going", action="store_true", help="record a failing point and continue")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _positive(option: str, text: Any) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        raise ValueError(f"{option} {text!r} is not valid; give a positive integer.")
    return value


def config_from_args(args: argparse.Namespace) -> ScalingConfig:
    """The :class:`ScalingConfig` of ``--profile`` with the other options applied.

    Raises
    ------
    ValueError
        An invalid value (the message names the option and the value).
    """
    config = SCALING_PROFILES[args.profile]
    changes: dict[str, Any] = {}
    if args.models is not None:
        models = [m.strip() for m in args.models.split(",") if m.strip()]
        if not models or any(m not in SCALING_MODELS for m in models):
            raise ValueError(f"--models {args.models!r} is not valid for the scaling study; choose from "
                             f"{list(SCALING_MODELS)}.")
        changes["models"] = tuple(dict.fromkeys(models))
    for option, dest, key in (("--epochs", "epochs", "epochs"), ("--batch-size", "batch_size", "batch_size"),
                              ("--windows-per-epoch", "windows_per_epoch", "windows_per_epoch"),
                              ("--threads", "threads", "threads")):
        if getattr(args, dest) is not None:
            changes[key] = _positive(option, getattr(args, dest))
    return replace(config, **changes) if changes else config


def _command(args: argparse.Namespace, config: ScalingConfig) -> str:
    parts = ["python", "benchmarks/scaling_study.py", "--out", str(args.out), "--profile", config.profile,
             "--models", ",".join(config.models), "--epochs", str(config.epochs), "--batch-size",
             str(config.batch_size), "--windows-per-epoch", str(config.windows_per_epoch), "--threads",
             str(config.threads)]
    if args.keep_going:
        parts.append("--keep-going")
    return shlex.join(parts)


def run_study(args: argparse.Namespace) -> int:
    """Run the study with parsed options (see :func:`build_parser`); record the run and write the report.

    Returns
    -------
    int
        0 when every point is finished, 1 when some failed (only with ``--keep-going``).

    Raises
    ------
    ValueError
        An invalid option; an ``--out`` that is a file or holds points measured with other settings.
    """
    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(args.out)!r} is an existing file; pass a folder (new, or an earlier --out "
                         f"to resume it).")
    config = config_from_args(args)
    import torch

    torch.set_num_threads(config.threads)  # the parent only imports; every point sets its own threads as well
    run = ScalingRun(out=out)  # filled point by point: a stopped run still records what it finished
    start = {"command": _command(args, config), "settings": config.fingerprint(), "load_at_start": _load()}
    with recorded_run(out, start, report=lambda: write_scaling_report(out, run.results),
                      progress=lambda: {"load_at_end": _load(), "ran": run.ran, "skipped": run.skipped,
                                        "failed": run.failed}) as record:
        run_scaling(config, out, progress=not args.no_progress, keep_going=args.keep_going, run=run)
        record["status"] = "failed points" if run.failed else "finished"
    print(f"scaling study: {len(run.ran)} points run, {len(run.skipped)} reused, {len(run.failed)} failed, "
          f"in {record['seconds']:.0f} s.\n  results: {out / RESULTS_FILE}\n  report:  {out / REPORT_FILE}")
    return 1 if run.failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: one line and exit code 2 for a caller's mistake, 130 on Ctrl-C."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return run_study(args)
    except KeyboardInterrupt:
        print("scaling study: interrupted. Finished points are kept; run the same command again to resume.",
              file=sys.stderr)
        return 130
    except ValueError as err:
        print(f"scaling study: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
