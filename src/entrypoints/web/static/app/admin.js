// @ts-check
// The operator console. Every call goes to /api/admin/…, which the server refuses (403) to anyone but an admin:
// the page itself holds no data, so serving it to anyone gives nothing away.
import { Api, Notice, field, h, money, newKey, replace, svg, when } from "./lib.js";
import { installExperiments } from "./experiments.js";
import { installSegments } from "./segments.js";

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
  const currentLink = nav.querySelector("[aria-current=page]");  // at phone width the row scrolls
  if (currentLink) currentLink.scrollIntoView({ block: "nearest", inline: "center" });
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

view("gacha", "Gacha odds", async (root) => {
  const config = await api.call("GET", "/api/admin/gacha/config");
  const rarities = Object.keys(config.rates);  // best first, as the server lists them
  const percent = (/** @type {number} */ p) => `${(p * 100).toFixed(3)}%`;
  const preview = h("div", { role: "status", "aria-live": "polite", "data-testid": "gacha-preview" });
  const form = h("form", { class: "card" },
    h("table", null, h("caption", null, "Nominal rate per pull (they must sum to 1)"),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Rarity"), h("th", { scope: "col" }, "Rate"), h("th", { scope: "col" }, "Items in pool"))),
      h("tbody", null, ...rarities.map((rarity) => h("tr", null, h("th", { scope: "row" }, rarity),
        h("td", null, h("input", { type: "number", step: "any", min: 0, max: 1, name: `rate_${rarity}`, value: config.rates[rarity], "aria-label": `${rarity} rate` })),
        h("td", null, (config.pools[rarity] || []).map((/** @type {any} */ i) => i.name).join(", ")))))),
    h("div", { class: "row" },
      field("Pity threshold (pulls)", { type: "number", name: "pity_threshold", min: 1, value: config.pity_threshold }),
      field("Cost of 1 pull (gems)", { type: "number", name: "single_cost", min: 1, value: config.costs["1"] }),
      field("Cost of 10 pulls (gems)", { type: "number", name: "ten_cost", min: 1, value: config.costs["10"] }),
      field("Near-miss rate", { type: "number", name: "near_miss_rate", step: "any", min: 0, max: 1, value: config.near_miss_rate })),
    preview, h("button", { type: "submit", class: "primary" }, "Save gacha odds"));
  const draft = () => {
    const data = new FormData(/** @type {HTMLFormElement} */ (form));
    return {
      rates: Object.fromEntries(rarities.map((r) => [r, Number(data.get(`rate_${r}`))])), pools: config.pools,
      pity_threshold: Number(data.get("pity_threshold")), single_cost: Number(data.get("single_cost")),
      ten_cost: Number(data.get("ten_cost")), near_miss_rate: Number(data.get("near_miss_rate")),
    };
  };
  let acceptable = true;
  const check = async () => {
    try {
      const result = await api.call("POST", "/api/admin/gacha/config/preview", { body: draft() });
      acceptable = true;
      replace(preview, h("table", null, h("caption", null, "Rates players will see if saved (pity included)"),
        h("thead", null, h("tr", null, ...["Rarity", "Nominal", "Effective with pity"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", null, ...rarities.map((r) => h("tr", null, h("th", { scope: "row" }, r), h("td", null, percent(result.rates[r])),
          h("td", { "data-testid": `effective-${r}` }, percent(result.effective_rates[r])))))));
      preview.dataset.kind = "ok";
    } catch (error) {
      acceptable = false;
      const problems = /** @type {any} */ (error).details && /** @type {any} */ (error).details.fields;
      replace(preview, h("p", null, `Not valid, a save is refused: ${problems ? problems.map((/** @type {any} */ f) => `${f.key}: ${f.message || f.problem || "invalid"}`).join("; ") : String(/** @type {any} */ (error).message)}`));
      preview.dataset.kind = "error";
    }
  };
  form.addEventListener("input", check);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await check();
    if (!acceptable) return;
    try {
      const saved = await api.call("PUT", "/api/admin/gacha/config", { body: draft() });
      notice.say(`Saved: Legendary ${percent(saved.effective_rates.Legendary)} effective`, "ok");
    } catch (error) { notice.error(error); }
  });
  root.append(h("p", null, "Published effective rates: ", Object.entries(config.effective_rates).map(([r, p]) => `${r} ${percent(Number(p))}`).join(" · "),
    ". Changes apply from the next pull."), form);
  await check();
});

// ------------------------------------------------------------------------------------------------ KPIs

/**
 * A bar chart as SVG: role="img" with a title and a description that carry what the bars show, each bar with a
 * <title> (a tooltip, and read by screen readers), and the numbers again in a table below for anyone who needs
 * them. Several series are grouped bars per day.
 * @param {string} id
 * @param {string} title
 * @param {string[]} days
 * @param {{name: string, cls: string, values: number[]}[]} series
 * @param {(value: number) => string} format
 */
