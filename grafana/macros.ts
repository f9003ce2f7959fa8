/**
 * Grafana's PostgreSQL query pipeline, reproduced so that tests run dashboard and alert SQL exactly as Grafana
 * would send it to the database.
 *
 * Two stages, as in Grafana:
 * 1. Frontend (dashboards only; alert rules have no template variables): template variables and the built-ins
 *    `$__interval`, `$__interval_ms`, `${__from}`, `${__to}` are replaced by templateSrv, formatting multi-value
 *    variables with the datasource's `interpolateVariable`
 *    (public/app/plugins/datasource/grafana-postgresql-datasource/datasource.ts). Macros are left alone.
 * 2. Backend (`pkg/tsdb/grafana-postgresql-datasource/macros.go`, grafana/grafana commit
 *    446b3e1f13300e6160905e8e1c7c39fcab9aa084): strip SQL comments (keeping SQLCommenter tags without macros),
 *    the global `$__interval*`/`$__unixEpoch*()` replacements of `sqleng.Interpolate`, then the `$__name(args)`
 *    macros. `gtime` is grafana/grafana-plugin-sdk-go `backend/gtime/gtime.go`.
 */

export interface TimeRange {
  from: Date;
  to: Date;
}

export class MacroError extends Error {
  override name = "MacroError";
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------------------------
// Go formatting helpers
// ---------------------------------------------------------------------------------------------------------------

/** Go `time.RFC3339Nano` of a UTC time: trailing fractional zeros dropped (…00Z, …00.5Z). */
export function goTime(date: Date): string {
  return date.toISOString().replace(
    /\.(\d*?)0*Z$/,
    (_, fraction: string) => fraction ? `.${fraction}Z` : "Z",
  );
}

/**
 * Go `%v` of a float64 (strconv 'g' with the shortest precision): exponent form when the decimal exponent is
 * < -4 or >= 6 (300 → "300", 1036800 → "1.0368e+06", 0.02 → "0.02").
 */
export function goFloat(value: number): string {
  const [mantissa = "", exponent = "0"] = value.toExponential().split("e");
  const exp = Number(exponent);
  if (exp < -4 || exp >= 6) {
    return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return String(value);
}

/** gtime.FormatInterval: truncated to the largest whole unit (90s → "1m"). */
export function formatInterval(ms: number): string {
  const year = 365 * DAY;
  if (ms >= year) return `${Math.floor(ms / year)}y`;
  if (ms >= DAY) return `${Math.floor(ms / DAY)}d`;
  if (ms >= HOUR) return `${Math.floor(ms / HOUR)}h`;
  if (ms >= MINUTE) return `${Math.floor(ms / MINUTE)}m`;
  if (ms >= SECOND) return `${Math.floor(ms / SECOND)}s`;
  if (ms >= 1) return `${Math.floor(ms)}ms`;
  return "1ms";
}

const GO_DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: SECOND,
  m: MINUTE,
  h: HOUR,
};

/** Go time.ParseDuration, in milliseconds (fractions allowed: "1.5h", sequences: "1h30m"). */
function parseGoDuration(text: string): number {
  const match = /^([-+]?)((?:\d*\.?\d+(?:ns|us|µs|μs|ms|s|m|h))+|0)$/.exec(text);
  if (!match) throw new MacroError(`invalid duration "${text}"`);
  if (match[2] === "0") return 0;
  let total = 0;
  for (const part of match[2]!.matchAll(/(\d*\.?\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * GO_DURATION_UNITS[part[2]!]!;
  }
  return match[1] === "-" ? -total : total;
}

/**
 * gtime.ParseInterval, in milliseconds: `\d+[dwMy]` is calendar arithmetic from now in UTC (`now.AddDate`), the
 * rest is Go's time.ParseDuration.
 */
export function parseInterval(text: string, now: Date = new Date()): number {
  const calendar = /^(\d+)([dwMy])$/.exec(text);
  if (!calendar) return parseGoDuration(text);
  const count = Number(calendar[1]);
  const then = new Date(now.getTime());
  switch (calendar[2]) {
    case "d":
      then.setUTCDate(then.getUTCDate() + count);
      break;
    case "w":
      then.setUTCDate(then.getUTCDate() + 7 * count);
      break;
    case "M":
      then.setUTCMonth(then.getUTCMonth() + count);
      break;
    default:
      then.setUTCFullYear(then.getUTCFullYear() + count);
  }
  return then.getTime() - now.getTime();
}

/** Grafana's rangeutil.roundInterval ladder (packages/grafana-data/src/datetime/rangeutil.ts). */
export function roundInterval(ms: number): number {
  const ladder: [number, number][] = [
    [10, 1],
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12500, 10000],
    [17500, 15000],
    [25000, 20000],
    [45000, 30000],
    [90000, 60000],
    [210000, 120000],
    [450000, 300000],
    [750000, 600000],
    [1050000, 900000],
    [1500000, 1200000],
    [2700000, 1800000],
    [5400000, 3600000],
    [9000000, 7200000],
    [16200000, 10800000],
    [32400000, 21600000],
    [86400000, 43200000],
    [604800000, 86400000],
    [1814400000, 604800000],
    [3628800000, 2592000000],
  ];
  for (const [below, value] of ladder) if (ms < below) return value;
  return 31536000000;
}

/** The `intervalMs` Grafana sends for a panel: the range over maxDataPoints, rounded, at least `minIntervalMs`. */
export function panelIntervalMs(range: TimeRange, maxDataPoints = 1000, minIntervalMs = 1): number {
  return Math.max(roundInterval((range.to.getTime() - range.from.getTime()) / maxDataPoints), minIntervalMs);
}

// ---------------------------------------------------------------------------------------------------------------
// Backend: comments, global replacements, macros
// ---------------------------------------------------------------------------------------------------------------

const SQL_COMMENTER = /^\/\*\s*[a-zA-Z0-9%_.-]+='[^'*]*'(\s*,\s*[a-zA-Z0-9%_.-]+='[^'*]*')*\s*\*\/$/;
const MACRO_TOKEN = /\$(__[a-zA-Z0-9_]*|[_a-zA-Z0-9]+\s*\()/; // sqlmacro.ContainsMacro
const MACRO_CALL = /\$([_a-zA-Z0-9]+)\(([^)]*)\)/g; // sqlmacro.Expr

const isDollarTagChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);

