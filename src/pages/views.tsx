import type { FC } from "hono/jsx";
import { Field, FormErrors, Layout, Notice, type FormError } from "./layout";

const PASSWORD = { minlength: 8, maxlength: 128 };

export const SignInPage: FC<{ email?: string; errors?: FormError[]; notice?: string; providers?: { id: string; name: string }[] }> = ({
  email,
  errors = [],
  notice,
  providers = [],
}) => (
  <Layout title="Sign in">
    <Notice text={notice} />
    <form method="post" action="/sign-in" novalidate aria-describedby="sign-in-errors">
      <FormErrors id="sign-in" errors={errors} />
      <Field form="sign-in" name="email" label="Email address" type="email" autocomplete="username" value={email} errors={errors} maxlength={254} />
      <Field form="sign-in" name="password" label="Password" type="password" autocomplete="current-password" errors={errors} maxlength={PASSWORD.maxlength} />
      <button type="submit">Sign in</button>
    </form>
    {providers.map((provider) => (
      <form method="post" action="/sign-in/social">
        <input type="hidden" name="provider" value={provider.id} />
        <button type="submit" class="secondary">
          Sign in with {provider.name}
        </button>
      </form>
    ))}
    <div class="passkey-sign-in" data-passkey hidden>
      <div id="passkey-errors" class="errors" role="alert" aria-live="assertive"></div>
      <button type="button" class="secondary" data-passkey-sign-in>
        Sign in with a passkey
      </button>
    </div>
    <p>
      <a href="/sign-in/email">Sign in with an emailed code or link</a>
    </p>
    <p>
      <a href="/forgot-password">Forgot your password?</a>
    </p>
    <p>
      New here? <a href="/sign-up">Create an account</a>, or try it without one:
    </p>
    <form method="post" action="/try">
      <button type="submit" class="secondary">
        Try without an account
      </button>
    </form>
  </Layout>
);

/** Sign-in without a password: ask for a code or a link, then enter the code. */
export const EmailSignInPage: FC<{ email?: string; codeSent?: boolean; errors?: FormError[] }> = ({ email, codeSent, errors = [] }) => (
  <Layout title={codeSent ? "Enter the code from your mail" : "Sign in with your email"}>
    {codeSent ? (
      <>
        <p role="status">If the address can sign in, we have mailed it a 6-digit code. It works for 10 minutes.</p>
        <form method="post" action="/sign-in/email/code" novalidate aria-describedby="email-code-errors">
          <FormErrors id="email-code" errors={errors} />
          <input type="hidden" name="email" value={email} />
          <Field form="email-code" name="otp" label="Code" autocomplete="one-time-code" hint={`Sent to ${email}.`} errors={errors} maxlength={6} />
          <button type="submit">Sign in</button>
        </form>
        <p>
          <a href="/sign-in/email">Use another address, or ask again</a>
        </p>
      </>
    ) : (
      <form method="post" action="/sign-in/email" novalidate aria-describedby="email-sign-in-errors">
        <FormErrors id="email-sign-in" errors={errors} />
        <Field form="email-sign-in" name="email" label="Email address" type="email" autocomplete="email" value={email} errors={errors} maxlength={254} />
        <p>
          <button type="submit" name="how" value="code">
            Mail me a code
          </button>{" "}
          <button type="submit" name="how" value="link" class="secondary">
            Mail me a sign-in link
          </button>
        </p>
      </form>
    )}
    <p>
      <a href="/sign-in">Sign in with a password instead</a>
    </p>
  </Layout>
);

const TrustDevice: FC<{ form: string }> = ({ form }) => (
  <div class="field checkbox">
    <input id={`${form}-trust`} name="trustDevice" type="checkbox" value="yes" />
    <label for={`${form}-trust`}>Trust this device: do not ask for a code here for a while</label>
  </div>
);

