import type { MailConfig } from "../config";
import { MailError, type Mailer } from "./mailer";

/**
 * Cloudflare Email Service through the `[[send_email]]` binding. The From
 * domain must be onboarded to Email Service; `wrangler dev` simulates the
 * binding locally and prints what it would have sent.
 */
export function cloudflareTransport(config: MailConfig, binding: SendEmail | undefined): Mailer {
  return {
    transport: "cloudflare",
    async send(message) {
      if (!binding) throw new MailError("no send_email binding named EMAIL (wrangler.toml [[send_email]])");
      try {
        await binding.send({ from: config.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
      } catch (err) {
        // The binding's errors carry a code (E_SENDER_NOT_VERIFIED, ...) worth
        // keeping; its message may quote addresses, so it is dropped.
        const code = (err as { code?: unknown } | null)?.code;
        throw new MailError(`send_email failed${typeof code === "string" ? ` (${code})` : ""}`);
      }
    },
  };
}
