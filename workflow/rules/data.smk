rule prepare_data:
    output:
        npz="results/data/mnist.npz",
    log:
        "results/logs/prepare_data.log",
    conda:
        "../../envs/training.yaml"
    params:
        data_dir=config["data_dir"],
        verify_checksums=config["verify_checksums"],
        limit_train=config["limit_train"],
        limit_test=config["limit_test"],
        code=code_hash("prepare_data.py"),
    script:
        "../scripts/prepare_data.py"


rule class_shares:
    input:
        npz=rules.prepare_data.output.npz,
    output:
        "results/data/classes.csv",
    log:
        "results/logs/class_shares.log",
    conda:
        "../../envs/plotting.yaml"
    params:
        code=code_hash("class_shares.py"),
    script:
        "../scripts/class_shares.py"