/** The second step of a sign-in with two-factor on: a code from the app, or a backup code. */
export const TwoFactorPage: FC<{ errors?: FormError[]; errorForm?: string }> = ({ errors = [], errorForm }) => {
  const of = (form: string) => (errorForm === form ? errors : []);
  return (
    <Layout title="Enter your second factor">
      <form method="post" action="/two-factor" novalidate aria-describedby="totp-errors">
        <FormErrors id="totp" errors={of("totp")} />
        <Field form="totp" name="code" label="Code from your authenticator app" autocomplete="one-time-code" hint="6 digits; it changes every 30 seconds." errors={of("totp")} maxlength={6} />
        <TrustDevice form="totp" />
        <button type="submit">Continue</button>
      </form>
      <h2>Lost your phone?</h2>
      <form method="post" action="/two-factor/backup" novalidate aria-describedby="backup-errors">
        <FormErrors id="backup" errors={of("backup")} />
        <Field form="backup" name="code" label="Backup code" autocomplete="off" hint="One of the ten codes you saved; each works once." errors={of("backup")} maxlength={40} />
        <TrustDevice form="backup" />
        <button type="submit" class="secondary">
          Use a backup code
        </button>
      </form>
      <p>
        <a href="/sign-in">Start again</a>
      </p>
    </Layout>
  );
};

export const SignUpPage: FC<{ name?: string; email?: string; errors?: FormError[]; upgrade?: boolean }> = ({
  name,
  email,
  errors = [],
  upgrade,
}) => (
  <Layout title={upgrade ? "Keep your work: create an account" : "Create an account"} signedIn={upgrade}>
    <SignUpForm name={name} email={email} errors={errors} />
    {upgrade ? null : (
      <p>
        Already have an account? <a href="/sign-in">Sign in</a>
      </p>
    )}
  </Layout>
);

export const SignUpForm: FC<{ name?: string; email?: string; errors: FormError[] }> = ({ name, email, errors }) => (
  <form method="post" action="/sign-up" novalidate aria-describedby="sign-up-errors">
    <FormErrors id="sign-up" errors={errors} />
    <Field form="sign-up" name="name" label="Name" autocomplete="name" value={name} errors={errors} maxlength={200} />
    <Field form="sign-up" name="email" label="Email address" type="email" autocomplete="email" value={email} errors={errors} maxlength={254} />
    <Field
      form="sign-up"
      name="password"
      label="Password"
      type="password"
      autocomplete="new-password"
      hint="At least 8 characters."
      errors={errors}
      {...PASSWORD}
    />
    <button type="submit">Create account</button>
  </form>
);

const CHECK_MAIL: Record<string, { title: string; text: string }> = {
  "sign-up": {
    title: "Check your mail",
    text: "If the address can be registered, we have sent it a link. Open it to verify your address and sign in.",
  },
  verify: {
    title: "Check your mail",
    // A resent link keeps no password set before verification (src/auth/hooks.ts).
    text: "We have sent a new verification link. Open it to verify your address, then choose your password.",
  },
  reset: {
    title: "Check your mail",
    text: "If an account has this address, we have sent it a link to choose a new password. It works once.",
  },
  "change-email": {
    title: "Confirm your new address",
    text: "We have sent a link to the new address. Your address changes when you open it.",
  },
  "magic-link": {
    title: "Check your mail",
    text: "We have sent a sign-in link. Open it in this browser within 10 minutes; it works once.",
  },
  "delete-account": {
    title: "Confirm in your mail",
    text: "We have sent you a link. Open it in this browser to delete your account; nothing is deleted until then.",
  },
};

export const CheckMailPage: FC<{ reason: string }> = ({ reason }) => {
  const { title, text } = CHECK_MAIL[reason] ?? CHECK_MAIL["sign-up"]!;
  return (
    <Layout title={title}>
      <p role="status">{text}</p>
      <p>Nothing arrived after a few minutes? Look in your spam folder, or ask again in a minute.</p>
      <p>
        <a href="/">Back to the start</a>
      </p>
    </Layout>
  );
};

const VERIFY_ERRORS: Record<string, { title: string; text: string; resend: boolean }> = {
  TOKEN_EXPIRED: { title: "This link has expired", text: "Ask for a new one below.", resend: true },
  INVALID_TOKEN: { title: "This link does not work", text: "It may be incomplete. Ask for a new one below.", resend: true },
  TOKEN_ALREADY_USED: { title: "This link was already used", text: "Your address is verified: sign in.", resend: false },
  USER_NOT_FOUND: { title: "This link does not work", text: "No account matches it any more.", resend: false },
  INVALID_USER: { title: "This link is for another account", text: "Sign out first, then open it again.", resend: false },
};

