"""Hostile inputs, table-driven, across the model, the data loaders, the robustness toolkit and the CLI.

Every case gives one hostile input and states the outcome:

- an exception type, and regular expressions its message must contain: the argument or value at fault, and the fix;
- ``FINITE``: numerically hostile but valid input; the call must succeed with finite values (never a silent NaN);
- ``EXIT_2``: an argparse error (``SystemExit(2)``, usage on stderr);
- ``RETURNS_2``: a caller mistake the CLI reports as one line on stderr, returning 2.

For every case the harness also checks that nothing passed in was mutated: the values, time index and components of
each ``TimeSeries``, each DataFrame, array and argv list, and the bytes of each file, before and after the call.

``docs/bad_inputs.md`` summarises this table (input -> outcome); ``test_docs_list_every_case`` keeps them in sync.
Hyper-parameter and modality-spec cases live in ``test_model_bad_inputs.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import TRAINER_KWARGS, make_series
from darts import TimeSeries
from darts.models import TiDEModel
from darts.utils.likelihood_models import (
    BernoulliLikelihood,
    BetaLikelihood,
    GammaLikelihood,
    NegativeBinomialLikelihood,
    PoissonLikelihood,
)

from pf_forecast import ProgressiveFusionForecaster
from pf_forecast.cli import main as cli_main
from pf_forecast.data import load_csv, load_task
from pf_forecast.robustness import GaussianNoise, RobustnessReport, evaluate_robustness, impute_missing

IN, OUT = 24, 6
FINITE = "finite"
EXIT_2 = "exit 2"
RETURNS_2 = "returns 2"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "bad_inputs.md"


# ---------------------------------------------------------------------------------------------------- the world
class World:
    """Shared inputs and lazily fitted tiny models (one per module)."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.y, self.x = make_series()  # integer index, 160 steps, covariates c0, c1, c2
        self.yh, self.xh = make_series(freq="h")

    def kwargs(self, **overrides) -> dict:
        base = {
            "hidden_size": 8,
            "num_layers": 2,
            "context_size": 4,
            "readout_points": 2,
            "n_epochs": 1,
            "batch_size": 32,
            "random_state": 0,
            "work_dir": str(self.tmp / "logs"),
            "pl_trainer_kwargs": dict(TRAINER_KWARGS),
        }
        return {**base, **overrides}

    def new(self, **overrides) -> ProgressiveFusionForecaster:
        return ProgressiveFusionForecaster(IN, OUT, **self.kwargs(**overrides))

    @functools.cached_property
    def model(self) -> ProgressiveFusionForecaster:
        """Fitted on (y, past covariates x) with modalities a = c0 + c1, b = c2."""
        return self.new(modalities={"a": ["c0", "c1"], "b": ["c2"]}).fit(self.y, past_covariates=self.x)

    @functools.cached_property
    def future_model(self) -> ProgressiveFusionForecaster:
        """Fitted with future covariates (which run OUT steps past the target)."""
        _, x_long = make_series(n=len(self.y) + OUT)
        return self.new().fit(self.y, future_covariates=x_long)

    @functools.cached_property
    def saved(self) -> Path:
        path = self.tmp / "good.pt"
        self.model.save(str(path))
        return path

    @functools.cached_property
    def tide(self) -> TiDEModel:
        """A darts model that cannot take NaN / inf inputs."""
        return TiDEModel(IN, OUT, hidden_size=8, n_epochs=1, batch_size=32, random_state=0,
                         pl_trainer_kwargs=dict(TRAINER_KWARGS)).fit(self.y, past_covariates=self.x)

    def file(self, name: str, content: bytes) -> Path:
        path = self.tmp / name
        path.write_bytes(content)
        return path

    def copy_of_saved(self, name: str, pt: Callable[[bytes], bytes] | None = None,
                      ckpt: Callable[[bytes], bytes] | bool | None = None) -> Path:
        """A copy of the saved model, optionally damaged: ``pt`` / ``ckpt`` map each file's bytes; ``ckpt=False``
        leaves the weights file out."""
        path = self.tmp / name
        path.write_bytes(self.saved.read_bytes() if pt is None else pt(self.saved.read_bytes()))
        source_ckpt = Path(str(self.saved) + ".ckpt").read_bytes()
        if ckpt is not False:
            Path(str(path) + ".ckpt").write_bytes(source_ckpt if ckpt is None else ckpt(source_ckpt))
        return path

    def csv(self, name: str, edit: Callable[[pd.DataFrame], pd.DataFrame | None] = lambda f: f) -> Path:
        """A 200-row hourly CSV (time, load, temp, wind), after ``edit``."""
        n = 200
        t = np.arange(n, dtype=float)
        frame = pd.DataFrame({
            "time": pd.date_range("2024-01-01", periods=n, freq="h"),
            "load": 10 + np.sin(t / 5),
            "temp": np.cos(t / 7),
            "wind": np.sin(t / 3),
        })
        frame = edit(frame)
        path = self.tmp / name
        frame.to_csv(path, index=False)
        return path


