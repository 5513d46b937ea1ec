"""`make bench`: every benchmark, one after the other; each writes its JSON to bench/results/."""

from __future__ import annotations

from bench import citizens


def main() -> None:
    for result in citizens.main():
        for name in ("search", "citizen_page"):
            r = result[name]
            print(f"{result['backend']:<10} {result['citizens']:>7} {name:<13} p50 {r['p50_ms']:>6} ms  "
                  f"p95 {r['p95_ms']:>6} ms  statements {r['sql_statements']}")


if __name__ == "__main__":
    main()
