import type { MailMessage } from "./mailer";

/** The mails this service sends; also the `kind` in mail_failed log lines. */
export type MailKind = "verify-email" | "reset-password" | "change-email" | "delete-account" | "sign-in-code" | "magic-link";

export interface LinkMail {
  to: string;
  /** The link with its token, as better-auth built it (empty for a mail that carries a code). */
  url: string;
  /** A one-time code to type in, for mails that carry a code instead of a link. */
  code?: string;
  /** How long the link works, in seconds. */
  expiresIn: number;
  /** Who is writing: the host of the public URL, e.g. `auth.example.com`. */
  site: string;
}

interface Content {
  subject: string;
  /** Paragraphs before the link. */
  intro: string[];
  /** Text of the link (or the line before the code): says what it does. */
  action: string;
  /** Paragraphs after the link. */
  outro: string[];
}

const TEMPLATES: Record<MailKind, (mail: LinkMail) => Content> = {
  "verify-email": ({ site, expiresIn }) => ({
    subject: "Verify your email address",
    intro: [`Someone, hopefully you, created an account at ${site} with this email address.`],
    action: "Verify my email address",
    outro: [`The link works for ${humanDuration(expiresIn)}. If you did not create this account, ignore this email.`],
  }),
  "reset-password": ({ site, expiresIn }) => ({
    subject: "Reset your password",
    intro: [`Someone, hopefully you, asked to reset the password of your account at ${site}.`],
    action: "Choose a new password",
    outro: [
      `The link works once, for ${humanDuration(expiresIn)}. Setting a new password signs you out on every device.`,
      "If you did not ask for this, ignore this email: your password stays as it is.",
    ],
  }),
  "change-email": ({ site, expiresIn }) => ({
    subject: "Confirm your new email address",
    intro: [
      `Someone, hopefully you, asked to change the email address of an account at ${site} to this address.`,
      "Nothing changes until you open the link.",
    ],
    action: "Confirm my new email address",
    outro: [`The link works for ${humanDuration(expiresIn)}. If you did not ask for this, ignore this email.`],
  }),
  "delete-account": ({ site, expiresIn }) => ({
    subject: "Confirm deleting your account",
    intro: [
      `Someone signed in to your account at ${site} asked to delete it.`,
      "Deleting it removes your account and everything stored with it, and signs you out on every device. It cannot be undone.",
    ],
    action: "Delete my account",
    outro: [
      `Open the link in the browser where you are signed in. It works once, for ${humanDuration(expiresIn)}.`,
      "If you did not ask for this, ignore this email and change your password.",
    ],
  }),
  "sign-in-code": ({ site, expiresIn }) => ({
    subject: "Your sign-in code",
    intro: [`Someone, hopefully you, asked to sign in to ${site} with this email address.`],
    action: "Your sign-in code",
    outro: [
      `The code works once, for ${humanDuration(expiresIn)}. Never give it to anyone: ${site} will never ask you for it.`,
      "If you did not ask for this, ignore this email.",
    ],
  }),
  "magic-link": ({ site, expiresIn }) => ({
    subject: "Your sign-in link",
    intro: [`Someone, hopefully you, asked to sign in to ${site} with this email address.`],
    action: "Sign me in",
    outro: [
      `The link works once, for ${humanDuration(expiresIn)}. If you did not ask for this, ignore this email.`,
    ],
  }),
};

/** The plain-text and HTML versions of one mail, saying the same thing. */
export function composeMail(kind: MailKind, mail: LinkMail): MailMessage {
  const { subject, intro, action, outro } = TEMPLATES[kind](mail);
  const text = [subject, ...intro, `${action}:\n${mail.code ?? mail.url}`, ...outro].join("\n\n") + "\n";
  const url = escapeHtml(mail.url);
  const actionHtml =
    mail.code !== undefined
      ? `<p>${escapeHtml(action)}:</p>
<p style="margin:24px 0;font-size:32px;font-weight:700;letter-spacing:6px;font-family:ui-monospace,monospace">${escapeHtml(mail.code)}</p>`
      : `<p style="margin:24px 0"><a href="${url}" style="display:inline-block;padding:12px 20px;border-radius:6px;background:#0b57d0;color:#ffffff;font-weight:600;text-decoration:none">${escapeHtml(action)}</a></p>
<p>If the button does not work, copy this address into your browser:<br><a href="${url}" style="color:#0b57d0;word-break:break-all">${url}</a></p>`;
  const paragraphs = (lines: string[]) => lines.map((line) => `<p>${escapeHtml(line)}</p>`).join("\n");
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(subject)}</title>
</head>
<body style="margin:0;padding:24px;background:#ffffff;color:#1f2328;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:16px;line-height:1.5">
<main style="max-width:560px;margin:0 auto">
<h1 style="font-size:22px;margin:0 0 16px">${escapeHtml(subject)}</h1>
${paragraphs(intro)}
${actionHtml}
${paragraphs(outro)}
</main>
</body>
</html>
`;
  return { to: mail.to, subject, text, html };
}

/** 3600 → "1 hour", 5400 → "90 minutes", 86400 → "24 hours". */
export function humanDuration(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (seconds % 86_400 === 0 && seconds > 86_400) return plural(seconds / 86_400, "day");
  if (seconds % 3_600 === 0) return plural(seconds / 3_600, "hour");
  if (seconds % 60 === 0) return plural(seconds / 60, "minute");
  return plural(seconds, "second");
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
