"""Why deep ReLU under Glorot fails: the probe's statistics of the whole net's scale (logits, dL/dW
and dL/db per layer, how far each kernel moves) against closed forms on real MNIST, the two settings
that the interventions need (optimizer_options, input_scale), and their config blocks."""

import copy
import math

import keras
import numpy as np
import pandas as pd
import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from conftest import ROOT
from depthstudy import theory
from depthstudy.data import load_idx_folder
from depthstudy.gradients import ProbeRecorder
from depthstudy.jobs import make_optimizer
from depthstudy.models import build_mlp, scale_to_unit_logits
from depthstudy.stream import flat_pixels

SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())
WIDTH = 128


@pytest.fixture(scope="module")
def probe(mnist_dir):
    arrays = load_idx_folder(mnist_dir, None)
    return flat_pixels(arrays["x_train"][:512]), arrays["y_train"][:512]


def relu_probes(x, y, depth: int, seeds=range(6)) -> list[ProbeRecorder]:
    """Epoch-0 probes of bias-free (Keras' zero biases) ReLU nets under Glorot, one per seed."""
    recorders = []
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        recorder = ProbeRecorder(build_mlp("relu", depth, width=WIDTH), x, y, "relu")
        recorder.record(0)
        recorders.append(recorder)
    return recorders


def closed_form_logit_rms(x: np.ndarray, depth: int) -> float:
    """Written out here, not through depthstudy.theory: layer 1 has Var(W) = 2 / (784 + width), each
    hidden layer after it sigma_w^2 = width * 2 / (2 width) = 1, ReLU halves the second moment, and the
    output's kernel has Var = 2 / (width + 10)."""
    q1 = 2.0 / (784 + WIDTH) * (x.astype("float64") ** 2).sum(axis=1).mean()
    return math.sqrt(WIDTH * 2.0 / (WIDTH + 10) * q1 * 2.0**-depth)


def logit_rms(recorder: ProbeRecorder) -> float:
    return recorder.activations().query("stat == 'logit_rms'").value.item()


def ratio(recorder: ProbeRecorder, quantity: str, depth: int) -> float:
    """log10 of rms at hidden layer 1 over rms at the last hidden layer."""
    rms = recorder.gradients().query("quantity == @quantity and stat == 'rms'").set_index("layer").value
    return math.log10(rms[1] / rms[depth])


def signal_ratio(recorder: ProbeRecorder, depth: int) -> float:
    z = recorder.activations().query("stat == 'z_rms'").set_index("layer").value
    return math.log10(z[1] / z[depth])


def test_logits_of_a_bias_free_relu_net_shrink_as_two_to_the_minus_half_depth(probe):
    x, y = probe
    measured = {depth: np.mean([math.log10(logit_rms(r)) for r in relu_probes(x, y, depth)]) for depth in (6, 16)}
    for depth, value in measured.items():
        # one draw of width 128 falls short of mean-field by beta / (4 ln 10) on average, beta = 5 L / width
        # (depthstudy.theory.finite_width_shift), with an sd of about 0.07 for the mean of 6 seeds at 16 layers
        assert value == pytest.approx(math.log10(closed_form_logit_rms(x, depth)), abs=0.25), depth
    assert measured[16] - measured[6] == pytest.approx(-10 * math.log10(2) / 2, abs=0.3)


def test_the_theory_module_predicts_the_closed_form(probe):
    x, _ = probe
    sq = (x.astype("float64") ** 2).sum(axis=1)
    for depth in (1, 6, 40):
        p = theory.profile("relu", "glorot_uniform", WIDTH, depth, sq)
        assert theory.logit_rms(p.a_rms.iloc[-1], WIDTH) == pytest.approx(closed_form_logit_rms(x, depth), rel=2e-3)


def test_weight_gradients_are_flat_across_layers_while_dz_and_db_vanish(probe):
    x, y = probe
    depth = 16
    recorders = relu_probes(x, y, depth)
    dw = np.median([ratio(r, "weight_grad", depth) for r in recorders])
    dz = np.median([ratio(r, "activation_grad", depth) for r in recorders])
    db = np.median([ratio(r, "bias_grad", depth) for r in recorders])
    # chi_1 = 1/2 per layer for dL/dz (and dL/db, its sum over images): 10^-2.26 over 15 layers back
    assert dz == pytest.approx(-(depth - 1) * math.log10(2) / 2, abs=0.4)
    assert db < -1.5
    # dL/dW_l = a_{l-1} dL/dz_l: the signal grows towards the input as fast as dL/dz shrinks
    assert abs(dw) < 0.3


