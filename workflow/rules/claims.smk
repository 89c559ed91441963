# Beyond the report: its explanations tested with the probe statistics, every comparison with a
# Holm-adjusted test, and every number of the report beside the pipeline's. Their figures are in figures.smk.
# claims_table runs the networks' comparisons itself (the same code and family as comparisons.md, whose
# CNN row is a question of its own), so that `claims` needs no CNN.
# Blocks named mechanism_* test why deep ReLU + Glorot fails (depthstudy.mechanism); claims.md reads them.
MECHANISM = [name for name in EXERCISES if name.startswith("mechanism_")]
# claim (e) reads the BatchNorm cure's gradients at initialisation, where it has one
BATCHNORM_CURE = [
    name
    for name in ["cure_batchnorm"]
    if name in EXERCISES and DEEPEST in EXERCISES[name]["depths"]
]
# claims.md reads the grid's gradients at every depth, and claim (e) the BatchNorm cure's at DEEPEST
CLAIM_GRADIENTS = combined("gradients", GRID, EXERCISES[GRID]["depths"]) + combined(
    "gradients", BATCHNORM_CURE, DEEPEST
)
CLAIM_GRADIENTS_B = seeds_b_files("gradients", [GRID]) + seeds_b_files(
    "gradients", BATCHNORM_CURE, DEEPEST
)


rule comparisons:
    input:
        metrics=expand(rules.combine_mlp.output.metrics, exercise=[GRID, LECUN, *CURES]),
        # the same networks on the second seed set (config seeds_b), for each verdict's stability
        metrics_b=seeds_b_files("metrics", [GRID, LECUN, *CURES]),
        cnn=rules.combine_cnn.output.metrics,
        reference=REFERENCE,
        # the test images' count: the accuracy's resolution
        data=rules.prepare_data.output.npz,
    output:
        **table_files("comparisons"),
    log:
        results("logs/comparisons.log"),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        settings={ex: changed_settings(ex) for ex in CURES},
        deepest=DEEPEST,
        seeds=SEEDS,
        seeds_b=SEEDS_B,
        dataset=DATA["name"],
        report_suffix=REPORT_SUFFIX,
        code=code_hash("comparisons.py"),
    script:
        "../scripts/comparisons.py"


rule claims_table:
    input:
        # the networks of every comparison: claims.md reads their family's Holm-adjusted tests
        metrics=expand(
            rules.combine_mlp.output.metrics,
            exercise=[GRID, LECUN, *CURES, *MECHANISM],
        ),
        # the mechanism's claim reads the grid's ReLU at every depth and the rescaled net's kernels
        activations=combined("activations", GRID, EXERCISES[GRID]["depths"])
        + combined("activations", HE_CURE, DEEPEST)
        + combined("activations", MECHANISM, DEEPEST),
        gradients=CLAIM_GRADIENTS,
        # the same files of the second seed set (config seeds_b), for each verdict's stability
        metrics_b=seeds_b_files("metrics", [GRID, LECUN, *CURES, *MECHANISM]),
        activations_b=seeds_b_files("activations", [GRID])
        + seeds_b_files("activations", [HE_CURE, *MECHANISM], DEEPEST),
        gradients_b=CLAIM_GRADIENTS_B,
        data=rules.prepare_data.output.npz,
    output:
        **table_files("claims"),
    log:
        results("logs/claims_table.log"),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        deepest=DEEPEST,
        seeds=SEEDS,
        seeds_b=SEEDS_B,
        # BatchNorm's batch in training: the theory's gradient growth per layer depends on it
        batch=(
            exercise_settings(GRID)["batch_size"]
            if not BATCHNORM_CURE
            else exercise_settings(BATCHNORM_CURE[0])["batch_size"]
        ),
        dataset=DATA["name"],
        code=code_hash("claims_table.py"),
    script:
        "../scripts/claims_table.py"


rule comparison_with_report:
    input:
        mlp=expand(rules.combine_mlp.output.metrics, exercise=[GRID, UNTRAINED]),
        cnn=rules.combine_cnn.output.metrics,
        reference=REFERENCE,
    output:
        **table_files("comparison_with_report"),
    log:
        results("logs/comparison_with_report.log"),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        settings={
            **{ex: exercise_settings(ex) for ex in EXERCISES},
            "cnn": config["cnn"],
        },
        dataset=DATA["name"],
        report_suffix=REPORT_SUFFIX,
        code=code_hash("comparison_with_report.py"),
    script:
        "../scripts/comparison_with_report.py"


rule claims:
    input:
        rules.claims_table.output,
        rules.plot_claims_dead_units_relu.output,
        rules.plot_claims_saturation.output,
        rules.plot_cures_accuracy_by_depth.output,
    localrule: True