export const VerifiedPage: FC<{ error?: string; emailChange?: boolean; errors?: FormError[]; email?: string }> = ({
  error,
  emailChange,
  errors = [],
  email,
}) => {
  if (!error) {
    return (
      <Layout title={emailChange ? "Your new address is confirmed" : "Your address is verified"}>
        <p role="status">{emailChange ? "Sign-ins and mail now use your new address." : "You are signed in."}</p>
        <p>
          <a href="/account">Go to your account</a>
        </p>
      </Layout>
    );
  }
  const known = VERIFY_ERRORS[error] ?? VERIFY_ERRORS.INVALID_TOKEN!;
  return (
    <Layout title={known.title}>
      <p role="alert">{known.text}</p>
      {known.resend ? (
        <form method="post" action="/verify/resend" novalidate aria-describedby="resend-errors">
          <FormErrors id="resend" errors={errors} />
          <Field form="resend" name="email" label="Email address" type="email" autocomplete="email" value={email} errors={errors} maxlength={254} />
          <button type="submit">Send a new link</button>
        </form>
      ) : (
        <p>
          <a href="/sign-in">Sign in</a>
        </p>
      )}
    </Layout>
  );
};

export const ForgotPasswordPage: FC<{ email?: string; errors?: FormError[] }> = ({ email, errors = [] }) => (
  <Layout title="Forgot your password?">
    <p>Enter your address and we will mail you a link to choose a new password.</p>
    <form method="post" action="/forgot-password" novalidate aria-describedby="forgot-errors">
      <FormErrors id="forgot" errors={errors} />
      <Field form="forgot" name="email" label="Email address" type="email" autocomplete="email" value={email} errors={errors} maxlength={254} />
      <button type="submit">Mail me a link</button>
    </form>
    <p>
      <a href="/sign-in">Back to sign in</a>
    </p>
  </Layout>
);

/**
 * The reset link carries its token in the URL fragment, which the browser
 * never sends; /assets/pages.js copies it into the hidden field and drops it
 * from the address bar. Posting the form sends it in the body only.
 */
export const ResetPasswordPage: FC<{ token?: string; errors?: FormError[]; verified?: boolean }> = ({ token, errors = [], verified }) => (
  <Layout title={verified ? "Choose your password" : "Choose a new password"}>
    {verified ? (
      <p>
        Your address is verified. A password set before it was verified no longer works: choose your own to sign in.
      </p>
    ) : null}
    <noscript>
      <p class="errors">This page needs JavaScript to read the code in your link.</p>
    </noscript>
    <form method="post" action="/reset-password" novalidate aria-describedby="reset-errors" data-reset-token-form>
      <FormErrors id="reset" errors={errors} />
      <input type="hidden" name="token" value={token ?? ""} />
      <Field
        form="reset"
        name="newPassword"
        label="New password"
        type="password"
        autocomplete="new-password"
        hint="At least 8 characters. Setting it signs you out on every device."
        errors={errors}
        {...PASSWORD}
      />
      <button type="submit">Set new password</button>
    </form>
    {errors.some((e) => e.field === "token") ? (
      <p>
        <a href="/forgot-password">Ask for a new link</a>
      </p>
    ) : null}
  </Layout>
);

export interface SessionRow {
  id: string;
  createdAt: string;
  userAgent?: string | null;
  ipAddress?: string | null;
  current: boolean;
}

export interface PasskeyRow {
  id: string;
  name?: string | null;
  createdAt?: string | null;
}

export interface AccountView {
  user: { email: string; name: string; emailVerified: boolean; tier: string; isAnonymous: boolean; twoFactorEnabled?: boolean | null };
  sessions: SessionRow[] | null;
  passkeys?: PasskeyRow[];
  /** Just after "enable": the URI for the app and the backup codes, shown once. */
  twoFactorSetup?: { totpURI: string; backupCodes: string[] };
  notice?: string;
  errors?: FormError[];
  /** Which form the errors belong to. */
  errorForm?: string;
}

