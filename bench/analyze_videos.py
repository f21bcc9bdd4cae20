"""Analyse every video in ../shared/data/videos through a running system; print time and biomechanics.

Usage: DOJO_ADMIN_USERNAME=admin DOJO_ADMIN_PASSWORD=... kataforge serve   (in another shell), then
       .venv/bin/python bench/analyze_videos.py --password ...
"""

import argparse
import time
import uuid

from kataforge.client import KataForgeClient, KataForgeError
from services.kit.paths import VIDEOS



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://localhost:8000")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    client = KataForgeClient(args.url)
    client.login(args.username, args.password)
    coach = f"bench_{uuid.uuid4().hex[:6]}"
    client.create_coach(id=coach, name="Bench", style="Karate")
    print("| video | wall s | processing_time s | max_speed m/s | peak_force N | mean_power W | chain % | overall |")
    print("|---|---|---|---|---|---|---|---|")
    for video in sorted(VIDEOS.glob("*.mp4")):
        started = time.perf_counter()
        try:
            r = client.analyze_file(video, coach=coach)
        except KataForgeError as exc:
            print(f"| {video.name} | error {exc} |")
            continue
        b = r["metrics"]["biomechanics"]
        print(f"| {video.name} | {time.perf_counter() - started:.2f} | {r['processing_time']:.2f} | {b['max_speed']} | "
              f"{b['peak_force']} | {b['mean_power']} | {b['kinetic_chain_efficiency']} | {r['metrics']['overall_score']} |")
    client.delete_coach(coach)


if __name__ == "__main__":
    main()
