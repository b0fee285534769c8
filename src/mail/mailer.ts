import type { MailConfig } from "../config";

/** One composed mail to one recipient; `from` comes from the config. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A way out for mail: the HTTP API of a provider, or Cloudflare's send_email binding. */
export interface Mailer {
  readonly transport: MailConfig["transport"];
  /** Resolves once the provider accepted the message; rejects with a MailError otherwise. */
  send(message: MailMessage): Promise<void>;
}

/**
 * A failed delivery. The message is written to be logged: it says what went
 * wrong with the provider and never carries the mail's content or recipient.
 */
export class MailError extends Error {
  override readonly name = "MailError";
}
