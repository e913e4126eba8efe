"""``RobustnessReport``: tidy robustness curves, their MultiBench summaries and a plot."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .metrics import effective_robustness as _effective_robustness
from .metrics import relative_robustness as _relative_robustness

__all__ = ["CURVE_COLUMNS", "RobustnessReport"]

#: The columns of ``RobustnessReport.curves``, in order.
CURVE_COLUMNS: tuple[str, ...] = ("corruption", "modality", "level", "repeat", "metric", "value")
_KEY = ["corruption", "modality"]


class RobustnessReport:
    """The result of :func:`~pf_forecast.robustness.evaluate_robustness`.

    Parameters
    ----------
    curves
        A tidy frame with columns ``corruption, modality, level, repeat, metric, value``: one row per corruption
        name, modality (``"all"`` when every covariate was corrupted together), level, repeat and metric.
    metadata
        What produced the curves: ``model`` (class name), ``impute`` (the policy applied), ``start``,
        ``corruption_start``, ``forecast_horizon``, ``stride``, ``n_windows``, ``seed``, ``modalities`` (name ->
        source -> components) and so on.

    Attributes
    ----------
    curves : pandas.DataFrame
    metadata : dict

    Examples
    --------
    >>> import pandas as pd
    >>> curves = pd.DataFrame({"corruption": "multibench", "modality": "all", "level": [0.0, 0.1, 0.2],
    ...                        "repeat": 0, "metric": "mse", "value": [1.0, 2.0, 4.0]})
    >>> report = RobustnessReport(curves, {"model": "TiDEModel"})
    >>> round(float(report.relative_robustness("mse").iloc[0]), 6)
    0.45
    """

    def __init__(self, curves: pd.DataFrame, metadata: Mapping[str, Any] | None = None) -> None:
        if not isinstance(curves, pd.DataFrame):
            raise TypeError(f"`curves` must be a pandas DataFrame; got {type(curves).__name__}.")
        missing = [c for c in CURVE_COLUMNS if c not in curves.columns]
        if missing:
            raise ValueError(f"`curves` lacks the columns {missing}; expected {list(CURVE_COLUMNS)}.")
        frame = curves.loc[:, list(CURVE_COLUMNS)].copy()
        frame["level"] = frame["level"].astype(float)
        frame["repeat"] = frame["repeat"].astype(int)
        frame["value"] = frame["value"].astype(float)
        self.curves: pd.DataFrame = frame.reset_index(drop=True)
        self.metadata: dict[str, Any] = dict(metadata or {})

    # -----------------------------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        c = self.curves
        return (
            f"RobustnessReport(model={self.metadata.get('model')!r}, corruptions={sorted(c['corruption'].unique())}, "
            f"modalities={list(dict.fromkeys(c['modality']))}, levels={[float(v) for v in sorted(c['level'].unique())]}, "
            f"metrics={list(dict.fromkeys(c['metric']))}, impute={self.metadata.get('impute')!r})"
        )

    def to_frame(self) -> pd.DataFrame:
        """A copy of the tidy curves; the metadata are attached as ``DataFrame.attrs["metadata"]``.

        Examples
        --------
        >>> import pandas as pd
        >>> r = RobustnessReport(pd.DataFrame({"corruption": "gaussian", "modality": "all", "level": [0.0],
        ...                                    "repeat": 0, "metric": "mse", "value": [1.0]}), {"impute": "zero"})
        >>> r.to_frame().attrs["metadata"]["impute"]
        'zero'
        """
        frame = self.curves.copy()
        frame.attrs["metadata"] = copy.deepcopy(self.metadata)
        return frame

    def summary(self, metric: str | None = None) -> pd.DataFrame:
        """Mean, standard deviation, min, max and count over repeats per corruption, modality, metric and level.

        Parameters
        ----------
        metric
            Keep this metric only (default: all).

        Examples
        --------
        >>> import pandas as pd
        >>> r = RobustnessReport(pd.DataFrame({"corruption": "gaussian", "modality": "all", "level": [0.5, 0.5],
        ...                                    "repeat": [0, 1], "metric": "mse", "value": [1.0, 3.0]}))
        >>> float(r.summary("mse")["mean"].iloc[0])
        2.0
        """
        c = self._select(metric) if metric is not None else self.curves
        grouped = c.groupby(_KEY + ["metric", "level"], sort=False)["value"]
        out = grouped.agg(["mean", "std", "min", "max", "count"]).reset_index()
        return out.sort_values(_KEY + ["metric", "level"], kind="stable").reset_index(drop=True)

    def mean_curves(self, metric: str) -> pd.DataFrame:
        """The mean over repeats as a wide frame: rows = levels, columns = (corruption, modality).

        Examples
        --------
        >>> import pandas as pd
        >>> r = RobustnessReport(pd.DataFrame({"corruption": "gaussian", "modality": "all", "level": [0.0, 0.1],
        ...                                    "repeat": 0, "metric": "mse", "value": [1.0, 2.0]}))
        >>> r.mean_curves("mse").shape
        (2, 1)
        """
        c = self._select(metric)
        return c.pivot_table(index="level", columns=_KEY, values="value", aggfunc="mean", sort=True)

    # -----------------------------------------------------------------------------------------------------------
    def relative_robustness(self, metric: str = "mse") -> pd.Series:
        """Relative robustness (trapezoid area under the mean metric-vs-level curve) per corruption and modality.

        Raw values: for an error metric lower is better (MultiBench negates them before normalising across
        methods, see :func:`~pf_forecast.robustness.normalized_robustness`).

        Parameters
        ----------
        metric
            The metric whose curves are summarised.

        Returns
        -------
        pandas.Series
            Indexed by ``(corruption, modality)``.

        Examples
        --------
        >>> import pandas as pd
        >>> r = RobustnessReport(pd.DataFrame({"corruption": "gaussian", "modality": "all", "level": [0.0, 1.0],
        ...                                    "repeat": 0, "metric": "mse", "value": [1.0, 3.0]}))
        >>> float(r.relative_robustness("mse").loc[("gaussian", "all")])
        2.0
        """
        wide = self.mean_curves(metric)
        out = {}
        for key in wide.columns:
            curve = wide[key].dropna()
            out[key] = (
                _relative_robustness(curve.index.to_numpy(), curve.to_numpy()) if len(curve) else np.nan
            )
        return self._keyed(out, f"relative_robustness_{metric}")

    def effective_robustness(self, reference_report: RobustnessReport, metric: str = "mse") -> pd.Series:
        """Effective robustness against a reference report (MultiBench: the late-fusion model), per curve.

        Curves are matched on ``(corruption, modality)``; both must share the same levels. A curve without a
        counterpart in the reference gets NaN; no counterpart at all is an error.

        Parameters
        ----------
        reference_report
            The reference model's report (same corruption, modalities and levels).
        metric
            The metric compared.

        Returns
        -------
        pandas.Series
            ``sum_p (f_p - (g_p + f_0 - g_0))`` indexed by ``(corruption, modality)``.

        Examples
        --------
        >>> import pandas as pd
        >>> def rep(v):
        ...     return RobustnessReport(pd.DataFrame({"corruption": "gaussian", "modality": "all",
        ...         "level": [0.0, 0.5, 1.0], "repeat": 0, "metric": "mse", "value": v}))
        >>> float(rep([1.0, 2.0, 4.0]).effective_robustness(rep([2.0, 2.5, 3.0]), "mse").iloc[0])
        2.5
        """
        if not isinstance(reference_report, RobustnessReport):
            raise TypeError(
                f"`reference_report` must be a RobustnessReport; got {type(reference_report).__name__}."
            )
        mine = self.mean_curves(metric)
        ref = reference_report.mean_curves(metric)
        common = [k for k in mine.columns if k in ref.columns]
        if not common:
            raise ValueError(
                f"No (corruption, modality) curve of the reference report matches this report's: "
                f"{list(mine.columns)} vs {list(ref.columns)}."
            )
        out = {}
        for key in mine.columns:
            if key not in ref.columns:
                out[key] = np.nan
                continue
            f, g = mine[key].dropna(), ref[key].dropna()
            if not np.array_equal(f.index.to_numpy(), g.index.to_numpy()):
                raise ValueError(
                    f"Curve {key} has levels {f.index.tolist()} here but {g.index.tolist()} in the reference; "
                    "evaluate both models at the same levels."
                )
            out[key] = _effective_robustness(f.index.to_numpy(), f.to_numpy(), g.to_numpy())
        return self._keyed(out, f"effective_robustness_{metric}")

    # -----------------------------------------------------------------------------------------------------------
    def plot(self, metric: str = "mse", ax: Any = None, spread: str = "minmax") -> Any:
        """Plot the mean metric-vs-level curve of every (corruption, modality), with the spread over repeats.

        Parameters
        ----------
        metric
            The metric plotted.
        ax
            A matplotlib Axes to draw on; a new figure is created when None.
        spread
            ``"minmax"`` (shade min..max over repeats), ``"std"`` (mean ± one standard deviation) or ``"none"``.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> r = RobustnessReport(pd.DataFrame({"corruption": "gaussian", "modality": "all", "level": [0.0, 0.1],
        ...                                    "repeat": 0, "metric": "mse", "value": [1.0, 2.0]}))
        >>> ax = r.plot("mse")
        >>> ax.get_ylabel()
        'mse'
        """
        if spread not in ("minmax", "std", "none"):
            raise ValueError(f"`spread` must be 'minmax', 'std' or 'none'; got {spread!r}.")
        summary = self.summary(metric)
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(6, 4))
        multi_corruption = summary["corruption"].nunique() > 1
        for (corruption, modality), g in summary.groupby(_KEY, sort=False):
            label = f"{corruption} / {modality}" if multi_corruption else str(modality)
            (line,) = ax.plot(g["level"], g["mean"], marker="o", label=label)
            if spread != "none" and (g["count"] > 1).any():
                if spread == "minmax":
                    lo, hi = g["min"], g["max"]
                else:
                    sd = g["std"].fillna(0.0)
                    lo, hi = g["mean"] - sd, g["mean"] + sd
                ax.fill_between(g["level"], lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_xlabel("corruption level")
        ax.set_ylabel(metric)
        model = self.metadata.get("model")
        ax.set_title(f"Robustness of {model}" if model else "Robustness")
        ax.legend(fontsize="small")
        return ax

    # -----------------------------------------------------------------------------------------------------------
    def _select(self, metric: str) -> pd.DataFrame:
        available = list(dict.fromkeys(self.curves["metric"]))
        if metric not in available:
            raise ValueError(f"Unknown metric {metric!r}; this report has {available}.")
        return self.curves[self.curves["metric"] == metric]

    @staticmethod
    def _keyed(values: dict, name: str) -> pd.Series:
        index = pd.MultiIndex.from_tuples(list(values), names=_KEY)
        return pd.Series(list(values.values()), index=index, name=name, dtype=float)
