/**
 * Running provisioned queries as Grafana does, shared by the query tests and the analytics benchmark: the
 * simple query protocol, variables resolved on the database, panel queries expanded by grafana/macros.ts.
 */
import type { Sql } from "../ingest/db/connect.ts";
import { expandPanelQuery, type TimeRange, type VariableValue } from "./macros.ts";
import type { Loose } from "./provisioning.ts";

/** The datasource's jsonData.timeInterval ("1m"): Grafana's minimum $__interval. */
export const MIN_INTERVAL_MS = 60_000;

export interface Column {
  name: string;
  type: number;
}
export interface QueryResult {
  rows: Record<string, unknown>[];
  columns: Column[];
}

/** Grafana sends the whole text with the simple protocol (PgConn.Exec) and reads the row-returning results. */
export async function runAsGrafana(reader: Sql, text: string): Promise<QueryResult> {
  const result = await reader.unsafe(text).simple() as unknown as Loose;
  // One statement: a Result (rows with .columns); several: an array of Results.
  const results: Loose[] = result.length > 0 && Array.isArray(result[0]) ? result : [result];
  const withRows = results.filter((r) => r.columns?.length);
  if (withRows.length === 0) throw new Error("no row-returning statement");
  return {
    rows: withRows.flatMap((r: Loose) => [...r]),
    columns: withRows[0].columns.map((c: Loose) => ({ name: c.name, type: c.type })),
  };
}

/** Current values of a dashboard's variables, resolving query variables on the database like Grafana does. */
export async function resolveVariables(
  reader: Sql,
  dashboard: Loose,
  range: TimeRange,
): Promise<Record<string, VariableValue>> {
  const values: Record<string, VariableValue> = {};
  for (const variable of dashboard.templating.list) {
    if (variable.type !== "query") {
      values[variable.name] = variable.current.value;
      continue;
    }
    const text = expandPanelQuery(variable.query, {
      range,
      intervalMs: MIN_INTERVAL_MS,
      timescaledb: true,
      variables: values,
    });
    const result = await runAsGrafana(reader, text);
    const valueColumn = result.columns.some((c) => c.name === "__value")
      ? "__value"
      : result.columns[0]!.name;
    const options = result.rows.map((row) => String(row[valueColumn]));
    if (options.length === 0) throw new Error(`${dashboard.uid} variable ${variable.name}: no options`);
    const current = [variable.current.value].flat();
    if (variable.includeAll && current.includes("$__all")) values[variable.name] = options;
    else if (variable.multi) values[variable.name] = current.filter((v: string) => options.includes(v));
    else values[variable.name] = options.includes(current[0]) ? current[0] : options[0]!;
  }
  return values;
}
