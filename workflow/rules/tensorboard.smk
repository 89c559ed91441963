# Optional (`tensorboard: true`): TensorBoard runs exported from the per-job CSVs, one folder per
# exercise with one run per job. They read finished results, so switching them on trains nothing.


rule tensorboard_mlp:
    input:
        history=lambda w: mlp_outputs("history", w.exercise),
        gradients=lambda w: mlp_outputs("gradients", w.exercise),
        activations=lambda w: mlp_outputs("activations", w.exercise),
    output:
        directory(results("tensorboard/{exercise}")),
    log:
        results("logs/tensorboard/{exercise}.log"),
    localrule: True
    conda:
        "../../envs/training.yaml"
    params:
        code=code_hash("export_tensorboard.py"),
    script:
        "../scripts/export_tensorboard.py"


rule tensorboard_cnn:
    input:
        history=expand(rules.train_cnn.output.history, seed=config["cnn"]["seeds"]),
    output:
        directory(results("tensorboard/ex3")),
    log:
        results("logs/tensorboard/ex3.log"),
    localrule: True
    conda:
        "../../envs/training.yaml"
    params:
        code=code_hash("export_tensorboard.py"),
    script:
        "../scripts/export_tensorboard.py"


rule tensorboard:
    input:
        expand(rules.tensorboard_mlp.output, exercise=EXERCISES),
        rules.tensorboard_cnn.output,
    localrule: True
