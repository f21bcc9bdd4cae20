"""The `kataforge` command: run the system, manage admins, and call the API from a shell."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import json
import os
import sys
from pathlib import Path

from kataforge import __version__

SERVICE_NAMES = ("auth", "coach", "pose", "scoring", "edge")


def _serve(args: argparse.Namespace) -> int:
    # Command-line flags are just another source of DOJO_* settings, so children inherit them.
    for flag, var in (("host", "DOJO_API_HOST"), ("port", "DOJO_API_PORT"), ("workers", "DOJO_API_WORKERS")):
        if getattr(args, flag) is not None:
            os.environ[var] = str(getattr(args, flag))
    if args.reload:
        os.environ["DOJO_API_RELOAD"] = "true"
    from services.kit import logs
    from services.kit.config import settings

    cfg = settings()
    if args.service:
        importlib.import_module(f"services.{args.service}.main").main()
        return 0
    from services.kit import supervisor
    from services.kit.topology import parse_replicas
    logs.configure("supervisor", cfg.log_level)
    return supervisor.run(cfg, replicas=parse_replicas(args.replicas or ""), envoy_port=args.envoy_port or 0)


def _create_admin(args: argparse.Namespace) -> int:
    from services.auth.admin import create_admin
    from services.kit.config import settings

    password = os.environ.get("DOJO_ADMIN_PASSWORD") if args.password_env else None
    if password is None:
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    user_id = asyncio.run(create_admin(settings(), args.username, password, args.email or ""))
    print(f"admin '{args.username}' ready (id {user_id})")
    return 0


def _client(args: argparse.Namespace):
    from kataforge.client import KataForgeClient
    return KataForgeClient(base_url=args.url, api_key=args.api_key or os.environ.get("KATAFORGE_API_KEY"),
                           token=args.token or os.environ.get("KATAFORGE_TOKEN"))


def _login(args: argparse.Namespace) -> int:
    client = _client(args)
    password = getpass.getpass("Password: ") if not args.password_stdin else sys.stdin.readline().rstrip("\n")
    print(json.dumps(client.login(args.username, password), indent=2))
    return 0


WS_VIDEO_BYTES = 15 * 1024 * 1024


def _progress_bar(message: dict) -> None:
    """One line on stderr, redrawn: the share done and what is being done (WS /ws/analyze's status)."""
    if message["type"] == "status" and "progress" in message:
        filled = int(round(30 * message["progress"]))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {100 * message['progress']:5.1f}% "
                         f"{message['message'][:60]:<60}")
        sys.stderr.flush()
    elif message["type"] in ("complete", "error"):
        sys.stderr.write("\n")


def _analyze(args: argparse.Namespace) -> int:
    client = _client(args)
    # A WebSocket message holds 16 MiB by default (DOJO_WS_MAX_MESSAGE_BYTES): a larger file goes up as
    # a multipart upload, without the bar.
    too_big = os.path.isfile(args.video) and os.path.getsize(args.video) * 4 / 3 > WS_VIDEO_BYTES
    if args.no_progress or too_big:
        if os.path.isfile(args.video):
            result = client.analyze_file(args.video, coach=args.coach, technique=args.technique, verbose=args.verbose)
        else:
            result = client.analyze(video_url=args.video, coach=args.coach, technique=args.technique,
                                    verbose=args.verbose)
    else:
        result = client.analyze_with_progress(args.video, coach=args.coach, technique=args.technique,
                                              verbose=args.verbose, on_message=_progress_bar)
    print(json.dumps(result, indent=2))
    return 0


VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")


