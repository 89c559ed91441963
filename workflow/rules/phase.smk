# The trainability phase diagram (Schoenholz et al. 2017): tanh nets over a grid of sigma_w^2 and
# depth, measured training accuracy against the mean-field rule L < 6 xi_c. On when config.yaml
# has a `phase` block. One job per (depth, seed) trains every sigma_w^2 of its row in one process:
# the nets of a depth differ only in their initial weights, so the model is built and traced once.
# Outputs stay one CSV per net.

if PHASE:

    rule train_phase:
        input:
            data=rules.prepare_data.output.npz,
        output:
            nets=expand(
                results("phase/depth{{depth}}/seed{{seed}}/sigma_w2_{label}.csv"),
                label=PHASE_LABELS,
            ),
        log:
            results("logs/train_phase/depth{depth}/seed{seed}.log"),
        benchmark:
            results("benchmarks/train_phase/depth{depth}/seed{seed}.tsv")
        # the deepest rows first, so that the longest jobs do not start last
        priority: lambda wildcards: int(wildcards.depth)
        conda:
            TRAINING_ENV
        threads: config["threads"]["mlp"]
        resources:
            mem_mb=booked("train_phase", "mem_mb"),
            runtime=booked("train_phase", "runtime"),
            device=config["device"],
        params:
            sigma_w2=PHASE["sigma_w2"],
            # what a job trains with: not the grid, which the job's wildcards and sigma_w2 give,
            # nor the threshold that only the table reads
            settings={
                k: v
                for k, v in PHASE.items()
                if k not in ("seeds", "depths", "sigma_w2", "trains_above")
            },
            dataset=DATA["key"],
            code=code_hash("train_phase.py"),
        script:
            "../scripts/train_phase.py"

    rule phase_table:
        input:
            nets=expand(
                results("phase/depth{depth}/seed{seed}/sigma_w2_{label}.csv"),
                depth=PHASE["depths"],
                seed=PHASE["seeds"],
                label=PHASE_LABELS,
            ),
        output:
            **table_files("phase_trainability"),
            summary=results("tables/phase_summary.csv"),
        log:
            results("logs/phase_table.log"),
        localrule: True
        conda:
            "../../envs/plotting.yaml"
        params:
            settings=PHASE,
            dataset=DATA["name"],
            code=code_hash("phase_table.py"),
        script:
            "../scripts/phase_table.py"


# Dynamical isometry's training speed (Pennington et al. 2017): the critical net of a small sigma_b2
# with Gaussian and with orthogonal weights, trained by the phase diagram's code. On when the config
# has an `isometry` block (workflow/configs/isometry_speed.yaml). One job per (depth, seed) trains both.
if ISOMETRY:

    rule train_isometry:
        input:
            data=rules.prepare_data.output.npz,
        output:
            nets=expand(
                results("isometry/depth{{depth}}/seed{{seed}}/{weights}.csv"),
                weights=ISOMETRY_WEIGHTS,
            ),
        log:
            results("logs/train_isometry/depth{depth}/seed{seed}.log"),
        benchmark:
            results("benchmarks/train_isometry/depth{depth}/seed{seed}.tsv")
        priority: lambda wildcards: int(wildcards.depth)
        conda:
            TRAINING_ENV
        threads: config["threads"]["mlp"]
        resources:
            mem_mb=booked("train_phase", "mem_mb"),
            runtime=booked("train_phase", "runtime"),
            device=config["device"],
        params:
            weights=ISOMETRY_WEIGHTS,
            sigma_w2=ISOMETRY_SIGMA_W2,
            settings={
                k: v
                for k, v in ISOMETRY.items()
                if k not in ("seeds", "depths", "target_accuracy")
            },
            dataset=DATA["key"],
            code=code_hash("train_isometry.py"),
        script:
            "../scripts/train_isometry.py"

    rule isometry_table:
        input:
            nets=expand(
                results("isometry/depth{depth}/seed{seed}/{weights}.csv"),
                depth=ISOMETRY["depths"],
                seed=ISOMETRY["seeds"],
                weights=ISOMETRY_WEIGHTS,
            ),
        output:
            **table_files("isometry_speed"),
        log:
            results("logs/isometry_table.log"),
        localrule: True
        conda:
            "../../envs/plotting.yaml"
        params:
            settings=ISOMETRY,
            sigma_w2=ISOMETRY_SIGMA_W2,
            dataset=DATA["name"],
            code=code_hash("isometry_table.py"),
        script:
            "../scripts/isometry_table.py"
