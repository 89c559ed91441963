# Every figure of the study, one entry each, and the one rule pattern that draws them all.
# A figure reads only combined CSVs (and the class shares, for its chance line); the plot settings
# reach it as params, so changing one re-runs the figure rules and nothing upstream.
#
# Entry: the PNG's name under results/figures/ (with {depth} for one figure per depth), the function
# that draws it (module.function, of a figure module that the rule script plot.py lists), its
# inputs (named like that function's frame arguments), its report category, and the function's
# other arguments (a title). Without _depth{depth}, the name
# also names the rule (plot_<name>) and its caption (workflow/report/<name>.rst).

import csv

CLASSES = rules.class_shares.output[0]
THEORY = rules.theory_profiles.output.profiles
# plot.errorbar in words: short in titles, long in captions
ERRORBAR_WORDS = {
    "sd": ("sd", "one standard deviation"),
    "ci95": ("95 % CI", "the 95 % confidence interval of the mean (Student's t)"),
}
ERRORBAR_TITLE, ERRORBAR_CAPTION = ERRORBAR_WORDS[PLOT["errorbar"]]
# The depths at which the report gives 1.B's test accuracy (its crosses), and those of them in the grid:
# the caption says where the figure draws crosses.
with open(REFERENCE) as reference:
    REPORT_GRID = sorted(
        {
            int(row["depth"])
            for row in csv.DictReader(reference)
            if row["exercise"] == "ex1" and row["metric"] == "test_accuracy"
        }
    )
EX1_GRADIENTS = expand(
    rules.combine_probe.output.gradients, exercise="ex1", allow_missing=True
)

