// The passkey (WebAuthn) ceremonies of the MyPatients accounts pages. A button with
// data-passkey="create" or "get" asks its data-begin URL for the ceremony's options (posting
// its form), runs navigator.credentials, and posts the result to data-finish (with the form's
// fields in the query); the answer says where to go next. The page works without it for
// everything but passkeys.
"use strict";
for (const button of document.querySelectorAll("button[data-passkey]")) {
  button.addEventListener("click", async () => {
    const status = document.getElementById("passkey-status");
    const fields = new URLSearchParams(new FormData(button.form));
    try {
      if (!window.PublicKeyCredential) throw new Error("This browser does not support passkeys.");
      const begin = await fetch(button.dataset.begin, { method: "POST", body: fields, credentials: "same-origin" });
      const options = await begin.json();
      if (!begin.ok) throw new Error(options.message || "The passkey could not be started.");
      const credential = button.dataset.passkey === "create"
        ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey) })
        : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey) });
      const finish = await fetch(button.dataset.finish + "?" + fields.toString(), {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(credential.toJSON()), credentials: "same-origin",
      });
      const answer = await finish.json();
      if (!finish.ok) throw new Error(answer.message || "The passkey was not accepted.");
      window.location.assign(answer.redirect);
    } catch (err) {
      status.textContent = err.message || "The passkey did not work.";
    }
  });
}
