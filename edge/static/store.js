// The clerk's page: prompts arrive over SSE (newest on top), "Done" posts back.
// No framework, no build step; data is only ever set through textContent.
// Every label comes from the store's locale (the page-config block the gateway fills in);
// times arrive already in the store's time zone (Prompt.created_at_local and the like).
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
    for (const b of card.querySelectorAll("button")) b.disabled = true;
    const label = card.querySelector('[data-field="state"]');
    label.classList.remove("error");
    label.textContent = t("page.acted." + state);
  }

  async function act(card, action) {
    for (const b of card.querySelectorAll("button")) b.disabled = true;
    const label = card.querySelector('[data-field="state"]');
    try {
      const res = await fetch("/prompts/" + card.dataset.promptId + "/acted", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ action: action }),
      });
      if (res.status === 202 || res.status === 409) {
        const state = res.status === 202 ? (await res.json()).state : action;
        markActed(card, state);
        return;
      }
      throw new Error("HTTP " + res.status);
    } catch (err) {
      label.classList.add("error");
      label.textContent = t("page.retry", { error: err.message });
      for (const b of card.querySelectorAll("button")) b.disabled = false;
    }
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
    knownAt.textContent = p.known_at ? t("page.known_at", { store: p.known_at }) : "";
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
    for (const b of card.querySelectorAll("button")) {
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
      // The browser retries by itself unless the stream is CLOSED (e.g. an HTTP error).
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
    };
  }

  document.documentElement.lang = config.locale;
  document.title = t("page.title");
  translate(document);
  translate(template.content);
  setConnection("connecting");
  connect();
})();