export const AccountPage: FC<AccountView> = ({ user, sessions, passkeys = [], twoFactorSetup, notice, errors = [], errorForm }) => {
  const errorsOf = (form: string) => (errorForm === form ? errors : []);
  if (user.isAnonymous) {
    return (
      <Layout title="You are trying edge-auth" signedIn>
        <Notice text={notice} />
        <dl>
          <dt>Tier</dt>
          <dd data-testid="tier">{user.tier}</dd>
        </dl>
        <h2>Keep your work: create an account</h2>
        <SignUpForm errors={errorsOf("sign-up")} />
      </Layout>
    );
  }
  return (
    <Layout title="Your account" signedIn>
      <Notice text={notice} />
      <dl>
        <dt>Name</dt>
        <dd>{user.name}</dd>
        <dt>Email address</dt>
        <dd>
          <span data-testid="email">{user.email}</span>{" "}
          <span class={user.emailVerified ? "badge ok" : "badge"}>{user.emailVerified ? "verified" : "not verified"}</span>
        </dd>
        <dt>Tier</dt>
        <dd data-testid="tier">{user.tier}</dd>
      </dl>
      {user.emailVerified ? null : (
        <form method="post" action="/verify/resend">
          <input type="hidden" name="email" value={user.email} />
          <button type="submit" class="secondary">
            Mail me a verification link
          </button>
        </form>
      )}

      <section aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Signed-in devices</h2>
        <FormErrors id="sessions" errors={errorsOf("sessions")} />
        {sessions ? (
          <>
            <ul class="sessions">
              {sessions.map((s) => (
                <li data-testid="session">
                  <span>
                    {s.userAgent || "Unknown device"}
                    <br />
                    <small>Signed in {new Date(s.createdAt).toUTCString()}</small>
                  </span>
                  {s.current ? (
                    <strong class="badge ok">this device</strong>
                  ) : (
                    <form method="post" action="/account/sessions/revoke" class="inline">
                      <input type="hidden" name="id" value={s.id} />
                      <button type="submit" class="secondary" aria-label={`Sign out ${s.userAgent || "device"} signed in ${new Date(s.createdAt).toUTCString()}`}>
                        Sign out
                      </button>
                    </form>
                  )}
                </li>
              ))}
            </ul>
            {sessions.length > 1 ? (
              <form method="post" action="/account/sessions/revoke-others">
                <button type="submit" class="secondary">
                  Sign out every other device
                </button>
              </form>
            ) : null}
          </>
        ) : (
          <p>
            To see your devices, <a href="/sign-in">sign in again</a>: the list needs a recent sign-in.
          </p>
        )}
      </section>

      <section aria-labelledby="passkeys-heading">
        <h2 id="passkeys-heading">Passkeys</h2>
        <FormErrors id="passkeys" errors={errorsOf("passkeys")} />
        {passkeys.length ? (
          <ul class="sessions">
            {passkeys.map((k) => {
              const name = k.name || "Unnamed passkey";
              const added = k.createdAt ? new Date(k.createdAt).toUTCString() : "at an unknown time";
              return (
                <li data-testid="passkey">
                  <span>
                    {name}
                    <br />
                    <small>Added {added}</small>
                  </span>
                  <form method="post" action="/account/passkeys/delete" class="inline">
                    <input type="hidden" name="id" value={k.id} />
                    <button type="submit" class="secondary" aria-label={`Delete passkey ${name}, added ${added}`}>
                      Delete
                    </button>
                  </form>
                </li>
              );
            })}
          </ul>
        ) : (
          <p>No passkeys yet. A passkey signs you in with this device's screen lock or a security key, without a password.</p>
        )}
        <form data-passkey data-passkey-register hidden novalidate aria-describedby="passkey-add-errors">
          <div id="passkey-add-errors" class="errors" role="alert" aria-live="assertive"></div>
          <Field form="passkey" name="name" label="Name for the new passkey" autocomplete="off" hint="Optional, to tell your passkeys apart (say, Work laptop)." required={false} errors={[]} maxlength={100} />
          <button type="submit">Add a passkey</button>
        </form>
        <p data-passkey-unsupported>
          <small>Adding a passkey needs JavaScript and a browser that supports passkeys.</small>
        </p>
      </section>

      <section aria-labelledby="two-factor-heading">
        <h2 id="two-factor-heading">Two-factor sign-in</h2>
        <FormErrors id="two-factor" errors={errorsOf("two-factor")} />
        {twoFactorSetup ? (
          <>
            <p>Add this account to your authenticator app with the key below (most apps accept it as a setup link or let you type it), then enter the code it shows.</p>
            <p>
              <code data-testid="totp-uri" class="secret">{twoFactorSetup.totpURI}</code>
            </p>
            <p>Backup codes: keep them somewhere safe. Each signs you in once without the app; they are not shown again.</p>
            <ul class="codes" data-testid="backup-codes">
              {twoFactorSetup.backupCodes.map((code) => (
                <li>
                  <code>{code}</code>
                </li>
              ))}
            </ul>
            <form method="post" action="/account/two-factor/confirm" novalidate aria-describedby="two-factor-confirm-errors">
              <FormErrors id="two-factor-confirm" errors={errorsOf("two-factor-confirm")} />
              <Field form="two-factor-confirm" name="code" label="Code from your app" autocomplete="one-time-code" errors={errorsOf("two-factor-confirm")} maxlength={6} />
              <button type="submit">Turn on two-factor sign-in</button>
            </form>
          </>
        ) : user.twoFactorEnabled ? (
          <>
            <p>
              <span class="badge ok" data-testid="two-factor-state">on</span> Signing in with your password also asks for a code from your authenticator app.
            </p>
            <form method="post" action="/account/two-factor/disable" novalidate aria-describedby="two-factor-errors">
              <Field form="two-factor" name="password" label="Password" type="password" autocomplete="current-password" hint="Needed to turn two-factor sign-in off." errors={errorsOf("two-factor")} maxlength={128} />
              <button type="submit" class="danger">
                Turn off two-factor sign-in
              </button>
            </form>
          </>
        ) : (
          <>
            <p>
              <span class="badge" data-testid="two-factor-state">off</span> Ask for a code from an authenticator app after your password.
            </p>
            <form method="post" action="/account/two-factor/enable" novalidate aria-describedby="two-factor-errors">
              <Field form="two-factor" name="password" label="Password" type="password" autocomplete="current-password" hint="Needed to set up two-factor sign-in." errors={errorsOf("two-factor")} maxlength={128} />
              <button type="submit">Set up two-factor sign-in</button>
            </form>
          </>
        )}
      </section>

      <section aria-labelledby="password-heading">
        <h2 id="password-heading">Change password</h2>
        <form method="post" action="/account/password" novalidate aria-describedby="password-errors">
          <FormErrors id="password" errors={errorsOf("password")} />
          <Field form="password" name="currentPassword" label="Current password" type="password" autocomplete="current-password" errors={errorsOf("password")} maxlength={128} />
          <Field form="password" name="newPassword" label="New password" type="password" autocomplete="new-password" hint="At least 8 characters. Other devices are signed out." errors={errorsOf("password")} {...PASSWORD} />
          <button type="submit">Change password</button>
        </form>
      </section>

      <section aria-labelledby="email-heading">
        <h2 id="email-heading">Change email address</h2>
        <form method="post" action="/account/email" novalidate aria-describedby="email-errors">
          <FormErrors id="email" errors={errorsOf("email")} />
          <Field form="email" name="newEmail" label="New email address" type="email" autocomplete="email" hint="We mail a link to the new address; nothing changes until you open it." errors={errorsOf("email")} maxlength={254} />
          <button type="submit">Change email address</button>
        </form>
      </section>

      <section aria-labelledby="delete-heading">
        <h2 id="delete-heading">Delete account</h2>
        <p>This deletes your account and everything stored with it. It cannot be undone.</p>
        <form method="post" action="/account/delete" novalidate aria-describedby="delete-errors">
          <FormErrors id="delete" errors={errorsOf("delete")} />
          <div class="field checkbox">
            <input id="delete-confirm" name="confirm" type="checkbox" value="yes" required aria-describedby="delete-confirm-error" aria-invalid={errorsOf("delete").some((e) => e.field === "confirm") ? "true" : undefined} />
            <label for="delete-confirm">I want to delete my account</label>
            <p id="delete-confirm-error" class="field-error" aria-live="polite">
              {errorsOf("delete").find((e) => e.field === "confirm")?.message ?? ""}
            </p>
          </div>
          <button type="submit" class="danger">
            Delete my account
          </button>
        </form>
      </section>
    </Layout>
  );
};

export const GoodbyePage: FC = () => (
  <Layout title="Your account is deleted">
    <p role="status">Your account and its data are gone, and you are signed out on every device.</p>
    <p>
      <a href="/sign-up">Create a new account</a>
    </p>
  </Layout>
);

export const ProblemPage: FC<{ title: string; text: string }> = ({ title, text }) => (
  <Layout title={title}>
    <p role="alert">{text}</p>
    <p>
      <a href="/">Back to the start</a>
    </p>
  </Layout>
);
