/**
 * Reads grafana/provisioning/ the way Grafana does, for the tests: YAML files (env interpolation as in
 * pkg/services/provisioning/values/values.go), dashboard JSON, and every SQL query they contain.
 */
import { parse as parseYaml } from "yaml";

export { parseYaml };

export const PROVISIONING_DIR = new URL("./provisioning/", import.meta.url);
export const PLUGIN_DIR = new URL("./plugins/cryptoobs-volroi-panel/", import.meta.url);

// deno-lint-ignore no-explicit-any
export type Loose = any;

/**
 * values.go interpolateValue: split on "$$" (a literal "$"), expand `$__env{X}` and `$__file{path}`
 * (setting.ExpandVar; the file content trimmed), then os.ExpandEnv (`$X`, `${X}`; unset → "").
 */
export function interpolateEnv(
  value: string,
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (path) => Deno.readTextFileSync(path),
): string {
  return value.split("$$").map((part) => {
    const expanded = part.replace(/\$(|__\w+){([^}]+)}/g, (whole, kind: string, arg: string) => {
      if (kind === "__env") return env[arg] ?? "";
      if (kind === "__file") return readFile(arg).trim();
      if (kind === "") return whole; // plain ${X}: left for os.ExpandEnv
      throw new Error(`unknown expander $${kind}{${arg}}`);
    });
    // os.ExpandEnv: ${name} or $name (name = [A-Za-z0-9_]+, or one special char); "$" + other char stays.
    return expanded.replace(
      /\$(?:{([^}]*)}|([A-Za-z0-9_]+|[*#$@!?\-0-9]))/g,
      (_w, braced?: string, bare?: string) => {
        const name = braced ?? bare ?? "";
        return env[name] ?? "";
      },
    );
  }).join("$");
}

/** Environment variable names a string refers to (the forms values.go expands). */
export function envReferences(value: string): string[] {
  const names: string[] = [];
  for (const part of value.split("$$")) {
    for (const m of part.matchAll(/\$__env{([^}]+)}|\$\{([^}]+)}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
      names.push(m[1] ?? m[2] ?? m[3]!);
    }
  }
  return names;
}

export interface YamlFile {
  path: string;
  text: string;
  data: Loose;
}

async function readYamlDir(dir: string): Promise<YamlFile[]> {
  const files: YamlFile[] = [];
  for await (const entry of Deno.readDir(new URL(`${dir}/`, PROVISIONING_DIR))) {
    if (!entry.isFile || !/\.ya?ml$/.test(entry.name)) continue;
    const path = `${dir}/${entry.name}`;
    const text = await Deno.readTextFile(new URL(path, PROVISIONING_DIR));
    files.push({ path, text, data: parseYaml(text) });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

export interface DashboardFile {
  path: string;
  dashboard: Loose;
}

export interface Provisioning {
  datasources: YamlFile[];
  dashboardProviders: YamlFile[];
  alerting: YamlFile[];
  dashboards: DashboardFile[];
}

/** The container path of grafana/provisioning (docker compose mounts it there). */
export const CONTAINER_PROVISIONING = "/etc/grafana/provisioning/";

export async function loadProvisioning(): Promise<Provisioning> {
  const dashboardProviders = await readYamlDir("dashboards");
  const dashboards: DashboardFile[] = [];
  for (const file of dashboardProviders) {
    for (const provider of file.data.providers ?? []) {
      const path = String(provider.options?.path ?? "");
      if (!path.startsWith(CONTAINER_PROVISIONING)) continue; // reported by the structural test
      const dir = new URL(`${path.slice(CONTAINER_PROVISIONING.length)}/`, PROVISIONING_DIR);
      for await (const entry of Deno.readDir(dir)) {
        if (!entry.isFile || !entry.name.endsWith(".json")) continue;
        const text = await Deno.readTextFile(new URL(entry.name, dir));
        dashboards.push({ path: `${path}/${entry.name}`, dashboard: JSON.parse(text) });
      }
    }
  }
  dashboards.sort((a, b) => a.path.localeCompare(b.path));
  return {
    datasources: await readYamlDir("datasources"),
    dashboardProviders,
    alerting: await readYamlDir("alerting"),
    dashboards,
  };
}

/** A SQL query of the provisioned files, with where it comes from. */
export interface ProvisionedQuery {
  /** e.g. "market-overview / panel 7 'Market' / B" */
  label: string;
  kind: "panel" | "variable" | "alert";
  rawSql: string;
  format: "table" | "time_series";
  dashboardUid?: string;
  /** For alert queries: the rule uid and the model's intervalMs. */
  ruleUid?: string;
  intervalMs?: number;
  maxDataPoints?: number;
}

export function panelQueries(dashboard: Loose): ProvisionedQuery[] {
  const queries: ProvisionedQuery[] = [];
  for (const panel of dashboard.panels ?? []) {
    for (const target of panel.targets ?? []) {
      queries.push({
        label: `${dashboard.uid} / panel ${panel.id} '${panel.title}' / ${target.refId}`,
        kind: "panel",
        rawSql: target.rawSql,
        format: target.format,
        dashboardUid: dashboard.uid,
        ...(panel.maxDataPoints ? { maxDataPoints: panel.maxDataPoints } : {}),
      });
    }
  }
  return queries;
}

export function variableQueries(dashboard: Loose): ProvisionedQuery[] {
  return (dashboard.templating?.list ?? [])
    .filter((v: Loose) => v.type === "query")
    .map((v: Loose) => ({
      label: `${dashboard.uid} / variable ${v.name}`,
      kind: "variable" as const,
      rawSql: typeof v.query === "string" ? v.query : v.query.rawSql,
      format: "table" as const,
      dashboardUid: dashboard.uid,
    }));
}

export interface AlertRuleRef {
  file: string;
  group: Loose;
  rule: Loose;
}

export function alertRules(provisioning: Provisioning): AlertRuleRef[] {
  return provisioning.alerting.flatMap((file) =>
    (file.data.groups ?? []).flatMap((group: Loose) =>
      (group.rules ?? []).map((rule: Loose) => ({ file: file.path, group, rule }))
    )
  );
}

export function alertQueries(provisioning: Provisioning): ProvisionedQuery[] {
  return alertRules(provisioning).flatMap(({ rule }) =>
    (rule.data ?? [])
      .filter((query: Loose) => query.datasourceUid !== "__expr__")
      .map((query: Loose) => ({
        label: `alert ${rule.uid} / ${query.refId}`,
        kind: "alert" as const,
        rawSql: query.model.rawSql,
        format: query.model.format,
        ruleUid: rule.uid,
        intervalMs: query.model.intervalMs ?? 1000,
      }))
  );
}
