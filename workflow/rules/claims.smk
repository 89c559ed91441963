# Beyond the report: its explanations tested with the probe statistics, and the cures compared.


rule claims_table:
    input:
        metrics=expand(rules.combine_mlp.output.metrics, exercise=["ex1", *CURES]),
        activations=combined("activations", "ex1", DEEPEST)
        + (
            combined("activations", "cure_he_init", DEEPEST)
            if "cure_he_init" in EXERCISES
            else []
        ),
        gradients=combined("gradients", "ex1", DEEPEST),
    output:
        csv=report(
            "results/tables/claims.csv",
            caption="../report/table.rst",
            category="Tables",
        ),
        md="results/tables/claims.md",
    log:
        "results/logs/claims_table.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    script:
        "../scripts/claims.py"


rule comparison_with_report:
    input:
        mlp=expand(
            rules.combine_mlp.output.metrics,
            exercise=[e for e in ("ex1", "ex1d") if e in EXERCISES],
        ),
        cnn=rules.combine_cnn.output.metrics,
        reference=REFERENCE,
    output:
        csv=report(
            "results/tables/comparison_with_report.csv",
            caption="../report/table.rst",
            category="Tables",
        ),
        md="results/tables/comparison_with_report.md",
    log:
        "results/logs/comparison_with_report.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        settings={
            **{ex: exercise_settings(ex) for ex in EXERCISES},
            "cnn": config["cnn"],
        },
    script:
        "../scripts/comparison.py"


rule plot_dead_units:
    input:
        glorot=combined("activations", "ex1", DEEPEST),
        he=combined("activations", "cure_he_init", DEEPEST),
    output:
        report(
            f"{FIG}/claims_dead_units_relu.png",
            caption="../report/claims_dead_units_relu.rst",
            category="Beyond the report",
        ),
    log:
        "results/logs/plot/claims_dead_units_relu.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        figure="dead_units",
        plot=PLOT,
        options={
            "title": f"Dying or vanishing? ReLU with {DEEPEST} hidden layers, Glorot vs He init"
        },
    script:
        "../scripts/plot.py"


rule plot_saturation:
    input:
        activations=combined("activations", "ex1", EXERCISES["ex1"]["depths"]),
        lecun=(
            combined(
                "activations", "ex1d_trained", EXERCISES["ex1d_trained"]["depths"]
            )
            if "ex1d_trained" in EXERCISES
            else []
        ),
    output:
        report(
            f"{FIG}/claims_saturation.png",
            caption="../report/claims_saturation.rst",
            category="Beyond the report",
        ),
    log:
        "results/logs/plot/claims_saturation.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        figure="saturation",
        plot=PLOT,
        options={"title": "Saturated outputs per layer and epoch (probe batch)"},
    script:
        "../scripts/plot.py"


rule plot_cures_accuracy:
    input:
        metrics=expand(rules.combine_mlp.output.metrics, exercise=["ex1", *CURES]),
    output:
        report(
            f"{FIG}/cures_accuracy_by_depth.png",
            caption="../report/cures_accuracy_by_depth.rst",
            category="Beyond the report",
        ),
    log:
        "results/logs/plot/cures_accuracy_by_depth.log",
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        figure="cures_accuracy",
        plot=PLOT,
        options={
            "title": "Test accuracy against depth: the report's networks and the cures"
        },
    script:
        "../scripts/plot.py"


rule claims:
    input:
        rules.claims_table.output,
        rules.plot_dead_units.output,
        rules.plot_saturation.output,
        rules.plot_cures_accuracy.output,
    localrule: True