def _set(ts: TimeSeries, where, value) -> TimeSeries:
    """A copy of ``ts`` with ``values[where] = value``."""
    values = ts.values().copy()
    values[where] = value
    return ts.with_values(values)


def _fit_refused(model: ProgressiveFusionForecaster, *args, **kwargs):
    """Fit that must fail before any training work."""
    try:
        return model.fit(*args, **kwargs)
    finally:
        assert not model.model_created, "the error must come before the network is built or trained"


def _values(out: Any) -> np.ndarray:
    return out.values() if isinstance(out, TimeSeries) else np.asarray(out, dtype=float)


def _constant_forecast(w: World, rin: bool) -> np.ndarray:
    y = w.y.with_values(np.full_like(w.y.values(), 5.0))
    x = w.x.with_values(np.full_like(w.x.values(), 3.0)) if not rin else w.x
    model = w.new(use_reversible_instance_norm=rin).fit(y, past_covariates=x)
    forecast = model.predict(OUT).values()
    if rin:  # RevIN of a constant window: the forecast stays at the constant
        assert np.abs(forecast - 5.0).max() < 0.5
    return forecast


def _load_int_bool_csv(w: World) -> np.ndarray:
    def edit(f):
        f["count"] = np.arange(len(f)) % 7  # int64 target
        f["flag"] = np.arange(len(f)) % 3 == 0  # bool covariate
        return f

    path = w.csv("int_bool.csv", edit)
    task = load_csv(path, "time", "count", past_covariates=["temp", "flag"], input_chunk_length=IN, horizon=OUT)
    assert task.series.dtype == np.float32 and task.past_covariates.dtype == np.float32
    assert len(np.unique(task.past_covariates["flag"].values())) == 2  # True / False -> two scaled levels
    return np.concatenate([task.series.values().ravel(), task.past_covariates.values().ravel()])


def _load_constant_csv(w: World) -> np.ndarray:
    def edit(f):
        f["temp"] = 3.0
        return f

    task = load_csv(w.csv("constant.csv", edit), "time", "load", past_covariates=["temp"], input_chunk_length=IN,
                    horizon=OUT)
    assert np.all(task.past_covariates.values() == 0.0)  # zero variance: centred, not divided by 0
    return task.past_covariates.values()


def _csv_edit(column: str, rows, value) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(f):
        f[column] = f[column].astype(object) if isinstance(value, str) else f[column]
        f.loc[rows, column] = value
        return f

    return edit


def _evaluate(w: World, model, covariates, **overrides):
    kwargs = {"past_covariates": covariates, "forecast_horizon": OUT, "start": 120, "stride": 10,
              "corruption": "gaussian", "levels": [0.0, 0.5], **overrides}
    return evaluate_robustness(model, w.y, **kwargs)


# ---------------------------------------------------------------------------------------------------- the table
@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    expect: type[BaseException] | str
    match: tuple[str, ...]
    build: Callable[[World], tuple[Callable[[], Any], dict[str, Any]]]  # -> (action, inputs to check for mutation)

    def __repr__(self) -> str:  # pytest ids
        return self.id


def case(id: str, expect, match: tuple[str, ...] = ()):
    def register(build):
        CASES.append(Case(id, expect, match, build))
        return build

    return register


CASES: list[Case] = []


# ----------------------------------------------------------------- model: the target
@case("target-nan-in-predict-window", ValueError,
      (r"`series\[0\]` \(the target\) has 1 NaN or infinite values in the part predict reads", r"fill_missing_values"))
def _(w):
    y = _set(w.y, -3, np.nan)
    return lambda: w.model.predict(OUT, series=y, past_covariates=w.x), {"series": y, "covs": w.x}


@case("target-inf-at-fit", ValueError,
      (r"`series\[0\]` \(the target\) has 1 NaN or infinite values in the part fit reads", r"fill_missing_values"))
def _(w):
    y, m = _set(w.y, 40, np.inf), w.new()
    return lambda: _fit_refused(m, y, past_covariates=w.x), {"series": y, "covs": w.x}


@case("target-1e20-at-fit", ValueError, (r"`series\[0\]` \(the target\) has values of magnitude up to 1e\+20",
                                         r"Scaler"))
