import type { Child, FC } from "hono/jsx";

export const SITE_NAME = "edge-auth";

/** A message for the whole form, or one tied to a field by its name. */
export interface FormError {
  field?: string;
  message: string;
}

export const Layout: FC<{ title: string; signedIn?: boolean; children: Child }> = ({ title, signedIn, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="same-origin" />
      <title>{`${title} · ${SITE_NAME}`}</title>
      <link rel="stylesheet" href="/assets/pages.css" />
      <script src="/assets/pages.js" defer></script>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <a class="brand" href="/">
          {SITE_NAME}
        </a>
        <nav aria-label="Account">
          {signedIn ? (
            <form method="post" action="/sign-out" class="inline">
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          ) : (
            <>
              <a href="/sign-in">Sign in</a> <a href="/sign-up">Create account</a>
            </>
          )}
          {" "}
          <a href="/api/docs">API</a>
        </nav>
      </header>
      <main id="main" tabindex={-1}>
        <h1>{title}</h1>
        {children}
      </main>
    </body>
  </html>
);

/** Errors not tied to a field, announced when the page loads (role=alert is aria-live=assertive). */
export const FormErrors: FC<{ errors: FormError[]; id: string }> = ({ errors, id }) => {
  const general = errors.filter((e) => !e.field);
  return (
    <div id={`${id}-errors`} class="errors" role="alert" aria-live="assertive">
      {general.map((e) => (
        <p>{e.message}</p>
      ))}
    </div>
  );
};

export interface FieldProps {
  form: string;
  name: string;
  label: string;
  type?: "text" | "email" | "password" | "hidden";
  autocomplete?: string;
  value?: string;
  required?: boolean;
  minlength?: number;
  maxlength?: number;
  hint?: string;
  errors: FormError[];
}

/** A labelled input; its error is linked with aria-describedby and marks it aria-invalid. */
export const Field: FC<FieldProps> = (p) => {
  const id = `${p.form}-${p.name}`;
  const error = p.errors.find((e) => e.field === p.name);
  const describedBy = [p.hint ? `${id}-hint` : "", `${id}-error`].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      {p.hint ? (
        <p id={`${id}-hint`} class="hint">
          {p.hint}
        </p>
      ) : null}
      <input
        id={id}
        name={p.name}
        type={p.type ?? "text"}
        autocomplete={p.autocomplete}
        value={p.value}
        required={p.required ?? true}
        minlength={p.minlength}
        maxlength={p.maxlength}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy}
      />
      <p id={`${id}-error`} class="field-error" aria-live="polite">
        {error?.message ?? ""}
      </p>
    </div>
  );
};

/** A notice shown after a redirect (what just happened), announced politely. */
export const Notice: FC<{ text?: string }> = ({ text }) =>
  text ? (
    <p class="notice" role="status">
      {text}
    </p>
  ) : null;
