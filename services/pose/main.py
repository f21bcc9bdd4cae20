"""Pose service entry point: `build(settings)` for the kit's server, `main()` for the process."""

from __future__ import annotations

import grpc

from kataforge.pose.v1 import pose_pb2, pose_pb2_grpc
from services.kit.config import Settings, settings as load_process_settings
from services.kit.server import ServiceSpec, port_of, run
from services.pose import landmarker
from services.pose.servicer import PoseServicer

SERVICE_NAME = pose_pb2.DESCRIPTOR.services_by_name["PoseService"].full_name


def build(settings: Settings) -> ServiceSpec:
    servicer = PoseServicer(settings, landmarker.bundle_path(settings.model_dir))

    def register(server: grpc.aio.Server) -> list[str]:
        pose_pb2_grpc.add_PoseServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    # Loads the bundle and runs one synthetic frame: SERVING means the model is ready. A missing
    # bundle fails the start with a ModelError that says to run `make model`.
    # GetInfo (versions, devices: no one's data) answers without a token, as health does; extraction needs one.
    return ServiceSpec(name="pose", port=port_of(settings.pose_addr), register=register, warmup=servicer.warm_up,
                       close=servicer.close, public=frozenset({f"/{SERVICE_NAME}/GetInfo"}))


def main() -> None:
    settings = load_process_settings()
    run(build(settings), settings)


if __name__ == "__main__":
    main()
