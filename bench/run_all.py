"""`make bench`: every benchmark, one after the other; each writes its JSON to bench/results/."""

from __future__ import annotations

from bench import citizens, inventory


def main() -> None:
    for result in citizens.main():
        for name in ("search", "citizen_page"):
            r = result[name]
            print(f"{result['backend']:<10} {result['citizens']:>7} citizens {name:<13} p50 {r['p50_ms']:>6} ms  "
                  f"p95 {r['p95_ms']:>6} ms  statements {r['sql_statements']}")
    report = inventory.main()
    for result in report["results"]:
        scan = result["scan"]
        print(f"{result['backend']:<10} {result['devices']:>7} devices  scan p50 {scan['p50_ms']} ms  "
              f"p95 {scan['p95_ms']} ms  statements {scan['sql_statements']}  "
              f"as-of p95 {result['where_was_device_at']['p95_ms']} / {result['what_citizen_held_at']['p95_ms']} ms")
    print(f"1,000 labels: {report['labels']['seconds_median']} s")


if __name__ == "__main__":
    main()
