"""Benchmark cells: fit one model on one task with one seed, measure it, and store the result atomically.

A *cell* is one ``(dataset, track, model, seed)``. Running a cell fits the model (see
:func:`~pf_forecast.benchmark.models.fit_model`), then measures, on the task's test segment:

- clean MSE and MAE over every test window and step (``historical_forecasts(start=test_start,
  forecast_horizon=horizon, stride=test_stride, retrain=False, last_points_only=False)``; local statistical
  models use ``retrain=True``, i.e. they are refit on the history before every window);
- the throughput of those historical forecasts (windows per second) and the predict latency (median of
  ``predict(horizon)`` calls from the test start);
- the MultiBench noise sweep and the missing-modality sweep through
  :func:`pf_forecast.robustness.evaluate_robustness` (global models with covariates only);
- with ``faults=True``, the stream-fault sweeps (outage, latency, stuck, spikes at their default grids, per
  modality; rows ``fault:<fault>:<modality>``).

Each finished cell is stored by :mod:`~pf_forecast.benchmark.store` (atomic cell files and sidecars); a re-run
skips finished cells, so an interrupted run loses no finished cell, and ``results.csv`` is always regenerated from
the cell files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import statistics
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from darts import TimeSeries
from tqdm.auto import tqdm

from pf_forecast.data import ForecastingTask
from pf_forecast.robustness import FAULT_LEVELS, FAULTS, evaluate_robustness, fault_middle_level
from pf_forecast.robustness.scoring import QUANTILE_LEVELS, forecast_quantiles, score_quantile_windows

from .models import (
    DETERMINISTIC_MODELS,
    LOCAL_MODELS,
    BenchSettings,
    applicability,
    count_parameters,
    fit_model,
    handles_missing_covariates,
    make_model,
    model_config,
    model_inputs,
    seasonal_period,
)
from .settings import FAULT_IMPUTE_CHOICES
from .store import (
    CELLS_DIR,
    RESULT_COLUMNS,
    Cell,
    atomic_write_text,
    check_settings,
    collect_results,
    read_cell_meta,
    remove_stale_temporaries,
    write_cell,
)

try:  # shipped with scikit-learn, a dependency
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    def threadpool_limits(limits: int | None = None) -> contextlib.AbstractContextManager:
        """Fallback without threadpoolctl: BLAS threads are left as they are."""
        return contextlib.nullcontext()

__all__ = [
    "RESULT_COLUMNS",
    "BenchRun",
    "Cell",
    "NonFiniteForecastError",
    "atomic_write_text",
    "best_fault_imputation",
    "collect_results",
    "limited_threads",
    "plan_cells",
    "quiet_training",
    "read_cell_meta",
    "run_benchmark",
    "run_cell",
]

logger = logging.getLogger(__name__)

_PREDICT_REPEATS = 5
#: Draws per forecast of a quantile model in the robustness sweeps: darts' metrics score their median.
SWEEP_SAMPLES = 200


# --------------------------------------------------------------------------------------------------------------
# Quiet, single-purpose training
# --------------------------------------------------------------------------------------------------------------
_NOISY_LOGGERS = ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric", "darts")
_NOISY_WARNINGS = (
    ".*pin_memory.*",
    ".*num_workers.*",
    ".*does not have many workers.*",
    ".*LeafSpec.*",
    ".*Total length of .* across ranks is zero.*",
    ".*predict\\(\\) was called with.*",
    ".*GPU available.*",
    ".*TPU available.*",
    ".*litlogger.*",
    ".*np.ndarray subset \\(sliced data\\).*",  # LightGBM on darts' lagged training matrix
)


@contextlib.contextmanager
def quiet_training() -> Iterator[None]:
    """Silence Lightning's and darts' per-fit chatter (INFO logs, known harmless warnings) within the block.

    Logger levels and warning filters are restored on exit.
    """
    saved = {name: logging.getLogger(name).level for name in _NOISY_LOGGERS}
    try:
        for name in _NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        with warnings.catch_warnings():
            for pattern in _NOISY_WARNINGS:
                warnings.filterwarnings("ignore", message=pattern)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def limited_threads(threads: int) -> Iterator[None]:
    """Run the block on ``threads`` torch threads and ``threads`` BLAS threads.

    BLAS threads too: statsmodels / numpy with 2 threads on a busy 2-core box are several times slower. The torch
    setting stays after the block (torch has no per-block setting); the BLAS limits are restored.
    """
    import torch

    torch.set_num_threads(int(threads))
    with threadpool_limits(limits=int(threads)):
        yield


# --------------------------------------------------------------------------------------------------------------
# One cell
# --------------------------------------------------------------------------------------------------------------
def _historical_forecasts(model: Any, name: str, task: ForecastingTask, inputs: dict[str, Any],
                          stride: int, quantiles: bool = False) -> tuple[list[TimeSeries], float]:
    start = time.perf_counter()
    extra = {"predict_likelihood_parameters": True} if quantiles else {}  # one component per quantile level
    forecasts = model.historical_forecasts(
        task.series,
        start=task.test_start,
        forecast_horizon=task.horizon,
        stride=stride,
        retrain=name in LOCAL_MODELS,
        last_points_only=False,
        overlap_end=False,
        verbose=False,
        show_warnings=False,
        **({} if name in LOCAL_MODELS else inputs),
        **extra,
    )
    return list(forecasts), time.perf_counter() - start


def _median_forecast(forecast: TimeSeries, target: str) -> TimeSeries:
    """The q = 0.5 component of a quantile forecast, named as the target (the point forecast of the MSE)."""
    name = next(c for c in forecast.components if abs(float(c.rsplit("_q", 1)[1]) - 0.5) < 1e-9)
    return forecast[name].with_columns_renamed(name, target)


def _probabilistic_rows(task: ForecastingTask, name: str, forecasts: Sequence[TimeSeries],
                        quantiles: bool) -> list[tuple[str, float, str, float]]:
    """SQL, MASE, WQL and 80% coverage in the target's original units (fev-bench's definitions).

    A quantile forecast is scored as it is; ``naive-seasonal`` adds to its point forecast the empirical quantiles
    of the seasonal residuals ``y_t - y_{t-K}`` of the history before each window, centred on their median (its
    median stays the naive forecast, so its MASE is fev's seasonal-naive MASE); any other point forecast is
    scored at every level (its SQL is its MASE).
    """
    if task.series.n_components != 1:
        return []  # fev's scores are defined for a univariate target
    season = seasonal_period(task)
    scaled = task.series.values(copy=False)[:, 0].astype(float)
    index = task.series.time_index
    windows = []
    for forecast in forecasts:
        q = forecast_quantiles(forecast, QUANTILE_LEVELS)  # (H, Q), scaled units
        if name == "naive-seasonal" and not quantiles:
            history = scaled[:index.get_loc(forecast.start_time())]
            residuals = history[season:] - history[:-season]
            spread = np.quantile(residuals, QUANTILE_LEVELS)  # (Q,)
            q = q + (spread - np.median(residuals))[None, :]  # (H, Q): centred, so the median is the naive forecast
        # the quantiles as samples of the one target component, so the task's own inverse transform applies
        as_samples = TimeSeries.from_times_and_values(forecast.time_index, q[:, None, :],
                                                      columns=list(task.series.components))
        windows.append((forecast.start_time(), task.inverse_transform(as_samples).all_values()[:, 0, :]))
    scores = score_quantile_windows(task.inverse_transform(task.series), windows, QUANTILE_LEVELS, season)
    return [("none", 0.0, metric, scores[key]) for metric, key in
            (("sql", "sql"), ("mase", "mase"), ("wql", "wql"), ("coverage80", "coverage"))]


class NonFiniteForecastError(RuntimeError):
    """A model returned NaN or infinite forecasts: its cell fails with this reason instead of scoring NaN."""


def _has_missing(task: ForecastingTask) -> bool:
    """Whether any covariate of ``task`` holds NaN or infinite values."""
    return any(ts is not None and not np.isfinite(ts.values(copy=False)).all()
               for ts in (task.past_covariates, task.future_covariates))


def pooled_errors(series: TimeSeries, forecasts: Sequence[TimeSeries]) -> dict[str, float]:
    """MSE and MAE over every window and step (and target component) of ``forecasts`` against ``series``.

    Parameters
    ----------
    series
        The actual target.
    forecasts
        Deterministic forecasts lying inside ``series``.

    Returns
    -------
    dict
        ``{"mse": ..., "mae": ...}``.
    """
    if not forecasts:
        raise ValueError("no forecast window to score; the test segment is shorter than the horizon.")
    actual = series.values(copy=False)
    index = series.time_index
    errors = []
    for forecast in forecasts:
        position = index.get_loc(forecast.start_time())
        errors.append(forecast.values(copy=False) - actual[position:position + len(forecast)])
    error = np.concatenate(errors).astype(np.float64)
    return {"mse": float(np.mean(error**2)), "mae": float(np.mean(np.abs(error)))}


def _predict_latency(model: Any, name: str, task: ForecastingTask, inputs: dict[str, Any]) -> float:
    """Median seconds of ``predict(horizon)`` from the test start (after one warm-up call)."""
    if name in LOCAL_MODELS:
        def call() -> Any:
            return model.predict(task.horizon, verbose=False, show_warnings=False)
    else:
        _, test_row = task.split_index()
        history = task.series[:test_row]

        def call() -> Any:
            return model.predict(task.horizon, series=history, verbose=False, show_warnings=False, **inputs)
    call()
    timings = []
    for _ in range(_PREDICT_REPEATS):
        start = time.perf_counter()
        call()
        timings.append(time.perf_counter() - start)
    return float(statistics.median(timings))


def _mean_curves(curves: pd.DataFrame) -> pd.Series:
    """Mean over noise repeats: (modality, level, metric) -> value."""
    return curves.groupby(["modality", "level", "metric"], sort=True)["value"].mean()


def _fault_rows(model: Any, name: str, task: ForecastingTask, common: dict[str, Any], settings: BenchSettings,
                meta: dict[str, Any]) -> list[tuple[str, float, str, float]]:
    """The stream-fault sweeps: every fault at its default grid, each modality of the task alone.

    Rows are named ``fault:<fault>:<modality>``; level 0 is the clean score of the same windows. Latency is
    evaluated window by window (see :func:`pf_forecast.robustness.evaluate_robustness`). A model that cannot
    take NaN gets the gaps filled by ``settings.fault_impute``; ``"best"`` picks, per fault and modality, the
    policy of :func:`best_fault_imputation`.
    """
    rows: list[tuple[str, float, str, float]] = []
    modalities = {mod: list(cols) for mod, cols in task.modalities.items()}
    timings: dict[str, float] = {}
    choices: dict[str, dict[str, str]] = {}
    validation: dict[str, dict[str, dict[str, float]]] = {}
    for fault in FAULTS:
        start = time.perf_counter()
        if handles_missing_covariates(name):
            policies = {mod: None for mod in modalities}
        elif settings.fault_impute == "best":
            policies, validation[fault] = best_fault_imputation(model, task, fault, modalities, common, settings)
        else:
            policies = {mod: settings.fault_impute for mod in modalities}
        choices[fault] = {mod: policy or "none (NaN to the model)" for mod, policy in policies.items()}
        for policy in dict.fromkeys(policies.values()):  # one sweep per policy, over the modalities that chose it
            chosen = {mod: modalities[mod] for mod, p in policies.items() if p == policy}
            report = evaluate_robustness(model, task.series, corruption=fault, levels=FAULT_LEVELS[fault],
                                         modalities=chosen, n_repeats=settings.n_repeats,
                                         **{**common, "impute": policy})
            for (modality, level, metric), value in _mean_curves(report.curves).items():
                rows.append((f"fault:{fault}:{modality}", float(level), metric, float(value)))
        timings[fault] = round(time.perf_counter() - start, 2)
    meta["faults"] = {"levels": {fault: list(FAULT_LEVELS[fault]) for fault in FAULTS}, "seconds": timings,
                      "impute": choices, "fault_impute": "none" if handles_missing_covariates(name)
                      else settings.fault_impute}
    if validation:
        meta["faults"]["validation_mse"] = validation
    return rows


def best_fault_imputation(model: Any, task: ForecastingTask, fault: str, modalities: dict[str, list[str]],
                          common: dict[str, Any], settings: BenchSettings
                          ) -> tuple[dict[str, str], dict[str, dict[str, float]]]:
    """Per modality, the imputation policy that gives ``model`` the lowest MSE under ``fault`` at its middle
    severity on the validation segment: what a practitioner tuning the peer's pipeline would pick.

    Every policy of :data:`FAULT_IMPUTE_CHOICES` is scored on the windows that start in the validation segment
    and end before the test segment (the target is cut at ``test_start``), with the same seed, so the faults are
    the same for every policy; ties go to the run's declared ``settings.impute``.

    Returns
    -------
    choice : dict
        modality -> policy.
    scores : dict
        modality -> policy -> validation MSE.
    """
    _, test_row = task.split_index()
    level = fault_middle_level(fault)
    scores: dict[str, dict[str, float]] = {mod: {} for mod in modalities}
    for policy in FAULT_IMPUTE_CHOICES:
        report = evaluate_robustness(model, task.series[:test_row], corruption=fault, levels=(0.0, level),
                                     modalities=modalities, n_repeats=settings.n_repeats,
                                     **{**common, "start": task.val_start, "impute": policy})
        curves = _mean_curves(report.curves)
        for mod in modalities:
            scores[mod][policy] = float(curves[(mod, level, "mse")])
    # ties (a fault that leaves no gap, e.g. stuck or spikes, scores the same under every policy) go to the run's
    # declared policy, then to the order of FAULT_IMPUTE_CHOICES
    order = sorted(FAULT_IMPUTE_CHOICES, key=lambda p: p != settings.impute)
    choice = {mod: min(order, key=lambda p, m=mod: scores[m][p]) for mod in modalities}
    return choice, scores


def run_cell(task: ForecastingTask, cell: Cell, settings: BenchSettings) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fit and measure one cell; nothing is written.

    Parameters
    ----------
    task
        The task (``task.name`` / ``task.track`` should match ``cell.dataset`` / ``cell.track``).
    cell
        Which model and seed.
    settings
        Shared settings.

    Returns
    -------
    frame : pandas.DataFrame
        The cell's rows, columns :data:`RESULT_COLUMNS`.
    meta : dict
        Settings and facts of the run (fit facts, numbers of windows, imputation policy, timings).
    """
    name = cell.model
    inputs = model_inputs(name, task, settings.impute)
    imputed = not handles_missing_covariates(name) and _has_missing(task)
    meta: dict[str, Any] = {
        "cell": cell.key, "dataset": cell.dataset, "track": cell.track, "model": name, "seed": cell.seed,
        "settings": settings.fingerprint(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "accelerator": settings.accelerator, "devices": settings.devices,  # where, not what: not in the settings
        "covariate_nan": "imputed: " + settings.impute if imputed else (
            "received as NaN (the model handles missing covariates)" if _has_missing(task) else "none in the data"),
    }
    wall = time.perf_counter()
    with quiet_training():
        model = make_model(name, task, cell.seed, settings)
        meta["model_config"] = model_config(model)
        start = time.perf_counter()
        meta["fit"] = fit_model(model, name, task, settings, inputs=inputs)
        fit_seconds = time.perf_counter() - start
        n_params = count_parameters(model)
        predict_seconds = _predict_latency(model, name, task, inputs)

        quantiles = settings.probabilistic and bool(getattr(model, "supports_likelihood_parameter_prediction",
                                                             False))
        forecasts, hf_seconds = _historical_forecasts(model, name, task, inputs, settings.test_stride, quantiles)
        target = task.series.components[0]
        point = [_median_forecast(f, target) for f in forecasts] if quantiles else forecasts
        scores = pooled_errors(task.series, point)
        if not all(np.isfinite(v) for v in scores.values()):
            raise NonFiniteForecastError(
                f"{name} returned non-finite forecasts on the clean test windows of {task.name} / {task.track} "
                f"(covariate NaN: {meta['covariate_nan']}); with --impute none a model that cannot take NaN "
                f"fails like this: choose --impute ffill, mean or zero."
            )
        rows: list[tuple[str, float, str, float]] = [
            ("none", 0.0, "mse", scores["mse"]),
            ("none", 0.0, "mae", scores["mae"]),
            ("none", 0.0, "hf_windows_per_s", len(forecasts) / max(hf_seconds, 1e-9)),
            ("none", 0.0, "n_test_windows", float(len(forecasts))),
        ]
        if settings.probabilistic:
            rows += _probabilistic_rows(task, name, forecasts, quantiles)
            if not all(np.isfinite(value) for *_, value in rows):
                raise NonFiniteForecastError(f"{name} returned non-finite quantile forecasts on {task.name}.")
        if meta["fit"].get("epochs_trained") is not None:
            rows.append(("none", 0.0, "epochs_trained", float(meta["fit"]["epochs_trained"])))
        meta.update(test_stride=settings.test_stride, n_test_windows=len(forecasts), hf_seconds=hf_seconds,
                    hf_retrain=name in LOCAL_MODELS)

        has_covariates = inputs["past_covariates"] is not None or inputs["future_covariates"] is not None
        if name in LOCAL_MODELS or not has_covariates:
            meta["robustness"] = "not applicable: the model reads no covariates"
        else:
            stride = settings.robustness_stride or task.horizon
            # the same declared policy as the clean run: the clean inputs are already filled, and what a
            # corruption removes is filled by the same policy (pf receives NaN)
            common = {"forecast_horizon": task.horizon, "start": task.test_start, "stride": stride,
                      "metrics": ("mse", "mae"), "seed": int(cell.seed),
                      "impute": None if handles_missing_covariates(name) else settings.impute, **inputs}
            if quantiles:  # one draw of a quantile model is a random quantile: score the median of many draws
                common["historical_forecasts_kwargs"] = {"num_samples": SWEEP_SAMPLES}
            noise = evaluate_robustness(model, task.series, corruption="multibench", levels=settings.levels,
                                        modalities=None, n_repeats=settings.n_repeats, **common)
            for (_, level, metric), value in _mean_curves(noise.curves).items():
                rows.append(("multibench", float(level), metric, float(value)))
            meta["robustness"] = {key: noise.metadata.get(key) for key in
                                  ("impute", "stride", "n_windows", "corruption_start", "n_repeats")}
            if settings.missing and task.modalities:
                missing = evaluate_robustness(
                    model, task.series, corruption="missing", levels=(0.0, 1.0),
                    modalities={mod: list(cols) for mod, cols in task.modalities.items()}, **common,
                )
                for (modality, level, metric), value in _mean_curves(missing.curves).items():
                    rows.append((f"missing:{modality}", float(level), metric, float(value)))
                meta["missing_impute"] = missing.metadata.get("impute")
            if settings.faults and task.modalities:
                rows += _fault_rows(model, name, task, common, settings, meta)
    meta["wall_seconds"] = time.perf_counter() - wall
    meta["fit_seconds"], meta["predict_seconds"], meta["n_params"] = fit_seconds, predict_seconds, n_params
    frame = pd.DataFrame(rows, columns=["corruption", "level", "metric", "value"])
    frame.insert(0, "seed", int(cell.seed))
    frame.insert(0, "model", name)
    frame.insert(0, "track", cell.track)
    frame.insert(0, "dataset", cell.dataset)
    frame["fit_seconds"], frame["predict_seconds"], frame["n_params"] = fit_seconds, predict_seconds, n_params
    return frame.loc[:, list(RESULT_COLUMNS)], meta


# --------------------------------------------------------------------------------------------------------------
# Planning and running many cells
# --------------------------------------------------------------------------------------------------------------
def plan_cells(tasks: Sequence[ForecastingTask], models: Sequence[str], seeds: Sequence[int],
               settings: BenchSettings) -> tuple[list[tuple[ForecastingTask, Cell]], list[dict[str, Any]]]:
    """The cells to run, and the (task, model) pairs left out with the reason.

    Deterministic models (``linear`` and the local statistical models) run for the first seed only.

    Parameters
    ----------
    tasks
        Loaded tasks.
    models
        Model names.
    seeds
        Seeds.
    settings
        Shared settings (local models' tractability depends on the test stride).

    Returns
    -------
    cells : list of (ForecastingTask, Cell)
    excluded : list of dict
        ``{"dataset", "track", "model", "reason"}``.
    """
    cells: list[tuple[ForecastingTask, Cell]] = []
    excluded: list[dict[str, Any]] = []
    for task in tasks:
        for name in models:
            reason = applicability(name, task, settings)
            if reason is not None:
                excluded.append({"dataset": task.name, "track": task.track, "model": name, "reason": reason})
                continue
            for seed in (seeds[:1] if name in DETERMINISTIC_MODELS else seeds):
                cells.append((task, Cell(task.name, task.track, name, int(seed))))
    return cells, excluded


def _check_existing(out: Path, cells: Sequence[tuple[ForecastingTask, Cell]], settings: BenchSettings) -> None:
    """Refuse to mix finished cells computed with other settings into this run (before any training)."""
    # cells from before the impute setting filled the sweeps with zero (their clean data had no NaN); cells from
    # before the faults / probabilistic settings ran no fault sweep and scored point forecasts, and those from before
    # average_top_k restored the best epoch
    finished = [(task, cell) for task, cell in cells if cell.csv_path(out).is_file()]
    check_settings(out, [(cell.key, cell.meta_path(out)) for _, cell in finished], settings.fingerprint(),
                   legacy={"impute": "zero", "faults": False, "probabilistic": False, "average_top_k": 1})
    _check_model_configs(out, finished, settings)


def _check_model_configs(out: Path, finished: Sequence[tuple[ForecastingTask, Cell]], settings: BenchSettings) -> None:
    """Refuse to reuse a cell whose model was built with other hyper-parameters (e.g. changed defaults).

    Cells written before the model configuration was recorded cannot be checked and are reused as they are.
    """
    with quiet_training():
        for task, cell in finished:
            try:
                stored = json.loads(cell.meta_path(out).read_text(encoding="utf-8")).get("model_config")
            except (OSError, ValueError):
                continue
            if stored is None:
                continue
            now = model_config(make_model(cell.model, task, cell.seed, settings))
            diff = {k: (stored.get(k), now.get(k)) for k in sorted({*stored, *now}) if stored.get(k) != now.get(k)}
            if diff:
                changes = "; ".join(f"{k}: {old} -> {new}" for k, (old, new) in diff.items())
                raise ValueError(
                    f"--out {str(out)!r} holds cell {cell.key!r}, computed with other {cell.model} hyper-parameters "
                    f"({changes}): the model's defaults changed since. Pass a new --out, or delete "
                    f"{cell.csv_path(out).name} to recompute that cell."
                )


@dataclass
class BenchRun:
    """What :func:`run_benchmark` did.

    Attributes
    ----------
    out : pathlib.Path
    ran, skipped : list of str
        Keys of the cells run now / found finished and reused.
    failed : dict
        Cell key -> error message (only with ``keep_going``).
    excluded : list of dict
        (dataset, track, model, reason) left out by :func:`plan_cells`.
    results : pandas.DataFrame
        ``results.csv`` as regenerated at the end.
    """

    out: Path
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    excluded: list[dict[str, Any]] = field(default_factory=list)
    results: pd.DataFrame | None = None


def run_benchmark(tasks: Sequence[ForecastingTask], models: Sequence[str], seeds: Sequence[int],
                  settings: BenchSettings, out: str | os.PathLike, *, progress: bool = True,
                  keep_going: bool = False, run: BenchRun | None = None) -> BenchRun:
    """Run every planned cell not finished yet, writing each atomically, then regenerate ``results.csv``.

    Parameters
    ----------
    tasks
        Loaded tasks.
    models
        Model names.
    seeds
        Seeds.
    settings
        Shared settings.
    out
        Output folder (created if needed).
    progress
        Show a tqdm progress bar over the cells (on stderr).
    keep_going
        Record a failing cell and go on with the others instead of stopping at the first error. A cell whose
        forecasts are not finite is always recorded as failed, with the reason, and the run goes on.
    run
        A :class:`BenchRun` for ``out`` to fill as cells finish, so that a caller still knows which cells ran when
        the run stops early (an error, Ctrl-C); a new one by default.

    Returns
    -------
    BenchRun

    Raises
    ------
    ValueError
        If ``out`` holds finished cells computed with other settings (checked before any training).
    """
    out = Path(out)
    cells, excluded = plan_cells(tasks, models, seeds, settings)
    _check_existing(out, cells, settings)
    (out / CELLS_DIR).mkdir(parents=True, exist_ok=True)
    run = BenchRun(out=out) if run is None else run
    run.excluded = excluded
    remove_stale_temporaries(out / CELLS_DIR)
    bar = tqdm(total=len(cells), desc="bench", unit="cell", disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    try:
        for task, cell in cells:
            bar.set_postfix_str(cell.key, refresh=False)
            if cell.csv_path(out).is_file():
                run.skipped.append(cell.key)
                bar.update(1)
                continue
            try:
                frame, meta = run_cell(task, cell, settings)
            except NonFiniteForecastError as error:  # a result about the model, not a harness error: go on
                logger.warning("cell %s failed: %s", cell.key, error)
                run.failed[cell.key] = f"{type(error).__name__}: {error}"
            except Exception as error:
                if not keep_going:
                    raise
                logger.exception("cell %s failed", cell.key)
                run.failed[cell.key] = f"{type(error).__name__}: {error}"
            else:
                write_cell(out, cell, frame, meta)
                run.ran.append(cell.key)
                logger.info("cell %s done in %.1f s", cell.key, meta["wall_seconds"])
            bar.update(1)
    finally:
        bar.close()
        run.results = collect_results(out)  # whatever happened, results.csv reflects every finished cell
    return run
