"""kataforge_gpu_memory_usage: bytes of GPU memory in use on each CUDA device, read when Prometheus scrapes.

Read through torch.cuda (torch comes with the training extra the scoring service runs its training with):
total minus free memory as the driver reports it, so it counts every process on the device (onnxruntime's
sessions, training workers, MediaPipe), as nvidia-smi does; one sample per visible device, labelled by its
index. Without an NVIDIA driver, without torch or without a CUDA device (CPU nodes, CI) the metric is declared
but has no sample: a dashboard shows "no data" rather than a 0 that nothing measured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

NAME = "kataforge_gpu_memory_usage"
HELP = "GPU memory usage (bytes in use on the device, every process)"
# Present wherever the NVIDIA kernel driver is (also inside GPU containers); checked first so that a process
# on a machine without one never imports torch (seconds and hundreds of MB) just to learn there is no GPU.
NVIDIA_DRIVER = Path("/proc/driver/nvidia/gpus")


def used_bytes() -> list[tuple[str, int]]:
    """(device index, bytes in use) for each visible CUDA device; [] where there is none."""
    if not NVIDIA_DRIVER.is_dir():
        return []
    try:
        import torch
    except ImportError:  # a service image without the training extra: no torch to ask
        return []
    if not torch.cuda.is_available():  # a CPU build of torch, or no usable device
        return []
    # mem_get_info opens this process's CUDA context on the device once; a scoring process running its
    # models on CUDA (onnxruntime's CUDA provider) has it already.
    return [(str(i), total - free) for i in range(torch.cuda.device_count())
            for free, total in [torch.cuda.mem_get_info(i)]]


class GpuMemoryCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Registration asks for the names only: no device is probed before the first scrape.
        yield GaugeMetricFamily(NAME, HELP, labels=["device"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(NAME, HELP, labels=["device"])
        for device, used in used_bytes():
            family.add_metric([device], float(used))
        yield family


def register(registry: CollectorRegistry = REGISTRY) -> GpuMemoryCollector:
    collector = GpuMemoryCollector()
    registry.register(collector)
    return collector