/** macros.go stripSQLComments: drop `--` and `/* *\/` comments outside quotes and dollar quotes. */
export function stripSqlComments(sql: string): string {
  let out = "";
  let i = 0;
  const n = sql.length;
  const copyQuoted = (quote: string) => {
    out += quote;
    i++;
    while (i < n) {
      if (sql[i] === quote) {
        out += quote;
        i++;
        if (sql[i] === quote) {
          out += quote;
          i++;
        } else break;
      } else {
        out += sql[i];
        i++;
      }
    }
  };
  const copyDollarQuoted = (closing: string) => {
    out += closing;
    i += closing.length;
    while (i < n) {
      if (sql.startsWith(closing, i)) {
        out += closing;
        i += closing.length;
        break;
      }
      out += sql[i];
      i++;
    }
  };
  while (i < n) {
    const c = sql[i]!;
    if (c === "$") {
      const next = sql[i + 1];
      if (next === "$") copyDollarQuoted("$$");
      else if (isDollarTagChar(next) && !/[0-9]/.test(next!)) {
        let k = i + 2;
        while (isDollarTagChar(sql[k])) k++;
        if (sql[k] === "$") copyDollarQuoted(sql.slice(i, k + 1));
        else {
          out += c;
          i++;
        }
      } else {
        out += c;
        i++;
      }
    } else if (c === "'" || c === '"') {
      copyQuoted(c);
    } else if (c === "/" && sql[i + 1] === "*") {
      const start = i;
      i += 2;
      let closed = false;
      while (i + 1 < n) {
        if (sql[i] === "*" && sql[i + 1] === "/") {
          i += 2;
          closed = true;
          break;
        }
        i++;
      }
      if (closed) {
        const comment = sql.slice(start, i);
        if (SQL_COMMENTER.test(comment) && !MACRO_TOKEN.test(comment)) out += comment;
      } else {
        i = n; // Go's loop leaves i at n-1 and the switch ends the string unchanged; nothing more is copied.
      }
    } else if (c === "-" && sql[i + 1] === "-") {
      while (i < n && sql[i] !== "\n") i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** sqleng.Interpolate: plain string replacements, in this order. */
export function interpolateGlobal(sql: string, intervalMs: number, range: TimeRange): string {
  return sql
    .replaceAll("$__interval_ms", String(Math.trunc(intervalMs)))
    .replaceAll("$__interval", formatInterval(intervalMs))
    .replaceAll("$__unixEpochFrom()", String(Math.floor(range.from.getTime() / 1000)))
    .replaceAll("$__unixEpochTo()", String(Math.floor(range.to.getTime() / 1000)));
}

const unixNano = (date: Date) => (BigInt(date.getTime()) * 1_000_000n).toString();
const unixSeconds = (date: Date) => String(Math.floor(date.getTime() / 1000));

function evaluateMacro(name: string, args: string[], range: TimeRange, timescaledb: boolean): string {
  const column = () => {
    if (args.length === 0) throw new MacroError(`missing time column argument for macro ${name}`);
    return args[0]!;
  };
  const bucketSeconds = () => {
    if (args.length < 2) {
      throw new MacroError(`macro ${name} needs time column and interval and optional fill value`);
    }
    let ms: number;
    try {
      ms = parseInterval(args[1]!.replace(/^'+|'+$/g, ""));
    } catch {
      throw new MacroError(`error parsing interval ${args[1]}`);
    }
    if (ms <= 0) throw new MacroError(`interval must be positive, got ${args[1]}`);
    if (args.length === 3 && !/^(NULL|previous)$/.test(args[2]!) && !Number.isFinite(Number(args[2]))) {
      throw new MacroError(`error parsing fill value ${args[2]}`);
    }
    return ms / 1000;
  };
  switch (name) {
    case "__time":
      return `${column()} AS "time"`;
    case "__timeEpoch":
      return `extract(epoch from ${column()}) as "time"`;
    case "__timeFilter":
      return `${column()} BETWEEN '${goTime(range.from)}' AND '${goTime(range.to)}'`;
    case "__timeFrom":
      return `'${goTime(range.from)}'`;
    case "__timeTo":
      return `'${goTime(range.to)}'`;
    case "__timeGroup": {
      const seconds = bucketSeconds();
      if (timescaledb) return `time_bucket('${seconds.toFixed(3)}s',${args[0]})`;
      return `floor(extract(epoch from ${args[0]})/${goFloat(seconds)})*${goFloat(seconds)}`;
    }
    case "__timeGroupAlias":
      return `${evaluateMacro("__timeGroup", args, range, timescaledb)} AS "time"`;
    case "__unixEpochFilter":
      return `${column()} >= ${unixSeconds(range.from)} AND ${args[0]} <= ${unixSeconds(range.to)}`;
    case "__unixEpochNanoFilter":
      return `${column()} >= ${unixNano(range.from)} AND ${args[0]} <= ${unixNano(range.to)}`;
    case "__unixEpochNanoFrom":
      return unixNano(range.from);
    case "__unixEpochNanoTo":
      return unixNano(range.to);
    case "__unixEpochGroup": {
      const seconds = bucketSeconds();
      return `floor((${args[0]})/${goFloat(seconds)})*${goFloat(seconds)}`;
    }
    case "__unixEpochGroupAlias":
      return `${evaluateMacro("__unixEpochGroup", args, range, timescaledb)} AS "time"`;
    default:
      throw new MacroError(`unknown macro "${name}"`);
  }
}

export interface BackendOptions {
  range: TimeRange;
  /** The query's `intervalMs` (panel: computed by the frontend; alert rule: the model's `intervalMs`). */
  intervalMs: number;
  /** The datasource's `jsonData.timescaledb`. */
  timescaledb: boolean;
}

/** postgresMacroEngine.Interpolate. Throws MacroError where Grafana returns an error. */
export function interpolateBackend(rawSql: string, options: BackendOptions): string {
  const sql = interpolateGlobal(stripSqlComments(rawSql), options.intervalMs, options.range);
  let error: MacroError | undefined;
  const expanded = sql.replace(MACRO_CALL, (whole: string, macro: string, argText: string) => {
    let name = macro;
    // Pre-5.3 compatibility: a `$__timeGroup(...)` directly followed by ',' (judged at the first occurrence of
    // the same text) gets the alias.
    if (name === "__timeGroup") {
      const index = sql.indexOf(whole);
      if (index >= 0 && sql[index + whole.length] === ",") name = "__timeGroupAlias";
    }
    const args = argText.split(",").map((arg) => arg.replace(/^ +| +$/g, ""));
    try {
      return evaluateMacro(name, args, options.range, options.timescaledb);
    } catch (caught) {
      if (!(caught instanceof MacroError)) throw caught;
      error ??= caught;
      return "macro_error()";
    }
  });
  if (error) throw error;
  return expanded;
}

// ---------------------------------------------------------------------------------------------------------------
// Frontend: template variables
// ---------------------------------------------------------------------------------------------------------------

/** A variable's current value: a string for single-value variables, an array for multi-value or All. */
export type VariableValue = string | number | string[];

/** PostgresDatasource.interpolateVariable (the default format of every variable in a Postgres query). */
export function interpolateVariable(value: VariableValue): string {
  if (typeof value === "string") return value.replace(/'/g, "''");
  if (typeof value === "number") return String(value);
  return value.map((v) => `'${v.replace(/'/g, "''")}'`).join(",");
}

function formatVariable(value: VariableValue, format: string | undefined, name: string): string {
  if (format === undefined) return interpolateVariable(value);
  const list = Array.isArray(value) ? value : [String(value)];
  switch (format) {
    case "raw":
      return list.join(",");
    case "csv":
      return list.join(",");
    case "pipe":
      return list.join("|");
    case "sqlstring":
      return list.map((v) => `'${v.replace(/'/g, "''")}'`).join(",");
    case "singlequote":
      return list.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(",");
    case "doublequote":
      return list.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(",");
    case "queryparam":
      return list.map((v) => `var-${name}=${encodeURIComponent(v)}`).join("&");
    default:
      throw new MacroError(`variable format '${format}' of \${${name}} is not supported by the harness`);
  }
}

// templateSrv's variable regex (public/app/features/variables/utils.ts `variableRegex`).
const VARIABLE_REFERENCE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g;

export interface FrontendOptions {
  range: TimeRange;
  intervalMs: number;
  /** Dashboard variables by name. */
  variables: Record<string, VariableValue>;
}

/**
 * templateSrv.replace for a Postgres target: dashboard variables and the request built-ins; anything unknown
 * (macros such as `$__timeFilter`) is left for the backend.
 */
export function interpolateFrontend(sql: string, options: FrontendOptions): string {
  const builtins: Record<string, VariableValue> = {
    __interval: formatInterval(options.intervalMs),
    __interval_ms: String(options.intervalMs),
    __from: String(options.range.from.getTime()),
    __to: String(options.range.to.getTime()),
  };
  return sql.replace(
    VARIABLE_REFERENCE,
    (
      whole,
      plain?: string,
      bracket?: string,
      bracketFormat?: string,
      braced?: string,
      _path?: string,
      format?: string,
    ) => {
      const name = plain ?? bracket ?? braced!;
      const value = options.variables[name] ?? builtins[name];
      if (value === undefined) return whole;
      return formatVariable(value, bracketFormat ?? format, name);
    },
  );
}

export interface QueryOptions extends BackendOptions {
  variables?: Record<string, VariableValue>;
}

/** The SQL Grafana sends to PostgreSQL for a panel or variable query (frontend, then backend). */
export function expandPanelQuery(rawSql: string, options: QueryOptions): string {
  const frontend = interpolateFrontend(rawSql, {
    range: options.range,
    intervalMs: options.intervalMs,
    variables: options.variables ?? {},
  });
  return interpolateBackend(frontend, options);
}
