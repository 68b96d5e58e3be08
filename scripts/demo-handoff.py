#!/usr/bin/env python3
"""The demo's hand-offs between the district's intake and the civil affairs
bureau's own (intake@civil-affairs, deploy/services.txt), through the
services' API as a desk would (docs/demo.md, docs/operations.md "City level
and hand-off"):

  - at the bureau's window (区民政局), three residents of 杭州路社区 register
    a matter: a low-income allowance (the bureau's own: it stays), a
    neighbours' dispute and a broken playground (a community's matters:
    handed to the district's intake);
  - at the community's window, two register a temporary assistance and a
    disability certificate (the bureau's: handed to intake@civil-affairs).

Registration and acceptance are imported history, dated on the days before
today began in Shanghai by the desk's staff member then (CaseImport); the
hand-offs (HandoffCase) are today's, by the operators' key. Each request has
a fixed id from its case and the day the load ran, so a re-run finishes an
interrupted load and repeats nothing. It waits for both instances to know
the households (they follow grid) and for every hand-off to be linked back.

    demo-handoff.py [--sifang PATH] [--timeout SECONDS]

Settings: the sifang CLI's (the operators' key, SIFANG_INTAKE_ENDPOINT and
its public key) and the bureau's instance at
SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT with SIFANG_INTAKE_CIVIL_AFFAIRS_PUBLIC_KEY_FILE,
as scripts/up.sh exports them."""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

BUREAU = "intake@civil-affairs"
DISTRICT = "intake"
COMMUNITY = "370205001001"          # 杭州路社区, the demo accounts' community
BUREAU_DEPARTMENT = "civil-affairs"  # grid's 四方区民政局
SHANGHAI = ZoneInfo("Asia/Shanghai")

# (where registered, item, days before today, hour, what the resident said,
#  handed to, why)
CASES = [
    (BUREAU, "low-income-allowance", 3, 9,
     "申请最低生活保障：本人失业，家庭月收入低于保障标准，材料齐全。", None, None),
    (BUREAU, "dispute-mediation", 3, 10,
     "楼上住户卫生间漏水，多次协商未果，到区民政局窗口反映，请求调解。",
     DISTRICT, "邻里纠纷属社区调解事项，转所在社区（杭州路社区）办理。"),
    (BUREAU, "community-affairs", 2, 14,
     "小区儿童游乐设施损坏多日无人修理，存在安全隐患。",
     DISTRICT, "小区公共设施维护属社区公共事务，转杭州路社区办理。"),
    (DISTRICT, "temporary-assistance", 2, 9,
     "家中老人突发重病住院，医疗费用负担重，申请临时救助。",
     BUREAU, "临时救助由区民政局审批，转区民政局办理。"),
    (DISTRICT, "disability-certificate", 1, 15,
     "子女听力残疾，申请办理残疾人证。",
     BUREAU, "残疾人证由区民政局（残联窗口）办理，转区民政局。"),
]


class Failed(Exception):
    pass


class Cli:
    def __init__(self, sifang):
        self.sifang = sifang
        self.env = {DISTRICT: dict(os.environ), BUREAU: dict(os.environ)}
        bureau = self.env[BUREAU]
        for suffix in ("ENDPOINT", "PUBLIC_KEY_FILE"):
            value = os.environ.get(f"SIFANG_INTAKE_CIVIL_AFFAIRS_{suffix}")
            if value:
                bureau[f"SIFANG_INTAKE_{suffix}"] = value
            else:
                bureau.pop(f"SIFANG_INTAKE_{suffix}", None)
        bureau.setdefault("SIFANG_INTAKE_ENDPOINT", "tcp://127.0.0.1:7151")

    def call(self, where, service, method, request, request_id=None):
        """The reply, or Failed with the service's error object."""
        args = [self.sifang, "--timeout", "5000", "call", service, method, json.dumps(request, ensure_ascii=False)]
        if request_id:
            args[1:1] = ["--request-id", request_id]
        done = subprocess.run(args, env=self.env[where], capture_output=True, text=True)
        if done.returncode != 0:
            raise Failed(f"{where} {method}: {done.stderr.strip() or done.stdout.strip()}")
        return json.loads(done.stdout or "{}")


