"""kataforge_gpu_memory_usage (services/kit/gpu_memory.py): measured on the devices there are, or declared with
no sample where there is none (CI), never a number nothing measured."""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from services.kit import gpu_memory


def test_gpu_memory_is_measured_per_device_or_left_without_a_sample():
    registry = CollectorRegistry()
    gpu_memory.register(registry)
    families = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}
    family = families[gpu_memory.NAME]
    assert family.type == "gauge"
    measured = gpu_memory.used_bytes()
    if not measured:  # no NVIDIA driver, no torch, or a CPU build of torch
        assert family.samples == []
        return
    import torch
    assert len(family.samples) == torch.cuda.device_count()
    for s in family.samples:
        total = torch.cuda.get_device_properties(int(s.labels["device"])).total_memory
        assert 0 < s.value <= total  # a CUDA context alone takes some memory
