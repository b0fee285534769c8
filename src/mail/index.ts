import type { MailConfig } from "../config";
import { cloudflareTransport } from "./cloudflare";
import { httpTransport } from "./http";
import { MailError, type Mailer, type MailMessage } from "./mailer";

export { MailError, type Mailer, type MailMessage } from "./mailer";

/** What the mail path needs from the Worker's env besides the parsed config. */
export interface MailBindings {
  /** The `[[send_email]]` binding, used when EMAIL_TRANSPORT=cloudflare. */
  EMAIL?: SendEmail;
}

export function createMailer(config: MailConfig, bindings: MailBindings): Mailer {
  return config.transport === "cloudflare" ? cloudflareTransport(config, bindings.EMAIL) : httpTransport(config);
}

/**
 * Sends after the response: the caller never waits for the provider, and a
 * provider failure becomes one log line (kind, transport, reason; never the
 * recipient, the link or its token) instead of a failed request.
 */
export function sendInBackground(waitUntil: (promise: Promise<unknown>) => void, mailer: Mailer, kind: string, message: MailMessage) {
  waitUntil(
    mailer.send(message).catch((err: unknown) => {
      const reason = err instanceof MailError ? err.message : err instanceof Error ? err.name : "unknown error";
      console.error(`mail_failed: ${kind} via ${mailer.transport}: ${reason}`);
    }),
  );
}
