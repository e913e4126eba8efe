"""Edit darts' probabilistic-model tests (``test_probabilistic_models.py`` of darts 0.46.1) to run on TiDEModel and ProgressiveFusionForecaster.

Usage: ``python patch_prob.py WORK`` reads ``WORK/orig/test_probabilistic_models.py`` and writes ``WORK/test_probabilistic_models.py``. Only imports, the
model lists and the models of tests darts runs on one hard-coded model change; assertions and thresholds stay.
"""

import sys

from patching import PF_EXTRA, PF_TINY, TestFilePatch, over_models

patch = TestFilePatch(sys.argv[1], "test_probabilistic_models.py")
patch.replace("from darts.tests.conftest import (", "from conftest import (")
patch.replace("    from darts.models.forecasting.torch_forecasting_model import TorchForecastingModel\n",
              "    from darts.models.forecasting.torch_forecasting_model import TorchForecastingModel\n"
              "    from pf_forecast import ProgressiveFusionForecaster\n")

# non-torch models dropped from the list; TiDE's entry kept verbatim, pf added with TiDE's kwargs and thresholds
patch.replace_span("models_cls_kwargs_errs = [\n    (ExponentialSmoothing", "xgb_test_params = {",
                   "models_cls_kwargs_errs = []\n\n")
patch.replace_span("if TORCH_AVAILABLE:\n    models_cls_kwargs_errs += [\n        (\n            RNNModel,",
                   "extra_configs = [", PF_TINY + '''
if TORCH_AVAILABLE:
    models_cls_kwargs_errs += [
        (
            TiDEModel,
            {
                "input_chunk_length": 10,
                "output_chunk_length": 5,
                "n_epochs": 10,
                "random_state": 0,
                "likelihood": GaussianLikelihood(),
                **tfm_kwargs,
            },
            0.06,
            0.1,
        ),
        (
            ProgressiveFusionForecaster,
            {
                "input_chunk_length": 10,
                "output_chunk_length": 5,
                "n_epochs": 10,
                "random_state": 0,
                "likelihood": GaussianLikelihood(),
                **PF_TINY,
                **tfm_kwargs,
            },
            0.06,
            0.1,
        ),
    ]

''')
# no non-torch extra configs
patch.replace_span("extra_configs = [", "@pytest.mark.slow\nclass TestProbabilisticModels:", "extra_configs = []\n\n\n")
for configs, count in (("models_cls_kwargs_errs + extra_configs", 3), ("models_cls_kwargs_errs", 2)):
    patch.replace(f'@pytest.mark.parametrize("config", {configs})',
                  f'@pytest.mark.parametrize("config", {configs}, ids=lambda c: c[0].__name__)', count=count)

# regression-model likelihood-parameter test (LinearRegression/XGB/LGBM/CatBoost only): dropped
patch.replace_span('''    @pytest.mark.slow
    @pytest.mark.parametrize(
        "config",
        itertools.product(
            [(LinearRegressionModel, False, {})]''', '''    """ More likelihood tests''', "")

EXTRA = PF_EXTRA.rstrip(",")  # these calls are one line; the comma is written after it
LIKELIHOOD_IDS = "ids=lambda c: type(c[0]).__name__"

# likelihood mean forecasts: RNNModel(input_chunk_length=5) -> model_cls(5, 1)
patch.replace('''        @pytest.mark.parametrize("lkl_config", lkl_series)
        def test_likelihoods_and_resulting_mean_forecasts(self, lkl_config):''',
              over_models("        ") + f'''        @pytest.mark.parametrize("lkl_config", lkl_series, {LIKELIHOOD_IDS})
        def test_likelihoods_and_resulting_mean_forecasts(self, lkl_config, model_cls):''')
patch.replace("            model = RNNModel(input_chunk_length=5, **kwargs)",
              f"            model = model_cls(input_chunk_length=5, output_chunk_length=1, {EXTRA}, **kwargs)")

# likelihood parameters, uni- and multivariate: darts' three models -> [model_cls(4, 1)]
for kind, middle_model in (("univariate", "NBEATSModel"), ("multivariate", "TCNModel")):
    patch.replace(f'''        def test_predict_likelihood_parameters_{kind}_torch_models(
            self, lkl_config
        ):''', f'''        def test_predict_likelihood_parameters_{kind}_torch_models(
            self, lkl_config, model_cls
        ):''')
    patch.replace(f'''            models = [
                RNNModel(4, "RNN", training_length=4, **kwargs),
                {middle_model}(4, 1, **kwargs),
                DLinearModel(4, 1, **kwargs),
            ]''', f'''            models = [
                model_cls(4, 1, {EXTRA}, **kwargs),
            ]''')
patch.replace('''            + ([(CauchyLikelihood(), [0, 1])] if not runs_on_m1 else []),
        )''', f'''            + ([(CauchyLikelihood(), [0, 1])] if not runs_on_m1 else []),
            {LIKELIHOOD_IDS},
        )
''' + over_models("        ").rstrip("\n"))
patch.replace('''                    ],
                ),
            ],
        )
        def test_predict_likelihood_parameters_multivariate''', f'''                    ],
                ),
            ],
            {LIKELIHOOD_IDS},
        )
''' + over_models("        ") + "        def test_predict_likelihood_parameters_multivariate")

# wrong args: DLinear -> model_cls
patch.over_models("        def test_predict_likelihood_parameters_wrong_args(self):",
                  "        def test_predict_likelihood_parameters_wrong_args(self, model_cls):", indent="        ")
for likelihood in ([], ["likelihood=GaussianLikelihood()"]):
    patch.swap_model("DLinearModel", ["input_chunk_length=4", "output_chunk_length=4", "n_epochs=1"] + likelihood,
                     indent="            ")

# stochastic inputs: RNN(5) -> model_cls(5, 1)
patch.replace('''        def test_stochastic_inputs(self):
            model = RNNModel(input_chunk_length=5, **tfm_kwargs)''',
              over_models("        ") + f'''        def test_stochastic_inputs(self, model_cls):
            model = model_cls(input_chunk_length=5, output_chunk_length=1, {EXTRA}, **tfm_kwargs)''')
patch.write()
