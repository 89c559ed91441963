# Figures read only combined CSVs; the plot settings reach them as params, so changing one re-runs
# the figure rules and nothing upstream.


rule plot_accuracy_by_depth:
    input:
        metrics=expand(rules.combine_mlp.output.metrics, exercise="ex1"),
        reference=REFERENCE,
    output:
        report(
            f"{FIG}/ex1b_accuracy_by_depth.png",
            caption="../report/ex1b_accuracy_by_depth.rst",
            category="1.B Depth and activation",
        ),
    log:
        "results/logs/plot/ex1b_accuracy_by_depth.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        figure="accuracy_by_depth",
        plot=PLOT,
        options=lambda w: {"title": f"1.B test accuracy on MNIST ({train_note('ex1')})"},
    script:
        "../scripts/plot.py"


rule plot_learning_curves:
    input:
        history=expand(rules.combine_mlp.output.history, exercise="ex1"),
    output:
        report(
            f"{FIG}/ex1b_learning_curves.png",
            caption="../report/ex1b_learning_curves.rst",
            category="1.B Depth and activation",
        ),
    log:
        "results/logs/plot/ex1b_learning_curves.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        figure="learning_curves",
        plot=PLOT,
        options=lambda w: {
            "title": f"1.B training loss per epoch ({train_note('ex1')})"
        },
    script:
        "../scripts/plot.py"


rule plot_max_gradient:
    input:
        gradients=expand(
            rules.combine_probe.output.gradients, exercise="ex1", allow_missing=True
        ),
    output:
        report(
            "results/figures/ex1c_max_gradient_depth{depth}.png",
            caption="../report/ex1c_max_gradient.rst",
            category="1.C Gradients",
            subcategory="max gradient per layer",
        ),
    log:
        "results/logs/plot/ex1c_max_gradient_depth{depth}.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        figure="gradient_profile",
        plot=PLOT,
        options=lambda w: {
            "title": f"1.C largest weight gradient per layer, {w.depth} hidden layers, after training"
        },
    script:
        "../scripts/plot.py"


rule plot_gradient_flow:
    input:
        gradients=expand(
            rules.combine_probe.output.gradients, exercise="ex1", allow_missing=True
        ),
    output:
        report(
            "results/figures/ex1c_gradient_flow_depth{depth}.png",
            caption="../report/ex1c_gradient_flow.rst",
            category="1.C Gradients",
            subcategory="gradient flow over epochs",
        ),
    log:
        "results/logs/plot/ex1c_gradient_flow_depth{depth}.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        figure="gradient_flow",
        plot=PLOT,
        options=lambda w: {
            "title": f"1.C log10 max gradient per layer and epoch, {w.depth} hidden layers (mean over seeds)"
        },
    script:
        "../scripts/plot.py"


rule plot_lecun_activation:
    output:
        report(
            f"{FIG}/ex1d_lecun_activation.png",
            caption="../report/ex1d_lecun_activation.rst",
            category="1.D LeCun's scaled tanh",
        ),
    log:
        "results/logs/plot/ex1d_lecun_activation.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        figure="lecun_activation",
        plot=PLOT,
    script:
        "../scripts/plot.py"


rule plot_untrained_gradients:
    input:
        gradients=expand(
            rules.combine_probe.output.gradients, exercise="ex1d", allow_missing=True
        ),
    output:
        report(
            "results/figures/ex1d_gradients_depth{depth}.png",
            caption="../report/ex1d_gradients.rst",
            category="1.D LeCun's scaled tanh",
        ),
    log:
        "results/logs/plot/ex1d_gradients_depth{depth}.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        figure="gradient_profile",
        plot=PLOT,
        options=lambda w: {
            "title": f"1.D untrained networks, {w.depth} hidden layers: max gradient per layer",
            "quantities": ["weight_grad", "activation_grad"],
        },
    script:
        "../scripts/plot.py"


rule plot_cnn_curves:
    input:
        history=rules.combine_cnn.output.history,
    output:
        report(
            f"{FIG}/ex3_training_curves.png",
            caption="../report/ex3_training_curves.rst",
            category="3 The CNN",
        ),
    log:
        "results/logs/plot/ex3_training_curves.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        figure="cnn_curves",
        plot=PLOT,
        options={
            "title": f"3. The report's CNN: {cnn_recipe()}, {len(config['cnn']['seeds'])} seed(s), band = sd"
        },
    script:
        "../scripts/plot.py"
