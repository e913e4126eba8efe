"""The pure-torch network: grouped encoders, late-fusion equivalence, missing-data handling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pf_forecast.nn import ModalityMLP, ModalitySlot, ModalityTCN, ProgressiveFusionNetwork, pack_modalities
from pf_forecast.nn.packing import build_gather_index

IN, OUT = 24, 6
SLOTS = [ModalitySlot("target", (0,)), ModalitySlot("past", (0,)), ModalitySlot("past", (1, 2)),
         ModalitySlot("future", (0,))]


def network(**overrides) -> ProgressiveFusionNetwork:
    kwargs = dict(
        input_chunk_length=IN, output_chunk_length=OUT, slots=SLOTS, target_dim=1, past_dim=3, future_dim=1,
        static_dim=0, nr_params=1, hidden_size=8, kernel_size=3, num_layers=3, patch_size=2, context_size=4,
        n_refinements=2,
        fusion="concat", context_injection="add", readout_points=2, dropout=0.0, modality_dropout=0.0,
        use_target_skip=True, use_covariate_skip=True,
    )
    torch.manual_seed(0)
    return ProgressiveFusionNetwork(**{**kwargs, **overrides}).eval()


def batch(b: int = 4, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, IN, 1, generator=g), torch.randn(b, IN, 3, generator=g),
            torch.randn(b, IN, 1, generator=g), torch.randn(b, OUT, 1, generator=g))


def test_grouped_convolution_equals_per_modality_loop():
    torch.manual_seed(0)
    tcn = ModalityTCN(n_modalities=5, in_channels=6, hidden_size=7, kernel_size=3, num_layers=4, patch_size=3)
    x = torch.randn(3, 5 * 6, 40)
    grouped = tcn(tcn.first_layer(x))
    looped = tcn.forward_per_modality(x)
    torch.testing.assert_close(grouped, looped, rtol=1e-5, atol=1e-6)


def test_dense_encoders_equal_the_per_modality_loop_and_read_only_their_own_modality():
    torch.manual_seed(0)
    mlp = ModalityMLP(n_modalities=3, in_channels=4, hidden_size=5, num_layers=3, input_steps=20)
    x = torch.randn(2, 3 * 4, 20)
    states = mlp(mlp.first_layer(x))
    assert states.shape == (2, 3 * 5, 1) and mlp.n_steps(20) == 1 and mlp.receptive_field == 20
    torch.testing.assert_close(states, mlp.forward_per_modality(x), rtol=1e-5, atol=1e-6)
    changed = x.clone()
    changed[:, 4:8, 0] += 5.0  # the oldest step of modality 1 only: its whole window reaches its state
    moved = (mlp(mlp.first_layer(changed)) - states).abs().view(2, 3, 5).sum(dim=(0, 2))
    assert moved[1] > 0 and moved[0] == 0 and moved[2] == 0


@pytest.mark.parametrize("encoder", ["tcn", "dense"])
def test_every_encoder_handles_missing_modalities_and_starts_as_late_fusion(encoder):
    """The encoder is interchangeable: NaN inputs, a fully missing modality and the zero-started feedback behave
    the same with either."""
    net = network(encoder=encoder, n_refinements=3)
    pt, pc, hf, fc = batch()
    pc[:, :, 0] = float("nan")  # modality 1 missing for the whole window
    pc[0, 3, 1] = float("nan")  # a gap in modality 2
    out = net(pt, pc, hf, fc)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, network(encoder=encoder, n_refinements=1)(pt, pc, hf, fc))


def test_encoders_are_causal():
    torch.manual_seed(0)
    tcn = ModalityTCN(2, 2, 4, kernel_size=3, num_layers=3, patch_size=2)
    x = torch.randn(1, 4, 30)
    y1 = tcn(tcn.first_layer(x))
    x2 = x.clone()
    x2[..., 20:] += 5.0  # change only steps >= 20, i.e. patches >= 10 (patches of 2 aligned on the last step)
    y2 = tcn(tcn.first_layer(x2))
    assert y1.shape[-1] == 15
    torch.testing.assert_close(y1[..., :10], y2[..., :10])
    assert not torch.allclose(y1[..., 10:], y2[..., 10:])


def test_patches_align_on_the_last_step():
    """With T not a multiple of the patch size, the padding goes on the left: the newest patch is complete."""
    torch.manual_seed(0)
    tcn = ModalityTCN(1, 1, 4, kernel_size=2, num_layers=1, patch_size=4)
    x = torch.randn(1, 1, 10)
    y1 = tcn(tcn.first_layer(x))
    x2 = x.clone()
    x2[..., :2] += 1.0  # the two oldest steps fall in the first, left-padded patch only
    y2 = tcn(tcn.first_layer(x2))
    assert tcn.n_steps(10) == y1.shape[-1] == 3
    torch.testing.assert_close(y1[..., 1:], y2[..., 1:])


def test_gather_index_pads_with_zero_channel():
    idx = build_gather_index(SLOTS, {"target": 1, "past": 3, "future": 1})
    assert idx.tolist() == [[0, 5], [1, 5], [2, 3], [4, 5]]


def test_output_shape_with_likelihood_parameters():
    net = network(nr_params=3)
    assert net(*batch()).shape == (4, OUT, 1, 3)


@pytest.mark.parametrize("fusion", ["concat", "gated"])
@pytest.mark.parametrize("injection", ["add", "film"])
def test_single_refinement_ignores_context_path(fusion, injection):
    """n_refinements=1 is exactly late fusion: the context projection and injection weights are never used."""
    net = network(n_refinements=1, fusion=fusion, context_injection=injection)
    inputs = batch()
    before = net(*inputs)
    with torch.no_grad():
        for p in list(net.context_projection.parameters()) + list(net.context_injection.parameters()):
            p.add_(torch.randn_like(p) * 10)
    torch.testing.assert_close(net(*inputs), before)


def test_refinement_uses_context_path():
    net = network(n_refinements=3)
    inputs = batch()
    before = net(*inputs)
    with torch.no_grad():
        for p in net.context_injection.parameters():
            p.add_(torch.randn_like(p))
    assert not torch.allclose(net(*inputs), before)


@pytest.mark.parametrize("injection", ["add", "film"])
def test_zero_init_feedback_starts_as_late_fusion_and_learns(injection):
    """With zero-initialised feedback, R = 3 equals R = 1 at initialisation, yet the injection receives gradient."""
    late = network(n_refinements=1, context_injection=injection, zero_init_feedback=True)
    progressive = network(n_refinements=3, context_injection=injection, zero_init_feedback=True)
    inputs = batch()
    out = progressive(*inputs)
    torch.testing.assert_close(out, late(*inputs))
    out.square().mean().backward()
    assert progressive.context_injection.weight.grad.abs().sum() > 0


def test_encoder_layers_split_at_any_layer_compose_to_the_whole_encoder():
    torch.manual_seed(0)
    tcn = ModalityTCN(n_modalities=3, in_channels=4, hidden_size=5, kernel_size=3, num_layers=4, patch_size=2)
    first = tcn.first_layer(torch.randn(2, 3 * 4, 20))
    for layer in range(4):
        torch.testing.assert_close(tcn.above(tcn.below(first, layer), layer), tcn(first))


@pytest.mark.parametrize("injection", ["add", "film"])
def test_context_fed_into_a_later_layer_starts_as_late_fusion_and_reaches_the_forecast(injection):
    """context_layer = j: the layers below j run once (shared by the steps), the context enters layer j's input;
    at zero-initialised feedback R = 2 is R = 1, the injection and the shared layers learn, and the context moves
    the forecast once the injection is non-zero."""
    late = network(n_refinements=1, context_injection=injection, context_layer=2)
    progressive = network(n_refinements=2, context_injection=injection, context_layer=2)
    inputs = batch()
    out = progressive(*inputs)
    torch.testing.assert_close(out, late(*inputs))
    torch.testing.assert_close(out, network(n_refinements=1, context_injection=injection)(*inputs))
    out.square().mean().backward()
    assert progressive.context_injection.weight.grad.abs().sum() > 0
    assert progressive.encoders.input_layer.conv.weight.grad.abs().sum() > 0
    with torch.no_grad():
        for p in progressive.context_injection.parameters():
            p.add_(torch.randn_like(p))
    assert not torch.allclose(progressive(*inputs), out)


def test_fully_missing_modality_uses_missing_embedding():
    net = network()
    pt, pc, hf, fc = batch()
    pc_missing = pc.clone()
    pc_missing[:, :, 0] = float("nan")  # modality 1 entirely missing
    packed = pack_modalities(net.gather_index, pt, pc_missing, hf, fc)
    assert packed.available[:, 1].logical_not().all() and packed.available[:, [0, 2, 3]].all()
    out = net(pt, pc_missing, hf, fc)
    assert torch.isfinite(out).all()
    # a missing modality contributes only its learned embedding (and zeros to the covariate skip): its encoder
    # weights no longer matter
    hidden = net.encoders.hidden_size
    with torch.no_grad():
        net.encoders.input_layer.conv.weight[hidden : 2 * hidden] += 3.0
    torch.testing.assert_close(net(pt, pc_missing, hf, fc), out)
    with torch.no_grad():
        net.missing_embedding[1] += 1.0
    assert not torch.allclose(net(pt, pc_missing, hf, fc), out)


def test_gated_weights_sum_to_one_and_exclude_missing():
    net = network(fusion="gated")
    net.recorded_fusion_weights = []
    pt, pc, hf, fc = batch()
    pc[:, :, 1:] = float("nan")  # modality 2 (components 1, 2) missing
    net(pt, pc, hf, fc)
    w = net.recorded_fusion_weights[0]
    torch.testing.assert_close(w.sum(dim=1), torch.ones(4))
    assert (w[:, 2] == 0).all()


def test_modality_dropout_only_in_training():
    net = network(modality_dropout=0.5)
    inputs = batch()
    torch.testing.assert_close(net(*inputs), net(*inputs))  # eval: deterministic
    net.train()
    torch.manual_seed(1)
    a = net(*inputs)
    torch.manual_seed(2)
    b = net(*inputs)
    assert not torch.allclose(a, b)


@settings(max_examples=40, deadline=None)
@given(
    nan_fraction=st.floats(0.0, 1.0),
    missing_modalities=st.lists(st.integers(1, 3), max_size=3, unique=True),
    use_inf=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_nan_and_missing_covariates_give_finite_forecasts(nan_fraction, missing_modalities, use_inf, seed):
    net = network(n_refinements=2, fusion="gated")
    pt, pc, hf, fc = batch(seed=seed)
    rng = np.random.default_rng(seed)
    bad = float("inf") if use_inf else float("nan")
    for tensor in (pc, hf, fc):
        mask = torch.from_numpy(rng.random(tuple(tensor.shape)) < nan_fraction)
        tensor[mask] = bad
    columns = {1: (pc, [0]), 2: (pc, [1, 2]), 3: (hf, [0])}
    for m in missing_modalities:
        tensor, cols = columns[m]
        tensor[:, :, cols] = float("nan")
        if m == 3:
            fc[:] = float("nan")
    out = net(pt, pc, hf, fc)
    assert torch.isfinite(out).all()


def test_gradients_stay_finite_with_nan_inputs():
    net = network().train()
    pt, pc, hf, fc = batch()
    pc[0] = float("nan")
    out = net(pt, pc, hf, fc)
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in net.parameters() if p.grad is not None)


def test_ridge_solution_recovers_a_linear_model():
    from pf_forecast.nn.progressive import ridge_solution

    g = torch.Generator().manual_seed(0)
    x = torch.randn(500, 6, generator=g, dtype=torch.float64)
    true_w, true_b = torch.randn(3, 6, generator=g, dtype=torch.float64), torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    y = x @ true_w.T + true_b
    xa = torch.cat([x, torch.ones(500, 1, dtype=torch.float64)], dim=1)
    w, b = ridge_solution(xa.T @ xa, xa.T @ y, alpha=1e-9)
    torch.testing.assert_close(w, true_w, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(b, true_b, rtol=1e-5, atol=1e-6)


def test_cross_validated_ridge_shrinks_only_where_it_helps():
    """Per output: a well-posed output keeps a small ridge, a pure-noise output with many features a large one."""
    from pf_forecast.nn.progressive import RIDGE_GRID, cross_validated_ridge

    g = torch.Generator().manual_seed(0)
    n, f, k = 200, 60, 5
    x = torch.randn(n, f, generator=g, dtype=torch.float64)
    signal = x[:, :3] @ torch.tensor([[1.0], [-0.5], [0.25]], dtype=torch.float64)  # (n, 1)
    y = torch.cat([signal + 0.1 * torch.randn(n, 1, generator=g, dtype=torch.float64),
                   torch.randn(n, 1, generator=g, dtype=torch.float64)], dim=1)  # (n, 2): signal, noise
    xa = torch.cat([x, torch.ones(n, 1, dtype=torch.float64)], dim=1)
    folds = torch.arange(n) % k
    grams = torch.stack([xa[folds == i].T @ xa[folds == i] for i in range(k)])
    crosses = torch.stack([xa[folds == i].T @ y[folds == i] for i in range(k)])
    squares = torch.stack([(y[folds == i] ** 2).sum(dim=0) for i in range(k)])
    alphas, errors = cross_validated_ridge(grams, crosses, squares)
    assert errors.shape == (len(RIDGE_GRID), 2)
    assert alphas[0] <= 1e-2 and alphas[1] >= 10.0


def test_select_feature_groups_adds_the_groups_that_predict_and_leaves_out_noise():
    """Forward selection on cross-validated error: a group that carries the signal is added, one of pure noise
    features (which only a ridge fit to noise would use) is not, and with nothing to add the result is empty."""
    from pf_forecast.nn.progressive import select_feature_groups

    g = torch.Generator().manual_seed(0)
    n, k = 400, 5
    lags, useful, noise = (torch.randn(n, w, generator=g, dtype=torch.float64) for w in (4, 6, 40))
    y = (lags[:, :1] + useful @ torch.linspace(-1, 1, 6, dtype=torch.float64)[:, None]
         + 0.1 * torch.randn(n, 1, generator=g, dtype=torch.float64))  # (n, 1)
    xa = torch.cat([lags, noise, useful, torch.ones(n, 1, dtype=torch.float64)], dim=1)  # (n, 51)
    folds = torch.arange(n) * k // n
    grams = torch.stack([xa[folds == i].T @ xa[folds == i] for i in range(k)])
    crosses = torch.stack([xa[folds == i].T @ y[folds == i] for i in range(k)])
    squares = torch.stack([(y[folds == i] ** 2).sum(dim=0) for i in range(k)])
    groups = [range(4, 44), range(44, 50)]  # noise, useful
    assert select_feature_groups(grams, crosses, squares, always=range(4), groups=groups) == [1]
    assert select_feature_groups(grams, crosses, squares, always=range(4), groups=groups[:1]) == []
    # without any feature always in (the intercept alone to start from) the useful group is still found
    assert select_feature_groups(grams, crosses, squares, always=[], groups=groups) == [1]


def test_linear_skip_groups_name_each_modality_columns_in_the_skip_features():
    net = network(nr_params=1)
    inputs = batch()
    features = net.linear_skip_features(*inputs)  # (B, L + Ms*W*T)
    groups = net.linear_skip_groups()
    assert [slot for slot, _ in groups] == net.skip_slots.tolist()
    assert groups[0][1].start == IN and groups[-1][1].stop == features.shape[1]
    weight = torch.zeros(OUT, features.shape[1])
    weight[:, groups[-1][1]] = 0.01  # only the last skipped modality is read
    net.set_linear_skips(weight, torch.zeros(OUT))
    assert net.linear_skip_slots() == [groups[-1][0]]


def test_set_linear_skips_makes_the_network_that_linear_model():
    net = network(nr_params=1)
    inputs = batch()
    features = net.linear_skip_features(*inputs)  # (B, F)
    weight = torch.randn(OUT, features.shape[1]) * 0.01
    bias = torch.randn(OUT)
    net.set_linear_skips(weight, bias)
    expected = features @ weight.T + bias  # (B, O)
    torch.testing.assert_close(net(*inputs)[:, :, 0, 0], expected, rtol=1e-4, atol=1e-5)
    assert not net.target_skip.weight.requires_grad and not net.covariate_skip.weight.requires_grad


def test_set_linear_skips_one_linear_model_per_likelihood_parameter():
    net = network(nr_params=3)
    inputs = batch()
    features = net.linear_skip_features(*inputs)  # (B, F)
    weight = torch.randn(OUT, 3, features.shape[1]) * 0.01  # (O, N, F)
    bias = torch.randn(OUT, 3)  # (O, N)
    net.set_linear_skips(weight, bias)
    expected = torch.einsum("bf,onf->bon", features, weight) + bias  # (B, O, N)
    torch.testing.assert_close(net(*inputs)[:, :, 0, :], expected, rtol=1e-4, atol=1e-5)


def test_temporal_decoder_reads_each_steps_future_values():
    """With ``decoder_size``, step h's future-covariate value reaches step h's forecast through the decoder's own
    per-step path (here with the encoders' path held fixed), and a missing future modality contributes zeros."""
    net = network(decoder_size=3, nr_params=2)
    past_target, past, hist_future, future = batch()
    out = net(past_target, past, hist_future, future)
    assert out.shape == (4, OUT, 1, 2) and net.temporal_decoder is not None
    packed = pack_modalities(net.gather_index, past_target, past, hist_future, future)
    available = packed.available.clone()
    features = net._step_features(packed, available)  # (B, O, Mf*2W): one future modality of width 2
    assert features.shape == (4, OUT, 1 * 2 * 2)
    torch.testing.assert_close(features[:, :, 0], future[:, :, 0])  # its value at each step ...
    assert features[:, :, 2].eq(1.0).all()  # ... and its availability
    missing = future.clone()
    missing[:] = float("nan")
    gone = net._step_features(pack_modalities(net.gather_index, past_target, past, hist_future, missing), available)
    assert gone[:, :, [0, 2]].eq(0.0).all()  # the value zeroed and its availability 0
    assert torch.isfinite(net(past_target, past, hist_future, missing)).all()
    # the decoder's direct path: changing only step 2's value changes step 2 of the decoder's output, not step 0
    decoded = torch.randn(4, OUT, 3)
    changed = features.clone()
    changed[:, 2, 0] += 1.0
    a, b = net.temporal_decoder(decoded, features), net.temporal_decoder(decoded, changed)
    assert not torch.allclose(a[:, 2], b[:, 2]) and torch.allclose(a[:, 0], b[:, 0])


def test_temporal_decoder_starts_at_zero_under_linear_skips():
    net = network(decoder_size=3)
    inputs = batch()
    features = net.linear_skip_features(*inputs)  # (B, F)
    weight, bias = torch.randn(OUT, features.shape[1]) * 0.01, torch.randn(OUT)
    net.set_linear_skips(weight, bias)
    torch.testing.assert_close(net(*inputs)[:, :, 0, 0], features @ weight.T + bias, rtol=1e-4, atol=1e-5)


def test_fault_dropout_fails_streams_part_way_in_training_only():
    net = network(fault_dropout=0.9)
    past_target, past, hist_future, future = batch(b=64)
    packed = pack_modalities(net.gather_index, past_target, past, hist_future, future)
    torch.manual_seed(1)
    steps_failed = net._failed_steps(64, past_target.device)  # (B, M, T)
    failed = pack_modalities(net.gather_index, past_target, past, hist_future, future, failed=steps_failed)
    steps = packed.inputs.shape[-1]
    before = packed.inputs.view(64, 4, 2, 2, steps)[:, :, 1].amax(dim=2)  # (B, M, T) availability per step
    after = failed.inputs.view(64, 4, 2, 2, steps)[:, :, 1].amax(dim=2)
    assert torch.equal(after[:, 0], before[:, 0])  # the target never fails
    assert (after <= before).all() and (after < before).any()  # only ever removes
    lost = (before - after)[:, 1:]  # (B, M-1, T)
    partial = lost.any(dim=2) & (after[:, 1:].sum(dim=2) > 0)
    assert partial.any()  # part-way: some steps of the window stay
    future_lost = lost[:, 2]  # the future modality (slot 3): late data removes its horizon part [IN, IN+OUT)
    late = future_lost[:, IN:].all(dim=1) & ~future_lost[:, :IN].any(dim=1)
    assert late.any()
    values = failed.inputs.view(64, 4, 2, 2, steps)
    assert (values[:, :, 0] * (1 - values[:, :, 1])).eq(0).all()  # a missing step has value 0
    net.eval()
    torch.testing.assert_close(net(past_target, past, hist_future, future),
                               network(fault_dropout=0.0)(past_target, past, hist_future, future))  # inference


def test_hyper_parameters_are_the_constructor_arguments_beyond_the_layout():
    import inspect

    from pf_forecast.nn import NETWORK_HYPER_PARAMETERS

    layout = {"self", "input_chunk_length", "output_chunk_length", "slots", "target_dim", "past_dim", "future_dim",
              "static_dim", "nr_params", "season", "dropout_cls"}
    arguments = [p for p in inspect.signature(ProgressiveFusionNetwork.__init__).parameters if p not in layout]
    assert tuple(arguments) == NETWORK_HYPER_PARAMETERS


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"hidden_size": 0}, r"`hidden_size` must be an integer >= 1, got 0\."),
        ({"dropout": 1.0}, r"`dropout` must be in \[0, 1\), got 1\.0\."),
        ({"fusion": "sum"}, r"`fusion` must be one of \('concat', 'gated'\), got 'sum'\."),
        ({"gap_fill": "mean"}, r"`gap_fill` must be one of \('zero', 'ffill', 'seasonal', 'auto'\), got 'mean'\."),
        ({"encoder": "mlp"}, r"`encoder` must be one of \('tcn', 'dense'\), got 'mlp'\."),
        ({"context_layer": 3}, r"`context_layer` must be < `num_layers` \(3\).*got 3\. Pass context_layer=2"),
        ({"context_layer": -1}, r"`context_layer` \(the encoder layer .*\) must be an integer >= 0, got -1\."),
        ({"context_layer": 1, "encoder": "dense"}, r"`context_layer` must be 0 with encoder='dense'"),
    ],
)
def test_network_checks_its_hyper_parameters(overrides, match):
    with pytest.raises(ValueError, match=match):
        network(**overrides)


