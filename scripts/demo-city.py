#!/usr/bin/env python3
"""The city level of the demo (scripts/up-city.sh, docs/demo.md "The city
level"): waits until the city's evaluation (evaluation@city) has followed
the named districts' event logs to their heads, defines the city's scheme
for the previous and the current half-year where it has none, and prints
how the districts rank, in total and per KPI, like with like.

    demo-city.py [--sifang PATH] [--timeout SECONDS] --districts NAME...

The districts are those of the city's sources (sifang, shibei): each must
be followed (CityScorecard.followed) and scored. Settings: the sifang CLI's
(the operators' key), with SIFANG_EVALUATION_ENDPOINT the city's."""

import argparse
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEME_NAME = "全市各区半年度绩效比较"
# Rates only, each fed by the districts' own logs (the city has no
# surveys of its own): districts of any size compare like with like.
# (kpi, 中文, weight, target, threshold), the district scheme's targets.
ITEMS = [
    ("on_time_rate", "按时办结率", 25, 98, 85),
    ("return_visit_satisfaction", "回访满意度", 20, 4.8, 3.5),
    ("difficulty_employment_rate", "就业困难人员就业率", 20, 97, 85),
    ("pairing_coverage", "结对帮扶覆盖率", 15, 100, 60),
    ("volunteer_hours_per_1000", "每千人志愿服务时长", 10, 2000, 200),
    ("cadre_visits_per_100_households", "每百户干部走访次数", 10, 30, 5),
]


class Failed(Exception):
    pass


def call(sifang, method, request, request_id=None):
    args = [sifang, "--timeout", "10000", "call", "evaluation", method, json.dumps(request, ensure_ascii=False)]
    if request_id:
        args[1:1] = ["--request-id", request_id]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise Failed(f"{method}: {done.stderr.strip() or done.stdout.strip()}")
    return json.loads(done.stdout or "{}")


def half_years():
    """The previous and the current half-year in Shanghai, as "2026-H1"."""
    today = datetime.datetime.now(SHANGHAI).date()
    current = (today.year, 1 if today.month <= 6 else 2)
    previous = (today.year, 1) if current[1] == 2 else (today.year - 1, 2)
    return [f"{y}-H{h}" for y, h in (previous, current)]


def define_scheme(sifang, period):
    try:
        scheme = call(sifang, "SchemeGet", {"period": period})
        if scheme.get("name") == SCHEME_NAME:
            return
    except Failed as missing:
        if "NOT_FOUND" not in str(missing) and "FAILED_PRECONDITION" not in str(missing):
            raise
    call(sifang, "SchemeDefine", {
        "period": period, "name": SCHEME_NAME, "commend_at": 85, "attention_at": 60,
        "items": [{"kpi_code": k, "weight": w, "target": t, "threshold": th} for k, _, w, t, th in ITEMS],
    }, f"demo-city/scheme/{period}")


def wait_caught_up(sifang, districts, deadline):
    """The city's sources, once every one of the districts' is at its head."""
    while True:
        reply = call(sifang, "SourceList", {})
        sources = reply.get("sources", [])
        named = {s["source"].split(":", 1)[0] for s in sources}
        if set(districts) <= named and not reply.get("catching_up", False):
            return sources
        if time.monotonic() > deadline:
            behind = [f"{s['source']} {s.get('cursor', 0)}/{s.get('head', 0)}" for s in sources]
            raise Failed(f"the city has not caught up with {', '.join(districts)}: {'; '.join(behind)}")
        time.sleep(1)


def number(value):
    return f"{value:.2f}".rstrip("0").rstrip(".")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sifang", default=str(Path(__file__).resolve().parent.parent / "build" / "tools" / "sifang"),
                        help="the sifang CLI (default build/tools/sifang)")
    parser.add_argument("--timeout", type=float, default=1800, help="how long to wait for the city to catch up")
    parser.add_argument("--districts", nargs="+", required=True, help="the districts the city must follow")
    args = parser.parse_args()
    started = time.monotonic()
    sources = wait_caught_up(args.sifang, args.districts, started + args.timeout)
    events = sum(int(s.get("cursor", 0)) for s in sources)
    print(f"  followed: {', '.join(s['source'] for s in sources)} ({events:,} events, at their heads)")
    names = {k: zh for k, zh, *_ in ITEMS}
    for period in half_years():
        define_scheme(args.sifang, period)
        card = call(args.sifang, "CityScorecardGet", {"period": period})
        scored = card.get("districts", [])
        followed = [d["name"] for d in card.get("followed", [])]
        if followed != args.districts or len(scored) != len(args.districts):
            raise Failed(f"{period}: the city follows {followed} and scored {len(scored)} districts,"
                         f" not {args.districts}")
        print(f"  {period} {card.get('scheme_name', '')}: " + "; ".join(
            f"{d.get('rank', 0)}. {d['unit_name']} {number(d.get('composite', 0))}" for d in scored))
        for n, (kpi, *_rest) in enumerate(ITEMS):
            values = []
            for d in scored:
                item = d.get("items", [])[n] if n < len(d.get("items", [])) else {}
                shown = number(item["value"]) if item.get("has_value") else "—"
                values.append(f"{d['unit_name']} {shown}")
            print(f"      {names[kpi]}: {' · '.join(values)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failed as failed:
        sys.exit(f"demo-city.py: {failed}")
