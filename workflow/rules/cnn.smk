rule train_cnn:
    input:
        data=data_for_cnn,
    output:
        metrics=results("ex3/seed{seed}/metrics.csv"),
        history=results("ex3/seed{seed}/history.csv"),
        summary=results("ex3/seed{seed}/summary.txt"),
        model=results("ex3/seed{seed}/model.keras"),
    log:
        results("logs/train_cnn/seed{seed}.log"),
    benchmark:
        results("benchmarks/train_cnn/seed{seed}.tsv")
    # the longest jobs of the study start first (then the phase diagram's rows, deepest first)
    priority: 1000
    conda:
        TRAINING_ENV
    threads: config["threads"]["cnn"]
    resources:
        mem_mb=booked("train_cnn", "mem_mb"),
        runtime=booked("train_cnn", "runtime"),
        # the device policy; a resource, so that the Slurm profile can set it (and it reruns nothing)
        device=config["device"],
    params:
        settings=cnn_settings(),
        dataset=DATA["key"],
        # Not an output: it must survive a killed job, which Snakemake cleans up.
        checkpoint_dir=results("ex3/seed{seed}/resume"),
        code=code_hash("train_cnn.py"),
    script:
        "../scripts/train_cnn.py"
