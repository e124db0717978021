// @ts-check
// The operator console. Every call goes to /api/admin/…, which the server refuses (403) to anyone but an admin:
// the page itself holds no data, so serving it to anyone gives nothing away.
import { Api, Notice, field, h, money, newKey, replace, when } from "./lib.js";

const api = new Api("cc.admin");
const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const nav = /** @type {HTMLElement} */ (document.getElementById("nav"));
const account = /** @type {HTMLElement} */ (document.getElementById("account"));
const notice = new Notice(/** @type {HTMLElement} */ (document.getElementById("notice")));
api.onSignedOut = () => { location.hash = "#/login"; route(); };

/** @type {[string, string, (root: HTMLElement) => Promise<void>][]} */
const VIEWS = [];
/** @param {string} name @param {string} label @param {(root: HTMLElement) => Promise<void>} render */
const view = (name, label, render) => VIEWS.push([name, label, render]);

/** @param {SubmitEvent} event */
function values(event) {
  event.preventDefault();
  return Object.fromEntries([...new FormData(/** @type {HTMLFormElement} */ (event.target))].map(([k, v]) => [k, String(v)]));
}

/** @param {string[]} headings @param {(Node | string)[][]} rows @param {string} [caption] */
function table(headings, rows, caption) {
  return h("table", { class: "card" }, caption ? h("caption", null, caption) : null,
    h("thead", null, h("tr", null, ...headings.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", null, ...rows.map((cells) => h("tr", null, ...cells.map((c) => h("td", null, c))))));
}

async function route() {
  const name = location.hash.slice(2) || "users";
  replace(account, api.signedIn ? h("span", null, api.user.nickname, " · ",
    h("button", { type: "button", class: "link", onclick: async () => { await api.logout(); route(); } }, "Log out")) : "");
  replace(nav, api.signedIn ? h("ul", null, ...VIEWS.map(([n, label]) => h("li", null, h("a", { href: `#/${n}`, "aria-current": n === name.split("/")[0] ? "page" : null }, label)))) : "");
  notice.say("");
  if (!api.signedIn) { renderLogin(); return; }
  const [base, ...rest] = name.split("/");
  const entry = VIEWS.find(([n]) => n === base) || VIEWS[0];
  const root = h("section", null, h("h1", { id: "view-title", tabindex: -1 }, entry[1]));
  replace(main, root);
  try { await entry[2].call(null, Object.assign(root, { params: rest })); } catch (error) { notice.error(error); }
  /** @type {HTMLElement} */ (root.querySelector("h1")).focus();
}

function renderLogin() {
  replace(main, h("form", {
    class: "card narrow",
    onsubmit: async (/** @type {SubmitEvent} */ event) => {
      const v = values(event);
      try { api.keep(await api.call("POST", "/api/auth/admin/login", { body: v, auth: false })); location.hash = "#/users"; route(); }
      catch (error) { notice.error(error); }
    },
  }, h("h1", { id: "view-title" }, "Operator sign-in"),
  field("Site id", { name: "site_id", required: true, autocomplete: "username" }),
  field("Password", { name: "password", type: "password", required: true, autocomplete: "current-password" }),
  h("button", { type: "submit", class: "primary" }, "Sign in")));
}

// ------------------------------------------------------------------------------------------------ users

view("users", "Players", async (root) => {
  const userId = /** @type {any} */ (root).params[0];
  if (userId) { await userDetail(root, userId); return; }
  const results = h("div");
  const search = async (/** @type {Record<string, string>} */ q) => {
    const page = await api.call("GET", "/api/admin/users", { query: { ...q, limit: 50 } });
    replace(results, table(["Site id", "Nickname", "Rank", "VIP", "Status", "Joined"], page.items.map((/** @type {any} */ u) => [
      h("a", { href: `#/users/${u.id}` }, u.site_id), u.nickname, u.rank, String(u.vip_tier), u.status, when(u.created_at)])));
  };
  root.append(h("form", { class: "card row", role: "search", onsubmit: (/** @type {SubmitEvent} */ e) => search(values(e)) },
    field("Search (id, site id, nickname)", { name: "q" }),
    field("Rank", { tag: "select", name: "rank", options: [["", "any"], "STANDARD", "PREMIUM", "VIP"] }),
    field("Status", { tag: "select", name: "status", options: [["", "any"], "active", "suspended", "banned"] }),
    h("button", { type: "submit", class: "primary" }, "Search")), results);
  await search({});
});

/** @param {HTMLElement} root @param {string} userId */
async function userDetail(root, userId) {
  const user = await api.call("GET", `/api/admin/users/${encodeURIComponent(userId)}`);
  const activity = await api.call("GET", `/api/admin/users/${encodeURIComponent(userId)}/actions`, { query: { limit: 20 } });
  let grantKey = newKey();  // one key per grant intent: a retried submit cannot grant twice
  root.append(
    h("dl", { class: "card stats" }, ...[["Site id", user.site_id], ["Nickname", user.nickname], ["Rank", user.rank], ["VIP tier", user.vip_tier],
      ["Status", user.status], ["Coins", user.balances.coins], ["Gems", user.balances.gems], ["Live sessions", user.live_sessions], ["Joined", when(user.created_at)]]
      .flatMap(([k, v]) => [h("dt", null, String(k)), h("dd", null, String(v))])),
    h("form", { class: "card row", onsubmit: async (/** @type {SubmitEvent} */ e) => {
      const v = values(e);
      try { await api.call("PATCH", `/api/admin/users/${userId}`, { body: { rank: v.rank, status: v.status, vip_tier: Number(v.vip_tier), reason: v.reason || undefined } }); notice.say("Updated", "ok"); route(); }
      catch (error) { notice.error(error); }
    } }, h("h2", null, "Rank and status"),
    field("Rank", { tag: "select", name: "rank", options: ["STANDARD", "PREMIUM", "VIP"] }),
    field("VIP tier", { type: "number", name: "vip_tier", min: 0, max: 10, value: user.vip_tier }),
    field("Status", { tag: "select", name: "status", options: ["active", "suspended", "banned"] }),
    field("Reason", { name: "reason", maxlength: 500 }),
    h("button", { type: "submit" }, "Save")),
    h("form", { class: "card row", onsubmit: async (/** @type {SubmitEvent} */ e) => {
      const v = values(e);
      try {
        const grant = await api.call("POST", `/api/admin/users/${userId}/grant`, { body: { currency: v.currency, amount: Number(v.amount), reason: v.reason }, key: grantKey });
        grantKey = newKey();
        notice.say(`Granted ${grant.amount} ${grant.currency}; balance ${grant.balance_after}`, "ok");
      } catch (error) { notice.error(error); }
    } }, h("h2", null, "Grant"),
    field("Currency", { tag: "select", name: "currency", options: ["COIN", "GEM"] }),
    field("Amount", { type: "number", name: "amount", min: 1, max: 1000000000, required: true }),
    field("Reason", { name: "reason", required: true, maxlength: 200 }),
    h("button", { type: "submit" }, "Grant")),
    table(["When", "What"], activity.items.map((/** @type {any} */ a) => [when(a.at || a.created_at), `${a.kind || a.type || ""} ${a.summary || a.action || ""}`]), "Recent activity"));
  for (const [name, value] of [["rank", user.rank], ["status", user.status]]) {
    /** @type {HTMLSelectElement} */ (root.querySelector(`[name=${name}]`)).value = value;
  }
}

// ------------------------------------------------------------------------------------------------ odds

view("odds", "Slot odds", async (root) => {
  const config = await api.call("GET", "/api/admin/slot/config");
  const preview = h("p", { role: "status", "aria-live": "polite", "data-testid": "rtp-preview" });
  const rows = config.symbols.map((/** @type {any} */ s, /** @type {number} */ i) => h("tr", null,
    h("th", { scope: "row" }, s.name),
    h("td", null, h("input", { type: "number", min: 1, name: `weight_${i}`, value: s.weight, "aria-label": `${s.name} weight`, "data-symbol": s.name })),
    h("td", null, h("input", { type: "number", step: "any", min: 0, name: `triple_${i}`, value: s.triple_multiplier, "aria-label": `${s.name} three of a kind` })),
    h("td", null, h("input", { type: "number", step: "any", min: 0, name: `pair_${i}`, value: s.pair_multiplier, "aria-label": `${s.name} pair` }))));
  const form = h("form", { class: "card" }, h("table", null,
    h("thead", null, h("tr", null, ...["Symbol", "Weight", "Three ×", "Two ×"].map((t) => h("th", { scope: "col" }, t)))), h("tbody", null, ...rows)),
  preview, h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Save odds")));
  const draft = () => {
    const data = new FormData(/** @type {HTMLFormElement} */ (form));
    return { ...config, symbols: config.symbols.map((/** @type {any} */ s, /** @type {number} */ i) => ({
      name: s.name, weight: Number(data.get(`weight_${i}`)), triple_multiplier: Number(data.get(`triple_${i}`)), pair_multiplier: Number(data.get(`pair_${i}`)) })) };
  };
  let acceptable = true;
  const check = async () => {
    try {
      const result = await api.call("POST", "/api/admin/slot/config/preview", { body: draft() });
      acceptable = result.acceptable;
      preview.textContent = `RTP if saved: ${(result.rtp * 100).toFixed(2)}% (hit rate ${(result.hit_rate * 100).toFixed(1)}%)` +
        (result.acceptable ? "" : ` — outside ${result.rtp_min * 100}–${result.rtp_max * 100}%: a save is refused`);
      preview.dataset.kind = result.acceptable ? "ok" : "error";
    } catch (error) { acceptable = false; notice.error(error); }
  };
  form.addEventListener("input", check);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await check();
    if (!acceptable) return;
    try { const saved = await api.call("PUT", "/api/admin/slot/config", { body: draft() }); notice.say(`Saved: RTP ${(saved.rtp * 100).toFixed(2)}%`, "ok"); }
    catch (error) { notice.error(error); }
  });
  root.append(h("p", null, `Published RTP: ${(config.rtp * 100).toFixed(2)}%. Changes apply from the next spin.`), form);
  await check();
});

// ------------------------------------------------------------------------------------------------ shop

view("catalog", "Catalog & offers", async (root) => {
  const [items, packages, promos] = await Promise.all([api.call("GET", "/api/admin/catalog/items"), api.call("GET", "/api/admin/limited-packages"), api.call("GET", "/api/admin/promo-codes", { query: { limit: 50 } })]);
  root.append(
    table(["SKU", "Name", "Price", "Gems", "Discount", "Enabled", ""], items.map((/** @type {any} */ i) => [i.sku, i.name, money(i.price_cents, i.currency), String(i.gems), `${i.discount_percent}%`, i.enabled ? "yes" : "no",
      h("button", { type: "button", class: "link", onclick: async () => { try { await api.call("PUT", `/api/admin/catalog/items/${i.sku}`, { body: { enabled: !i.enabled } }); route(); } catch (error) { notice.error(error); } } }, i.enabled ? "Disable" : "Enable")]), "Catalog"),
    table(["Package", "Price", "Stock left", "Window", "Enabled", ""], packages.map((/** @type {any} */ p) => [p.name, money(p.price_cents, p.currency), `${p.stock_remaining} / ${p.max_global_stock}`, `${when(p.starts_at)} → ${when(p.ends_at)}`, p.enabled ? "yes" : "no",
      h("button", { type: "button", class: "link", onclick: async () => { try { await api.call("POST", `/api/admin/limited-packages/${p.package_id}/${p.enabled ? "disable" : "enable"}`); route(); } catch (error) { notice.error(error); } } }, p.enabled ? "Kill switch" : "Enable")]), "Limited packages"),
    table(["Code", "Discount", "Used", "Window", "Enabled"], promos.items.map((/** @type {any} */ p) => [p.code, `${p.discount_percent}%`, `${p.used_count}${p.max_uses ? ` / ${p.max_uses}` : ""}`, `${when(p.starts_at)} → ${when(p.ends_at)}`, p.enabled ? "yes" : "no"]), "Promo codes"),
    h("form", { class: "card row", onsubmit: async (/** @type {SubmitEvent} */ e) => {
      const v = values(e);
      try { await api.call("POST", "/api/admin/promo-codes", { body: { code: v.code, discount_percent: Number(v.discount_percent), max_uses: v.max_uses ? Number(v.max_uses) : null } }); route(); }
      catch (error) { notice.error(error); }
    } }, h("h2", null, "New promo code"), field("Code", { name: "code", required: true, maxlength: 64 }),
    field("Discount %", { name: "discount_percent", type: "number", min: 1, max: 90, required: true }), field("Max uses", { name: "max_uses", type: "number", min: 1 }),
    h("button", { type: "submit" }, "Create")));
});

view("transactions", "Transactions", async (root) => {
  const list = h("div");
  const load = async (/** @type {Record<string, string>} */ q) => {
    const page = await api.call("GET", "/api/admin/transactions", { query: { ...q, limit: 50 } });
    replace(list, table(["When", "User", "SKU", "Amount", "Status", "Gems", ""], page.items.map((/** @type {any} */ t) => [when(t.created_at), t.user_id, t.sku, money(t.amount_cents, t.currency), t.status, String(t.gems_granted),
      t.status === "captured" ? h("button", { type: "button", class: "link", onclick: async () => {
        if (!confirm(`Refund ${money(t.amount_cents, t.currency)} to ${t.user_id}?`)) return;
        try { const r = await api.call("POST", `/api/admin/transactions/${t.id}/refund`, { key: `refund-${t.id}` }); notice.say(`Refunded; clawed back ${r.clawed_back_gems} gems, ${r.outstanding_gems} outstanding`, "ok"); load(q); }
        catch (error) { notice.error(error); }
      } }, "Refund") : ""])));
  };
  root.append(h("form", { class: "card row", onsubmit: (/** @type {SubmitEvent} */ e) => load(values(e)) },
    field("Status", { tag: "select", name: "status", options: [["", "any"], "pending", "authorized", "captured", "failed", "voided", "refunded"] }),
    field("User id", { name: "user_id" }), h("button", { type: "submit" }, "Filter")), list);
  await load({});
});

// ------------------------------------------------------------------------------------------------ messages

view("messages", "Messages & campaigns", async (root) => {
  const campaigns = await api.call("GET", "/api/admin/campaigns", { query: { limit: 20 } });
  /** @param {Record<string, string>} v */
  const target = (v) => v.target_type === "everyone" ? { type: "everyone" } : { type: v.target_type, value: v.target_value };
  const targetFields = () => [
    field("Audience", { tag: "select", name: "target_type", options: [["everyone", "Everyone"], ["rank", "A rank (value: STANDARD, PREMIUM, VIP)"], ["vip_tier", "A VIP tier (value: number)"], ["user", "One player (value: user id)"]] }),
    field("Value", { name: "target_value" })];
  const channels = (/** @type {string} */ prefix) => h("fieldset", null, h("legend", null, "Channels"), ...["inbox", "realtime", "push", "email"].map((c) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: `${prefix}${c}`, checked: c === "inbox" }), c)));
  /** @param {HTMLFormElement} form @param {string} prefix */
  const chosen = (form, prefix) => ["inbox", "realtime", "push", "email"].filter((c) => new FormData(form).has(`${prefix}${c}`));
  root.append(
    h("form", { class: "card", onsubmit: async (/** @type {SubmitEvent} */ e) => {
      const v = values(e);
      try { const r = await api.call("POST", "/api/admin/notifications/send", { body: { target: target(v), channels: chosen(/** @type {HTMLFormElement} */ (e.target), "c_"), title: v.title, body: v.body } }); notice.say(`Sent to ${r.targeted} players`, "ok"); }
      catch (error) { notice.error(error); }
    } }, h("h2", null, "Send now"), ...targetFields(), channels("c_"), field("Title", { name: "title", required: true, maxlength: 200 }), field("Message", { name: "body" }), h("button", { type: "submit", class: "primary" }, "Send")),
    h("form", { class: "card", onsubmit: async (/** @type {SubmitEvent} */ e) => {
      const v = values(e);
      try { await api.call("POST", "/api/admin/campaigns", { body: { target: target(v), channels: chosen(/** @type {HTMLFormElement} */ (e.target), "s_"), title: v.title, body: v.body, scheduled_at: new Date(v.scheduled_at).toISOString() } }); route(); }
      catch (error) { notice.error(error); }
    } }, h("h2", null, "Schedule a campaign"), ...targetFields(), channels("s_"), field("Title", { name: "title", required: true, maxlength: 200 }), field("Message", { name: "body" }),
    field("Send at", { name: "scheduled_at", type: "datetime-local", required: true }), h("button", { type: "submit" }, "Schedule")),
    table(["Title", "Audience", "At", "Status", "Sent / targeted", ""], campaigns.items.map((/** @type {any} */ c) => [c.title, `${c.target.type} ${c.target.value || ""}`, when(c.scheduled_at), c.status, `${c.progress.sent} / ${c.progress.targeted}`,
      c.status === "scheduled" ? h("button", { type: "button", class: "link", onclick: async () => { try { await api.call("POST", `/api/admin/campaigns/${c.id}/cancel`); route(); } catch (error) { notice.error(error); } } }, "Cancel") : ""]), "Campaigns"));
});

view("audit", "Audit log", async (root) => {
  const page = await api.call("GET", "/api/admin/audit/logs", { query: { limit: 50 } });
  root.append(table(["When", "Admin", "Action", "Target", "IP"], page.items.map((/** @type {any} */ a) => [when(a.created_at), a.admin_id, a.action, `${a.target_type} ${a.target_id || ""}`, a.ip || ""])));
});

window.addEventListener("hashchange", route);
route();
