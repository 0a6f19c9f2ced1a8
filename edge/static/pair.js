// The pairing form: the code goes to POST /device/pair once; the answer sets the device
// cookie (HttpOnly: this script never sees it) and the page reloads as a paired device.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("page-config").textContent);
  const form = document.getElementById("pair-form");
  const input = document.getElementById("pair-code");
  const error = document.getElementById("pair-error");

  function t(key, values) {
    const text = config.messages[key] || key;
    return text.replace(/\{(\w+)\}/g, (m, name) => (values && name in values ? values[name] : m));
  }

  document.documentElement.lang = config.locale;
  document.title = t("page.pair.title");
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    error.textContent = "";
    try {
      const res = await fetch("/device/pair", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ code: input.value }), credentials: "same-origin",
      });
      if (res.ok) { location.reload(); return; }
      error.textContent = res.status === 429 ? t("page.pair.rate_limited")
        : res.status === 400 ? t("page.pair.invalid")
          : t("page.pair.failed", { error: "HTTP " + res.status });
    } catch (err) {
      error.textContent = t("page.pair.failed", { error: err.message });
    }
    button.disabled = false;
    input.select();
  });
  input.focus();
})();