def _(w):
    y, m = _set(w.y, 40, 1e20), w.new()
    return lambda: _fit_refused(m, y, past_covariates=w.x), {"series": y}


@case("target-minus-1e20-in-predict-window", ValueError, (r"magnitude up to 1e\+20", r"scale it first"))
def _(w):
    y = _set(w.y, -1, -1e20)
    return lambda: w.model.predict(OUT, series=y, past_covariates=w.x), {"series": y}


@case("target-constant-with-revin", FINITE)
def _(w):
    return lambda: _constant_forecast(w, rin=True), {"series": w.y, "covs": w.x}


@case("target-and-covariates-constant", FINITE)
def _(w):
    return lambda: _constant_forecast(w, rin=False), {"series": w.y, "covs": w.x}


@case("target-float64-at-predict-of-float32-model", FINITE)
def _(w):
    y64 = w.y.astype(np.float64)
    return lambda: w.model.predict(OUT, series=y64, past_covariates=w.x), {"series": y64}


@case("series-is-a-numpy-array", TypeError, (r"`series` must be a darts TimeSeries .* got ndarray",
                                             r"TimeSeries\.from_dataframe"))
def _(w):
    arr = w.y.values().copy()
    return lambda: w.model.predict(OUT, series=arr), {"series": arr}


# ----------------------------------------------------------------- model: covariate values
@case("covariates-inf-over-a-whole-modality-at-predict", FINITE)
def _(w):
    x = _set(w.x, (slice(-IN, None), slice(0, 2)), np.inf)  # modality "a" is +inf over the whole input window
    return lambda: w.model.predict(OUT, series=w.y, past_covariates=x), {"covs": x}


@case("covariates-minus-inf-at-fit", FINITE)
def _(w):
    x = _set(w.x, (slice(30, 80), 1), -np.inf)
    return lambda: w.new().fit(w.y, past_covariates=x).predict(OUT), {"series": w.y, "covs": x}


@case("covariates-all-nan-at-predict", FINITE)
def _(w):
    x = _set(w.x, slice(None), np.nan)
    return lambda: w.model.predict(OUT, series=w.y, past_covariates=x), {"covs": x}


@case("covariates-1e30-at-predict", ValueError,
      (r"`past_covariates`\[0\] has finite values of magnitude up to 1e\+30", r"Scale the covariates", r"NaN"))
def _(w):
    x = _set(w.x, (-2, 1), 1e30)
    return lambda: w.model.predict(OUT, series=w.y, past_covariates=x), {"covs": x}


@case("covariates-1e14-below-the-limit", FINITE)
def _(w):
    x = _set(w.x, (-2, 1), 1e14)
    return lambda: w.model.predict(OUT, series=w.y, past_covariates=x), {"covs": x}


@case("covariates-float64-with-float32-target", FINITE)
def _(w):
    x64 = w.x.astype(np.float64)

    def run():
        forecast = w.new().fit(w.y, past_covariates=x64).predict(OUT, past_covariates=x64)
        assert forecast.dtype == np.float32  # the model follows the target's dtype; covariates are cast
        return forecast

    return run, {"series": w.y, "covs": x64}


# ----------------------------------------------------------------- model: covariate time axes
@case("past-covariates-end-before-forecast-window", ValueError,
      (r"`past_covariates` at series sequence index `0` do not extend far enough",
       r"must end at or after time step `159`"))
def _(w):
    x = w.x[:-3]
    return lambda: w.model.predict(2 * OUT, series=w.y, past_covariates=x), {"covs": x}


@case("future-covariates-end-before-forecast-window", ValueError,
      (r"`future_covariates` at series sequence index `0` do not extend far enough", r"must end at or after"))
def _(w):
    x = w.x  # ends with the target: no values over the forecast window
    return lambda: w.future_model.predict(OUT, series=w.y, future_covariates=x), {"covs": x}


@case("past-covariates-stop-early-at-fit", ValueError,
      (r"`past_covariates`\[0\] cover 0 \.\. 119, but training on `series`\[0\] needs them from 0 to 153",
       r"slice_intersect", r"max_samples_per_ts"))
def _(w):
    x, m = w.x[:120], w.new()
    return lambda: _fit_refused(m, w.y, past_covariates=x), {"series": w.y, "covs": x}


@case("past-covariates-start-late-at-fit", ValueError,
      (r"`past_covariates`\[0\] cover 100 \.\. 159, but training on `series`\[0\] needs them from 0 to 153",
       r"slice_intersect"))
def _(w):
    x, m = w.x[100:], w.new()
    return lambda: _fit_refused(m, w.y, past_covariates=x), {"series": w.y, "covs": x}


