"""Speed of the REST path: GET /coaches/{id} through the real edge and Envoy against a bare FastAPI -> grpc.aio echo.

Starts the real system (`kataforge serve --envoy-port P` on a fresh state directory, its own ports), registers a
coach, a user with a JWT and an API key; then a bare echo of the same shape: a grpc.aio server (its own process)
that answers GetCoach with the very record the real coach service returned, behind a FastAPI app on uvicorn with
the edge's server settings (its own process). The same load client (wrk, Debian's package: `make wrk`) runs
against each in one run, through the edge and through Envoy in front of the same services, at 16 and 64
connections, and the table gives requests/s, their ratio to the echo, and p50/p99 latency; a second table gives
each process's CPU time per request in the same rows (bench/process_cpu.py), which says what limits a path. The
echo's processes run on uvloop, each in a session of its own, as the services do. The rate limits stay on
(their cost is part of the path), set high enough not to refuse. Goal (issue 11): >= 0.8x the echo, p99 <
100 ms at 64 connections, on 2 cores.

Usage: .venv/bin/python bench/api_path.py [--seconds 10] [--replicas coach=2] [--profile edge.txt]
                                          [--profile-service coach] [--profile-via envoy]
  --replicas: passed to `kataforge serve` (services/kit/topology.py): Envoy and the edge balance over them.
  --profile: also samples a service (the edge unless --profile-service names another) with py-spy (`make wrk`
  installs it) during a 64-connection run through the edge (or Envoy), writes its top functions to the file,
  and prints every process's CPU share and CPU time per request during that run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.process_cpu import CpuMeter, run_processes  # noqa: E402
from services.kit.paths import REPO  # noqa: E402
from services.kit.topology import REPLICA_PORT_STEP  # noqa: E402
from testkit.loopback import free_port, free_port_block  # noqa: E402


def wait_for(url: str, ok, deadline_s: float = 180) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if ok(httpx.get(url, timeout=2)):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


# --- the bare echo: two processes started by this file ---

def run_echo_grpc(port: int, record_file: str) -> None:
    import grpc

    from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc

    record = coach_pb2.Coach.FromString(Path(record_file).read_bytes())

    class Echo(coach_pb2_grpc.CoachServiceServicer):
        async def GetCoach(self, request, context):
            return record

    async def serve() -> None:
        server = grpc.aio.server()
        coach_pb2_grpc.add_CoachServiceServicer_to_server(Echo(), server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        await server.wait_for_termination()

    import uvloop  # the event loop the services run on (services/kit/server.py run)

    uvloop.run(serve())


def run_echo_http(port: int, grpc_port: int) -> None:
    import grpc
    import uvicorn
    from fastapi import FastAPI
    from google.protobuf.json_format import MessageToDict

    from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc

    app = FastAPI()
    stubs: dict = {}

    @app.get("/coaches/{coach_id}")
    async def get_coach(coach_id: str):
        if "stub" not in stubs:
            stubs["stub"] = coach_pb2_grpc.CoachServiceStub(grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}"))
        reply = await stubs["stub"].GetCoach(coach_pb2.GetCoachRequest(coach_id=coach_id), timeout=30)
        return MessageToDict(reply, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


# --- load ---

CPU_COLUMNS = ("wrk", "echo-http", "echo-grpc", "envoy", "edge", "auth", "coach", "postgres")


def wrk(url: str, connections: int, seconds: int, headers: dict[str, str]) -> dict[str, float]:
    binary = shutil.which("wrk")
    if binary is None:
        raise SystemExit("wrk not found: `make wrk` installs Debian's package")
    args = [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rps, "requests": requests, "p50": ms("50%"), "p99": ms("99%"),
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "errors": errors.group(0) if errors else ""}


def setup_real(base: str) -> tuple[str, dict[str, str], dict[str, str], bytes]:
    """A coach entry, a JWT and an API key of its owner; the coach record as the coach service returns it."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.post("/auth/register", json={"username": name, "email": f"{name}@example.com",
                                                 "password": "correct-horse-battery", "role": "coach"}
                         ).status_code == 201
        tokens = http.post("/auth/login", data={"username": name, "password": "correct-horse-battery"}).json()
        jwt_headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        coach_id = f"nagato_{uuid.uuid4().hex[:6]}"
        assert http.post("/coaches", headers=jwt_headers, json={
            "id": coach_id, "name": "Nagato", "style": "Muay Thai", "rank": "Kru", "years_experience": 12,
            "teachers": ["Sagat"], "techniques": ["teep", "roundhouse", "jab"],
            "teaching_philosophy": {"focus": "timing"}}).status_code == 201
        key = http.post("/auth/api-keys", headers=jwt_headers, json={"name": "bench"}).json()
        api_headers = {"X-API-Key": key["key"]}
    import grpc  # the record itself, for the echo: fetched over gRPC with the same user's token

    from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc

    async def record() -> bytes:
        async with grpc.aio.insecure_channel(os.environ["DOJO_COACH_ADDR"]) as channel:
            reply = await coach_pb2_grpc.CoachServiceStub(channel).GetCoach(
                coach_pb2.GetCoachRequest(coach_id=coach_id),
                metadata=(("authorization", jwt_headers["Authorization"]),), timeout=10)
            return reply.SerializeToString()

    return coach_id, jwt_headers, api_headers, asyncio.run(record())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--replicas", default="", help="kataforge serve --replicas, e.g. coach=2")
    parser.add_argument("--profile", help="write a py-spy profile (64 connections, JWT) here")
    parser.add_argument("--profile-service", default="edge", choices=("edge", "auth", "coach"))
    parser.add_argument("--profile-via", default="edge", choices=("edge", "envoy"),
                        help="the gateway the profiled load goes through")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="kataforge-api-path-"))
    api_port, envoy_port = free_port_block(4, 1), free_port()
    env = {**os.environ, "DOJO_STATE_DIR": str(state), "DOJO_API_PORT": str(api_port), "DOJO_LOG_LEVEL": "WARNING",
           "DOJO_RATE_LIMIT_REQUESTS": "100000000",
           **{f"DOJO_{name.upper()}_ADDR": f"127.0.0.1:{free_port_block(4, REPLICA_PORT_STEP)}"
              for name in ("auth", "coach", "pose", "scoring")}}
    os.environ.update(env)
    procs: list[subprocess.Popen] = []
    try:
        serve = [str(REPO / ".venv" / "bin" / "kataforge"), "serve", "--envoy-port", str(envoy_port)]
        if args.replicas:
            serve += ["--replicas", args.replicas]
            print(f"replicas: {args.replicas}")
        procs.append(subprocess.Popen(serve, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))
        base = f"http://127.0.0.1:{api_port}"
        wait_for(f"{base}/", lambda r: r.json().get("status") == "healthy")
        coach_id, jwt_headers, api_headers, record = setup_real(base)
        record_file = state / "record.bin"
        record_file.write_bytes(record)
        grpc_port, echo_port = free_port(), free_port()
        me = [sys.executable, str(Path(__file__).resolve())]
        # Each in a session of its own, as `kataforge serve` starts each service (services/kit/supervisor.py).
        procs.append(subprocess.Popen([*me, "--echo-grpc", str(grpc_port), str(record_file)], env=env,
                                      start_new_session=True))
        procs.append(subprocess.Popen([*me, "--echo-http", str(echo_port), str(grpc_port)], env=env,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
        echo = f"http://127.0.0.1:{echo_port}"
        wait_for(f"{echo}/coaches/{coach_id}", lambda r: r.status_code == 200)
        real = httpx.get(f"{base}/coaches/{coach_id}", headers=jwt_headers).json()
        bare = httpx.get(f"{echo}/coaches/{coach_id}").json()
        print(f"record: {len(record)} bytes of protobuf; JSON {len(str(real))} (edge) / {len(str(bare))} (echo) chars")
        envoy = f"http://127.0.0.1:{envoy_port}"
        wait_for(f"{envoy}/", lambda r: r.status_code == 200)
        for label, headers in (("JWT", jwt_headers), ("API key", api_headers)):
            for url in (base, envoy):  # the same answer through both gateways
                reply = httpx.get(f"{url}/coaches/{coach_id}", headers=headers)
                assert reply.status_code == 200 and reply.json() == real, f"{label}: {reply.status_code} {reply.text}"
        watched = run_processes(str(state), {procs[1].pid: "echo-grpc", procs[2].pid: "echo-http"})
        rows = []
        for connections in (16, 64):
            for label, url, headers in (("bare echo", echo, {}), ("edge, JWT", base, jwt_headers),
                                        ("edge, API key", base, api_headers), ("Envoy, JWT", envoy, jwt_headers),
                                        ("Envoy, API key", envoy, api_headers)):
                wrk(f"{url}/coaches/{coach_id}", connections, 2, headers)  # warm the path
                with CpuMeter(watched) as cpu:
                    r = wrk(f"{url}/coaches/{coach_id}", connections, args.seconds, headers)
                r["cpu"] = cpu.ms_per_request(r["requests"])
                rows.append((connections, label, r))
        print(f"\nGET /coaches/{{id}}, wrk -t2, {args.seconds} s per row, 2 cores shared by server and client")
        print("| connections | server | requests/s | vs echo | p50 ms | p99 ms | non-2xx |")
        print("|---|---|---|---|---|---|---|")
        for connections, label, r in rows:
            echo_rps = next(x["rps"] for c, lab, x in rows if c == connections and lab == "bare echo")
            print(f"| {connections} | {label} | {r['rps']:.0f} | {r['rps'] / echo_rps:.2f}x | {r['p50']:.1f} | "
                  f"{r['p99']:.1f} | {r['non2xx']} {r['errors']} |")
        print("\nCPU ms per request, by process (the kernel's counts over the same rows; the 2 cores bound the sum)")
        print("| connections | server | total | " + " | ".join(CPU_COLUMNS) + " |")
        print("|---|---|---|" + "---|" * len(CPU_COLUMNS))
        for connections, label, r in rows:
            print(f"| {connections} | {label} | {sum(r['cpu'].values()):.2f} | "
                  + " | ".join(f"{r['cpu'].get(n, 0.0):.2f}" for n in CPU_COLUMNS) + " |")
        if args.profile:
            profile(envoy if args.profile_via == "envoy" else base, coach_id, jwt_headers, args.profile, args.seconds,
                    args.profile_service)
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                if proc is procs[0]:
                    os.killpg(proc.pid, signal.SIGTERM)
                else:
                    proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(state, ignore_errors=True)


def profile(base: str, coach_id: str, headers: dict[str, str], out: str, seconds: int, service: str) -> None:
    """py-spy samples of one service while wrk loads the edge (64 connections); every process's CPU share."""
    watched = run_processes(os.environ["DOJO_STATE_DIR"])
    target = next(p for p, name in watched.items() if name == service)
    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(target.pid),
                            "--duration", str(seconds), "--format", "raw", "--output", out + ".raw", "--rate", "200"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with CpuMeter(watched) as cpu:
        load = wrk(f"{base}/coaches/{coach_id}", 64, seconds, headers)
    busy = sorted(((n, ms) for n, ms in cpu.ms_per_request(load["requests"]).items() if ms >= 0.005),
                  key=lambda kv: -kv[1])
    print(f"CPU during the profiled run ({load['rps']:.0f} requests/s; CPU ms per request, py-spy's sampling "
          "included): " + ", ".join(f"{n} {ms:.2f}" for n, ms in busy))
    spy.wait(60)
    totals: dict[str, int] = {}
    own: dict[str, int] = {}
    samples = 0
    for line in Path(out + ".raw").read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, n = stack.split(";"), int(count)
        samples += n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            totals[frame] = totals.get(frame, 0) + n
    with open(out, "w") as f:
        f.write(f"{samples} samples of the {service} service under 64 connections\n\nself time:\n")
        for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:25]:
            f.write(f"{100 * n / samples:5.1f}%  {frame}\n")
        f.write("\ninclusive:\n")
        for frame, n in sorted(totals.items(), key=lambda kv: -kv[1])[:40]:
            f.write(f"{100 * n / samples:5.1f}%  {frame}\n")
    print(f"profile of the {service} service written to {out}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--echo-grpc":
        run_echo_grpc(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--echo-http":
        run_echo_http(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
