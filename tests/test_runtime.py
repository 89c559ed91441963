"""The device policy of a training job, on this machine's real TensorFlow (which sees no GPU)."""

import logging

import pytest

from depthstudy import runtime


@pytest.mark.parametrize(
    "grant, given",
    [
        ({}, False),
        ({"CUDA_VISIBLE_DEVICES": "0"}, True),
        ({"CUDA_VISIBLE_DEVICES": ""}, False),
        ({"CUDA_VISIBLE_DEVICES": "-1"}, False),
        ({"CUDA_VISIBLE_DEVICES": "NoDevFiles", "SLURM_GPUS_ON_NODE": "0"}, False),
        ({"SLURM_JOB_GPUS": "0"}, True),  # Slurm lists GPU indexes: "0" is the first GPU
        ({"SLURM_STEP_GPUS": "2,3"}, True),
        ({"SLURM_GPUS_ON_NODE": "1"}, True),
    ],
)
def test_a_job_knows_whether_it_was_given_a_gpu(grant, given):
    assert runtime.was_given_gpu(grant) is given


def test_device_gpu_without_a_usable_gpu_stops_naming_the_job_the_grant_and_the_fix(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("SLURM_JOB_GPUS", "0")
    with pytest.raises(runtime.DeviceError) as error:
        runtime.choose_device("gpu", "train_mlp ex1/relu/depth5/seed0")
    message = str(error.value)
    assert message.startswith("train_mlp ex1/relu/depth5/seed0: device is 'gpu' but TensorFlow sees no GPU")
    assert "CUDA_VISIBLE_DEVICES=0, SLURM_JOB_GPUS=0" in message
    assert "built without CUDA" in message and "pip install -r requirements-gpu.txt" in message
    assert "envs/training-gpu.yaml" in message


def test_device_auto_trains_on_the_cpu_and_warns_only_when_a_gpu_was_given(monkeypatch, caplog):
    for name in runtime.GPU_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with caplog.at_level(logging.WARNING):
        assert runtime.choose_device("auto") == "CPU"
    assert not caplog.records  # a laptop without a GPU: nothing to warn about
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    with caplog.at_level(logging.WARNING):
        assert runtime.choose_device("auto") == "CPU"
    assert "given a GPU (CUDA_VISIBLE_DEVICES=0) that TensorFlow cannot use" in caplog.text
    assert runtime.choose_device("cpu") == "CPU"


def test_an_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="device must be one of auto, cpu, gpu, not 'tpu'"):
        runtime.choose_device("tpu")


def test_booked_cpus_come_from_slurms_variables():
    assert runtime.booked_cpus({"SLURM_CPUS_PER_TASK": "4", "SLURM_CPUS_ON_NODE": "8"}) == 4
    assert runtime.booked_cpus({"SLURM_CPUS_ON_NODE": "8"}) == 8
    assert runtime.booked_cpus({}) is None