def test_modality_slot_is_a_modality_known_by_its_columns():
    from pf_forecast.modalities import Modality

    slot = ModalitySlot("past", (1, 2))
    assert isinstance(slot, Modality) and (slot.source, slot.indices) == ("past", (1, 2))
    assert slot.components == ("past_1", "past_2")
    with pytest.raises(ValueError, match=r"`source` must be one of \('target', 'past', 'future'\), got 'pst'"):
        Modality("m", "pst", ("a",), (0,))


# ---------------------------------------------------------------------- gap filling
def column(values, missing):
    """(1, T, 1) values with the steps in ``missing`` unobserved (their values zeroed, as packing does)."""
    values = torch.tensor(values, dtype=torch.float32).view(1, -1, 1)
    observed = torch.ones_like(values, dtype=torch.bool)
    observed[0, list(missing), 0] = False
    return torch.where(observed, values, torch.zeros_like(values)), observed


@pytest.mark.parametrize("gap_fill, season, expected", [
    ("seasonal", 2, [1, 2, 3, 4, 3, 4, 3, 8]),  # t - 2, chained through filled steps
    ("ffill", 2, [1, 2, 3, 4, 4, 4, 4, 8]),
    ("zero", 2, [1, 2, 3, 4, 0, 0, 0, 8]),
    ("seasonal", 1, [1, 2, 3, 4, 4, 4, 4, 8]),  # no season: the last observed value
    # auto on a trend: the last value while it is closer than the mean (D(1) = 1, D(2) = 4), then the mean 3.6
    ("auto", 2, [1, 2, 3, 4, 4, 4, 3.6, 8]),
])
def test_fill_gaps_policies(gap_fill, season, expected):
    from pf_forecast.nn.packing import fill_gaps

    values, observed = column([1, 2, 3, 4, 5, 6, 7, 8], missing=(4, 5, 6))
    filled, held = fill_gaps(values, observed, ~observed, gap_fill, season)
    torch.testing.assert_close(filled.flatten(), torch.tensor(expected, dtype=torch.float32))
    assert held.all() == (gap_fill != "zero")


