import type { MailConfig } from "../config";
import { MailError, type Mailer } from "./mailer";

// waitUntil work may run for 30 s after the response; a hung provider must not
// use all of it.
const TIMEOUT_MS = 10_000;

/**
 * Resend's API (`POST {EMAIL_API_URL}/emails`, bearer key), which other
 * providers and the dev mail catcher also speak.
 */
export function httpTransport(config: MailConfig): Mailer {
  return {
    transport: "http",
    async send(message) {
      if (!config.apiUrl) throw new MailError("EMAIL_API_URL is not set");
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
      let response: Response;
      try {
        response = await fetch(`${config.apiUrl}/emails`, {
          method: "POST",
          headers,
          body: JSON.stringify({ from: config.from, to: [message.to], subject: message.subject, text: message.text, html: message.html }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (err) {
        const timedOut = err instanceof Error && err.name === "TimeoutError";
        throw new MailError(timedOut ? `no answer from the provider within ${TIMEOUT_MS / 1000} s` : "could not reach the provider");
      }
      // The body is not logged: a provider may echo the message back in it.
      await response.body?.cancel();
      if (!response.ok) throw new MailError(`provider answered ${response.status}`);
    },
  };
}