@case("covariates-daily-target-hourly", ValueError,
      (r"`past_covariates`\[0\] has frequency 'D' but `series`\[0\] has 'h'", r"resample\(freq='h'\)"))
def _(w):
    _, xd = make_series(freq="D")
    m = w.new()
    return lambda: _fit_refused(m, w.yh, past_covariates=xd), {"series": w.yh, "covs": xd}


@case("covariates-integer-index-target-datetime", ValueError,
      (r"`past_covariates`\[0\] has a RangeIndex time index but `series`\[0\] has a DatetimeIndex",
       r"from_times_and_values"))
def _(w):
    m = w.new()
    return lambda: _fit_refused(m, w.yh, past_covariates=w.x), {"series": w.yh, "covs": w.x}


@case("covariates-datetime-index-at-predict-of-integer-model", ValueError,
      (r"`past_covariates`\[0\] has a DatetimeIndex time index but `series`\[0\] has a RangeIndex",
       r"same kind of time axis"))
def _(w):
    return lambda: w.model.predict(OUT, series=w.y, past_covariates=w.xh), {"series": w.y, "covs": w.xh}


# ----------------------------------------------------------------- model: modalities and state
@case("modality-component-dropped-at-predict", ValueError,
      (r"`past_covariates` passed to predict have components \['c0', 'c1'\], but the model was fitted with "
       r"\['c0', 'c1', 'c2'\]", r"same components in the same order"))
def _(w):
    x = w.x[["c0", "c1"]]
    return lambda: w.model.predict(OUT, series=w.y, past_covariates=x), {"covs": x}


@case("modality-component-added-at-predict", ValueError,
      (r"have components \['c0', 'c1', 'c2', 'c3'\]", r"same components in the same order"))
def _(w):
    x = w.x.stack(w.x["c0"].with_columns_renamed("c0", "c3"))
    return lambda: w.model.predict(OUT, series=w.y, past_covariates=x), {"covs": x}


@case("future-covariates-to-a-past-covariates-model", ValueError,
      (r"`future_covariates` were passed to predict, but the model was fitted without future_covariates",
       r"refit it with `future_covariates=`"))
def _(w):
    return lambda: w.model.predict(OUT, series=w.y, past_covariates=w.x, future_covariates=w.x), {"covs": w.x}


@case("predict-before-fit", ValueError, (r"not fitted: call `fit\(series, \.\.\.\)` before `predict",
                                         r"ProgressiveFusionForecaster\.load\(path\)"))
def _(w):
    m = w.new()
    return lambda: m.predict(OUT, series=w.y, past_covariates=w.x), {"series": w.y, "covs": w.x}


@case("historical-forecasts-before-fit", ValueError, (r"has not been fitted yet", r"call `fit\(\)`"))
def _(w):
    m = w.new()
    return lambda: m.historical_forecasts(w.y, past_covariates=w.x, retrain=False), {"series": w.y}


@case("predict-n-zero", ValueError, (r"`n` \(the number of time steps to forecast\) must be an integer >= 1, got 0",
                                     r"predict\(n=6\)"))
def _(w):
    return lambda: w.model.predict(0), {}


@case("predict-n-float", ValueError, (r"`n` .* must be an integer >= 1, got 2\.5", r"predict\(n=6\)"))
def _(w):
    return lambda: w.model.predict(2.5), {}


# ----------------------------------------------------------------- model: likelihood vs target
@case("gamma-likelihood-negative-target", ValueError,
      (r"likelihood=GammaLikelihood\(\) models strictly positive values, but `series`\[0\] has \d+ values outside",
       r"min -\d", r"add an offset", r"GaussianLikelihood\(\)"))
def _(w):
    m = w.new(likelihood=GammaLikelihood())
    return lambda: _fit_refused(m, w.y, past_covariates=w.x), {"series": w.y}


@case("gamma-likelihood-negative-val-series", ValueError,
      (r"GammaLikelihood\(\) models strictly positive values, but `val_series`\[0\]", r"min -\d"))
def _(w):
    m, y_pos = w.new(likelihood=GammaLikelihood()), w.y + 10.0
    return lambda: _fit_refused(m, y_pos, past_covariates=w.x, val_series=w.y, val_past_covariates=w.x), {
        "series": y_pos, "val": w.y}


@case("poisson-likelihood-negative-target", ValueError,
      (r"PoissonLikelihood\(\) models non-negative values \(counts\)", r"min -\d", r"MinMaxScaler"))
def _(w):
    m = w.new(likelihood=PoissonLikelihood())
    return lambda: _fit_refused(m, w.y, past_covariates=w.x), {"series": w.y}


