# Mean-field theory beside the measurements: what each net's gradients and signal should do at
# initialisation (depthstudy.theory), and how close the probe's epoch-0 statistics come. numpy only:
# the predictions take seconds and need no training, the comparison needs the probe statistics.

# Every net of the config: its exercise's activation, initializer, BatchNorm, width and input scale.
THEORY_NETS = [
    dict(
        exercise=ex,
        activation=activation,
        initializer=exercise_settings(ex)["initializer"],
        batchnorm=exercise_settings(ex)["batchnorm"],
        width=exercise_settings(ex)["width"],
        batch_size=exercise_settings(ex)["batch_size"],
        residual=exercise_settings(ex)["residual"],
        residual_scale=exercise_settings(ex)["residual_scale"],
        input_scale=exercise_settings(ex).get("input_scale", 1),
        depths=EXERCISES[ex]["depths"],
    )
    for ex in EXERCISES
    for activation in EXERCISES[ex]["activations"]
]
# theory_signal_propagation.png shows the deepest nets of any exercise (not DEEPEST, the report
# grid's deepest, where claims.md compares networks)
THEORY_DEPTH = max(max(ex["depths"]) for ex in EXERCISES.values())
THEORY_EXERCISES = [ex for ex in EXERCISES if THEORY_DEPTH in EXERCISES[ex]["depths"]]


rule theory_profiles:
    input:
        data=rules.prepare_data.output.npz,
    output:
        profiles=results("theory/profiles.csv"),
        scales=results("theory/depth_scales.csv"),
    log:
        results("logs/theory_profiles.log"),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        nets=THEORY_NETS,
        probe=config["probe"],
        code=code_hash("theory_profiles.py"),
    script:
        "../scripts/theory_profiles.py"


rule theory_vs_measured:
    input:
        profiles=rules.theory_profiles.output.profiles,
        scales=rules.theory_profiles.output.scales,
        gradients=all_probe("gradients"),
        activations=all_probe("activations"),
        metrics=expand(rules.combine_mlp.output.metrics, exercise=list(EXERCISES)),
    output:
        **table_files("theory_vs_measured"),
    log:
        results("logs/theory_vs_measured.log"),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        dataset=DATA["name"],
        code=code_hash("theory_vs_measured.py"),
    script:
        "../scripts/theory_vs_measured.py"


# The Jacobian dh_L / dh_1 of every net at initialisation (depthstudy.jacobian): its squared singular
# values against free-probability theory. Keras draws the kernels; nothing trains.
rule jacobian_spectra:
    input:
        data=rules.prepare_data.output.npz,
    output:
        **table_files("jacobian_spectra"),
        spectra=results("theory/jacobian_spectra.csv"),
        quantiles=results("theory/jacobian_quantiles.csv"),
    log:
        results("logs/jacobian_spectra.log"),
    localrule: True
    conda:
        TRAINING_ENV
    params:
        nets=THEORY_NETS,
        probe=config["probe"],
        seeds=config["seeds"],
        dataset=DATA["name"],
        code=code_hash("jacobian_spectra.py"),
    script:
        "../scripts/jacobian_spectra.py"