def test_auto_gap_fill_reads_each_stream_by_its_own_most_accurate_guess():
    """A daily profile gets the day before, white noise its mean, a slow trend its last value."""
    from pf_forecast.nn.packing import fill_gaps

    torch.manual_seed(0)
    t = torch.arange(72, dtype=torch.float32)
    streams = torch.stack([torch.sin(2 * torch.pi * t / 24), torch.randn(72), t / 72], dim=1)[None]  # (1, T, 3)
    observed = torch.ones_like(streams, dtype=torch.bool)
    observed[0, 60:] = False  # the last 12 steps of every stream are late
    values = torch.where(observed, streams, torch.zeros_like(streams))
    filled, held = fill_gaps(values, observed, ~observed, "auto", season=24)
    torch.testing.assert_close(filled[0, 60:, 0], streams[0, 36:48, 0])  # one season earlier
    torch.testing.assert_close(filled[0, 60:, 1], streams[0, :60, 1].mean().expand(12))  # the window's mean
    torch.testing.assert_close(filled[0, 60:, 2], streams[0, 59, 2].expand(12))  # the last value
    assert held.all()
    single, seen = column([0, 5, 0, 0], missing=(0, 2, 3))  # one observed value: nothing to measure a guess on
    filled, held = fill_gaps(single, seen, ~seen, "auto", season=2)
    assert filled.flatten().tolist() == [0, 5, 5, 5] and held.flatten().tolist() == [False, True, True, True]


