import { createMiddleware } from "hono/factory";
import { loadConfig } from "../config";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";

/** Puts the validated config on `c.var.config`, or answers 500 config_invalid. */
export const withConfig = createMiddleware<AppEnv>(async (c, next) => {
  const result = loadConfig(c.env);
  if (!result.ok) return errorResponse(c, 500, "config_invalid", result.error.message);
  c.set("config", result.config);
  await next();
});
