"""The task container every loader returns, and the one builder that makes it.

:class:`ForecastingTask` holds a dataset ready for a darts model; :func:`build_task` is the single path from a
prepared frame to a task (scaling on the train rows, float32 series, split points, protocol text) that the
published-protocol loaders (:mod:`pf_forecast.data.published`) and :func:`~pf_forecast.data.load_csv` share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from darts import TimeSeries
from sklearn.preprocessing import StandardScaler

from pf_forecast._checks import check_int

__all__ = ["ForecastingTask", "build_task"]


@dataclass(frozen=True, eq=False)
class ForecastingTask:
    """A dataset ready for a darts model, with its split points and the protocol that produced it.

    All series are float32 (darts models train in the target's precision) and already scaled as the protocol says;
    :meth:`inverse_transform` maps target values back to the original units.

    Parameters
    ----------
    name
        Short identifier, e.g. ``"epf-NP"``.
    track
        Which covariate setting this is, e.g. ``"past"`` (covariates over the input window only), ``"future"``
        (also over the forecast horizon) or ``"oracle"`` (observed values used as if known in advance).
    series
        The full target series (train, validation and test).
    past_covariates, future_covariates
        Covariates over the same time index as ``series``, or ``None``.
    modalities
        Modality name -> covariate component names. The target history is an implicit extra modality and is
        never listed here.
    input_chunk_length
        Length of the input window the protocol prescribes.
    horizon
        Forecast horizon (darts' ``output_chunk_length`` / ``forecast_horizon``).
    val_start, test_start
        First time point of the validation and test segments (``pd.Timestamp``, or ``int`` for a series on a
        ``RangeIndex``). Validation and test windows may read ``input_chunk_length`` points before them.
    protocol
        Human-readable description of the preprocessing and split.
    scaler
        The fitted ``sklearn`` ``StandardScaler`` whose ``feature_names_in_`` are the scaled columns, or ``None``.
    info
        Extra dataset-specific facts (e.g. ``"dates"`` for a ``RangeIndex`` series, ``"target_imputed"``).

    Examples
    --------
    >>> from pf_forecast.data import load_etth1
    >>> task = load_etth1()
    >>> len(task.train_series()), task.split_index(), task.n_test_windows(stride=24)
    (8640, (8640, 11520), 120)
    """

    name: str
    track: str
    series: TimeSeries
    past_covariates: TimeSeries | None
    future_covariates: TimeSeries | None
    modalities: dict[str, list[str]]
    input_chunk_length: int
    horizon: int
    val_start: pd.Timestamp | int
    test_start: pd.Timestamp | int
    protocol: str
    scaler: StandardScaler | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        val_row, test_row = self.split_index()
        if not self.input_chunk_length <= val_row < test_row <= len(self.series) - self.horizon:
            raise ValueError(
                f"ForecastingTask {self.name!r}: split rows val={val_row}, test={test_row} do not fit a series of "
                f"{len(self.series)} rows with input_chunk_length={self.input_chunk_length} and "
                f"horizon={self.horizon}."
            )
        covariate_names = {
            name for covs in (self.past_covariates, self.future_covariates) if covs is not None
            for name in covs.components
        }
        unknown = [c for cols in self.modalities.values() for c in cols if c not in covariate_names]
        if unknown:
            raise ValueError(f"ForecastingTask {self.name!r}: modality components {unknown} are not covariates.")

    def split_index(self) -> tuple[int, int]:
        """Row positions of ``val_start`` and ``test_start`` in :attr:`series`.

        Returns
        -------
        tuple of int
            ``(val_row, test_row)``: train rows are ``[0, val_row)``, validation ``[val_row, test_row)``, test
            ``[test_row, len(series))``.
        """
        index = self.series.time_index
        return int(index.get_loc(self.val_start)), int(index.get_loc(self.test_start))

    def train_series(self) -> TimeSeries:
        """The training segment of the target (every training window lies inside it).

        Returns
        -------
        darts.TimeSeries
        """
        val_row, _ = self.split_index()
        return self.series[:val_row]

    def val_series(self) -> TimeSeries:
        """The validation segment plus the ``input_chunk_length`` points before it, so windows can start.

        Returns
        -------
        darts.TimeSeries
            Pass it as ``val_series`` to ``fit``; the covariates need no slicing (darts aligns them by time).
        """
        val_row, test_row = self.split_index()
        return self.series[val_row - self.input_chunk_length:test_row]

    def test_series(self) -> TimeSeries:
        """The test segment plus the ``input_chunk_length`` points before it.

        Returns
        -------
        darts.TimeSeries
        """
        _, test_row = self.split_index()
        return self.series[test_row - self.input_chunk_length:]

    def n_test_windows(self, stride: int = 1) -> int:
        """Number of test forecasts: windows whose forecast starts at ``test_start`` .. ``end - horizon + 1``.

        This is what ``model.historical_forecasts(task.series, start=task.test_start,
        forecast_horizon=task.horizon, stride=stride, retrain=False, last_points_only=False)`` returns.

        Parameters
        ----------
        stride
            Points between consecutive forecast starts.

        Returns
        -------
        int
        """
        stride = check_int("stride", stride, low=1)
        _, test_row = self.split_index()
        return (len(self.series) - self.horizon - test_row) // stride + 1

    def covariate_kwargs(self) -> dict[str, TimeSeries]:
        """The task's covariates as keyword arguments for darts' ``fit`` / ``predict`` / ``historical_forecasts``.

        Returns
        -------
        dict
            ``{"past_covariates": ..., "future_covariates": ...}`` without the ``None`` entries.
        """
        kwargs = {"past_covariates": self.past_covariates, "future_covariates": self.future_covariates}
        return {key: value for key, value in kwargs.items() if value is not None}

    def fit_kwargs(self) -> dict[str, TimeSeries]:
        """Keyword arguments for ``model.fit``: train series, validation series and both sets of covariates.

        Returns
        -------
        dict

        Examples
        --------
        >>> from darts.models import LinearRegressionModel
        >>> from pf_forecast.data import load_etth1
        >>> task = load_etth1()
        >>> model = LinearRegressionModel(lags=24, lags_past_covariates=24, output_chunk_length=task.horizon)
        >>> model = model.fit(**{k: v for k, v in task.fit_kwargs().items() if not k.startswith("val_")})
        """
        kwargs: dict[str, TimeSeries] = {"series": self.train_series(), **self.covariate_kwargs()}
        kwargs["val_series"] = self.val_series()
        kwargs.update({f"val_{key}": value for key, value in self.covariate_kwargs().items()})
        return kwargs

    def inverse_transform(self, series: TimeSeries) -> TimeSeries:
        """Map a target series (e.g. a forecast) from the scaled space back to the original units.

        Parameters
        ----------
        series
            A series with the same components as :attr:`series` (deterministic or stochastic).

        Returns
        -------
        darts.TimeSeries
        """
        if self.scaler is None:
            return series
        components = list(self.series.components)
        if list(series.components) != components:
            raise ValueError(
                f"series has components {list(series.components)}; inverse_transform expects the target "
                f"components {components}."
            )
        fitted_names = list(self.scaler.feature_names_in_)
        positions = [fitted_names.index(name) for name in components]
        scale = self.scaler.scale_[positions] if self.scaler.with_std else np.ones(len(positions))
        offset = self.scaler.mean_[positions] if self.scaler.with_mean else np.zeros(len(positions))
        values = series.all_values(copy=False)  # (time, components, samples)
        restored = values * scale[None, :, None] + offset[None, :, None]
        return series.with_values(restored.astype(values.dtype))


# --------------------------------------------------------------------------------------------------------------
# The builder every loader goes through
# --------------------------------------------------------------------------------------------------------------


def build_task(
    frame: pd.DataFrame,
    *,
    name: str,
    track: str,
    target: Sequence[str],
    past: Sequence[str] = (),
    future: Sequence[str] = (),
    modalities: Mapping[str, list[str]],
    input_chunk_length: int,
    horizon: int,
    val_row: int,
    test_row: int,
    protocol: str,
    protocol_end: str = "",
    describe_windows: bool = True,
    scaler: StandardScaler | None = None,
    scaled_columns: Sequence[str] | None = None,
    after_scaling: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    info: Mapping[str, Any] | None = None,
) -> ForecastingTask:
    """Make a :class:`ForecastingTask` from one prepared frame, the same way for every loader.

    1. Scale: fit a ``StandardScaler`` on the train rows ``[0, val_row)`` of ``scaled_columns`` (NaN ignored) and
       apply it to every row, or apply the given fitted ``scaler``; other columns (e.g. one-hot) pass unscaled.
    2. ``after_scaling(scaled)``, when given, e.g. to fill target gaps in the scaled space.
    3. Float32 darts series of the ``target``, ``past`` and ``future`` columns (no covariates: ``None``).
    4. The protocol text: ``protocol``, then (``describe_windows``) the split rows, dates and window counts,
       then ``protocol_end``.
    5. The task, with ``val_start`` / ``test_start`` the index labels of rows ``val_row`` / ``test_row``.

    Parameters
    ----------
    frame
        One row per time step, on the task's (regular) time index; its columns hold everything the task uses.
    name, track, modalities, input_chunk_length, horizon, info
        As in :class:`ForecastingTask`.
    target, past, future
        Columns of the target, the past covariates and the future covariates.
    val_row, test_row
        First rows of the validation and test segments.
    protocol, protocol_end, describe_windows
        The protocol text around the description of the split.
    scaler
        A fitted scaler to apply (its ``feature_names_in_`` are the columns it scales), or ``None`` to fit a
        ``StandardScaler`` on the train rows.
    scaled_columns
        Columns the fitted ``StandardScaler`` sees, in its column order; default all of ``frame``.
    after_scaling
        Called on the scaled frame before the series are made; returns the frame to use.

    Returns
    -------
    ForecastingTask

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from pf_forecast.data.task import build_task
    >>> frame = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0) ** 0.5},
    ...                      index=pd.date_range("2024-01-01", periods=100, freq="h"))
    >>> task = build_task(frame, name="toy", track="past", target=["y"], past=["x"], modalities={"x": ["x"]},
    ...                   input_chunk_length=12, horizon=4, val_row=70, test_row=80, protocol="Toy. ")
    >>> task.split_index(), task.scaler.feature_names_in_.tolist()
    ((70, 80), ['x', 'y'])
    """
    if scaler is None:
        columns = list(frame.columns) if scaled_columns is None else list(scaled_columns)
        scaler, scaled_part = _fit_standard_scaler(frame[columns], val_row)
    else:
        columns = list(scaler.feature_names_in_)
        scaled_part = pd.DataFrame(scaler.transform(frame[columns]), index=frame.index, columns=columns)
    rest = [column for column in frame.columns if column not in columns]
    scaled = pd.concat([scaled_part, frame[rest]], axis=1) if rest else scaled_part
    if after_scaling is not None:
        scaled = after_scaling(scaled)
    if describe_windows:
        protocol += _window_protocol(len(frame), val_row, test_row, frame.index, input_chunk_length, horizon)
    return ForecastingTask(
        name=name,
        track=track,
        series=_to_series(scaled[list(target)]),
        past_covariates=_to_series(scaled[list(past)]) if past else None,
        future_covariates=_to_series(scaled[list(future)]) if future else None,
        modalities=dict(modalities),
        input_chunk_length=input_chunk_length,
        horizon=horizon,
        val_start=frame.index[val_row],
        test_start=frame.index[test_row],
        protocol=protocol + protocol_end,
        scaler=scaler,
        info=dict(info or {}),
    )


def _split_rows(n_rows: int, train_fraction: float, test_fraction: float) -> tuple[int, int]:
    """TimeXer's row split: train = first int(train_fraction n), test = last int(test_fraction n), val = rest."""
    # Rounding first guards against float artefacts: 0.7 * 43800 = 30659.999..., which must give 30660.
    n_train = int(round(n_rows * train_fraction, 6))
    n_test = int(round(n_rows * test_fraction, 6))
    return n_train, n_rows - n_test