def test_lagged_square_differences_match_the_sums_over_observed_pairs():
    """The FFT's D(k) against the definition, a loop over lags: gaps, a large offset, a constant column, a column
    with one observed value and one with none."""
    from pf_forecast.nn.packing import lagged_square_differences

    torch.manual_seed(0)
    batch, steps = 3, 50
    values = torch.randn(batch, steps, 5) + torch.tensor([0.0, 1000.0, 0.0, 0.0, 0.0])
    values[:, :, 2] = 7.0  # constant: D(k) = 0
    observed = torch.rand(batch, steps, 5) > 0.3
    observed[:, :, 3] = False
    observed[:, 10, 3] = True  # one observed value: no pair at any lag
    observed[:, :, 4] = False  # never observed
    values = torch.where(observed, values, torch.zeros_like(values))
    expected = torch.full((batch, steps, 5), float("inf"), dtype=torch.float64)
    x, w = values.double(), observed.double()
    for lag in range(1, steps):
        pairs = (w[:, lag:] * w[:, :-lag]).sum(dim=1)  # (B, C')
        squares = (w[:, lag:] * w[:, :-lag] * (x[:, lag:] - x[:, :-lag]) ** 2).sum(dim=1)
        expected[:, lag] = torch.where(pairs > 0, squares / pairs.clamp_min(1), float("inf"))
    got = lagged_square_differences(values, observed)
    assert got.dtype == values.dtype
    assert torch.equal(torch.isinf(got), torch.isinf(expected))
    finite = torch.isfinite(expected)
    torch.testing.assert_close(got[finite].double(), expected[finite], rtol=1e-5, atol=1e-6)