function barChart(id, title, days, series, format) {
  const width = 640, height = 200, left = 48, bottom = 22, top = 8;
  const max = Math.max(...series.flatMap((s) => s.values), 0) || 1;
  const step = (width - left) / Math.max(days.length, 1);
  const barWidth = Math.max(1, (step * 0.8) / series.length);
  const y = (/** @type {number} */ v) => top + (height - top - bottom) * (1 - v / max);
  const total = series.map((s) => `${s.name}: from ${format(s.values[0] ?? 0)} on ${days[0]} to ${format(s.values.at(-1) ?? 0)} on ${days.at(-1)}, peak ${format(Math.max(...s.values, 0))}`).join("; ");
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc`, "data-testid": `chart-${id}` },
    svg("title", { id: `${id}-title` }, title), svg("desc", { id: `${id}-desc` }, total),
    svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width, y2: height - bottom }),
    svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: height - bottom }),
    svg("text", { x: left - 4, y: top + 10, "text-anchor": "end" }, format(max)),
    svg("text", { x: left - 4, y: height - bottom, "text-anchor": "end" }, format(0)),
    svg("text", { x: left, y: height - 6 }, days[0] || ""),
    svg("text", { x: width, y: height - 6, "text-anchor": "end" }, days.at(-1) || ""),
    ...days.flatMap((day, i) => series.map((s, j) => svg("rect", {
      class: `bar ${s.cls}`, x: left + i * step + step * 0.1 + j * barWidth, y: y(s.values[i]), width: barWidth, height: Math.max(0, height - bottom - y(s.values[i])),
    }, svg("title", null, `${day} · ${s.name}: ${format(s.values[i])}`)))));
  return h("figure", { class: "card chart" }, h("figcaption", null, h("strong", null, title)),
    series.length > 1 ? h("ul", { class: "legend" }, ...series.map((s) => h("li", null, h("span", { class: `swatch ${s.cls}`, "aria-hidden": "true" }), s.name))) : null,
    chart,
    h("details", null, h("summary", null, "Show the numbers"),
      h("table", null, h("thead", null, h("tr", null, h("th", { scope: "col" }, "Day"), ...series.map((s) => h("th", { scope: "col" }, s.name)))),
        h("tbody", null, ...days.map((day, i) => h("tr", null, h("th", { scope: "row" }, day), ...series.map((s) => h("td", null, format(s.values[i])))))))));
}

view("kpis", "KPIs", async (root) => {
  const output = h("div", { "aria-live": "polite" });
  const iso = (/** @type {Date} */ d) => d.toISOString().slice(0, 10);
  const today = new Date();
  const monthAgo = new Date(Date.now() - 29 * 86400000);
  const pct = (/** @type {number} */ v) => `${(v * 100).toFixed(1)}%`;
  const load = async (/** @type {Record<string, string>} */ q) => {
    const k = await api.call("GET", "/api/admin/analytics/kpis", { query: { from: q.from, to: q.to } });
    const days = k.series.map((/** @type {any} */ d) => d.date);
    replace(output,
      h("ul", { class: "kpis", "aria-label": "Totals for the period" }, ...[["DAU", k.dau], ["WAU", k.wau], ["MAU", k.mau], ["New players", k.new_players],
        ["Paying players", k.paying_players], ["Revenue", money(k.revenue_cents)], ["ARPU", money(k.arpu_cents)], ["ARPPU", money(k.arppu_cents)],
        ["Conversion", pct(k.conversion_rate)], ["Retention D1", pct(k.retention.d1)], ["Retention D7", pct(k.retention.d7)], ["Retention D30", pct(k.retention.d30)]]
        .map(([name, value]) => h("li", null, h("span", null, String(name)), h("strong", { "data-testid": `kpi-${String(name).toLowerCase().replaceAll(" ", "-")}` }, String(value))))),
      barChart("dau", "Daily active players", days, [{ name: "DAU", cls: "", values: k.series.map((/** @type {any} */ d) => d.dau) }], String),
      barChart("revenue", "Revenue per day", days, [{ name: "Revenue", cls: "", values: k.series.map((/** @type {any} */ d) => d.revenue_cents) }], (v) => money(v)),
      barChart("retention", "Retention of each day's new players", days, [
        { name: "D1", cls: "", values: k.series.map((/** @type {any} */ d) => d.retention.d1) },
        { name: "D7", cls: "d7", values: k.series.map((/** @type {any} */ d) => d.retention.d7) },
        { name: "D30", cls: "d30", values: k.series.map((/** @type {any} */ d) => d.retention.d30) }], pct));
  };
  root.append(h("form", { class: "card row", onsubmit: async (/** @type {SubmitEvent} */ e) => { try { await load(values(e)); } catch (error) { notice.error(error); } } },
    field("From", { type: "date", name: "from", value: iso(monthAgo), required: true }),
    field("To", { type: "date", name: "to", value: iso(today), required: true }),
    h("button", { type: "submit", class: "primary" }, "Show")), output);
  await load({ from: iso(monthAgo), to: iso(today) });
});

// ------------------------------------------------------------------------------------------------ LiveOps

installSegments({ api, notice, view, table, route });
installExperiments({ api, notice, view, table, route });

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
