// The clerk's page: prompts arrive over SSE (newest on top), "Done" and the counter
// services (one tap each) post back.
// No framework, no build step; data is only ever set through textContent.
// Every label comes from the store's locale (the page-config block the gateway fills in);
// times arrive already in the store's time zone (Prompt.created_at_local and the like).
// The page is served only to a paired device: every POST carries its CSRF token, and a
// clerk signs in here (staff id + PIN); the gateway puts that clerk on "Done".
"use strict";
(function () {
  const MAX_CARDS = 50;
  const list = document.getElementById("prompts");
  const empty = document.getElementById("empty");
  const conn = document.getElementById("conn");
  const template = document.getElementById("card-template");
  const config = JSON.parse(document.getElementById("page-config").textContent);
  const cards = new Map(); // prompt_id -> article
  let source = null;

  // The catalogue's text for key, its {name} fields filled from values.
  function t(key, values) {
    const text = config.messages[key] || key;
    return text.replace(/\{(\w+)\}/g, (m, name) => (values && name in values ? values[name] : m));
  }

  function translate(root) {
    for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  }

  function setConnection(state) {
    conn.dataset.state = state;
    conn.className = "conn conn-" + state;
    conn.textContent = t("page.connection." + state);
  }

  function money(minor, currency) {
    return (minor / 100).toFixed(2) + " " + (currency || "");
  }

  function fill(ul, items, text) {
    ul.replaceChildren();
    for (const item of items) {
      const li = document.createElement("li");
      li.textContent = text(item);
      ul.appendChild(li);
    }
    ul.closest("[data-block]").hidden = items.length === 0;
  }

  function markActed(card, state) {
    card.classList.add("acted");
    card.dataset.state = state;
    for (const b of card.querySelectorAll("button[data-action]")) b.disabled = true;
    const label = card.querySelector('[data-field="state"]');
    label.classList.remove("error");
    label.textContent = t("page.acted." + state);
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-StorePulse-CSRF": config.csrf_token },
      body: JSON.stringify(body || {}),
    });
  }

  // What a refused POST tells the clerk; null once the page is leaving (device revoked).
  function failure(res) {
    if (res.status === 401) { unpaired(); return null; }
    if (res.status === 403 && config.clerks.length && !config.clerk) {
      return new Error(t("page.clerk.sign_in_first"));
    }
    return new Error(t("page.retry", { error: "HTTP " + res.status }));
  }

  function showError(card, err) {
    const label = card.querySelector('[data-field="state"]');
    label.classList.add("error");
    label.textContent = err.message.startsWith("!") ? err.message
      : t("page.retry", { error: err.message });
  }

  async function act(card, action) {
    const buttons = card.querySelectorAll("button[data-action]");
    for (const b of buttons) b.disabled = true;
    try {
      const res = await post("/prompts/" + card.dataset.promptId + "/acted", { action: action });
      if (res.status === 202 || res.status === 409) {
        const state = res.status === 202 ? (await res.json()).state : action;
        markActed(card, state);
        return;
      }
      const err = failure(res);
      if (err) throw err;
    } catch (err) {
      showError(card, err);
      for (const b of buttons) b.disabled = false;
    }
  }

  function markTicked(button) {
    button.classList.add("ticked");
    button.disabled = true;
    button.setAttribute("aria-pressed", "true");
  }

  // One tap logs a counter service for this prompt's customer (200: it already was);
  // forId: the household member a family purchase was for.
  async function tick(card, button, forId) {
    button.disabled = true;
    try {
      const body = { service_type: button.dataset.service };
      if (forId) body.for_customer_id = forId;
      const res = await post("/prompts/" + card.dataset.promptId + "/services", body);
      if (res.status === 202 || res.status === 200) { markTicked(button); return; }
      const err = failure(res);
      if (err) throw err;
    } catch (err) {
      showError(card, err);
      button.disabled = false;
    }
  }

  function fillServices(card, p) {
    const box = card.querySelector('[data-field="services"]');
    const services = config.services || [];
    for (const s of services) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "service";
      b.dataset.service = s.type;
      b.textContent = s.label;
      b.setAttribute("aria-pressed", "false");
      if ((p.services_logged || []).includes(s.type)) markTicked(b);
      const family = s.type === "family_purchase" && p.household && p.household.members.length;
      b.addEventListener("click", () => (family ? chooseMember(card, b, p) : tick(card, b)));
      box.appendChild(b);
    }
    box.closest("[data-block]").hidden = services.length === 0;
  }

  // A family purchase in a household: the clerk says which member it was for (or not).
  function chooseMember(card, button, p) {
    const chooser = card.querySelector('[data-field="family-for"]');
    for (const old of chooser.querySelectorAll("button")) old.remove();
    const choices = p.household.members.map((m) => [m.customer_id, m.label]);
    choices.push(["", t("page.family_for.unnamed")]);
    for (const [forId, label] of choices) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "family-member";
      b.dataset.forId = forId;
      b.textContent = label;
      b.addEventListener("click", async () => {
        chooser.hidden = true;
        await tick(card, button, forId);
      });
      chooser.appendChild(b);
    }
    chooser.hidden = false;
  }

  // A customer in no household has no such block on their card at all.
  function fillHousehold(card, p) {
    const h = p.household;
    const list = card.querySelector('[data-field="household"]');
    if (!h) { list.closest("[data-block]").remove(); return; }
    fill(list, [...h.members.map((m) => m.label), ...h.lines], (x) => x);
  }

  // The gateway revoked this device: show nothing more, go back to the pairing form.
  function unpaired() {
    if (source) source.close();
    list.replaceChildren();
    cards.clear();
    conn.textContent = t("page.unpaired");
    setTimeout(() => location.reload(), 1500);
  }

  function showSession() {
    document.getElementById("device-name").textContent =
      t("page.device", { name: config.device.name });
    const form = document.getElementById("sign-in");
    const signedIn = document.getElementById("signed-in");
    form.hidden = !config.clerks.length || Boolean(config.clerk);
    signedIn.hidden = !config.clerk;
    if (config.clerk) {
      document.getElementById("clerk-name").textContent =
        t("page.clerk.signed_in", { name: config.clerk.name });
    }
    const select = document.getElementById("clerk-id");
    const choose = document.createElement("option");
    choose.value = "";
    choose.textContent = t("page.clerk.choose");
    select.replaceChildren(choose);
    for (const clerk of config.clerks) {
      const option = document.createElement("option");
      option.value = clerk.staff_id;
      option.textContent = clerk.name;
      select.appendChild(option);
    }
    const pin = document.getElementById("clerk-pin");
    pin.placeholder = t(pin.dataset.i18nPlaceholder);
    const error = document.getElementById("sign-in-error");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const res = await post("/device/clerk", { staff_id: select.value, pin: pin.value });
      pin.value = "";
      if (res.ok) { location.reload(); return; }
      if (res.status === 401) { unpaired(); return; }
      error.textContent = res.status === 429 ? t("page.clerk.locked") : t("page.clerk.wrong_pin");
    });
    document.getElementById("sign-out").addEventListener("click", async () => {
      const res = await post("/device/clerk/sign-out");
      if (res.status === 401) unpaired(); else location.reload();
    });
  }

  function render(p) {
    const card = template.content.firstElementChild.cloneNode(true);
    const field = (name) => card.querySelector('[data-field="' + name + '"]');
    card.dataset.promptId = p.prompt_id;
    card.classList.toggle("new-customer", p.membership !== "member");
    field("title").textContent = p.title;
    field("name").textContent = p.display_name;
    const badge = field("membership");
    badge.textContent = p.membership === "member" ? "" : t("page.badge.not_yet_member");
    badge.hidden = !badge.textContent;
    const knownAt = field("known-at");
    const bought = p.known_at_purchases > 0;
    knownAt.textContent = !p.known_at ? ""
      : t(bought ? "page.known_at_bought" : "page.known_at",
        { store: p.known_at, count: String(p.known_at_purchases) });
    knownAt.hidden = !p.known_at;
    field("identifier").textContent = p.identifier_label;
    field("time").textContent = p.created_at_local;
    const tags = field("tags");
    for (const tag of p.tags) {
      const span = document.createElement("span");
      span.textContent = tag;
      tags.appendChild(span);
    }
    fill(field("purchases"), p.last_purchases, (x) =>
      x.at_local + "  " + x.summary + "  " + money(x.total, x.currency));
    fill(field("tasks"), p.open_tasks, (x) =>
      x.title + (x.due_at_local ? "  " + t("page.due", { time: x.due_at_local }) : ""));
    fill(field("offers"), p.offers, (x) => x);
    fillHousehold(card, p);
    fillServices(card, p);
    for (const b of card.querySelectorAll("button[data-action]")) {
      b.addEventListener("click", () => act(card, b.dataset.action));
    }
    return card;
  }

  function onPrompt(p) {
    const old = cards.get(p.prompt_id);
    const card = render(p);
    if (old) old.replaceWith(card); else list.prepend(card);
    cards.set(p.prompt_id, card);
    if (p.state === "done" || p.state === "dismissed") markActed(card, p.state);
    while (cards.size > MAX_CARDS) {
      const [oldest, el] = cards.entries().next().value;
      el.remove();
      cards.delete(oldest);
    }
    empty.hidden = cards.size > 0;
  }

  function connect() {
    if (source) source.close();
    source = new EventSource("/prompts/stream");
    source.onopen = () => {
      conn.dataset.opens = String(Number(conn.dataset.opens || 0) + 1);
      setConnection("live");
    };
    source.addEventListener("prompt", (e) => onPrompt(JSON.parse(e.data)));
    source.addEventListener("acted", (e) => {
      const msg = JSON.parse(e.data);
      const card = cards.get(msg.prompt_id);
      if (card) markActed(card, msg.state);
    });
    source.onerror = () => {
      setConnection("reconnecting");
      // The browser retries by itself unless the stream is CLOSED (e.g. an HTTP error);
      // a 401 then means this device was revoked.
      if (source.readyState !== EventSource.CLOSED) return;
      fetch("/device/me", { credentials: "same-origin" }).then(
        (res) => (res.status === 401 ? unpaired() : setTimeout(connect, 3000)),
        () => setTimeout(connect, 3000));
    };
  }

  document.documentElement.lang = config.locale;
  document.title = t("page.title");
  translate(document);
  translate(template.content);
  setConnection("connecting");
  showSession();
  connect();
})();