def test_fill_gaps_falls_back_to_the_last_value_and_leaves_leading_gaps():
    from pf_forecast.nn.packing import fill_gaps

    values, observed = column([1, 2, 3, 4, 5, 6, 7, 8], missing=(0, 1, 4, 5, 6))
    filled, held = fill_gaps(values, observed, ~observed, "seasonal", 3)
    # step 4's season-earlier step 1 has nothing to fill from: the last observed value (step 3) instead
    assert filled.flatten().tolist() == [0, 0, 3, 4, 4, 3, 4, 8]
    assert held.flatten().tolist() == [False, False] + [True] * 6


@pytest.mark.parametrize("gap_fill", ["zero", "ffill", "seasonal", "auto"])
def test_gap_fill_changes_nothing_on_complete_inputs(gap_fill):
    inputs = batch()
    torch.testing.assert_close(network(gap_fill=gap_fill, season=4)(*inputs), network()(*inputs))


def test_seasonal_gap_fill_reads_a_late_future_feed_from_the_day_before():
    net = network(gap_fill="seasonal", season=OUT)
    past_target, past, hist_future, future = batch(b=2)
    late = torch.full_like(future, float("nan"))  # the future feed's horizon part has not arrived
    packed = net._pack(past_target, past, hist_future, late)
    inputs = packed.inputs.view(2, 4, 2, 2, IN + OUT)  # (B, M, values|availability, W, T)
    torch.testing.assert_close(inputs[:, 3, 0, 0, IN:], hist_future[:, IN - OUT:, 0])  # one season earlier
    assert inputs[:, 3, 1, 0].eq(1).all()  # filled steps count as observed
    # the past covariates' padding over the output window is never filled
    assert inputs[:, 1:3, :, :, IN:].eq(0).all()
    assert torch.isfinite(net(past_target, past, hist_future, late)).all()


