// A local stand-in for the mail provider, used by `npm run dev` and the tests.
// It accepts what the Worker's HTTP transport sends (Resend's
// `POST /emails`), keeps the messages in memory, lists them on a small web
// page, and answers a subset of Mailpit's read API so tools written against
// Mailpit work unchanged:
//
//   GET    /api/v1/messages[?start=&limit=]   newest first
//   GET    /api/v1/search?query=to:a@b.c      to:, from:, subject: and free words
//   GET    /api/v1/message/{ID|latest}        with Text and HTML
//   DELETE /api/v1/messages                   all, or {"IDs": [...]}
//
// To see how the Worker copes with a failing or slow provider, point
// EMAIL_API_URL at `{catcher}/status/500` or `{catcher}/delay/3000`: the
// POST is answered with that status (nothing is kept) or after that delay.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Address {
  Name: string;
  Address: string;
}

export interface CaughtMail {
  ID: string;
  MessageID: string;
  From: Address;
  To: Address[];
  Cc: Address[];
  Bcc: Address[];
  ReplyTo: Address[];
  Subject: string;
  Text: string;
  HTML: string;
  Created: string;
  Size: number;
  Read: boolean;
}

export interface MailCatcher {
  /** e.g. `http://127.0.0.1:8025`: the Worker's EMAIL_API_URL and the web page. */
  url: string;
  port: number;
  /** Newest first. */
  messages(): CaughtMail[];
  stop(): Promise<void>;
}

export interface MailCatcherOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Oldest messages are dropped beyond this many. */
  limit?: number;
  /** Called for each accepted message, e.g. to print its links. */
  onMessage?: (mail: CaughtMail) => void;
  /**
   * Like the real provider, accept a message only with `Authorization:
   * Bearer <apiKey>` (401 without one, 403 with another). Unset: any or none.
   */
  apiKey?: string;
}

