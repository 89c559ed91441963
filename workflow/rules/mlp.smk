rule train_mlp:
    input:
        data=data_in_grid,
    output:
        metrics=results("{exercise}/{activation}/depth{depth}/seed{seed}/metrics.csv"),
        history=results("{exercise}/{activation}/depth{depth}/seed{seed}/history.csv"),
        gradients=results(
            "{exercise}/{activation}/depth{depth}/seed{seed}/gradients.csv"
        ),
        activations=results(
            "{exercise}/{activation}/depth{depth}/seed{seed}/activations.csv"
        ),
    log:
        results("logs/train_mlp/{exercise}/{activation}/depth{depth}/seed{seed}.log"),
    benchmark:
        results(
            "benchmarks/train_mlp/{exercise}/{activation}/depth{depth}/seed{seed}.tsv"
        )
    conda:
        TRAINING_ENV
    threads: config["threads"]["mlp"]
    resources:
        mem_mb=booked("train_mlp", "mem_mb"),
        runtime=booked("train_mlp", "runtime"),
        # the device policy; a resource, so that the Slurm profile can set it (and it reruns nothing)
        device=config["device"],
    params:
        settings=lambda wildcards: exercise_settings(wildcards.exercise),
        probe=config["probe"],
        dataset=DATA["key"],
        code=code_hash("train_mlp.py"),
    script:
        "../scripts/train_mlp.py"