@case("negative-binomial-likelihood-non-integer-target", ValueError,
      (r"NegativeBinomialLikelihood\(\) models non-negative integers", r"Round the counts"))
def _(w):
    m, y = w.new(likelihood=NegativeBinomialLikelihood()), abs(w.y) + 1.0
    return lambda: _fit_refused(m, y, past_covariates=w.x), {"series": y}


@case("bernoulli-likelihood-non-binary-target", ValueError,
      (r"BernoulliLikelihood\(\) models only the values 0 and 1", r"Threshold the target"))
def _(w):
    m = w.new(likelihood=BernoulliLikelihood())
    return lambda: _fit_refused(m, w.y, past_covariates=w.x), {"series": w.y}


@case("beta-likelihood-target-outside-0-1", ValueError,
      (r"BetaLikelihood\(\) models values strictly between 0 and 1", r"feature_range=\(0\.01, 0\.99\)"))
def _(w):
    m = w.new(likelihood=BetaLikelihood())
    return lambda: _fit_refused(m, w.y, past_covariates=w.x), {"series": w.y}


# ----------------------------------------------------------------- model: load
@case("load-missing-file", FileNotFoundError, (r"from '.*nope\.pt': the path does not exist", r"model\.save\(path\)"))
def _(w):
    return lambda: ProgressiveFusionForecaster.load(str(w.tmp / "nope.pt")), {}


@case("load-a-directory", FileNotFoundError, (r"from '.*': the path is a directory", r"model\.save\(path\)"))
def _(w):
    return lambda: ProgressiveFusionForecaster.load(str(w.tmp)), {}


@case("load-truncated-model-file", ValueError,
      (r"Cannot load a ProgressiveFusionForecaster from '.*truncated\.pt'", r"truncated, corrupt",
       r"save the model again"))