const MAX_BODY_BYTES = 1024 * 1024;
const LINK = /https?:\/\/[^\s<>"')]+/g;

export async function startMailCatcher(options: MailCatcherOptions = {}): Promise<MailCatcher> {
  const limit = options.limit ?? 1000;
  let store: CaughtMail[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { message: err instanceof Error ? err.message : String(err) });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://catcher");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";

    const post = /^((?:\/(?:status|delay)\/\d+)*)\/emails$/.exec(path);
    if (post && method === "POST") return receive(req, res, post[1] ?? "");

    if (path === "/api/v1/messages" && method === "GET") return json(res, 200, listing(store, url));
    if (path === "/api/v1/search" && method === "GET") {
      return json(res, 200, listing(store.filter(matcher(url.searchParams.get("query") ?? "")), url));
    }
    if (path === "/api/v1/messages" && method === "DELETE") {
      const body = await readBody(req);
      const ids = body.length ? (JSON.parse(body.toString("utf8")) as { IDs?: unknown }).IDs : undefined;
      if (Array.isArray(ids) && ids.length) store = store.filter((m) => !ids.includes(m.ID));
      else store = [];
      return text(res, 200, "ok");
    }
    const one = /^\/api\/v1\/message\/([^/]+)$/.exec(path);
    if (one && method === "GET") {
      const mail = one[1] === "latest" ? store[0] : store.find((m) => m.ID === one[1]);
      if (!mail) return text(res, 404, "message not found");
      mail.Read = true;
      return json(res, 200, { ...mail, ReturnPath: mail.From.Address, Date: mail.Created, Tags: [], Inline: [], Attachments: [] });
    }

    if (path === "/" && method === "GET") return html(res, 200, indexPage(store));
    const view = /^\/view\/([^/]+)$/.exec(path);
    if (view && method === "GET") {
      const mail = store.find((m) => m.ID === view[1]);
      if (!mail) return html(res, 404, page("Not found", "<p>No such message. <a href=\"/\">All messages</a></p>"));
      mail.Read = true;
      return html(res, 200, messagePage(mail));
    }
    if (path === "/clear" && method === "POST") {
      store = [];
      res.writeHead(303, { location: "/" }).end();
      return;
    }
    return json(res, 404, { message: `no route for ${method} ${path}` });
  }

  async function receive(req: IncomingMessage, res: ServerResponse, modifiers: string) {
    const body = await readBody(req);
    if (options.apiKey !== undefined) {
      const authorization = req.headers.authorization;
      if (!authorization) return json(res, 401, { statusCode: 401, name: "missing_api_key", message: "Missing API key" });
      if (authorization !== `Bearer ${options.apiKey}`) {
        return json(res, 403, { statusCode: 403, name: "invalid_api_key", message: "API key is invalid" });
      }
    }
    for (const [, kind, value] of modifiers.matchAll(/\/(status|delay)\/(\d+)/g)) {
      if (kind === "delay") await new Promise((resolve) => setTimeout(resolve, Number(value)));
      else return json(res, Number(value), { statusCode: Number(value), name: "simulated_failure", message: "Simulated provider failure" });
    }
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    } catch {
      return json(res, 400, { statusCode: 400, name: "validation_error", message: "Body is not JSON" });
    }
    const to = addresses(input.to);
    if (typeof input.from !== "string" || !to.length || typeof input.subject !== "string" || (!input.text && !input.html)) {
      return json(res, 422, { statusCode: 422, name: "validation_error", message: "from, to, subject and text or html are required" });
    }
    const id = randomUUID();
    const mail: CaughtMail = {
      ID: id,
      MessageID: `${id}@mail-catcher`,
      From: addresses(input.from)[0]!,
      To: to,
      Cc: addresses(input.cc),
      Bcc: addresses(input.bcc),
      ReplyTo: addresses(input.reply_to),
      Subject: input.subject,
      Text: typeof input.text === "string" ? input.text : "",
      HTML: typeof input.html === "string" ? input.html : "",
      Created: new Date().toISOString(),
      Size: body.length,
      Read: false,
    };
    store.unshift(mail);
    store.length = Math.min(store.length, limit);
    options.onMessage?.(mail);
    return json(res, 200, { id });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    messages: () => [...store],
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The links in a message's text, in order, without duplicates. */
export function linksOf(mail: Pick<CaughtMail, "Text">): string[] {
  return [...new Set(mail.Text.match(LINK) ?? [])];
}

/** `"Name <a@b.c>"`, `"a@b.c"`, or a list of them (Resend accepts both). */
function addresses(value: unknown): Address[] {
  const list = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [];
  return list
    .filter((v): v is string => typeof v === "string" && v.trim() !== "")
    .map((v) => {
      const named = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(v);
      return named ? { Name: named[1]!.trim(), Address: named[2]!.trim() } : { Name: "", Address: v.trim() };
    });
}

/** Mailpit's search syntax, the part worth having here: `to:`, `from:`, `subject:`, free words; all must match. */
function matcher(query: string): (mail: CaughtMail) => boolean {
  const terms = [...query.matchAll(/(\w+:)?(?:"([^"]*)"|(\S+))/g)].map(([, field, quoted, bare]) => ({
    field: field?.slice(0, -1).toLowerCase(),
    value: (quoted ?? bare ?? "").toLowerCase(),
  }));
  const joined = (list: Address[]) => list.map((a) => `${a.Name} <${a.Address}>`).join(", ").toLowerCase();
  return (mail) =>
    terms.every(({ field, value }) => {
      if (field === "to") return joined([...mail.To, ...mail.Cc, ...mail.Bcc]).includes(value);
      if (field === "from") return joined([mail.From]).includes(value);
      if (field === "subject") return mail.Subject.toLowerCase().includes(value);
      return `${mail.Subject}\n${mail.Text}\n${joined(mail.To)}\n${joined([mail.From])}`.toLowerCase().includes(value);
    });
}

