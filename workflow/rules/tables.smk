# Aggregation reads only per-job CSVs; tables read only combined CSVs.


rule combine_mlp:
    input:
        metrics=lambda w: mlp_outputs("metrics", w.exercise),
        history=lambda w: mlp_outputs("history", w.exercise),
    output:
        metrics=results("combined/{exercise}/metrics.csv"),
        history=results("combined/{exercise}/history.csv"),
    log:
        results("logs/combine_mlp/{exercise}.log"),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        code=code_hash("combine.py"),
    script:
        "../scripts/combine.py"


rule combine_probe:
    input:
        gradients=lambda w: mlp_outputs("gradients", w.exercise, int(w.depth)),
        activations=lambda w: mlp_outputs("activations", w.exercise, int(w.depth)),
    output:
        gradients=results("combined/{exercise}/gradients_depth{depth}.csv"),
        activations=results("combined/{exercise}/activations_depth{depth}.csv"),
    log:
        results("logs/combine_probe/{exercise}_depth{depth}.log"),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        code=code_hash("combine.py"),
    script:
        "../scripts/combine.py"


rule combine_cnn:
    input:
        metrics=expand(rules.train_cnn.output.metrics, seed=config["cnn"]["seeds"]),
        history=expand(rules.train_cnn.output.history, seed=config["cnn"]["seeds"]),
    output:
        metrics=results("combined/ex3/metrics.csv"),
        history=results("combined/ex3/history.csv"),
    log:
        results("logs/combine_cnn.log"),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        code=code_hash("combine.py"),
    script:
        "../scripts/combine.py"


rule metrics_table:
    input:
        metrics=lambda w: expand(
            rules.combine_mlp.output.metrics, exercise=TABLE_EXERCISE[w.table]
        ),
        reference=REFERENCE,
    output:
        **table_files("{table}"),
    log:
        results("logs/metrics_table/{table}.log"),
    wildcard_constraints:
        table="|".join(TABLE_EXERCISE),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        kind="mlp",
        exercise=lambda w: TABLE_EXERCISE[w.table],
        title=f"Test loss and accuracy on {DATA['name']}",
        # what the exercise changes from `training`, named in the table's heading
        settings=lambda w: exercise_settings(TABLE_EXERCISE[w.table]),
        defaults=config["training"],
        report_suffix=REPORT_SUFFIX,
        dataset=DATA["name"],
        code=code_hash("table.py"),
    script:
        "../scripts/table.py"


rule cnn_table:
    input:
        metrics=rules.combine_cnn.output.metrics,
        reference=REFERENCE,
    output:
        **table_files("ex3_cnn"),
    log:
        results("logs/cnn_table.log"),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        kind="cnn",
        title=f"Exercise 3 on {DATA['name']}: the report's CNN",
        report_suffix=REPORT_SUFFIX,
        dataset=DATA["name"],
        code=code_hash("table.py"),
    script:
        "../scripts/table.py"


# Every exercise block side by side: what it changes from `training`, test accuracy by depth.
rule experiments:
    input:
        metrics=expand(rules.combine_mlp.output.metrics, exercise=EXERCISES),
    output:
        csv=results("tables/experiments.csv"),
        md=results("tables/experiments.md"),
        # the Markdown table as a page, which the HTML report shows in place (a CSV it offers as a download)
        html=report(
            results("tables/experiments.html"),
            caption="../report/experiments.rst",
            category="Tables",
        ),
    log:
        results("logs/experiments.log"),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        settings={ex: exercise_settings(ex) for ex in EXERCISES},
        defaults=config["training"],
        dataset=DATA["name"],
        code=code_hash("experiments_table.py"),
    script:
        "../scripts/experiments_table.py"