def test_kernel_change_measures_from_epoch_zero():
    model = build_mlp("relu", 3, width=8)
    x = np.random.default_rng(0).random((16, 784)).astype("float32")
    recorder = ProbeRecorder(model, x, np.arange(16) % 10, "relu")
    recorder.record(0)
    kernel = model.get_layer("dense_2").kernel
    kernel.assign(kernel * 1.1)
    recorder.record(1)
    change = recorder.activations().query("stat == 'kernel_change'").set_index(["epoch", "layer"]).value
    assert (change.loc[0] == 0).all() and len(change.loc[1]) == 4  # three hidden layers and the output
    assert change.loc[(1, 2)] == pytest.approx(0.1, rel=1e-4)
    assert change.loc[(1, 1)] == 0 and change.loc[(1, 4)] == 0
    recorder.clear()
    recorder.record(0)  # a new net's epoch 0 measures from its own kernels
    assert (recorder.activations().query("stat == 'kernel_change'").value == 0).all()


def test_unit_logits_rescales_the_whole_net_and_keeps_every_layer_ratio(probe):
    x, y = probe
    depth = 12
    keras.utils.set_random_seed(0)
    plain = build_mlp("relu", depth, width=WIDTH)
    scaled = build_mlp("relu", depth, width=WIDTH, input_scale=theory.UNIT_LOGITS)
    scaled.set_weights([np.float32(1.0), *plain.get_weights()])
    factor = scale_to_unit_logits(scaled, x)
    before, after = ProbeRecorder(plain, x, y, "relu"), ProbeRecorder(scaled, x, y, "relu")
    before.record(0)
    after.record(0)
    assert logit_rms(after) == pytest.approx(1.0, rel=1e-4)
    assert factor == pytest.approx(1 / logit_rms(before), rel=1e-4)
    assert factor > 10  # a 12-layer net's logits are far below 1
    # layer to layer, the signal and dL/dz change as under Glorot (chi_1 = 1/2 per layer), only the scale moves
    assert signal_ratio(after, depth) == pytest.approx(signal_ratio(before, depth), abs=1e-4)
    assert ratio(after, "activation_grad", depth) == pytest.approx(ratio(before, "activation_grad", depth), abs=0.05)
    assert ratio(after, "activation_grad", depth) < -1.2
    # the layer is saved with the model and comes back with its scale
    again = keras.Sequential.from_config(scaled.get_config())
    again.set_weights(scaled.get_weights())
    assert float(again.get_layer("input_scale").scale.numpy()) == pytest.approx(factor, rel=1e-6)


def test_a_number_as_input_scale_multiplies_the_pixels():
    model = build_mlp("relu", 1, width=4, input_scale=3.0)
    x = np.ones((2, 784), "float32")
    assert np.allclose(model.get_layer("input_scale")(x), 3.0)
    assert "input_scale" not in [layer.name for layer in build_mlp("relu", 1, width=4).layers]


def test_optimizer_options_reach_keras_and_a_wrong_one_is_named():
    assert make_optimizer("adam", 1e-3, {"epsilon": 1e-12}).epsilon == 1e-12
    assert make_optimizer("adam", 1e-3).epsilon == 1e-7  # Keras' default
    with pytest.raises(ValueError, match=r"optimizer_options \{'epsilon': 1e-09\}: not accepted by the sgd"):
        make_optimizer("sgd", 0.01, {"epsilon": 1e-9})


def test_the_intervention_blocks_validate_and_differ_from_1b_only_where_they_should():
    config = copy.deepcopy(CONFIG)
    validate(config, SCHEMA)
    blocks = {name: config["exercises"][name] for name in config["exercises"] if name.startswith("mechanism_")}
    # claim (e)'s intervention: cure_batchnorm's nets with Adam
    assert blocks.pop("mechanism_batchnorm_adam") == dict(
        config["exercises"]["cure_batchnorm"], activations=["relu"], optimizer="adam", learning_rate=0.001
    )
    assert set(blocks) == {"mechanism_adam", "mechanism_adam_small_eps", "mechanism_input_rescaled"}
    for block in blocks.values():
        assert block["activations"] == ["relu"] and block["depths"] == config["exercises"]["ex1"]["depths"]
        assert block.get("initializer", config["training"]["initializer"]) == "glorot_uniform"
    assert blocks["mechanism_adam"]["optimizer"] == "adam" and "optimizer_options" not in blocks["mechanism_adam"]
    assert blocks["mechanism_adam_small_eps"]["optimizer_options"]["epsilon"] < 1e-7
    assert blocks["mechanism_input_rescaled"]["input_scale"] == theory.UNIT_LOGITS
    assert "optimizer" not in blocks["mechanism_input_rescaled"]  # plain SGD, as in 1.B