function listing(messages: CaughtMail[], url: URL) {
  const start = Math.max(0, Number(url.searchParams.get("start")) || 0);
  const limit = Math.max(1, Number(url.searchParams.get("limit")) || 50);
  const page = messages.slice(start, start + limit);
  return {
    total: messages.length,
    unread: messages.filter((m) => !m.Read).length,
    count: page.length,
    messages_count: messages.length,
    start,
    tags: [],
    messages: page.map((m) => ({
      ID: m.ID,
      MessageID: m.MessageID,
      Read: m.Read,
      From: m.From,
      To: m.To,
      Cc: m.Cc,
      Bcc: m.Bcc,
      ReplyTo: m.ReplyTo,
      Subject: m.Subject,
      Created: m.Created,
      Tags: [],
      Size: m.Size,
      Attachments: 0,
      Snippet: m.Text.replace(/\s+/g, " ").trim().slice(0, 250),
    })),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("body larger than 1 MiB");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(body);
}

function html(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(body);
}

const esc = (value: string) => value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const who = (list: Address[]) => list.map((a) => (a.Name ? `${a.Name} <${a.Address}>` : a.Address)).join(", ");

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 1.5rem;line-height:1.45;color:#1f2328}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.5rem;border-bottom:1px solid #d0d7de}
a{color:#0b57d0;word-break:break-all}pre{white-space:pre-wrap;background:#f6f8fa;padding:1rem;border-radius:6px}
iframe{width:100%;height:32rem;border:1px solid #d0d7de;border-radius:6px}.muted{color:#59636e}
</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function indexPage(messages: CaughtMail[]): string {
  const rows = messages
    .map((m) => {
      const links = linksOf(m)
        .map((link) => `<li><a href="${esc(link)}">${esc(link)}</a></li>`)
        .join("");
      return `<tr>
<td class="muted"><time datetime="${esc(m.Created)}">${esc(m.Created.replace("T", " ").slice(0, 19))}</time></td>
<td>${esc(who(m.To))}</td>
<td><a href="/view/${esc(m.ID)}">${esc(m.Subject)}</a>${links ? `<ul>${links}</ul>` : ""}</td>
</tr>`;
    })
    .join("\n");
  return page(
    `Mail catcher (${messages.length})`,
    `<h1>Mail catcher</h1>
<p class="muted">Mail the Worker sent in development, newest first, kept in memory until the dev server stops. <a href="/">Refresh</a></p>
${
  messages.length
    ? `<table><thead><tr><th scope="col">Received (UTC)</th><th scope="col">To</th><th scope="col">Subject and links</th></tr></thead><tbody>
${rows}
</tbody></table>
<form method="post" action="/clear"><p><button type="submit">Delete all messages</button></p></form>`
    : "<p>No messages yet.</p>"
}`,
  );
}

function messagePage(mail: CaughtMail): string {
  const links = linksOf(mail)
    .map((link) => `<li><a href="${esc(link)}">${esc(link)}</a></li>`)
    .join("");
  return page(
    mail.Subject,
    `<p><a href="/">All messages</a></p>
<h1>${esc(mail.Subject)}</h1>
<dl>
<dt>From</dt><dd>${esc(who([mail.From]))}</dd>
<dt>To</dt><dd>${esc(who(mail.To))}</dd>
<dt>Received (UTC)</dt><dd>${esc(mail.Created)}</dd>
</dl>
${links ? `<h2>Links</h2><ul>${links}</ul>` : ""}
<h2>Text</h2>
<pre>${esc(mail.Text)}</pre>
${mail.HTML ? `<h2>HTML</h2><iframe title="HTML version" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${esc(mail.HTML)}"></iframe>` : ""}`,
  );
}

/** One line per message for a terminal: subject, recipient, then its links. */
export function describeMail(mail: CaughtMail): string {
  return [`mail: "${mail.Subject}" to ${who(mail.To)}`, ...linksOf(mail).map((link) => `      ${link}`)].join("\n");
}

/** MAIL_PORT, else `fallback` (`npm run dev`: the port after the Worker's; `npm run mail`: Mailpit's usual 8025). */
export function mailPort(env: NodeJS.ProcessEnv = process.env, fallback = 8025): number {
  const port = Number(env.MAIL_PORT || fallback);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error("MAIL_PORT must be a port number");
  return port;
}
