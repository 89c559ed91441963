rule prepare_data:
    output:
        npz=results(f"data/{DATA['key']}.npz"),
    log:
        results("logs/prepare_data.log"),
    conda:
        "../../envs/training.yaml"
    params:
        data_dir=DATA_DIR,
        # the pins, or None for an unverified set; not the name, so renaming it reruns nothing
        sha256=DATA["sha256"] if config["data_dir"] else None,
        dataset=DATA["key"],
        keras=DATA["keras"],
        limit_train=config["limit_train"],
        limit_test=config["limit_test"],
        code=code_hash("prepare_data.py"),
    script:
        "../scripts/prepare_data.py"


rule class_shares:
    input:
        npz=rules.prepare_data.output.npz,
    output:
        results("data/classes.csv"),
    log:
        results("logs/class_shares.log"),
    localrule: True
    conda:
        "../../envs/plotting.yaml"
    params:
        classes=DATA["classes"],
        code=code_hash("class_shares.py"),
    script:
        "../scripts/class_shares.py"