@pytest.mark.parametrize(
    "block, key, value, where",
    [
        ("training", "optimizer_options", {"epsilion": 1e-8}, "training.optimizer_options"),
        ("mechanism_adam_small_eps", "optimizer_options", {"epsilon": 0}, "optimizer_options.epsilon"),
        ("training", "input_scale", "unit", "training.input_scale"),
        ("mechanism_input_rescaled", "input_scale", -1, "input_scale"),
    ],
)
def test_the_schema_refuses_a_bad_option_or_scale_naming_it(block, key, value, where):
    config = copy.deepcopy(CONFIG)
    (config["training"] if block == "training" else config["exercises"][block])[key] = value
    with pytest.raises(WorkflowError) as err:
        validate(config, SCHEMA)
    error = err.value.__context__  # the jsonschema error that Snakemake's message quotes
    assert ".".join(map(str, error.absolute_path)).endswith(where), error.message


def test_configs_without_the_new_keys_get_their_defaults():
    config = yaml.safe_load((ROOT / "tests" / "config" / "smoke.yaml").read_text())
    for key in ("optimizer_options", "input_scale"):
        config["training"].pop(key, None)
    validate(config, SCHEMA)
    assert config["training"]["optimizer_options"] == {} and config["training"]["input_scale"] == 1


# The claim's verdict on constructed frames: what each mechanism predicts, written as probe rows.
SEEDS, DEEP = (0, 1, 2), 40


def constructed(dw_first: float, rescaled_accuracy: float, first_moved: float):
    """metrics, activations and gradients of the grid's ReLU (5 and 40 layers) and the interventions.
    ``dw_first``: rms dL/dW at layer 1 of the 40-layer net over its last hidden layer's (1: flat);
    ``first_moved``: the rescaled net's kernel change at layer 1 over its last hidden layer's."""
    from depthstudy import mechanism

    metrics, acts, grads = [], [], []
    accuracies = {
        ("ex1", 5): 0.92,
        ("ex1", DEEP): 0.11,
        (mechanism.ADAM, 5): 0.96,
        (mechanism.ADAM, DEEP): 0.11,
        (mechanism.ADAM_SMALL_EPS, 5): 0.97,
        (mechanism.ADAM_SMALL_EPS, DEEP): 0.95,
        (mechanism.RESCALED, 5): 0.93,
        (mechanism.RESCALED, DEEP): rescaled_accuracy,
    }
    for (exercise, depth), acc in accuracies.items():
        for seed in SEEDS:
            keys = dict(exercise=exercise, activation="relu", depth=depth, seed=seed)
            metrics.append(keys | dict(epochs=5, test_accuracy=acc + 0.001 * seed, diverged=False))
            scale = 2.0 ** (-depth / 2)
            acts.append(keys | dict(epoch=0, layer=depth + 1, stat="logit_rms", value=0.6 * scale))
            for layer in range(1, depth + 1):
                share = (layer - 1) / (depth - 1)  # 0 at layer 1, 1 at the last hidden layer
                dw = scale * dw_first ** (1 - share) if depth == DEEP else scale
                grads.append(keys | dict(epoch=0, layer=layer, quantity="weight_grad", stat="rms", value=dw))
                dz = 2.0 ** (-(depth - layer) / 2)
                grads.append(keys | dict(epoch=0, layer=layer, quantity="activation_grad", stat="rms", value=dz))
                moved = 0.05 * first_moved ** (1 - share)
                acts.append(keys | dict(epoch=5, layer=layer, stat="kernel_change", value=moved))
    return pd.DataFrame(metrics), pd.DataFrame(acts), pd.DataFrame(grads)


