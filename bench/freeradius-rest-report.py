#!/usr/bin/env python3
"""Prints the table of bench/freeradius-rest.sh from its results file.

Each line of the file: SERVER BACKEND SCENARIO CONNECTIONS, then REQUESTS SECONDS REQ/S
P50_MS P99_MS STATUS_ERRORS SOCKET_ERRORS (the RESULT line of bench/lua/common.lua), then
the CPU clock ticks the server process (and its children) used during the run, the
ticks per second, and the share (%) of the machine's CPU time the hypervisor took (steal).
Standard library only.
"""
import sys

OW = "openwisp-radius"
# which openwisp-radius scenario an owums scenario is compared with
PEER = {"authorize-warm": "authorize", "authorize-db": "authorize", "authorize-cold": "authorize",
        "accounting": "accounting"}


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) not in (13, 14):
                continue
            requests, ticks, hz = int(p[4]), int(p[11]), int(p[12])
            rows.append({
                "server": p[0], "backend": p[1], "scenario": p[2], "c": int(p[3]),
                "requests": requests, "rps": float(p[6]), "p50": float(p[7]),
                "p99": float(p[8]), "errors": int(p[9]) + int(p[10]),
                "cpu": ticks * 1000 / hz / requests if requests else 0.0,
                "steal": int(p[13]) if len(p) == 14 else None,
            })
    return rows


def steal(r):
    return "" if r["steal"] is None else f"{r['steal']}%"


def ms(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.2f}"


def main():
    rows = load(sys.argv[1])
    ow = {(r["scenario"], r["c"]): r for r in rows if r["server"] == OW}
    head = f"| {'server':<15} | {'backend':<8} | {'request':<14} | {'conc.':>5} | " \
           f"{'req/s':>9} | {'p50 ms':>7} | {'p99 ms':>7} | {'CPU ms':>6} | {'steal':>5} | {'errors':>9} | {'vs openwisp':>11} |"
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for r in rows:
        peer = ow.get((PEER.get(r["scenario"], ""), r["c"]))
        valid = r["requests"] and not r["errors"]
        ratio = f"x{r['rps'] / peer['rps']:,.0f}" if r["server"] != OW and valid and peer and peer["rps"] > 0 else ""
        errors = str(r["errors"]) if r["errors"] else ("none done" if not r["requests"] else "")
        print(f"| {r['server']:<15} | {r['backend']:<8} | {r['scenario']:<14} | {r['c']:>5} | "
              f"{r['rps']:>9,.1f} | {ms(r['p50']):>7} | {ms(r['p99']):>7} | {ms(r['cpu']):>6} | "
              f"{steal(r):>5} | "
              f"{errors:>9} | {ratio:>11} |")
    print("\nCPU ms: CPU time of the server process (gunicorn: with its workers) per request; it"
          "\nexcludes the PostgreSQL server and is less sensitive than req/s to other load."
          "\nsteal: share of the machine's CPU time the hypervisor gave to other guests during"
          "\nthe point; every figure of a point with a high steal is low.")
    if any(r["errors"] or not r["requests"] for r in rows):
        print("errors: answers >= 400 or socket errors during the run, or no request completed;"
              "\nsuch a figure is not valid")

    print("\ngoals (issue 5):")
    own = [r for r in rows if r["server"] != OW]
    for r in own:
        if r["scenario"] == "authorize-warm" and r["c"] == 64:
            ok = r["rps"] >= 20000 and r["p99"] <= 10 and not r["errors"]
            print(f"  warm authorize >= 20 000 req/s, p99 <= 10 ms at c=64, {r['backend']}: "
                  f"{r['rps']:,.0f} req/s, p99 {ms(r['p99'])} ms -> {'met' if ok else 'MISSED'}")
    acct = [r for r in own if r["scenario"] == "accounting" and r["backend"] == "postgres"]
    if acct:
        best = max(acct, key=lambda r: r["rps"])
        ok = best["rps"] >= 5000 and not best["errors"]
        print(f"  accounting >= 5 000 req/s on PostgreSQL: {best['rps']:,.0f} req/s at c={best['c']} "
              f"-> {'met' if ok else 'MISSED'}")
    for scen in ("authorize-warm", "authorize-db", "authorize-cold", "accounting"):
        pairs = [(r, ow[(PEER[scen], r["c"])]) for r in own
                 if r["scenario"] == scen and r["requests"] and (PEER[scen], r["c"]) in ow
                 and ow[(PEER[scen], r["c"])]["requests"]]
        if pairs:
            ratios = [a["rps"] / b["rps"] for a, b in pairs]
            cpu = [b["cpu"] / a["cpu"] for a, b in pairs if a["cpu"] > 0]
            print(f"  {scen} vs openwisp-radius {PEER[scen]}: x{min(ratios):,.0f} to x{max(ratios):,.0f} "
                  f"the requests per second" +
                  (f", x{min(cpu):,.0f} to x{max(cpu):,.0f} less server CPU per request" if cpu else ""))


if __name__ == "__main__":
    main()
