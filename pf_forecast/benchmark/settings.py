"""The settings shared by every model of a benchmark run, and which of them make a run's fingerprint."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from pf_forecast.robustness.imputation import IMPUTE_POLICIES

#: The imputation policies a practitioner would try for a model that cannot take NaN (``fault_impute="best"``).
FAULT_IMPUTE_CHOICES: tuple[str, ...] = ("zero", "mean", "ffill", "seasonal")

__all__ = ["ACCELERATORS", "BenchSettings", "NOT_IN_FINGERPRINT"]

#: Values of ``BenchSettings.accelerator`` (Lightning's names; ``"auto"``: a GPU when there is one, else the CPU).
ACCELERATORS: tuple[str, ...] = ("auto", "cpu", "gpu", "cuda", "mps")
#: Settings that change where and how fast a run goes, not its results: left out of the fingerprint, so a run
#: resumes on another machine or device.
NOT_IN_FINGERPRINT: tuple[str, ...] = ("work_dir", "accelerator", "devices")
_ONE_DEVICE_INDEX = re.compile(r"^\d+,$")  # Lightning's spelling of one device by index: "1," = the second GPU


@dataclass(frozen=True)
class BenchSettings:
    """Training and evaluation settings shared by every model of a benchmark run.

    Parameters
    ----------
    max_epochs
        Epoch cap of every neural model.
    patience
        Early-stopping patience (epochs without a lower validation loss).
    max_train_samples
        ``None`` (default): every training window, as a user's ``fit`` gets. A number is an explicit budget of
        training (and validation) windows per series and epoch (darts' ``max_samples_per_ts``), printed in the
        report.
    train_stride
        Steps between training windows (darts ``fit(stride=...)``); ``None`` ("auto") is 1 without a budget, and
        with one spreads the ``max_train_samples`` windows evenly over the whole training segment instead of taking
        the most recent.
    test_stride
        Steps between test windows of the clean metrics (1 = the published protocols).
    robustness_stride
        Steps between test windows of the noise and missing-modality sweeps; ``None`` uses the horizon
        (non-overlapping windows that cover every test step once).
    batch_size
        Mini-batch size of the neural models.
    learning_rate
        Adam learning rate of the neural models.
    profile
        ``"default"`` (the models' default sizes) or ``"tiny"`` (very small networks for smoke runs).
    levels
        MultiBench noise levels p.
    n_repeats
        Noise draws per level (averaged).
    missing
        Whether to run the missing-modality sweep.
    faults
        Whether to run the stream-fault sweeps (outage, latency, stuck, spikes at their default grids, one curve per
        fault and modality). Off by default; cells stored before this setting count as off.
    impute
        How the covariates' missing values are filled for models that do not declare
        ``handles_missing_covariates``, in the clean run and in every sweep: ``"ffill"`` (default: last observed
        value, the training-period mean before the first one), ``"mean"`` (training-period mean), ``"zero"``,
        ``"seasonal"`` (the value one season earlier, e.g. 24 h), or ``"none"`` (NaN passed on; such a model's
        cells then fail when its forecasts are not finite).
    fault_impute
        How the missing values a stream fault leaves are filled for such a model in the fault sweeps:
        ``"best"`` (default: per model, fault and modality, the policy among :data:`FAULT_IMPUTE_CHOICES` with the
        lowest MSE at the fault's middle severity on the validation segment, the test windows never seen) or one
        fixed policy. Part of :meth:`fingerprint` only with ``faults``.
    average_top_k
        What the neural models keep when training ends (:class:`~pf_forecast.RestoreBestWeights`): 1 (default) the
        weights of the epoch with the lowest validation loss; k > 1 the average of the k best epochs' weights where
        it validates lower than the best epoch. Part of :meth:`fingerprint` only when not 1 (cells stored before this
        setting resume).
    probabilistic
        Train the neural models with ``QuantileRegression`` on the quantile levels 0.1, ..., 0.9 and LightGBM with
        quantile objectives, and score every model's quantiles (SQL, MASE, WQL, 80% coverage, in the target's
        original units); point models (``linear``) score their point forecast at every level, ``naive-seasonal``
        adds the empirical quantiles of its in-sample seasonal residuals.
    work_dir
        darts ``work_dir`` (nothing is written there: checkpoints and loggers are off).
    accelerator
        Lightning accelerator of the neural models: ``"auto"`` (default: a GPU when there is one, else the CPU),
        ``"cpu"``, ``"gpu"`` / ``"cuda"`` or ``"mps"``.
    devices
        Which device: ``"auto"`` or ``1`` (default: one device, the first), or one device index such as ``"1,"``
        (the second GPU). A benchmark trains each model on one device: several would make Lightning start a
        process per device, and darts' prediction and historical forecasts run in one process.

    Notes
    -----
    ``work_dir``, ``accelerator`` and ``devices`` (:data:`NOT_IN_FINGERPRINT`) change where a run goes, not what it
    measures: they are not part of :meth:`fingerprint`, so cells computed on a CPU resume on a GPU and back.

    Examples
    --------
    >>> BenchSettings(max_epochs=3).fingerprint()["max_epochs"]
    3
    >>> "accelerator" in BenchSettings(accelerator="cpu").fingerprint()
    False
    """

    # Cost on a 2-core CPU box, one torch thread, EPF NP past track, every training window (~36,000): a pf fit
    # takes about 3 minutes (up to 15 epochs, early-stopped), TiDE about as long, linear seconds; the former
    # 4,000-window budget was 8x cheaper and cost the neural models accuracy (see BENCHMARKS.md).
    max_epochs: int = 15
    patience: int = 3
    max_train_samples: int | None = None
    train_stride: int | None = None
    test_stride: int = 1
    robustness_stride: int | None = None
    batch_size: int = 64
    learning_rate: float = 1e-3
    profile: str = "default"
    levels: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(9))
    n_repeats: int = 1
    missing: bool = True
    faults: bool = False
    impute: str = "ffill"
    fault_impute: str = "best"
    probabilistic: bool = False
    average_top_k: int = 1
    work_dir: str | None = field(default=None, compare=False)
    accelerator: str = field(default="auto", compare=False)
    devices: int | str = field(default="auto", compare=False)

    def __post_init__(self) -> None:
        for name in ("max_epochs", "patience", "test_stride", "batch_size", "n_repeats", "average_top_k"):
            _check_positive_int(name, getattr(self, name))
        if self.max_train_samples is not None:
            _check_positive_int("max_train_samples", self.max_train_samples)
        for name in ("train_stride", "robustness_stride"):
            if getattr(self, name) is not None:
                _check_positive_int(name, getattr(self, name))
        if self.profile not in ("default", "tiny"):
            raise ValueError(f"profile={self.profile!r} is not valid; choose 'default' or 'tiny'.")
        if not self.levels or any(not 0.0 <= float(p) <= 1.0 for p in self.levels):
            raise ValueError(f"levels={self.levels!r} must be noise levels in [0, 1], e.g. 0,0.1,...,0.8.")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate={self.learning_rate!r} must be positive.")
        if self.impute not in IMPUTE_POLICIES:
            raise ValueError(f"impute={self.impute!r} is not a policy; choose one of {list(IMPUTE_POLICIES)}.")
        if self.fault_impute != "best" and self.fault_impute not in FAULT_IMPUTE_CHOICES:
            raise ValueError(f"fault_impute={self.fault_impute!r} is not valid; choose 'best' or one of "
                             f"{list(FAULT_IMPUTE_CHOICES)}.")
        if self.accelerator not in ACCELERATORS:
            raise ValueError(f"accelerator={self.accelerator!r} is not valid; choose one of {list(ACCELERATORS)}.")
        devices = self.devices
        one = devices == "auto" or (isinstance(devices, int | np.integer) and not isinstance(devices, bool)
                                    and devices == 1) or (isinstance(devices, str) and _ONE_DEVICE_INDEX.match(devices))
        if not one:
            raise ValueError(f"devices={devices!r} is not valid; a benchmark trains each model on one device: give "
                             f"'auto' or 1 (the first), or one device index such as '1,' (the second GPU).")

    def fingerprint(self) -> dict[str, Any]:
        """The settings that change results (all but :data:`NOT_IN_FINGERPRINT`), as plain JSON-able values.

        Returns
        -------
        dict
        """
        out = asdict(self)
        for name in NOT_IN_FINGERPRINT:
            out.pop(name)
        out["levels"] = [float(p) for p in self.levels]
        if not self.faults:  # no fault sweep, nothing it changes (and cells from before it resume)
            out.pop("fault_impute")
        if self.average_top_k == 1:  # the rule before this setting existed: its cells resume
            out.pop("average_top_k")
        return out

    def trainer_devices(self) -> dict[str, Any]:
        """``accelerator`` and ``devices`` as Lightning ``Trainer`` arguments (``devices="auto"`` -> one device).

        Returns
        -------
        dict
        """
        return {"accelerator": self.accelerator, "devices": 1 if self.devices == "auto" else self.devices}


def _check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer.")
