import { app } from "./app";
import { runScheduled } from "./jobs";

export default {
  fetch: app.fetch,
  scheduled: runScheduled,
} satisfies ExportedHandler<Env>;
