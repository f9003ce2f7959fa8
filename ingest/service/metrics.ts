/**
 * Prometheus metrics in the text exposition format (version 0.0.4), hand-rolled: a few counters,
 * gauges and one histogram. Labels are fixed sets (statuses, endpoints, kinds): nothing user-supplied,
 * so no key or id can leak into them.
 */
const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${
    entries.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
      .join(",")
  }}`;
}

class Family {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string, readonly type: "counter" | "gauge") {}
  add(labels: Labels, by = 1): void {
    const key = labelText(labels);
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }
  set(labels: Labels, value: number): void {
    this.values.set(labelText(labels), { labels, value });
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n`;
    for (const { labels, value } of this.values.values()) {
      out += `${this.name}${labelText(labels)} ${value}\n`;
    }
    return out;
  }
}

class Histogram {
  readonly counts = DURATION_BUCKETS.map(() => 0);
  sum = 0;
  count = 0;
  constructor(readonly name: string, readonly help: string) {}
  observe(value: number): void {
    DURATION_BUCKETS.forEach((bound, i) => {
      if (value <= bound) this.counts[i]!++;
    });
    this.sum += value;
    this.count++;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    DURATION_BUCKETS.forEach((bound, i) => (out += `${this.name}_bucket{le="${bound}"} ${this.counts[i]}\n`));
    out +=
      `${this.name}_bucket{le="+Inf"} ${this.count}\n${this.name}_sum ${this.sum}\n${this.name}_count ${this.count}\n`;
    return out;
  }
}

export class Metrics {
  readonly cycles = new Family("observatory_cycles_total", "Collection cycles by outcome.", "counter");
  readonly apiCalls = new Family(
    "observatory_api_calls_total",
    "CoinGecko calls by endpoint and HTTP status (or timeout/network).",
    "counter",
  );
  readonly rowsWritten = new Family(
    "observatory_rows_written_total",
    "Rows written, by run kind.",
    "counter",
  );
  readonly rowsRejected = new Family(
    "observatory_rows_rejected_total",
    "Records rejected by validation, by run kind.",
    "counter",
  );
  readonly lastSuccess = new Family(
    "observatory_last_success_timestamp_seconds",
    "When the last successful (ok or partial) cycle finished, UNIX seconds.",
    "gauge",
  );
  readonly gaps = new Family(
    "observatory_gaps_total",
    "Gaps in the collected series, found and repaired.",
    "counter",
  );
  readonly leader = new Family("observatory_leader", "1 while this instance holds the writer lock.", "gauge");
  readonly up = new Family(
    "observatory_database_up",
    "1 when the last database operation succeeded.",
    "gauge",
  );
  readonly cycleDuration = new Histogram(
    "observatory_cycle_duration_seconds",
    "Duration of collection cycles.",
  );

  render(): string {
    return [
      this.cycles,
      this.apiCalls,
      this.rowsWritten,
      this.rowsRejected,
      this.lastSuccess,
      this.gaps,
      this.leader,
      this.up,
      this.cycleDuration,
    ].map((m) => m.render()).join("");
  }
}
