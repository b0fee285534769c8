// The pages' only stylesheet and script, served by the Worker from
// /assets/pages.css and /assets/pages.js (same origin, so the pages' CSP
// needs no 'unsafe-inline'). The script is optional everywhere except the
// reset form, which needs it to read the token from the URL fragment, and
// passkeys, which need the browser's WebAuthn API (the forms for them stay
// hidden without it).

export const PAGES_CSS = `:root{color-scheme:light;--fg:#1f2328;--muted:#4b5563;--accent:#0b57d0;--danger:#b3261e;--ok:#146c2e;--line:#d0d7de}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.75rem 1.25rem;border-bottom:1px solid var(--line)}
header nav{display:flex;gap:1rem;align-items:center}
.brand{font-weight:700;text-decoration:none;color:var(--fg)}
main{max-width:36rem;margin:0 auto;padding:1.5rem 1.25rem 4rem}
main:focus{outline:none}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:2rem 0 .75rem}
a{color:var(--accent)}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}
.field{margin:0 0 1rem}
label{display:block;font-weight:600;margin:0 0 .25rem}
.checkbox{display:grid;grid-template-columns:auto 1fr;gap:.5rem;align-items:center}
.checkbox label{margin:0;font-weight:400}
.checkbox .field-error{grid-column:1/-1}
input[type=text],input[type=email],input[type=password]{width:100%;padding:.6rem .7rem;font:inherit;border:1px solid #6b7280;border-radius:6px}
input[aria-invalid=true]{border-color:var(--danger);border-width:2px}
.hint{margin:0 0 .35rem;color:var(--muted);font-size:.9rem}
.field-error{margin:.25rem 0 0;color:var(--danger);font-size:.9rem}
.field-error:empty{display:none}
.errors p{margin:0 0 1rem;padding:.6rem .8rem;border-left:4px solid var(--danger);background:#fdecea;color:#7a1712}
.notice{padding:.6rem .8rem;border-left:4px solid var(--ok);background:#e7f5ea;color:#0b3d1a}
button{font:inherit;font-weight:600;padding:.6rem 1.1rem;border-radius:6px;border:2px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:var(--danger);border-color:var(--danger)}
button.link{background:none;border:none;color:var(--accent);text-decoration:underline;padding:0;font-weight:400}
:focus-visible{outline:3px solid #1f2328;outline-offset:2px}
form.inline{display:inline}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{font-weight:600}dd{margin:0}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;border:1px solid #6b7280;font-size:.85rem;color:#374151}
.badge.ok{border-color:var(--ok);color:var(--ok)}
.sessions{list-style:none;padding:0;margin:0 0 1rem}
.sessions li{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.6rem 0;border-bottom:1px solid var(--line)}
.sessions li>span{flex:1;min-width:0;overflow-wrap:anywhere}
.sessions li>*:last-child{flex-shrink:0;white-space:nowrap}
small{color:var(--muted)}
.passkey-sign-in{margin:1rem 0}
.secret{display:block;overflow-wrap:anywhere;padding:.5rem;background:#f6f8fa;border:1px solid var(--line)}
.codes{columns:2;font-size:1.05rem}
`;

export const PAGES_JS = `(function () {
  // Reset link: the token is in the fragment (#token=...), which never
  // reaches a server. Move it into the form and out of the address bar.
  var form = document.querySelector("form[data-reset-token-form]");
  if (form && location.hash.length > 1) {
    var token = new URLSearchParams(location.hash.slice(1)).get("token");
    if (token) form.elements.namedItem("token").value = token;
    history.replaceState(null, "", location.pathname + location.search);
  }
  // Passkeys (WebAuthn) need the browser's navigator.credentials: the forms
  // that use them are shown only where it exists. The API speaks WebAuthn's
  // JSON (binary fields as base64url); the browser wants ArrayBuffers.
  if (window.PublicKeyCredential && navigator.credentials) {
    var enc = function (buf) {
      var s = "", a = new Uint8Array(buf);
      for (var i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
      return btoa(s).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    };
    var dec = function (str) {
      var s = atob(str.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((str.length + 3) % 4));
      var a = new Uint8Array(s.length);
      for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
      return a.buffer;
    };
    var ids = function (list) {
      (list || []).forEach(function (c) { c.id = dec(c.id); });
    };
    var api = function (path, body) {
      var init = body ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {};
      init.credentials = "same-origin";
      return fetch(path, init).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) throw new Error(r.status === 429 ? "Too many attempts. Wait a minute and try again." : j.message || "That did not work.");
          return j;
        });
      });
    };
    var asJSON = function (c) {
      var r = c.response;
      var out = { id: c.id, rawId: enc(c.rawId), type: c.type, clientExtensionResults: c.getClientExtensionResults(), response: { clientDataJSON: enc(r.clientDataJSON) } };
      if (c.authenticatorAttachment) out.authenticatorAttachment = c.authenticatorAttachment;
      if (r.attestationObject) {
        out.response.attestationObject = enc(r.attestationObject);
        out.response.transports = r.getTransports ? r.getTransports() : [];
      } else {
        out.response.authenticatorData = enc(r.authenticatorData);
        out.response.signature = enc(r.signature);
        if (r.userHandle) out.response.userHandle = enc(r.userHandle);
      }
      return out;
    };
    var failed = function (box, button) {
      return function (e) {
        button.disabled = false;
        var p = document.createElement("p");
        p.textContent = e && e.name === "NotAllowedError" ? "No passkey was used. Try again, or use another way." : (e && e.message) || "That did not work.";
        box.replaceChildren(p);
      };
    };
    document.querySelectorAll("[data-passkey]").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll("[data-passkey-unsupported]").forEach(function (el) { el.hidden = true; });
    var reg = document.querySelector("form[data-passkey-register]");
    if (reg) reg.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = reg.querySelector("button");
      button.disabled = true;
      api("/api/auth/passkey/generate-register-options").then(function (o) {
        o.challenge = dec(o.challenge);
        o.user.id = dec(o.user.id);
        ids(o.excludeCredentials);
        return navigator.credentials.create({ publicKey: o });
      }).then(function (c) {
        var name = reg.elements.namedItem("name").value.trim();
        return api("/api/auth/passkey/verify-registration", { name: name || undefined, response: asJSON(c) });
      }).then(function () { location.assign("/account?done=passkey-added"); }, failed(reg.querySelector("[role=alert]"), button));
    });
    var signIn = document.querySelector("button[data-passkey-sign-in]");
    if (signIn) signIn.addEventListener("click", function () {
      signIn.disabled = true;
      api("/api/auth/passkey/generate-authenticate-options").then(function (o) {
        o.challenge = dec(o.challenge);
        ids(o.allowCredentials);
        return navigator.credentials.get({ publicKey: o });
      }).then(function (c) {
        return api("/api/auth/passkey/verify-authentication", { response: asJSON(c) });
      }).then(function () { location.assign("/account"); }, failed(document.getElementById("passkey-errors"), signIn));
    });
  }
  // Take keyboard and screen-reader users to the first field in error.
  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
})();
`;