def test_gap_fill_leaves_a_stream_missing_for_the_whole_window_to_the_missing_embedding():
    net = network(gap_fill="seasonal", season=OUT)
    past_target, past, hist_future, future = batch(b=2)
    gone = past.clone()
    gone[:, :, 0] = float("nan")  # the first past modality is missing for the whole window
    packed = net._pack(past_target, gone, hist_future, future)
    assert not packed.available[:, 1].any() and packed.available[:, 2:].all()
    assert packed.inputs.view(2, 4, 2, 2, IN + OUT)[:, 1].eq(0).all()  # values and availability stay 0


def test_future_covariate_skip_reads_the_future_modalities_only():
    net = network(use_covariate_skip="future", use_target_skip=False)
    past_target, past, historic, future = batch()
    features = net.linear_skip_features(past_target, past, historic, future)
    assert features.shape == (4, net.gather_index.shape[1] * (IN + OUT))  # one future modality: W values x T steps
    moved_past = net.linear_skip_features(past_target, past + 3.0, historic, future)
    torch.testing.assert_close(features, moved_past)  # the past streams never reach it
    moved_future = net.linear_skip_features(past_target, past, historic, future + 3.0)
    assert not torch.allclose(features, moved_future)


def test_ridge_folds_are_contiguous_blocks_of_nearly_equal_size():
    from pf_forecast.nn.progressive import ridge_folds

    folds = ridge_folds(torch.arange(103), 103, 5)  # (103,)
    assert folds.tolist() == sorted(folds.tolist())  # one run per fold: neighbours share a fold but at its edges
    counts = torch.bincount(folds)
    assert counts.tolist() == [21, 21, 20, 21, 20]