FIGURES = {
    "ex1b_accuracy_by_depth": dict(
        draw="figures.accuracy_by_depth",
        input=dict(
            metrics=expand(rules.combine_mlp.output.metrics, exercise="ex1"),
            reference=REFERENCE,
            classes=CLASSES,
        ),
        category="1.B Depth and activation",
        options={
            "title": f"1.B test accuracy ({train_note('ex1')})",
            "reference_label": REPORT_LABEL,
        },
        caption={
            "report_grid": REPORT_GRID,
            "report_depths": [
                d for d in REPORT_GRID if d in EXERCISES["ex1"]["depths"]
            ],
        },
    ),
    "ex1b_learning_curves": dict(
        draw="figures.learning_curves",
        input=dict(history=expand(rules.combine_mlp.output.history, exercise="ex1")),
        category="1.B Depth and activation",
        options={"title": f"1.B training loss per epoch ({train_note('ex1')})"},
    ),
    "ex1c_max_gradient_depth{depth}": dict(
        draw="figures.gradient_profile",
        input=dict(gradients=EX1_GRADIENTS),
        category="1.C Gradients",
        subcategory="max gradient per layer",
        options=lambda w: {
            "title": f"1.C largest weight gradient per layer, {w.depth} hidden layers, after training"
        },
    ),
    "ex1c_gradient_flow_depth{depth}": dict(
        draw="figures.gradient_flow",
        input=dict(gradients=EX1_GRADIENTS),
        category="1.C Gradients",
        subcategory="gradient flow over epochs",
        options=lambda w: {
            "title": f"1.C log10 max gradient per layer and epoch, {w.depth} hidden layers (mean over seeds)"
        },
    ),
    "ex1c_theory_depth{depth}": dict(
        draw="theory_figures.theory_profile",
        input=dict(gradients=EX1_GRADIENTS, theory=THEORY),
        category="1.C Gradients",
        subcategory="theory at initialisation",
        options=lambda w: {
            "title": f"1.C before training, {w.depth} hidden layers: rms gradient per layer against mean-field theory",
            "exercise": "ex1",
        },
    ),
    "ex1d_lecun_activation": dict(
        draw="figures.lecun_activation",
        input={},
        category="1.D LeCun's scaled tanh",
        options={},
    ),
    "ex1d_gradients_depth{depth}": dict(
        draw="theory_figures.gradient_profile_with_theory",
        input=dict(
            gradients=expand(
                rules.combine_probe.output.gradients,
                exercise="ex1d",
                allow_missing=True,
            ),
            theory=THEORY,
        ),
        category="1.D LeCun's scaled tanh",
        options=lambda w: {
            "title": f"1.D untrained networks, {w.depth} hidden layers: max gradient per layer, and rms against theory",
            "quantities": ["weight_grad", "activation_grad"],
            "exercise": "ex1d",
        },
    ),
    "ex3_training_curves": dict(
        draw="figures.cnn_curves",
        input=dict(history=rules.combine_cnn.output.history),
        category="3 The CNN",
        options={
            "title": f"3. The report's CNN: {cnn_recipe()}, {pipeline.plural(len(config['cnn']['seeds']), 'seed')}, band = {ERRORBAR_TITLE}"
        },
    ),
    "claims_dead_units_relu": dict(
        draw="claims_figures.dead_units",
        input=dict(
            glorot=combined("activations", "ex1", DEEPEST),
            he=combined("activations", "cure_he_init", DEEPEST),
        ),
        category="Beyond the report",
        options={
            "title": f"Dying or vanishing? ReLU with {DEEPEST} hidden layers, Glorot vs He init"
        },
    ),
    "claims_saturation": dict(
        draw="claims_figures.saturation",
        input=dict(
            activations=combined("activations", "ex1", EXERCISES["ex1"]["depths"]),
            lecun=combined(
                "activations", "ex1d_trained", EXERCISES["ex1d_trained"]["depths"]
            ),
        ),
        category="Beyond the report",
        options={"title": "Saturated outputs per layer and epoch (probe batch)"},
    ),
    "theory_signal_propagation": dict(
        draw="theory_figures.theory_signal_propagation",
        input=dict(
            activations=[
                f
                for ex in THEORY_EXERCISES
                for f in combined("activations", ex, THEORY_DEPTH)
            ],
            gradients=[
                f
                for ex in THEORY_EXERCISES
                for f in combined("gradients", ex, THEORY_DEPTH)
            ],
            theory=THEORY,
            scales=rules.theory_profiles.output.scales,
        ),
        category="Beyond the report",
        options={
            "title": f"Signal propagation at initialisation, {THEORY_DEPTH} hidden layers: measured and mean-field theory"
        },
    ),
    "cures_accuracy_by_depth": dict(
        draw="claims_figures.cures_accuracy",
        input=dict(
            metrics=expand(rules.combine_mlp.output.metrics, exercise=["ex1", *CURES]),
            classes=CLASSES,
        ),
        category="Beyond the report",
        options={
            "title": "Test accuracy against depth: the report's networks and the cures",
            "settings": {ex: setting_label(ex) for ex in ["ex1", *CURES]},
        },
    ),
}
if ORTHOGONAL:
    FIGURES["jacobian_spectra"] = dict(
        draw="theory_figures.jacobian_spectra",
        input=dict(
            jacobian=rules.jacobian_spectra.output.csv,
            quantiles=rules.jacobian_spectra.output.quantiles,
        ),
        category="Beyond the report",
        options={
            "title": "The Jacobian of the last hidden layer by the first at initialisation: orthogonal against i.i.d. weights at the same σw²",
        },
    )
if PHASE:
    FIGURES["phase_diagram"] = dict(
        draw="theory_figures.phase_diagram",
        input=dict(
            cells=rules.phase_table.output.csv, summary=rules.phase_table.output.summary
        ),
        category="Beyond the report",
        options={
            "title": f"Trainability of {PHASE['activation']} nets, width {PHASE['width']}, σb² = {PHASE['sigma_b2']}: "
            "which nets train (P(train) over seeds) over weight variance and depth",
            "activation": PHASE["activation"],
            "sigma_b2": PHASE["sigma_b2"],
            "threshold": PHASE["trains_above"],
        },
    )

for png, figure in FIGURES.items():

    rule:
        name:
            "plot_" + png.removesuffix("_depth{depth}")
        input:
            **figure["input"],
        output:
            report(
                f"{FIG}/{png}.png",
                caption=f"../report/{png.removesuffix('_depth{depth}')}.rst",
                category=figure["category"],
                subcategory=figure.get("subcategory"),
            ),
        log:
            results(f"logs/plot/{png}.log"),
        localrule: True
        conda:
            "../../envs/plotting.yaml"
        params:
            figure=figure["draw"],
            dataset=DATA["name"],
            plot=PLOT,
            errorbar=ERRORBAR_CAPTION,
            options=figure["options"],
            # facts that the caption needs beyond the config
            caption=figure.get("caption", {}),
            code=code_hash("plot.py"),
        script:
            "../scripts/plot.py"
