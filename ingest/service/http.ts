/** The service's HTTP endpoints: /healthz (process up), /readyz (database reachable, last cycle fresh), /metrics. */
import type { Logger } from "../log.ts";
import type { Metrics } from "./metrics.ts";

export interface Readiness {
  ready: boolean;
  reason: string;
}

export interface HttpServer {
  port: number;
  shutdown(): Promise<void>;
}

export function serveHttp(options: {
  port: number;
  hostname?: string;
  metrics: Metrics;
  readiness: () => Promise<Readiness>;
  log: Logger;
}): HttpServer {
  const controller = new AbortController();
  const server = Deno.serve({
    port: options.port,
    hostname: options.hostname ?? "0.0.0.0",
    signal: controller.signal,
    onListen: () => {},
  }, async (request) => {
    const path = new URL(request.url).pathname;
    if (request.method !== "GET" && request.method !== "HEAD") return new Response(null, { status: 405 });
    switch (path) {
      case "/healthz":
        return Response.json({ status: "ok" });
      case "/readyz": {
        const readiness = await options.readiness();
        return Response.json({ status: readiness.ready ? "ready" : "not ready", reason: readiness.reason }, {
          status: readiness.ready ? 200 : 503,
        });
      }
      case "/metrics":
        return new Response(options.metrics.render(), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      default:
        return new Response("not found\n", { status: 404 });
    }
  });
  options.log.info("http listening", { port: server.addr.port });
  return {
    port: server.addr.port,
    async shutdown() {
      controller.abort();
      await server.finished;
    },
  };
}