def test_covariate_skip_rejects_an_unknown_choice():
    with pytest.raises(ValueError, match="use_covariate_skip.*'future'.*'past'"):
        network(use_covariate_skip="past")


def test_clip_covariate_skip_bounds_the_linear_path_by_the_training_range():
    net = network(use_covariate_skip="future", use_target_skip=False, clip_covariate_skip=True)
    past_target, past, historic, future = batch()
    before = net.linear_skip_features(past_target, past, historic, future)
    net.widen_skip_range(past_target, past, historic, future)
    low, high = torch.cat([historic, future], dim=1).min(), torch.cat([historic, future], dim=1).max()
    assert net.skip_low[0, 0, 0] == low and net.skip_high[0, 0, 0] == high
    assert torch.isinf(net.skip_low[0, 1:]).all()  # the padding channels: never observed, never clipped
    torch.testing.assert_close(net.linear_skip_features(past_target, past, historic, future), before)
    spiked = future.clone()
    spiked[:, 2] = 100.0  # one wrong value per window, far outside the training range
    features = net.linear_skip_features(past_target, past, historic, spiked)
    assert features.max() == high  # the linear path reads the range's edge
    unclipped = network(use_covariate_skip="future", use_target_skip=False)
    assert unclipped.linear_skip_features(past_target, past, historic, spiked).max() == 100.0
    torch.testing.assert_close(net(past_target, past, historic, future),
                               unclipped(past_target, past, historic, future))  # in range: the same network


