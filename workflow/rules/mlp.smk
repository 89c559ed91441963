# One job per cell of an exercise's grid (exercise, activation, depth) trains the cell's nets, one
# seed after another in one process: TensorFlow's start-up is paid once a cell, not once a net, and
# each net's numbers equal those of a process of its own. Outputs stay one folder per net. A killed
# job keeps the nets it finished (resume/) and trains only the rest when it reruns.


rule train_mlp:
    input:
        data=data_in_grid,
    output:
        **{kind: mlp_cell_files(kind) for kind in MLP_FILES},
    log:
        results("logs/train_mlp/{exercise}/{activation}/depth{depth}.log"),
    benchmark:
        results("benchmarks/train_mlp/{exercise}/{activation}/depth{depth}.tsv")
    conda:
        TRAINING_ENV
    threads: config["threads"]["mlp"]
    resources:
        mem_mb=booked("train_mlp", "mem_mb"),
        runtime=booked("train_mlp", "runtime", nets=len(SEEDS)),
        # the device policy; a resource, so that the Slurm profile can set it (and it reruns nothing)
        device=config["device"],
    params:
        settings=lambda wildcards: exercise_settings(wildcards.exercise),
        probe=config["probe"],
        dataset=DATA["key"],
        # Not an output: it must survive a killed job, which Snakemake cleans up.
        resume_dir=results("{exercise}/{activation}/depth{depth}/resume"),
        code=code_hash("train_mlp.py"),
    script:
        "../scripts/train_mlp.py"


# The second seed set (config seeds_b): the same training in jobs of their own, so that setting it
# leaves the first set's jobs and files as they are. Only what claims.smk compares is asked for.
if SEEDS_B:

    use rule train_mlp as train_mlp_seeds_b with:
        output:
            **{kind: mlp_cell_files(kind, SEEDS_B) for kind in MLP_FILES},
        log:
            results("logs/train_mlp_seeds_b/{exercise}/{activation}/depth{depth}.log"),
        benchmark:
            results(
                "benchmarks/train_mlp_seeds_b/{exercise}/{activation}/depth{depth}.tsv"
            )
        resources:
            mem_mb=booked("train_mlp", "mem_mb"),
            runtime=booked("train_mlp", "runtime", nets=len(SEEDS_B)),
            device=config["device"],
        params:
            settings=lambda wildcards: exercise_settings(wildcards.exercise),
            probe=config["probe"],
            dataset=DATA["key"],
            resume_dir=results("{exercise}/{activation}/depth{depth}/resume_seeds_b"),
            code=code_hash("train_mlp.py"),