def _batch(args: argparse.Namespace) -> int:
    """Submit every video of a folder as one durable batch and follow it to the end (a line per change)."""
    import base64
    import hashlib
    folder = Path(args.folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES) if folder.is_dir() else []
    if not files:
        print(f"kataforge batch: no videos ({', '.join(VIDEO_SUFFIXES)}) in {folder}", file=sys.stderr)
        return 2
    client = _client(args)
    videos = [{"url": base64.b64encode(p.read_bytes()).decode(), "coach": args.coach,
               **({"technique": args.technique} if args.technique else {}), "metadata": {"file": p.name}}
              for p in files]
    # The same folder submitted again (a retry after a dropped connection) answers the first batch.
    key = hashlib.sha256("".join(v["url"] for v in videos).encode() + args.coach.encode()).hexdigest()[:64]
    job = client.submit_batch(videos, idempotency_key=f"cli-{key}")
    print(f"batch {job['batch_id']}: {len(files)} videos queued", file=sys.stderr)
    seen: list[str] = []

    def show(status: dict) -> None:
        p = status["progress"]
        line = (f"[{p['completed'] + p['failed'] + p['cancelled']}/{p['total']}] {status['status']}: "
                f"{p['completed']} completed, {p['failed']} failed, {p['processing']} running")
        if not seen or seen[-1] != line:
            seen.append(line)
            print(line, file=sys.stderr)
    results = client.wait_for_batch(job["batch_id"], poll_s=args.poll, on_progress=show)
    print(json.dumps(results, indent=2))
    return 0 if results["summary"]["failed"] == 0 else 1


def _coaches(args: argparse.Namespace) -> int:
    print(json.dumps(_client(args).list_coaches(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kataforge", description="KataForge technique analysis")
    parser.add_argument("--version", action="version", version=f"kataforge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the whole system, or one service")
    serve.add_argument("service", nargs="?", choices=SERVICE_NAMES, help="run only this service")
    serve.add_argument("--reload", action="store_true", help="reload the edge on code changes")
    serve.add_argument("--workers", type=int, help="edge worker processes (DOJO_API_WORKERS)")
    serve.add_argument("--host", help="edge bind address (DOJO_API_HOST)")
    serve.add_argument("--port", type=int, help="edge port (DOJO_API_PORT)")
    serve.add_argument("--replicas", help="processes per service, e.g. pose=2,scoring=2,edge=2 (replica k of a "
                       "backend on its port + 100(k-1), of the edge on the API port + k-1)")
    serve.add_argument("--envoy-port", type=int, help="also run Envoy (deploy/envoy) on this port, in front of "
                       "every edge and backend replica")
    serve.set_defaults(func=_serve)

    admin = sub.add_parser("create-admin", help="create or promote an administrator account")
    admin.add_argument("--username", required=True)
    admin.add_argument("--email", default="")
    admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    admin.add_argument("--password-env", action="store_true", help="read the password from DOJO_ADMIN_PASSWORD")
    admin.set_defaults(func=_create_admin)

    for name, func, help_text in (("login", _login, "get tokens"), ("analyze", _analyze, "analyse a video"),
                                  ("batch", _batch, "analyse a folder of videos as a durable batch"),
                                  ("coaches", _coaches, "list coaches")):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--url", default=os.environ.get("KATAFORGE_URL", "http://localhost:8000"))
        cmd.add_argument("--api-key")
        cmd.add_argument("--token")
        cmd.set_defaults(func=func)
        if name == "login":
            cmd.add_argument("username")
            cmd.add_argument("--password-stdin", action="store_true")
        if name == "analyze":
            cmd.add_argument("video", help="a local file, an http(s) URL or base64 data")
            cmd.add_argument("--coach", required=True)
            cmd.add_argument("--technique")
            cmd.add_argument("--verbose", action="store_true")
            cmd.add_argument("--no-progress", action="store_true",
                             help="one REST call, no progress bar (the bar follows WS /ws/analyze)")
        if name == "batch":
            cmd.add_argument("folder", help="a folder of videos")
            cmd.add_argument("--coach", required=True)
            cmd.add_argument("--technique")
            cmd.add_argument("--poll", type=float, default=2.0, help="seconds between progress checks")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from services.kit.config import ConfigError
    try:
        return args.func(args) or 0
    except ConfigError as exc:  # a setting or flag a user can fix: said plainly, no traceback
        print(f"kataforge: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
