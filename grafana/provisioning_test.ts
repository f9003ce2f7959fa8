/**
 * Structural checks of grafana/provisioning/ as Grafana 13 reads it (sources: grafana/grafana
 * pkg/services/provisioning/{values/values.go, datasources/types.go, dashboards/config_reader.go,
 * alerting/{config_reader,rules_types,contact_point_types}.go}, pkg/tsdb/grafana-postgresql-datasource/sqleng
 * /sql_engine.go): files and formats, env interpolation, uids, references between files, dashboard layout,
 * targets, variables, and alert rule graphs. The queries themselves run in queries_test.ts.
 */
import assert from "node:assert/strict";
import { dashboards as generatedDashboards, render } from "./dashboards.ts";
import {
  alertQueries,
  alertRules,
  CONTAINER_PROVISIONING,
  envReferences,
  interpolateEnv,
  loadProvisioning,
  type Loose,
  panelQueries,
  parseYaml,
  PLUGIN_DIR,
  PROVISIONING_DIR,
  type YamlFile,
} from "./provisioning.ts";

const provisioning = await loadProvisioning();

/** Grafana 13 core panel types, plus our plugin (its id read from its plugin.json). */
const CORE_PANELS = new Set([
  "timeseries",
  "stat",
  "gauge",
  "bargauge",
  "table",
  "barchart",
  "piechart",
  "candlestick",
  "heatmap",
  "histogram",
  "text",
  "state-timeline",
  "status-history",
  "xychart",
  "trend",
  "news",
  "dashlist",
  "alertlist",
  "annolist",
  "nodeGraph",
  "traces",
  "logs",
  "geomap",
  "canvas",
  "flamegraph",
  "datagrid",
  "row",
]);
const pluginJson = JSON.parse(await Deno.readTextFile(new URL("src/plugin.json", PLUGIN_DIR)));
const pluginTypes = await Deno.readTextFile(new URL("src/types.ts", PLUGIN_DIR));
const PLUGIN_MODES = [...(/type PanelMode = ([^;]+);/.exec(pluginTypes)?.[1] ?? "").matchAll(/'([^']+)'/g)]
  .map((m) => m[1]!);

const UID = /^[A-Za-z0-9_-]{1,40}$/;
const DASHBOARD_UIDS = ["coin-detail", "compare", "market-overview", "pipeline-health", "volatility-roi"];
/** Every environment variable the files may reference; the lead's compose file sets them. */
const DOCUMENTED_ENV = [
  "ALERT_EMAIL_ADDRESSES",
  "ALERT_WEBHOOK_URL",
  "GRAFANA_DB_PASSWORD",
  "OBSERVATORY_DB_ADDR",
  "OBSERVATORY_DB_NAME",
];
const PROM_DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

function stringLeaves(value: Loose, path: string, out: [string, string][] = []): [string, string][] {
  if (typeof value === "string") out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => stringLeaves(v, `${path}[${i}]`, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) stringLeaves(v, `${path}.${k}`, out);
  }
  return out;
}

const provisionedDatasourceUids = provisioning.datasources.flatMap((f) =>
  (f.data.datasources ?? []).map((d: Loose) => d.uid)
);

Deno.test("provisioning directories hold only files Grafana reads", async () => {
  for (const dir of ["datasources", "alerting", "dashboards"]) {
    for await (const entry of Deno.readDir(new URL(`${dir}/`, PROVISIONING_DIR))) {
      if (dir === "dashboards" && entry.isDirectory) continue; // dashboard JSON, read by the provider
      assert.ok(entry.isFile, `${dir}/${entry.name}: only files belong here`);
      // The alerting reader fails on anything but .yaml/.yml/.json (older versions fatally).
      assert.match(entry.name, dir === "alerting" ? /\.(ya?ml|json)$/ : /\.ya?ml$/, `${dir}/${entry.name}`);
    }
  }
  assert.equal(provisioning.alerting.length, 3);
});

