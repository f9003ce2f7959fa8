/**
 * Run a deno.json task as a subprocess with exactly its permissions, and follow its JSON logs. The task's
 * command line is run directly (not through `deno task`, whose shell would stay between the test and
 * the process: a signal must reach the service itself, as it does in a container).
 */
export const REPO = new URL("../../", import.meta.url);

export function taskCommand(task: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", REPO))) as {
    tasks: Record<string, string>;
  };
  const line = config.tasks[task];
  if (!line) throw new Error(`deno.json has no task '${task}'`);
  const [program, ...args] = line.trim().split(/\s+/);
  if (program !== "deno" || args.some((a) => /["'$&|;<>]/.test(a))) {
    throw new Error(`task '${task}' is not a plain deno command: ${line}`);
  }
  return args;
}

export interface TaskProcess {
  child: Deno.ChildProcess;
  lines: string[];
  stderr: string[];
  /** Wait for a log line matching `pattern`; returns its parsed JSON (or the raw line). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  status: Promise<Deno.CommandStatus>;
}

export function spawnTask(task: string, env: Record<string, string>, args: string[] = []): TaskProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...taskCommand(task), ...args],
    cwd: REPO,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>, into: string[]) => {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      into.push(...parts.filter(Boolean));
      for (const wake of waiters) wake();
    }
    if (buffer) into.push(buffer);
    for (const wake of waiters) wake();
  };
  const pumped = Promise.all([pump(child.stdout, lines), pump(child.stderr, stderr)]);
  const status = pumped.then(() => child.status);
  return {
    child,
    lines,
    stderr,
    status,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let seen = 0;
      for (;;) {
        for (; seen < lines.length; seen++) {
          const line = lines[seen]!;
          if (pattern.test(line)) {
            try {
              return JSON.parse(line);
            } catch {
              return { line };
            }
          }
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `no log line matching ${pattern} within ${timeoutMs} ms; stdout:\n${lines.join("\n")}\nstderr:\n${
              stderr.join("\n")
            }`,
          );
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          waiters.add(wake);
          timer = setTimeout(wake, Math.min(left, 250));
        });
      }
    },
  };
}
