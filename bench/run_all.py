"""`make bench`: every benchmark, one after the other; each writes its JSON to bench/results/."""

from __future__ import annotations

from bench import (
    api,
    browser_scan,
    citizens,
    coordination,
    fuzzing,
    inventory,
    planning,
    route_sheet,
    solomon,
    startpage,
    support,
    timeline,
)


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
    for result in browser_scan.main()["results"]:
        print(f"{result['backend']:<10} browser scan-to-answer, {result['scans']} scans: "
              f"p50 {result['p50_ms']} ms  "
              f"p95 {result['p95_ms']} ms  max {result['max_ms']} ms (goal p95 <= {result['goal_p95_ms']} ms)")
    cases = ("long_first", "long_deep", "short_first")
    for result in timeline.main()["results"]:
        pages = "  ".join(f"{name} p50 {result[name]['p50_ms']} / p95 {result[name]['p95_ms']} ms" for name in cases)
        statements = sorted({n for name in cases for n in result[name]["sql_statements"]})
        print(f"{result['backend']:<10} {result['citizens']:>7} citizens {result['movements']:>8} movements  "
              f"timeline {pages}  statements {statements}")
    for result in support.main()["results"]:
        cases = ("queue_mine", "queue_unassigned_page5", "call_phone", "call_cpr")
        pages = "  ".join(f"{name} p95 {result[name]['p95_ms']} ms" for name in cases if name in result)
        statements = sorted({n for name in cases if name in result for n in result[name]["sql_statements"]})
        print(f"{result['backend']:<10} {result['sizes']['tickets']:>7} tickets  {pages}  statements {statements}")
    for result in startpage.main()["results"]:
        pages = "  ".join(f"{role} p95 {result[role]['p95_ms']} ms ({result[role]['sql_statements']})"
                          for role in startpage.ROLES)
        print(f"{result['backend']:<10} {result['size']['citizens']:>7} citizens  start page {pages}")
    for seconds in (solomon.SECONDS, solomon.INTERACTIVE_SECONDS):
        overall = solomon.main(seconds)["overall"]
        print(f"Solomon {overall['instances']} instances at {seconds:g} s: mean gap {overall['mean_gap_percent']} %, "
              f"feasible {overall['feasible']}/{overall['instances']}, vehicles {overall['vehicles']}")
    report = planning.main()
    for limit in (report, report["interactive"]):
        for day in limit["days"]:
            print(f"planning {day['visits']} visits at {limit['seconds_limit']:g} s: planned {day['planned']}, "
                  f"{day['driving_km']} km, unplanned {day['unplanned_by_reason']}, {day['seconds']} s, "
                  f"violations {len(day['violations'])}")
    twenty, sixty = (route_sheet.main()[key] for key in ("stops_20", "stops_60"))
    print(f"route sheet 20 stops median {twenty['median_seconds']} s, max {twenty['max_seconds']} s; "
          f"60 stops {sixty['median_seconds']} s")
    for result in fuzzing.main()["results"]:
        print(f"fuzzing {result['backend']:<10} {result['inputs']:>7} inputs ({result['requests']} requests) in "
              f"{result['seconds']} s: {result['failures']} 500s or half-saved imports")
    for result in coordination.main()["results"]:
        print(f"coordination {result['backend']:<10} {result['movements']:>8} movements  dashboard p95 "
              f"{result['dashboard']['p95_ms']} ms (cluster {result['dashboard_cluster']['p95_ms']} ms)  report "
              f"{result['report_generate_s']} s + PDF {result['report_pdf_s']} s  disagreements "
              f"{len(result['disagreements'])}")
    for result in api.main()["results"]:
        rows = "  ".join(f"{kind} p50 {result[f'{kind}_1']['p50_ms']} / p95 {result[f'{kind}_1']['p95_ms']} ms"
                         for kind in api.KINDS)
        print(f"api over HTTP {result['size']['movements']:>8} movements, 1 client: {rows}  "
              f"(goal p95 <= {api.GOAL_P95_MS} ms: {'met' if result['met'] else 'missed'})")


if __name__ == "__main__":
    main()