def _(w):
    path = w.copy_of_saved("truncated.pt", pt=lambda b: b[: len(b) // 2])
    return lambda: ProgressiveFusionForecaster.load(str(path)), {"file": path}


@case("load-truncated-weights-file", ValueError,
      (r"'.*truncated_ckpt\.pt' \(or its weights '.*truncated_ckpt\.pt\.ckpt'\)", r"truncated, corrupt"))
def _(w):
    path = w.copy_of_saved("truncated_ckpt.pt", ckpt=lambda b: b[: len(b) // 3])
    return lambda: ProgressiveFusionForecaster.load(str(path)), {"file": path}


@case("load-without-weights-file", FileNotFoundError,
      (r"holds a fitted ProgressiveFusionForecaster, but its weights file '.*no_ckpt\.pt\.ckpt' is missing",
       r"copy it next to the model file"))
def _(w):
    path = w.copy_of_saved("no_ckpt.pt", ckpt=False)
    return lambda: ProgressiveFusionForecaster.load(str(path)), {"file": path}


@case("load-a-text-file", ValueError, (r"from '.*notes\.pt'", r"not written by `ProgressiveFusionForecaster\.save\(\)`"))
def _(w):
    path = w.file("notes.pt", b"not a model, just some text\n")
    return lambda: ProgressiveFusionForecaster.load(str(path)), {"file": path}


@case("load-another-darts-model", TypeError,
      (r"'.*tide\.pt' holds a TiDEModel, not a ProgressiveFusionForecaster", r"TiDEModel\.load\(path\)"))
def _(w):
    path = w.tmp / "tide.pt"
    w.tide.save(str(path))
    return lambda: ProgressiveFusionForecaster.load(str(path)), {"file": path}


# ----------------------------------------------------------------- data loaders
CSV_KW = {"input_chunk_length": IN, "horizon": OUT}


@case("csv-duplicated-timestamps", ValueError,
      (r"time_col='time' has 1 duplicate timestamps \(first: 2024-01-01 10:00:00\)", r"keep one row per timestamp"))
def _(w):
    path = w.csv("dup.csv", lambda f: pd.concat([f, f.iloc[[10]]]).sort_values("time", kind="stable"))
    return lambda: load_csv(path, "time", "load", past_covariates=["temp"], **CSV_KW), {"file": path}


@case("csv-integer-and-boolean-columns", FINITE)
def _(w):
    return lambda: _load_int_bool_csv(w), {}


@case("csv-constant-column", FINITE)
def _(w):
    return lambda: _load_constant_csv(w), {}


@case("csv-inf-in-target", ValueError, (r"columns \{'load': 1\} hold infinite values", r"replace them with finite"))
def _(w):
    path = w.csv("inf_target.csv", _csv_edit("load", 5, np.inf))
    return lambda: load_csv(path, "time", "load", past_covariates=["temp"], **CSV_KW), {"file": path}


@case("csv-inf-in-covariate", ValueError, (r"columns \{'temp': 2\} hold infinite values", r"NaN"))
def _(w):
    path = w.csv("inf_cov.csv", _csv_edit("temp", [5, 6], -np.inf))
    return lambda: load_csv(path, "time", "load", past_covariates=["temp"], **CSV_KW), {"file": path}


@case("csv-1e30-in-covariate", ValueError, (r"columns \{'temp': 1\} hold values beyond 1e\+15",
                                            r"set such cells empty"))
def _(w):
    path = w.csv("huge_cov.csv", _csv_edit("temp", 5, 1e30))

    def run():
        return load_csv(path, "time", "load", past_covariates=["temp"], **CSV_KW).past_covariates

    return run, {"file": path}


@case("csv-empty-file", ValueError, (r"path='.*empty\.csv' could not be read as a CSV file", r"header row"))
def _(w):
    path = w.file("empty.csv", b"")
    return lambda: load_csv(path, "time", "load", **CSV_KW), {"file": path}


@case("csv-header-only", ValueError, (r"path='.*header\.csv' has a header but no data rows", r"file with data"))
def _(w):
    path = w.file("header.csv", b"time,load,temp\n")
    return lambda: load_csv(path, "time", "load", **CSV_KW), {"file": path}


@case("csv-not-utf8-text", ValueError, (r"path='.*binary\.csv' could not be read as a CSV file \(UnicodeDecodeError",
                                        r"UTF-8 text file"))
def _(w):
    path = w.file("binary.csv", bytes(range(256)) * 8)
    return lambda: load_csv(path, "time", "load", **CSV_KW), {"file": path}


@case("csv-integer-time-column", ValueError, (r"time_col='time' holds numbers \(int64\), not timestamps",
                                              r"pd\.to_datetime"))
def _(w):
    path = w.csv("int_time.csv", lambda f: f.assign(time=np.arange(len(f))))
    return lambda: load_csv(path, "time", "load", **CSV_KW), {"file": path}


@case("csv-timezone-aware-timestamps", FINITE)
def _(w):
    path = w.csv("tz.csv", lambda f: f.assign(time=f["time"].dt.tz_localize("UTC")))
    return lambda: load_csv(path, "time", "load", **CSV_KW).series, {"file": path}


@case("csv-unknown-freq", ValueError, (r"freq='zz' is not a pandas frequency string", r"'h', '15min'"))
def _(w):
    path = w.csv("freq.csv")
    return lambda: load_csv(path, "time", "load", freq="zz", **CSV_KW), {"file": path}


@case("csv-target-not-a-column-name", TypeError, (r"target=5 must be a column name or a sequence of column names",))
def _(w):
    path = w.csv("target5.csv")
    return lambda: load_csv(path, "time", 5, **CSV_KW), {"file": path}


@case("csv-missing-column", ValueError, (r"past_covariates: columns \['pressure'\] are not in the file",
                                         r"available columns: \['time', 'load', 'temp', 'wind'\]"))
def _(w):
    path = w.csv("missing.csv")
    return lambda: load_csv(path, "time", "load", past_covariates=["temp", "pressure"], **CSV_KW), {"file": path}


@case("csv-text-in-numeric-column", ValueError, (r"past_covariates: columns \{'temp': 'object'\} are not numeric",
                                                 r"get_dummies|unparseable"))
def _(w):
    path = w.csv("text.csv", _csv_edit("temp", 7, "n/a?"))
    return lambda: load_csv(path, "time", "load", past_covariates=["temp"], **CSV_KW), {"file": path}


@case("load-task-unknown-name", ValueError, (r"`name` must be one of \('epf-NP', .*'etth1'\), got 'nope'",))
def _(w):
    return lambda: load_task("nope"), {}


# ----------------------------------------------------------------- robustness toolkit
@case("evaluate-unfitted-model", ValueError, (r"`model` \(ProgressiveFusionForecaster\) is not fitted",
                                              r"call model\.fit"))
def _(w):
    return lambda: _evaluate(w, w.new(), w.x), {"covs": w.x}


@case("evaluate-inf-covariates-on-a-model-without-nan-support", FINITE)
def _(w):
    x = _set(w.x, (slice(125, 140), 0), np.inf)  # inside the evaluated windows
    return lambda: _evaluate(w, w.tide, x).curves["value"].to_numpy(), {"covs": x}


@case("evaluate-inf-covariates-on-our-model", FINITE)
def _(w):
    x = _set(w.x, (slice(125, 140), 0), np.inf)
    return lambda: _evaluate(w, w.model, x).curves["value"].to_numpy(), {"covs": x}


@case("evaluate-level-above-1", ValueError, (r"`levels` must be in \[0, 1\], got 1\.5; e\.g\. `levels=\(0\.0, 0\.2",))
def _(w):
    return lambda: _evaluate(w, w.model, w.x, levels=[0.0, 1.5]), {"covs": w.x}


@case("evaluate-start-before-first-input-window", ValueError,
      (r"`start`=5 \(position 5\) is before the first point ProgressiveFusionForecaster can forecast: position 24",
       r"input_chunk_length"))
def _(w):
    return lambda: _evaluate(w, w.model, w.x, start=5), {"covs": w.x}


@case("evaluate-covariates-as-a-list", TypeError, (r"`past_covariates` must be a single darts TimeSeries",
                                                   r"one at a time"))
def _(w):
    covs = [w.x, w.x]
    return lambda: _evaluate(w, w.model, covs), {"covs": covs}


@case("corruption-level-above-1", ValueError, (r"`level` \(of GaussianNoise\) must be in \[0, 1\], got 2\.0",))
def _(w):
    return lambda: GaussianNoise(2.0), {}


@case("corruption-applied-to-a-dataframe", TypeError, (r"`ts` must be a darts TimeSeries; got DataFrame",))
def _(w):
    frame = w.x.to_dataframe()
    return lambda: GaussianNoise(0.1).apply(frame, 0), {"frame": frame}


@case("corruption-unknown-component", ValueError, (r"Unknown component 'zz'; the series has components "
                                                   r"\['c0', 'c1', 'c2'\]",))
def _(w):
    return lambda: GaussianNoise(0.1).apply(w.x, 0, components=["zz"]), {"covs": w.x}


@case("corruption-rng-is-a-string", TypeError, (r"`rng` must be a numpy\.random\.Generator", r"default_rng\(seed\)"))
def _(w):
    return lambda: GaussianNoise(0.1).apply(w.x, "seed"), {"covs": w.x}


@case("corruption-of-a-constant-series", FINITE)
def _(w):
    x = w.x.with_values(np.full_like(w.x.values(), 5.0))
    return lambda: GaussianNoise(0.3).apply(x, np.random.default_rng(0)), {"covs": x}


@case("impute-unknown-policy", ValueError, (r"`impute` must be one of \['none', 'zero', 'ffill', 'mean', 'seasonal'\]",
                                            r"'median'"))
def _(w):
    return lambda: impute_missing(w.x, "median"), {"covs": w.x}


@case("impute-infinite-values", FINITE)
def _(w):
    x = _set(w.x, (slice(3, 6), 1), -np.inf)
    return lambda: impute_missing(x, "ffill"), {"covs": x}


@case("report-from-a-frame-without-the-curve-columns", ValueError,
      (r"`curves` lacks the columns \['corruption', 'modality', 'repeat', 'metric'\]", r"expected \["))
def _(w):
    frame = pd.DataFrame({"level": [0.0, 0.1], "value": [1.0, 2.0]})
    return lambda: RobustnessReport(frame), {"frame": frame}


# ----------------------------------------------------------------- CLI
@case("cli-epochs-zero", EXIT_2, (r"argument --epochs: expected a positive integer, got '0'",))
def _(w):
    argv = ["demo", "--epochs", "0"]
    return lambda: cli_main(argv), {"argv": argv}


@case("cli-threads-not-a-number", EXIT_2, (r"argument --threads: expected a positive integer, got 'abc'",))
def _(w):
    argv = ["demo", "--threads", "abc"]
    return lambda: cli_main(argv), {"argv": argv}


@case("cli-seed-negative", EXIT_2, (r"argument --seed: expected an integer >= 0, got '-1'",))
def _(w):
    argv = ["demo", "--seed", "-1"]
    return lambda: cli_main(argv), {"argv": argv}


@case("cli-no-command", EXIT_2, (r"the following arguments are required: command",))
def _(w):
    return lambda: cli_main([]), {}


@case("cli-unknown-command", EXIT_2, (r"argument command: invalid choice: 'fly'",))
def _(w):
    argv = ["fly"]
    return lambda: cli_main(argv), {"argv": argv}


@case("cli-unknown-flag", EXIT_2, (r"unrecognized arguments: --fast",))
def _(w):
    argv = ["demo", "--fast"]
    return lambda: cli_main(argv), {"argv": argv}


@case("cli-data-dir-without-the-dataset", RETURNS_2,
      (r"^pf-forecast demo: error: Could not find the dataset file 'beijing_pm25/.*\.csv'", r"PF_FORECAST_DATA"))
def _(w):
    argv = ["demo", "--data-dir", str(w.tmp / "no_data"), "--out", str(w.tmp / "demo_out")]
    return lambda: cli_main(argv), {"argv": argv}


@case("cli-out-is-a-file", RETURNS_2, (r"^pf-forecast demo: error: `out_dir` '.*a_file' is a file; pass a folder",))
def _(w):
    path = w.file("a_file", b"keep me")
    argv = ["demo", "--out", str(path)]
    return lambda: cli_main(argv), {"argv": argv, "file": path}


# ---------------------------------------------------------------------------------------------------- the harness
def _snapshot(obj: Any) -> Any:
    """A deep, comparable copy of what the caller passed in."""
    if isinstance(obj, TimeSeries):
        static = obj.static_covariates
        return ("ts", obj.all_values(copy=True), obj.time_index.copy(), list(obj.components),
                None if static is None else static.copy())
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        return obj.copy(deep=True)
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, Path):
        return ("file", obj.read_bytes() if obj.is_file() else None)
    if isinstance(obj, dict):
        return {k: _snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_snapshot(v) for v in obj]
    return obj


def _assert_same(before: Any, after: Any, where: str) -> None:
    if isinstance(before, tuple) and before and before[0] == "ts":
        _, values, index, components, static = before
        assert np.array_equal(values, after[1], equal_nan=True), f"{where}: values were mutated"
        assert index.equals(after[2]), f"{where}: time index was mutated"
        assert components == after[3], f"{where}: components were mutated"
        assert (static is None and after[4] is None) or static.equals(after[4]), f"{where}: static covariates mutated"
    elif isinstance(before, (pd.DataFrame, pd.Series)):
        pd.testing.assert_frame_equal(before, after) if isinstance(before, pd.DataFrame) else \
            pd.testing.assert_series_equal(before, after)
    elif isinstance(before, np.ndarray):
        assert np.array_equal(before, after, equal_nan=True), f"{where}: array was mutated"
    elif isinstance(before, dict):
        for key in before:
            _assert_same(before[key], after[key], f"{where}[{key!r}]")
    elif isinstance(before, list):
        assert len(before) == len(after), f"{where}: length changed"
        for i, (b, a) in enumerate(zip(before, after)):
            _assert_same(b, a, f"{where}[{i}]")
    else:
        assert before == after, f"{where}: changed from {before!r} to {after!r}"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    return World(tmp_path_factory.mktemp("bad_inputs"))


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, world: World, capsys):
    action, inputs = case.build(world)
    before = _snapshot(inputs)
    message = ""
    if case.expect == FINITE:
        values = _values(action())
        assert values.size and np.isfinite(values).all(), f"{case.id}: non-finite output {values}"
    elif case.expect == EXIT_2:
        with pytest.raises(SystemExit) as info:
            action()
        assert info.value.code == 2
        message = capsys.readouterr().err
        assert message.splitlines()[0].startswith("usage: pf-forecast")
    elif case.expect == RETURNS_2:
        assert action() == 2
        message = capsys.readouterr().err
        assert len(message.strip().splitlines()) == 1, f"not one line: {message!r}"
    else:
        with pytest.raises(case.expect) as info:
            action()
        message = str(info.value)
    for pattern in case.match:
        assert re.search(pattern, message, flags=re.S | re.M), f"{case.id}: {pattern!r} not in {message!r}"
    _assert_same(before, _snapshot(inputs), "input")


def test_docs_list_every_case():
    """docs/bad_inputs.md is written by hand from this table: same ids, in both directions."""
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", DOCS.read_text(), flags=re.M))
    ids = {c.id for c in CASES}
    assert not ids - documented, f"cases missing from {DOCS.name}: {sorted(ids - documented)}"
    assert not documented - ids, f"{DOCS.name} lists unknown cases: {sorted(documented - ids)}"


def test_every_defect_is_documented_and_tested():
    """Each reproducer of a hostile-use defect (r01..r16 but r13, a documented limitation) has a row in
    docs/bad_inputs.md and at least one regression test named test_rNN_..."""
    documented = set(re.findall(r"^\| (r\d\d) \|", DOCS.read_text(), flags=re.M))
    tests_text = "\n".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    tested = set(re.findall(r"^def test_(r\d\d)_", tests_text, flags=re.M))
    expected = {f"r{i:02d}" for i in range(1, 17)} - {"r13"}
    assert documented == expected, sorted(documented ^ expected)
    assert expected <= tested, sorted(expected - tested)
    assert "thread-safe" in DOCS.read_text()  # r13: a known limitation
