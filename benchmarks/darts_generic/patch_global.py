"""Edit darts' global-model tests (``test_global_forecasting_models.py`` of darts 0.46.1) to run on TiDEModel and ProgressiveFusionForecaster.

Usage: ``python patch_global.py WORK`` reads ``WORK/orig/test_global_forecasting_models.py`` and writes ``WORK/test_global_forecasting_models.py``. Only imports, the
model lists and the models of tests darts runs on one hard-coded model change; assertions and thresholds stay.
"""

import sys

from patching import MODELS, PF_EXTRA, PF_TINY, TestFilePatch

patch = TestFilePatch(sys.argv[1], "test_global_forecasting_models.py")
patch.replace("from darts.tests.conftest import NF_AVAILABLE, TORCH_AVAILABLE, tfm_kwargs",
              "from conftest import NF_AVAILABLE, TORCH_AVAILABLE, tfm_kwargs")
patch.replace("import torch\n\nfrom darts.models import (",
              "import torch\n\nfrom pf_forecast import ProgressiveFusionForecaster\n\nfrom darts.models import (")

# --- the model list: TiDE (darts' own entry, unchanged) + pf with TiDE's kwargs pattern and threshold
patch.replace_span("models_cls_kwargs_errs = [\n",
                   "\nif NF_AVAILABLE:\n    from darts.models.forecasting.nf_model import NeuralForecastModel\n\n"
                   "    models_cls_kwargs_errs", PF_TINY + '''
models_cls_kwargs_errs = [
    (
        TiDEModel,
        {
            "n_epochs": 10,
            "pl_trainer_kwargs": tfm_kwargs["pl_trainer_kwargs"],
        },
        40.0,
    ),
    (
        ProgressiveFusionForecaster,
        {
            **PF_TINY,
            "n_epochs": 10,
            "pl_trainer_kwargs": tfm_kwargs["pl_trainer_kwargs"],
        },
        40.0,
    ),
]
NF_AVAILABLE = False  # restrict to TiDE and pf
''')

# --- save/load: instances of TiDE and pf instead of RNN/TCN/GlobalNaiveSeasonal/LinearRegression
patch.replace_span('''        "model",
        [
            RNNModel(
                input_chunk_length=4,''', "    def test_save_load_model(self, tmpdir_fn, model):", '''        "model",
        [
            TiDEModel(
                input_chunk_length=4,
                output_chunk_length=3,
                n_epochs=1,
                **tfm_kwargs,
            ),
            ProgressiveFusionForecaster(
                input_chunk_length=4,
                output_chunk_length=3,
                n_epochs=1,
                **PF_TINY,
                **tfm_kwargs,
            ),
        ],
        ids=["TiDEModel", "ProgressiveFusionForecaster"],
    )
''')

# --- readable ids for the config parametrisations
configs = '@pytest.mark.parametrize("config", models_cls_kwargs_errs)'
patch.replace(configs, configs[:-1] + ", ids=lambda c: c[0].__name__)", count=patch.text.count(configs))

# --- static covariates: TiDE + pf
patch.replace("[TFTModel, DLinearModel, NLinearModel, TiDEModel, TSMixerModel],", MODELS + ",")

# --- future covariates: the TCN (past covariates) and RNN (future covariates) parts run on model_cls
patch.over_models("    def test_future_covariates(self):", "    def test_future_covariates(self, model_cls):")
patch.swap_model("TCNModel", ["input_chunk_length=50", "output_chunk_length=5", "n_epochs=20", "random_state=0"],
                 count=2)
patch.replace("        model = RNNModel(12, n_epochs=1, **tfm_kwargs)\n"
              "        model.fit(series=self.target_past, future_covariates=self.covariates_past)",
              f"        model = model_cls(12, 1, n_epochs=1, {PF_EXTRA} **tfm_kwargs)\n"
              "        model.fit(series=self.target_past, future_covariates=self.covariates_past)")

# --- batch predictions: the helper takes the model class
patch.over_models("    def test_batch_predictions(self):", "    def test_batch_predictions(self, model_cls):")
for targets in ("targets_univar", "targets_multivar"):
    patch.replace(f"        self._batch_prediction_test_helper_function({targets})",
                  f"        self._batch_prediction_test_helper_function({targets}, model_cls)")
patch.replace("    def _batch_prediction_test_helper_function(self, targets):",
              "    def _batch_prediction_test_helper_function(self, targets, model_cls):")
patch.swap_model("TCNModel", ["input_chunk_length=50", "output_chunk_length=10", "n_epochs=10", "random_state=0"])

# --- predict_from_dataset unsupported input: both configs instead of [0]
patch.replace('''    def test_predict_from_dataset_unsupported_input(self):
        # an exception should be thrown if an unsupported type is passed
        unsupported_type = "unsupported_type"
        # just need to test this with one model
        model_cls, kwargs, err = models_cls_kwargs_errs[0]''',
              '''    @pytest.mark.parametrize("config", models_cls_kwargs_errs, ids=lambda c: c[0].__name__)
    def test_predict_from_dataset_unsupported_input(self, config):
        # an exception should be thrown if an unsupported type is passed
        unsupported_type = "unsupported_type"
        # just need to test this with one model
        model_cls, kwargs, err = config''')

# --- small-sample tests: RNN -> model_cls (output_chunk_length 2 as in the original)
for name in ("test_sample_smaller_than_batch_size", "test_max_samples_per_ts"):
    patch.over_models(f"    def {name}(self):", f"    def {name}(self, model_cls):")
patch.swap_model("RNNModel", ["input_chunk_length=20", "output_chunk_length=2", "n_epochs=2", "batch_size=32"],
                 count=2)

# --- residuals: NBEATS -> model_cls, without NBEATS' own sizes
patch.over_models("    def test_residuals(self):", "    def test_residuals(self, model_cls):")
patch.swap_model("NBEATSModel", ["input_chunk_length=24", "output_chunk_length=12", "num_stacks=2", "num_blocks=1",
                                 "num_layers=1", "layer_widths=2", "n_epochs=2"],
                 keep=("input_chunk_length", "output_chunk_length", "n_epochs"))
patch.write()