def _fit_standard_scaler(frame: pd.DataFrame, n_train_rows: int) -> tuple[StandardScaler, pd.DataFrame]:
    """Fit a StandardScaler on the first ``n_train_rows`` rows only (NaN ignored) and scale every row."""
    scaler = StandardScaler().fit(frame.iloc[:n_train_rows])
    scaled = pd.DataFrame(scaler.transform(frame), index=frame.index, columns=frame.columns)
    return scaler, scaled


def _fixed_scaler(columns: Sequence[str], scales: Sequence[float], n_samples: int) -> StandardScaler:
    """A StandardScaler that divides each column by a given scale (no centring), for protocols that say so."""
    scaler = StandardScaler(with_mean=False)
    scaler.scale_ = np.asarray(scales, dtype=np.float64)
    scaler.var_ = scaler.scale_**2
    scaler.mean_ = np.zeros_like(scaler.scale_)
    scaler.n_features_in_ = len(columns)
    scaler.feature_names_in_ = np.asarray(columns, dtype=object)
    scaler.n_samples_seen_ = n_samples
    return scaler


def _to_series(frame: pd.DataFrame) -> TimeSeries:
    """A float32 darts series from a frame whose index is the (regular) time index."""
    return TimeSeries.from_times_and_values(
        frame.index, frame.to_numpy(dtype=np.float32), columns=[str(c) for c in frame.columns]
    )


def _window_protocol(n_rows: int, val_row: int, test_row: int, index: pd.Index, input_chunk_length: int,
                     horizon: int) -> str:
    return (
        f"{n_rows} rows; train rows [0, {val_row}) from {index[0]}, validation rows [{val_row}, {test_row}) from "
        f"{index[val_row]}, test rows [{test_row}, {n_rows}) from {index[test_row]} to {index[-1]}. "
        f"Input {input_chunk_length}, horizon {horizon}; validation and test windows' inputs may start "
        f"{input_chunk_length} rows before their segment; test windows at stride 1 number "
        f"{n_rows - horizon - test_row + 1}."
    )
