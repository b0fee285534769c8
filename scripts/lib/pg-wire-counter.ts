// A TCP proxy in front of PostgreSQL that counts, on the wire, the
// connections clients open and the statements they send: a simple-protocol
// Query ('Q') or an extended-protocol Execute ('E') is one statement. The
// tests use it to prove that a request opened no connection; `npm run bench`
// uses it for database statements per request. Loopback only.
import { createServer as createHttpServer } from "node:http";
import { createConnection, createServer, type Socket } from "node:net";

export interface WireCounts {
  connections: number;
  statements: number;
}

export interface PgWireCounter {
  port: number;
  counts(): WireCounts;
  reset(): void;
  stop(): Promise<void>;
}

/** Proxies 127.0.0.1:<port> to `target` (a postgres:// URL's host and port). */
export async function startPgWireCounter(target: { host: string; port: number }): Promise<PgWireCounter> {
  const counts: WireCounts = { connections: 0, statements: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    counts.connections++;
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    upstream.pipe(client);
    // Client to server: the startup packet has no type byte; every message
    // after it is a type byte and a 4-byte length that counts itself.
    let buffered = Buffer.alloc(0);
    let started = false;
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (!started) {
          if (buffered.length < 8) break;
          const length = buffered.readInt32BE(0);
          const code = buffered.readInt32BE(4);
          if (buffered.length < length) break;
          buffered = buffered.subarray(length);
          // An SSL or GSS request is answered before the real startup packet.
          if (code !== 80877103 && code !== 80877104) started = true;
          continue;
        }
        if (buffered.length < 5) break;
        const length = buffered.readInt32BE(1);
        if (buffered.length < 1 + length) break;
        const type = String.fromCharCode(buffered[0]!);
        if (type === "Q" || type === "E") counts.statements++;
        buffered = buffered.subarray(1 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("pg wire counter: no port");
  return {
    port: address.port,
    counts: () => ({ ...counts }),
    reset: () => {
      counts.connections = 0;
      counts.statements = 0;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface PgWireCounterService {
  /** Base URL: `POST /counters` makes a new counting proxy ({ port }); `GET /counters/<port>` reads it. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A small HTTP service that hands out a counting proxy per caller, so tests
 * running side by side never share counts.
 */
export async function startPgWireCounterService(databaseUrl: string): Promise<PgWireCounterService> {
  const parsed = new URL(databaseUrl);
  const target = { host: parsed.hostname, port: Number(parsed.port || 5432) };
  const counters = new Map<number, PgWireCounter>();
  const server = createHttpServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST" && req.url === "/counters") {
      const counter = await startPgWireCounter(target);
      counters.set(counter.port, counter);
      return send(200, { port: counter.port });
    }
    const match = /^\/counters\/(\d+)$/.exec(req.url ?? "");
    const counter = match ? counters.get(Number(match[1])) : undefined;
    if (req.method === "GET" && counter) return send(200, counter.counts());
    return send(404, { error: "no such counter" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("pg wire counter service: no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    stop: async () => {
      await Promise.all([...counters.values()].map((c) => c.stop()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
