// The pages' only stylesheet and script, served by the Worker from
// /assets/pages.css and /assets/pages.js (same origin, so the pages' CSP
// needs no 'unsafe-inline'). The script is optional everywhere except the
// reset form, which needs it to read the token from the URL fragment.

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
  // Take keyboard and screen-reader users to the first field in error.
  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
})();
`;
