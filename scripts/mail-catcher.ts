// `npm run mail` : the dev mail catcher on its own (`npm run dev` starts one
// itself). Listens on 127.0.0.1:8025, or MAIL_PORT.
import { describeMail, mailPort, startMailCatcher } from "./lib/mail-catcher";

let port: number;
try {
  port = mailPort();
} catch (err) {
  console.error(`mail: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}

try {
  const catcher = await startMailCatcher({ port, onMessage: (mail) => console.log(describeMail(mail)) });
  console.log(`mail: catching mail at ${catcher.url} (open it in a browser; Mailpit-style API under /api/v1)`);
  const stop = () => void catcher.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (err) {
  const inUse = (err as { code?: unknown }).code === "EADDRINUSE";
  console.error(`mail: cannot listen on 127.0.0.1:${port}${inUse ? " (in use; set MAIL_PORT to another port)" : ""}`);
  process.exit(1);
}