@pytest.mark.parametrize(
    "dw_first, rescaled, moved, verdict",
    [
        (0.8, 0.90, 1.3, "not supported"),  # flat dL/dW, the global rescale trains, layer 1 moves: scale collapse
        (1e-4, 0.11, 1e-5, "supported"),  # dL/dW vanishes towards the input, no global cure, layer 1 stays
        (0.8, 0.11, 1.3, "mixed"),  # flat, but the rescale does not train
        (1e-4, 0.90, 1.3, "mixed"),  # the rescale trains, but dL/dW vanishes layer by layer
    ],
)
def test_the_mechanism_verdict_reads_the_measurements(dw_first, rescaled, moved, verdict):
    from depthstudy.mechanism import mechanism_claim

    metrics, acts, grads = constructed(dw_first, rescaled, moved)
    row = mechanism_claim(metrics, acts, grads, DEEP)
    assert row["verdict"] == verdict, row["why"]
    assert f"∂L/∂W {math.log10(dw_first):+.2f}" in row["numbers"]
    assert "∂L/∂z -5.87" in row["numbers"]  # log10 2^(-39/2)
    assert "rescaled pixels 0.931 ± 0.001 / " in row["numbers"]
    assert f"SGD {moved:.2f}, rescaled pixels {moved:.2f}" in row["numbers"]


def test_the_mechanism_is_not_tested_where_relu_trains_and_not_measured_without_its_exercises():
    from depthstudy import mechanism

    metrics, acts, grads = constructed(0.8, 0.9, 1.3)
    trained = metrics.assign(test_accuracy=np.where(metrics.exercise == "ex1", 0.95, metrics.test_accuracy))
    assert mechanism.mechanism_claim(trained, acts, grads, DEEP)["verdict"] == "not tested"
    alone = metrics[metrics.exercise == "ex1"]
    acts_alone = acts[acts.exercise == "ex1"]
    assert mechanism.mechanism_claim(alone, acts_alone, grads, DEEP)["verdict"] == "not measured"


def test_theory_vs_measured_puts_the_scale_beside_its_prediction():
    """Measured frames that equal a ReLU + Glorot net's prediction give zero errors, a flat dL/dW and the
    predicted logits; a dL/dW that halves per layer towards the input shows as its spread."""
    from depthstudy import theory_vs_measured as tvm

    depth, sq = 10, np.full(64, 100.0)
    net = dict(exercise="ex1", activation="relu", initializer="glorot_uniform", batchnorm=False, width=WIDTH,
               depths=[depth])  # fmt: skip
    profile, scales = tvm.profiles([net], sq)
    p = profile.set_index("layer")
    keys = dict(exercise="ex1", activation="relu", depth=depth, seed=0, epoch=0)
    grads, acts = [], []
    for layer in range(1, depth + 1):
        for quantity, value in (("activation_grad", p.dz_rel[layer]), ("bias_grad", p.dz_rel[layer]),
                                ("weight_grad", 1e-6 * 2.0 ** ((layer - depth) / 2))):  # fmt: skip
            grads.append(keys | dict(layer=layer, quantity=quantity, stat="rms", value=value))
        acts.append(keys | dict(layer=layer, stat="z_rms", value=p.z_rms[layer]))
    predicted = theory.logit_rms(p.a_rms[depth], WIDTH)
    acts.append(keys | dict(layer=depth + 1, stat="logit_rms", value=predicted))
    metrics = pd.DataFrame([dict(keys, epochs=5, test_accuracy=0.9, diverged=False)])
    row = tvm.table(profile, scales, pd.DataFrame(grads), pd.DataFrame(acts), metrics).iloc[0]
    assert row.output_error == pytest.approx(0, abs=1e-9)
    assert row.output_predicted == pytest.approx(math.log10(predicted))
    assert row.db_error == pytest.approx(0, abs=1e-9) and row.dz_error == pytest.approx(0, abs=1e-9)
    assert row.dw_spread_predicted < 0.15  # flat, but for layer 1, which sees pixels
    assert row.dw_spread_measured == pytest.approx((depth - 1) * math.log10(2) / 2)
    assert row.dw_scale_measured == pytest.approx(np.mean([-6 + (k - depth) * math.log10(2) / 2 for k in range(1, 11)]))
    markdown = tvm.theory_vs_measured_markdown(pd.DataFrame([row]))
    assert f"{row.output_predicted:.2f} / {row.output_measured:.2f}" in markdown
