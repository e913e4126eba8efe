"""Edit darts' global-model tests (``test_global_forecasting_models.py`` of darts 0.46.1) to run on TiDEModel and ProgressiveFusionForecaster.

Usage: ``python patch_global.py WORK`` reads ``WORK/orig/test_global_forecasting_models.py`` and writes ``WORK/test_global_forecasting_models.py``. Only imports, the
model lists and the models of tests darts runs on one hard-coded model change; assertions and thresholds stay.
"""

import pathlib
import sys

work = pathlib.Path(sys.argv[1])
p = work / "test_global_forecasting_models.py"
s = (work / "orig" / "test_global_forecasting_models.py").read_text()

def rep(old, new, count=1):
    global s
    n = s.count(old)
    assert n == count, (n, old[:80])
    s = s.replace(old, new)

rep("from darts.tests.conftest import NF_AVAILABLE, TORCH_AVAILABLE, tfm_kwargs",
    "from conftest import NF_AVAILABLE, TORCH_AVAILABLE, tfm_kwargs")
rep("import torch\n\nfrom darts.models import (",
    "import torch\n\nfrom pf_forecast import ProgressiveFusionForecaster\n\nfrom darts.models import (")

# --- the model list: TiDE (darts' own entry, unchanged) + pf with TiDE's kwargs pattern and threshold
start = s.index("models_cls_kwargs_errs = [\n")
end = s.index("\nif NF_AVAILABLE:\n    from darts.models.forecasting.nf_model import NeuralForecastModel\n\n    models_cls_kwargs_errs")
s = s[:start] + '''PF_TINY = {"hidden_size": 16, "num_layers": 2, "context_size": 4}

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
''' + s[end:]

# --- save/load: instances of TiDE and pf instead of RNN/TCN/GlobalNaiveSeasonal/LinearRegression
start = s.index('''        "model",
        [
            RNNModel(
                input_chunk_length=4,''')
end = s.index("    def test_save_load_model(self, tmpdir_fn, model):")
s = s[:start] + '''        "model",
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
''' + s[end:]

# --- give readable ids to the config parametrisations
rep('@pytest.mark.parametrize("config", models_cls_kwargs_errs)',
    '@pytest.mark.parametrize("config", models_cls_kwargs_errs, ids=lambda c: c[0].__name__)', count=s.count('@pytest.mark.parametrize("config", models_cls_kwargs_errs)'))

# --- static covariates: TiDE + pf
rep("[TFTModel, DLinearModel, NLinearModel, TiDEModel, TSMixerModel],",
    "[TiDEModel, ProgressiveFusionForecaster],")

MODELS = "[TiDEModel, ProgressiveFusionForecaster]"
EXTRA = "**(PF_TINY if model_cls is ProgressiveFusionForecaster else {}),"

# --- test_future_covariates: TCN (past covariates) and RNN (future covariates) parts, with model_cls
rep('''    def test_future_covariates(self):
        # models with future covariates should produce better predictions over a long forecasting horizon
        # than a model trained with no covariates

        model = TCNModel(
            input_chunk_length=50,
            output_chunk_length=5,
            n_epochs=20,
            random_state=0,
            **tfm_kwargs,
        )''', f'''    @pytest.mark.parametrize("model_cls", {MODELS})
    def test_future_covariates(self, model_cls):
        # models with future covariates should produce better predictions over a long forecasting horizon
        # than a model trained with no covariates

        model = model_cls(
            input_chunk_length=50,
            output_chunk_length=5,
            n_epochs=20,
            random_state=0,
            {EXTRA}
            **tfm_kwargs,
        )''')
rep('''        model.fit(series=self.target_past)
        long_pred_no_cov = model.predict(n=160)

        model = TCNModel(
            input_chunk_length=50,
            output_chunk_length=5,
            n_epochs=20,
            random_state=0,
            **tfm_kwargs,
        )''', f'''        model.fit(series=self.target_past)
        long_pred_no_cov = model.predict(n=160)

        model = model_cls(
            input_chunk_length=50,
            output_chunk_length=5,
            n_epochs=20,
            random_state=0,
            {EXTRA}
            **tfm_kwargs,
        )''')
rep('''        model = RNNModel(12, n_epochs=1, **tfm_kwargs)
        model.fit(series=self.target_past, future_covariates=self.covariates_past)''',
    f'''        model = model_cls(12, 1, n_epochs=1, {EXTRA} **tfm_kwargs)
        model.fit(series=self.target_past, future_covariates=self.covariates_past)''')

# --- batch predictions
rep('''    def test_batch_predictions(self):''', f'''    @pytest.mark.parametrize("model_cls", {MODELS})
    def test_batch_predictions(self, model_cls):''')
rep('''        self._batch_prediction_test_helper_function(targets_univar)''',
    '''        self._batch_prediction_test_helper_function(targets_univar, model_cls)''')
rep('''        self._batch_prediction_test_helper_function(targets_multivar)''',
    '''        self._batch_prediction_test_helper_function(targets_multivar, model_cls)''')
rep('''    def _batch_prediction_test_helper_function(self, targets):
        epsilon = 1e-4
        model = TCNModel(
            input_chunk_length=50,
            output_chunk_length=10,
            n_epochs=10,
            random_state=0,
            **tfm_kwargs,
        )''', f'''    def _batch_prediction_test_helper_function(self, targets, model_cls):
        epsilon = 1e-4
        model = model_cls(
            input_chunk_length=50,
            output_chunk_length=10,
            n_epochs=10,
            random_state=0,
            {EXTRA}
            **tfm_kwargs,
        )''')

# --- predict_from_dataset unsupported input: both configs instead of [0]
rep('''    def test_predict_from_dataset_unsupported_input(self):
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

# --- small-sample tests: RNN -> model_cls (ocl 2 as in the original)
for name in ("test_sample_smaller_than_batch_size", "test_max_samples_per_ts"):
    rep(f'''    def {name}(self):''', f'''    @pytest.mark.parametrize("model_cls", {MODELS})
    def {name}(self, model_cls):''')
rep('''        model = RNNModel(
            input_chunk_length=20,
            output_chunk_length=2,
            n_epochs=2,
            batch_size=32,
            **tfm_kwargs,
        )''', f'''        model = model_cls(
            input_chunk_length=20,
            output_chunk_length=2,
            n_epochs=2,
            batch_size=32,
            {EXTRA}
            **tfm_kwargs,
        )''', count=2)

# --- residuals: NBEATS -> model_cls
rep('''    def test_residuals(self):''', f'''    @pytest.mark.parametrize("model_cls", {MODELS})
    def test_residuals(self, model_cls):''')
rep('''        model = NBEATSModel(
            input_chunk_length=24,
            output_chunk_length=12,
            num_stacks=2,
            num_blocks=1,
            num_layers=1,
            layer_widths=2,
            n_epochs=2,
            **tfm_kwargs,
        )''', f'''        model = model_cls(
            input_chunk_length=24,
            output_chunk_length=12,
            n_epochs=2,
            {EXTRA}
            **tfm_kwargs,
        )''')
p.write_text(s)
print("ok")