def staff_of(cli, request):
    staff = cli.call(DISTRICT, "grid", "StaffList", request).get("staff", [])
    return staff[0]["id"] if staff else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sifang", default=str(Path(__file__).resolve().parent.parent / "build" / "tools" / "sifang"),
                        help="the sifang CLI (default build/tools/sifang)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="how long to wait for the instances to know the households and link the hand-offs")
    args = parser.parse_args()
    cli = Cli(args.sifang)
    started = time.monotonic()
    deadline = started + args.timeout

    today = datetime.datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    day = today.strftime("%Y%m%d")
    households = [h["code"] for h in cli.call(DISTRICT, "grid", "HouseholdList",
                                              {"under": COMMUNITY, "page": {"page_size": len(CASES)}})["households"]]
    if len(households) < len(CASES):
        raise Failed(f"grid has {len(households)} households in {COMMUNITY}: load grid's demo district first")
    # Who registered then: a member of the bureau's staff at its window, a
    # committee member at the community's (the operators' key if grid has
    # none, as the earlier records would name no one else).
    actors = {
        BUREAU: staff_of(cli, {"department_code": BUREAU_DEPARTMENT, "kind": "STAFF_KIND_DEPARTMENT_STAFF",
                               "page": {"page_size": 1}}) or "ops",
        DISTRICT: staff_of(cli, {"under": COMMUNITY, "kind": "STAFF_KIND_COMMUNITY_COMMITTEE",
                                 "page": {"page_size": 1}}) or "ops",
    }

    handed = []
    for n, (where, item, days_before, hour, said, to, why) in enumerate(CASES, 1):
        at = today - datetime.timedelta(days=days_before) + datetime.timedelta(hours=hour, minutes=7 * n)
        at_ms = int(at.timestamp() * 1000)
        request = {
            "channel": "CASE_CHANNEL_WINDOW", "item_code": item, "description": said,
            "requester": {"kind": "REQUESTER_KIND_RESIDENT", "household_code": households[n - 1],
                          "name": ["王桂兰", "李建国", "张秀英", "刘德华", "陈玉梅"][n - 1], "phone": f"1380532{n:04d}"},
            "imported": {"at_unix_ms": at_ms, "actor_id": actors[where]},
        }
        # The instance knows the household once it has followed grid that
        # far: until then it refuses the case, and is asked again.
        while True:
            try:
                case = cli.call(where, "intake", "CaseSubmit", request, f"demo-handoff/{day}/{n}/submit")
                break
            except Failed as refused:
                if time.monotonic() > deadline:
                    raise
                if "household" not in str(refused):
                    raise
                time.sleep(2)
        if case.get("status") == "CASE_STATUS_SUBMITTED":
            case = cli.call(where, "intake", "CaseAccept",
                            {"ref": {"id": case["id"]}, "note": "窗口受理",
                             "imported": {"at_unix_ms": at_ms + 5 * 60000, "actor_id": actors[where]}},
                            f"demo-handoff/{day}/{n}/accept")
        if to and case.get("status") not in ("CASE_STATUS_TRANSFERRED",):
            case = cli.call(where, "intake", "HandoffCase", {"ref": {"id": case["id"]}, "to_instance": to,
                                                             "reason": why}, f"demo-handoff/{day}/{n}/handoff")
        print(f"{where} case {case['id']} {case.get('registration_number', '')}: {item}"
              + (f", handed to {to}" if to else ", kept"), flush=True)
        if to:
            handed.append((where, case["id"]))

    # Each hand-off is linked back when the receiving case exists.
    linked = []
    for where, case_id in handed:
        while True:
            case = cli.call(where, "intake", "CaseGet", {"id": case_id})
            handoff = case.get("handoff", {})
            if handoff.get("state") == "HANDOFF_STATE_LINKED":
                linked.append(f"{case['registration_number']} -> {handoff['to_registration']}")
                break
            if time.monotonic() > deadline:
                raise Failed(f"{where} case {case_id} not linked after {args.timeout:.0f} s: {handoff}")
            time.sleep(0.5)
    print(f"{len(CASES)} cases, {len(linked)} handed off and linked: {', '.join(linked)}"
          f" ({time.monotonic() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failed as failed:
        sys.exit(f"demo-handoff.py: {failed}")