Deno.test("YAML reads the same as YAML 1.1 (Grafana's yaml.v2) and 1.2 (yaml.v3), apiVersion 1", () => {
  for (
    const file of [...provisioning.datasources, ...provisioning.dashboardProviders, ...provisioning.alerting]
  ) {
    assert.deepEqual(parseYaml(file.text, { version: "1.1" }), file.data, `${file.path}: ambiguous scalar`);
    assert.equal(file.data.apiVersion, 1, `${file.path}: apiVersion`);
  }
});

Deno.test("environment interpolation: values.go semantics", () => {
  const env = { A: "x", B: "y" };
  assert.equal(interpolateEnv("${A}-$B-$$C-$__env{B}", env), "x-y-$C-y");
  assert.equal(interpolateEnv("$UNSET|${UNSET}", env), "|", "an unset variable becomes empty");
  assert.equal(interpolateEnv("{{ $$labels.x }}", env), "{{ $labels.x }}");
  assert.equal(interpolateEnv("$__file{/secret}", env, () => " s3cret\n"), "s3cret");
});

Deno.test("environment variables: only documented ones, only in string values Grafana interpolates", () => {
  const referenced = new Set<string>();
  const check = (file: YamlFile, skip: (path: string) => boolean) => {
    for (const [path, value] of stringLeaves(file.data, file.path)) {
      if (skip(path)) continue;
      for (const name of envReferences(value)) referenced.add(name);
    }
  };
  for (const file of provisioning.datasources) check(file, () => false);
  for (const file of provisioning.dashboardProviders) check(file, () => false);
  // Alert rules: `model` is used raw (macros stay), annotations raw (newer versions expand braced vars).
  for (const file of provisioning.alerting) check(file, (path) => /\.model\.|\.annotations\./.test(path));
  assert.deepEqual([...referenced].sort(), DOCUMENTED_ENV);

  for (const file of provisioning.alerting) {
    for (const [path, value] of stringLeaves(file.data, file.path)) {
      if (/\.annotations\./.test(path)) {
        assert.ok(
          !value.includes("${"),
          `${path}: '\${' in an annotation may be expanded from the environment`,
        );
      } else if (/\.model\./.test(path)) {
        for (const m of value.matchAll(/\$(\{?)(\w+)/g)) {
          assert.ok(
            m[2]!.startsWith("__") || /^[A-Z]$/.test(m[2]!),
            `${path}: '$${m[2]}' is neither a macro nor a refId`,
          );
        }
      } else if (!/\.(url|addresses)$/.test(path)) {
        assert.ok(!value.includes("$"), `${path}: '$' would be interpolated from the environment`);
      }
    }
  }
});

Deno.test("datasource: fixed uid, postgres type, typed jsonData literal, read-only role, secret from env", () => {
  const [file] = provisioning.datasources;
  assert.ok(file);
  const [ds, ...others] = file.data.datasources;
  assert.equal(others.length, 0);
  assert.equal(ds.uid, "observatory");
  assert.match(ds.uid, UID);
  assert.equal(ds.name, "Observatory");
  assert.equal(ds.type, "grafana-postgresql-datasource");
  assert.equal(ds.url, "${OBSERVATORY_DB_ADDR}");
  assert.equal(ds.user, "observatory_reader");
  assert.equal(ds.database, undefined, "the database belongs in jsonData.database");
  assert.equal(ds.jsonData.database, "${OBSERVATORY_DB_NAME}");
  assert.equal(ds.jsonData.timescaledb, true, "a YAML boolean, not a string");
  for (const [key, value] of Object.entries(ds.jsonData as Record<string, unknown>)) {
    if (["maxOpenConns", "maxIdleConns", "connMaxLifetime", "connectionTimeout"].includes(key)) {
      assert.equal(typeof value, "number", `jsonData.${key}`);
    }
    if (["timescaledb", "tlsSkipVerify", "maxIdleConnsAuto", "enableSecureSocksProxy"].includes(key)) {
      assert.equal(typeof value, "boolean", `jsonData.${key}`);
    }
  }
  assert.equal(ds.secureJsonData.password, "${GRAFANA_DB_PASSWORD}");
  assert.equal(ds.password, undefined, "never a plain password field");
  const env = { OBSERVATORY_DB_ADDR: "timescaledb:5432", OBSERVATORY_DB_NAME: "observatory" };
  assert.equal(interpolateEnv(ds.url, env), "timescaledb:5432", "host:port, no scheme, no database");
});

Deno.test("dashboard provider: one folder, the JSON directory, read-only", () => {
  const providers = provisioning.dashboardProviders.flatMap((f) => f.data.providers);
  assert.equal(providers.length, 1);
  const [provider] = providers;
  assert.equal(provider.folder, "Crypto Observatory");
  assert.match(provider.folderUid, UID);
  assert.equal(provider.type, "file");
  assert.equal(provider.allowUiUpdates, false);
  assert.ok(provider.options.path.startsWith(CONTAINER_PROVISIONING));
  assert.notEqual(
    provider.options.foldersFromFilesStructure,
    true,
    "folder and foldersFromFilesStructure conflict",
  );
  assert.deepEqual(provisioning.dashboards.map((d) => d.dashboard.uid).sort(), DASHBOARD_UIDS);
});

Deno.test("dashboard JSON is what grafana/dashboards.ts generates", async () => {
  for (const [file, dashboard] of Object.entries(generatedDashboards())) {
    const committed = await Deno.readTextFile(new URL(`dashboards/observatory/${file}`, PROVISIONING_DIR));
    assert.equal(
      committed,
      render(dashboard),
      `${file} is stale: run deno run --allow-write=grafana grafana/dashboards.ts`,
    );
  }
});

for (const { path, dashboard } of provisioning.dashboards) {
  Deno.test(`dashboard ${dashboard.uid}: model, layout, targets, variables`, () => {
    assert.match(dashboard.uid, UID);
    assert.ok(dashboard.title, `${path}: title`);
    assert.equal(dashboard.schemaVersion, 41);
    assert.ok(dashboard.id === null || dashboard.id === undefined, "no numeric id in provisioned JSON");
    assert.equal(dashboard.panels.some((p: Loose) => p.type === "row" && p.panels?.length), false);

    const variables = new Map<string, Loose>(dashboard.templating.list.map((v: Loose) => [v.name, v]));
    assert.equal(variables.size, dashboard.templating.list.length, "variable names are unique");
    for (const variable of variables.values()) {
      if (variable.datasource) assert.ok(provisionedDatasourceUids.includes(variable.datasource.uid));
      if (variable.type === "query") assert.ok(variable.query.trim(), `variable ${variable.name}: query`);
    }
    const known = new Set([
      ...variables.keys(),
      "__interval",
      "__interval_ms",
      "__from",
      "__to",
      "__url_time_range",
    ]);

    const ids = new Set<number>();
    const cells = new Set<string>();
    for (const panel of dashboard.panels) {
      const where = `${dashboard.uid} panel ${panel.id} '${panel.title}'`;
      assert.ok(Number.isInteger(panel.id) && !ids.has(panel.id), `${where}: unique id`);
      ids.add(panel.id);
      assert.ok(
        CORE_PANELS.has(panel.type) || panel.type === pluginJson.id,
        `${where}: panel type '${panel.type}' is neither core nor ours`,
      );
      const { x, y, w, h } = panel.gridPos;
      assert.ok(
        w >= 1 && w <= 24 && x >= 0 && x + w <= 24 && h >= 1 && y >= 0,
        `${where}: gridPos ${x},${y},${w},${h}`,
      );
      for (let cx = x; cx < x + w; cx++) {
        for (let cy = y; cy < y + h; cy++) {
          assert.ok(!cells.has(`${cx},${cy}`), `${where}: overlaps another panel at ${cx},${cy}`);
          cells.add(`${cx},${cy}`);
        }
      }
      assert.ok(provisionedDatasourceUids.includes(panel.datasource.uid), `${where}: datasource`);
      const refIds = new Set<string>();
      assert.ok(panel.targets.length > 0, `${where}: no targets`);
      for (const target of panel.targets) {
        assert.ok(!refIds.has(target.refId), `${where}: refId ${target.refId} twice`);
        refIds.add(target.refId);
        assert.equal(target.datasource.uid, panel.datasource.uid, `${where}: target datasource`);
        assert.ok(["table", "time_series"].includes(target.format), `${where}: format must be set`);
        assert.equal(target.rawQuery, true);
        assert.equal(target.editorMode, "code");
        assert.ok(target.rawSql?.trim(), `${where}: rawSql`);
        for (const key of Object.keys(target)) {
          assert.ok(
            !key.startsWith("fill"),
            `${where}: '${key}' is rejected by Grafana (query fill-parameters)`,
          );
        }
        for (const m of target.rawSql.matchAll(/\$\{?(\w+)/g)) {
          const name = m[1]!;
          assert.ok(name.startsWith("__") || known.has(name), `${where}: unknown variable $${name}`);
        }
      }
      if (panel.type === pluginJson.id) {
        assert.ok(
          PLUGIN_MODES.includes(panel.options.mode),
          `${where}: mode '${panel.options.mode}' of ${PLUGIN_MODES}`,
        );
        assert.ok(
          panel.targets.every((t: Loose) => t.format === "table"),
          `${where}: the panel reads tables`,
        );
      }
      for (const [fieldPath, value] of stringLeaves(panel.fieldConfig ?? {}, "fieldConfig")) {
        if (!fieldPath.endsWith(".url")) continue;
        const uid = /^\/d\/([^/?]+)/.exec(value)?.[1];
        assert.ok(uid && DASHBOARD_UIDS.includes(uid), `${where}: link ${value}`);
        for (const m of value.matchAll(/\$\{(\w+)/g)) {
          assert.ok(known.has(m[1]!) || m[1] === "__data", `${where}: ${value}`);
        }
      }
    }
    assert.ok(panelQueries(dashboard).length >= 4);
  });
}

Deno.test("alert rules: uids, folders, durations, condition and expression refIds, datasources, links", () => {
  const rules = alertRules(provisioning);
  assert.deepEqual(rules.map((r) => r.rule.uid).sort(), [
    "collector-errors",
    "price-move-1h",
    "price-move-24h",
    "stale-data",
    "volatility-spike",
  ]);
  const dashboards = new Map(provisioning.dashboards.map((d) => [d.dashboard.uid, d.dashboard]));
  for (const { group, rule } of rules) {
    const where = `rule ${rule.uid}`;
    assert.ok(group.name && group.folder === "Crypto Observatory", `${where}: group`);
    assert.match(group.interval, PROM_DURATION);
    assert.match(rule.uid, UID);
    assert.ok(rule.title);
    assert.match(rule.for, PROM_DURATION);
    assert.ok(["NoData", "Alerting", "OK", "KeepLast"].includes(rule.noDataState), `${where}: noDataState`);
    assert.ok(["Error", "Alerting", "OK", "KeepLast"].includes(rule.execErrState), `${where}: execErrState`);
    const refIds = rule.data.map((q: Loose) => q.refId);
    assert.equal(new Set(refIds).size, refIds.length, `${where}: duplicate refIds`);
    assert.ok(refIds.includes(rule.condition), `${where}: condition ${rule.condition} is not a refId`);
    for (const query of rule.data) {
      assert.equal(query.model.refId, query.refId, `${where}: model.refId`);
      if (query.datasourceUid === "__expr__") {
        assert.deepEqual(query.model.datasource, { type: "__expr__", uid: "__expr__" });
        const refs = query.model.type === "math"
          ? [...query.model.expression.matchAll(/\$\{?([A-Za-z0-9_]+)\}?/g)].map((m) => m[1])
          : [query.model.expression];
        assert.ok(refs.length > 0, `${where}/${query.refId}: expression refers to nothing`);
        for (const ref of refs) {
          assert.ok(refIds.includes(ref), `${where}/${query.refId}: unknown refId ${ref}`);
        }
        if (query.model.type === "reduce") {
          assert.ok(["last", "mean", "min", "max", "sum", "count"].includes(query.model.reducer));
        }
        if (query.model.type === "threshold") {
          assert.ok(query.model.conditions[0].evaluator.params.length > 0);
        }
      } else {
        assert.ok(
          provisionedDatasourceUids.includes(query.datasourceUid),
          `${where}: datasource ${query.datasourceUid}`,
        );
        assert.equal(query.model.datasource.uid, query.datasourceUid);
        assert.ok(query.relativeTimeRange.from > query.relativeTimeRange.to, `${where}: relativeTimeRange`);
        assert.equal(query.model.format, "time_series", `${where}: alerting needs time series queries`);
        assert.ok(!/\$__interval/.test(query.model.rawSql), `${where}: no $__interval in alert SQL`);
        for (const key of Object.keys(query.model)) assert.ok(!key.startsWith("fill"), `${where}: ${key}`);
      }
    }
    // The condition must be reached from the queries (no dangling graph).
    const dashboard = dashboards.get(rule.dashboardUid);
    assert.ok(dashboard, `${where}: dashboardUid ${rule.dashboardUid}`);
    assert.ok(
      dashboard.panels.some((p: Loose) => p.id === rule.panelId),
      `${where}: panelId ${rule.panelId}`,
    );
    for (const value of Object.values(rule.labels as Record<string, string>)) assert.ok(!value.includes("$"));
  }
  assert.equal(alertQueries(provisioning).length, 9);
});

Deno.test("contact point and policy: env-supplied settings, every policy routes to a provisioned receiver", () => {
  const contactPoints = provisioning.alerting.flatMap((f) => f.data.contactPoints ?? []);
  const policies = provisioning.alerting.flatMap((f) => f.data.policies ?? []);
  assert.equal(contactPoints.length, 1);
  assert.equal(policies.length, 1);
  const names = new Set(contactPoints.map((c: Loose) => c.name));
  const routes = (policy: Loose): Loose[] => [policy, ...(policy.routes ?? []).flatMap(routes)];
  for (const route of routes(policies[0])) {
    if (route.receiver !== undefined) {
      assert.ok(names.has(route.receiver), `policy receiver ${route.receiver}`);
    }
    for (const key of ["group_wait", "group_interval", "repeat_interval"]) {
      if (route[key] !== undefined) assert.match(route[key], PROM_DURATION);
    }
  }
  const receivers = contactPoints.flatMap((c: Loose) => c.receivers);
  assert.deepEqual(receivers.map((r: Loose) => r.type).sort(), ["email", "webhook"]);
  // What Grafana validates after interpolation: webhook url and email addresses must not be empty.
  const validate = (env: Record<string, string>) =>
    receivers.flatMap((r: Loose) => {
      assert.match(r.uid, UID);
      const settings = Object.fromEntries(
        Object.entries(r.settings as Record<string, string>).map((
          [k, v],
        ) => [k, interpolateEnv(String(v), env)]),
      );
      if (r.type === "webhook" && !/^https?:\/\/\S+$/.test(settings.url ?? "")) {
        return [`webhook url '${settings.url}'`];
      }
      if (r.type === "email" && !settings.addresses) return ["email addresses empty"];
      return [];
    });
  assert.deepEqual(
    validate({ ALERT_WEBHOOK_URL: "http://sink:8080/alerts", ALERT_EMAIL_ADDRESSES: "a@b.c" }),
    [],
  );
  assert.deepEqual(validate({}), ["webhook url ''", "email addresses empty"], "compose must set both");
});