def test_fallback_patterns_cover_every_combination_of_few_streams_and_each_stream_of_many():
    from pf_forecast.nn.progressive import fallback_patterns

    assert fallback_patterns(1).tolist() == [[True]]
    three = fallback_patterns(3)
    assert three.shape == (7, 3) and len({tuple(p) for p in three.tolist()}) == 7 and three.any(dim=1).all()
    assert three.sum(dim=1).tolist() == sorted(three.sum(dim=1).tolist())  # one stream missing first
    five = fallback_patterns(5)  # each stream alone, then all of them
    assert five.shape == (6, 5) and five[:5].sum(dim=1).eq(1).all() and five[5].all()


def test_linear_fallback_replaces_the_linear_path_of_a_sample_missing_a_stream():
    """A sample that misses exactly one skipped stream is forecast by that pattern's linear model; a sample with
    every stream by the skips as they are, as without the option."""
    slots = [ModalitySlot("target", (0,)), ModalitySlot("future", (0,)), ModalitySlot("future", (1,))]
    kwargs = dict(slots=slots, past_dim=0, future_dim=2, use_covariate_skip="future")
    net, plain = network(linear_fallback=True, **kwargs), network(**kwargs)
    assert net.fallback_missing.tolist() == [[True, False], [False, True], [True, True]]
    g = torch.Generator().manual_seed(0)
    past_target = torch.randn(4, IN, 1, generator=g)
    historic, future = torch.randn(4, IN, 2, generator=g), torch.randn(4, OUT, 2, generator=g)
    features = net.linear_skip_features(past_target, None, historic, future)  # (B, L + 2*W*T)
    weight, bias = torch.randn(OUT, features.shape[1]) * 0.01, torch.randn(OUT)
    for n in (net, plain):
        n.set_linear_skips(weight, bias)
    (_, first), (_, second) = net.linear_skip_groups()
    fallbacks = torch.randn(3, OUT, features.shape[1]) * 0.01  # (P, O, F)
    fallbacks[0, :, first] = 0.0  # pattern 0 misses the first stream, 1 the second, 2 both
    fallbacks[1, :, second] = 0.0
    fallbacks[2, :, first.start:] = 0.0
    fallback_bias = torch.randn(3, OUT)
    net.set_linear_fallbacks(fallbacks, fallback_bias)

    torch.testing.assert_close(net(past_target, None, historic, future), plain(past_target, None, historic, future))
    for pattern, columns in enumerate([[0], [1], [0, 1]]):
        hist_gone, future_gone = historic.clone(), future.clone()
        hist_gone[..., columns] = float("nan")  # the stream missing for the whole window
        future_gone[..., columns] = float("nan")
        expected = features @ fallbacks[pattern].T + fallback_bias[pattern]  # (B, O): its columns are zero
        torch.testing.assert_close(net(past_target, None, hist_gone, future_gone)[:, :, 0, 0], expected,
                                   rtol=1e-4, atol=1e-5)
    partly = future.clone()
    partly[:, 2:, 0] = float("nan")  # part of a window missing: the stream is still there, no fallback
    torch.testing.assert_close(net(past_target, None, historic, partly), plain(past_target, None, historic, partly))
