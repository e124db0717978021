// @ts-check
// The player's web client: one page, views chosen by the URL hash (#/slot, #/shop …), every number from the API.
import { Api, ApiError, Notice, Realtime, field, h, money, newKey, replace, when } from "./lib.js";
import { installProgress } from "./progress.js";
import { installSafety } from "./safety.js";

const api = new Api("cc.player");
const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const nav = /** @type {HTMLElement} */ (document.getElementById("nav"));
const account = /** @type {HTMLElement} */ (document.getElementById("account"));
const notice = new Notice(/** @type {HTMLElement} */ (document.getElementById("notice")));
const toasts = /** @type {HTMLElement} */ (document.getElementById("toasts"));
const state = { coins: 0, gems: 0, unread: 0, live: "offline" };
/** @type {((message: any) => void)[]} */
const listeners = [];
const realtime = new Realtime(api, (message) => {
  onRealtime(message);
  for (const listener of listeners) listener(message);
});
realtime.onState = (live) => { state.live = live; renderAccount(); };
api.onSignedOut = () => { realtime.stop(); location.hash = "#/login"; route(); };

/**
 * Views by name, in the order of the navigation. Modules of their own (progress.js, safety.js) add theirs
 * through `installProgress(context)`/`installSafety(context)`; `window.casinoClub.registerView(name, label,
 * render)` plugs in more.
 * @type {Map<string, {label: string, render: (root: HTMLElement) => Promise<void> | void}>}
 */
const views = new Map();

/** @param {string} name @param {string} label @param {(root: HTMLElement) => Promise<void> | void} render */
export function registerView(name, label, render) {
  views.set(name, { label, render });
  renderNav();
}
Object.assign(window, { casinoClub: { registerView, api } });

// ------------------------------------------------------------------------------------------------ shell

function renderAccount() {
  if (!api.signedIn) { replace(account); return; }
  replace(account,
    h("span", { class: "who" }, api.user.nickname),
    h("span", { class: "balance", "data-testid": "coins", "aria-label": "coins" }, `${state.coins.toLocaleString()} coins`),
    h("span", { class: "balance", "data-testid": "gems", "aria-label": "gems" }, `${state.gems.toLocaleString()} gems`),
    h("span", { class: `live ${state.live}`, title: "realtime connection" }, state.live === "live" ? "● live" : "○ offline"),
    h("button", { type: "button", class: "link", onclick: async () => { realtime.stop(); await api.logout(); location.hash = "#/login"; } }, "Log out"));
}

function renderNav() {
  if (!api.signedIn) { replace(nav); return; }
  const current = location.hash.slice(2) || "slot";
  replace(nav, h("ul", null, ...[...views].map(([name, view]) => h("li", null,
    h("a", { href: `#/${name}`, "aria-current": name === current ? "page" : null },
      view.label, name === "inbox" && state.unread ? h("span", { class: "badge", "data-testid": "unread" }, String(state.unread)) : null)))));
  // at phone width the row scrolls: keep the current view's link in sight
  const currentLink = nav.querySelector("[aria-current=page]");
  if (currentLink) currentLink.scrollIntoView({ block: "nearest", inline: "center" });
}

/** The unread count on the Inbox link, changed in place: drawing the menu again under the pointer loses a click. */
function renderBadge() {
  const link = nav.querySelector('a[href="#/inbox"]');
  if (!link) return;
  let badge = /** @type {HTMLElement | null} */ (link.querySelector("[data-testid=unread]"));
  if (!state.unread) { if (badge) badge.remove(); return; }
  if (!badge) { badge = h("span", { class: "badge", "data-testid": "unread" }); link.append(badge); }
  badge.textContent = String(state.unread);
}

/**
 * A balance a request answered with: shown only while the stream is down. When it is up, the stream's
 * profile_update events are the balance, in the order the ledger moved (an answer and an older event can cross
 * on the wire; an event is never older than the one before it).
 * @param {any} balances
 */
function answered(balances) {
  if (state.live !== "live") setBalances(balances);
}

/** @param {any} balances */
function setBalances(balances) {
  if (balances && typeof balances.coins === "number") state.coins = balances.coins;
  if (balances && typeof balances.gems === "number") state.gems = balances.gems;
  renderAccount();
}

/** @param {string} title @param {string} [body] */
function toast(title, body) {
  const item = h("div", { class: "toast", role: "status" }, h("strong", null, title), body ? h("p", null, body) : null);
  toasts.append(item);
  window.setTimeout(() => item.remove(), 6000);
}

/** @param {any} message */
function onRealtime(message) {
  if (message.type === "profile_update" && message.data.balances) setBalances(message.data.balances);
  if (message.type === "notification") {
    state.unread += 1;
    renderBadge();
    toast(message.data.title, message.data.body);
  }
  if (message.type === "announcement") toast(message.data.title, message.data.body);
  if (message.type === "level_up") toast(`Battle pass level ${message.data.level}!`);
  if (message.type === "resync") refreshWallet();
}

async function refreshWallet() {
  setBalances(await api.call("GET", "/api/wallet"));
  state.unread = (await api.call("GET", "/api/notifications/unread-count")).count ?? state.unread;
  renderBadge();
}

async function route() {
  const name = location.hash.slice(2) || (api.signedIn ? "slot" : "login");
  renderAccount();
  renderNav();
  notice.say("");
  if (!api.signedIn && name !== "signup") { await renderAuth("login"); return; }
  if (name === "login" || name === "signup") { if (api.signedIn) { location.hash = "#/slot"; return; } await renderAuth(name); return; }
  const view = views.get(name) || views.get("slot");
  if (!view) return;
  const root = h("section", { "aria-labelledby": "view-title" }, h("h1", { id: "view-title" }, view.label));
  replace(main, root);
  listeners.length = 0;
  try {
    await view.render(root);
  } catch (error) {
    notice.error(error);
  }
  const heading = /** @type {HTMLElement} */ (root.querySelector("h1"));
  heading.tabIndex = -1;
  heading.focus();
}

/** @param {SubmitEvent} event @returns {Record<string, string>} */
function formValues(event) {
  event.preventDefault();
  const data = new FormData(/** @type {HTMLFormElement} */ (event.target));
  return Object.fromEntries([...data].map(([key, value]) => [key, String(value)]));
}

/** @param {"login" | "signup"} mode */
async function renderAuth(mode) {
  const signup = mode === "signup";
  const form = h("form", {
    class: "card narrow", "aria-labelledby": "view-title",
    onsubmit: async (/** @type {SubmitEvent} */ event) => {
      const values = formValues(event);
      try {
        const tokens = signup ? await api.call("POST", "/api/auth/signup", { body: values, auth: false })
          : await api.call("POST", "/api/auth/login", { body: { site_id: values.site_id, password: values.password }, auth: false });
        api.keep(tokens);
        setBalances(tokens.user.balances);
        realtime.start();
        location.hash = "#/slot";
      } catch (error) { notice.error(error); }
    },
  },
  h("h1", { id: "view-title" }, signup ? "Create your account" : "Sign in"),
  field("Site id", { name: "site_id", required: true, autocomplete: "username", pattern: "[A-Za-z0-9_]{3,32}", "aria-describedby": "site-help" }),
  h("p", { id: "site-help", class: "help" }, "3–32 letters, digits or _"),
  signup ? field("Nickname", { name: "nickname", required: true, minlength: 2, maxlength: 24 }) : null,
  field("Password", { name: "password", type: "password", required: true, minlength: signup ? 8 : 1, maxlength: 128, autocomplete: signup ? "new-password" : "current-password" }),
  signup ? field("Invite code", { name: "invite_code", required: true, autocomplete: "off" }) : null,
  h("button", { type: "submit", class: "primary" }, signup ? "Sign up" : "Sign in"),
  h("p", null, signup ? h("a", { href: "#/login" }, "I have an account") : h("a", { href: "#/signup" }, "Create an account with an invite code")));
  replace(main, form);
}

// ------------------------------------------------------------------------------------------------ games

registerView("slot", "Slot", async (root) => {
  const config = await api.call("GET", "/api/games/slot/config");
  const reels = [0, 1, 2].map((i) => h("div", { class: "reel", "data-testid": `reel-${i}`, "aria-label": `reel ${i + 1}` }, "?"));
  const result = h("p", { class: "result", role: "status", "aria-live": "polite", "data-testid": "spin-result" });
  const bet = field("Bet (coins)", { name: "bet", type: "number", min: config.min_bet, max: config.max_bet, value: Math.min(10, config.max_bet), required: true });
  const form = h("form", {
    class: "card",
    onsubmit: async (/** @type {SubmitEvent} */ event) => {
      const values = formValues(event);
      const button = /** @type {HTMLButtonElement} */ (form.querySelector("button"));
      button.disabled = true;
      try {
        const spin = await api.call("POST", "/api/games/slot/spin", { body: { bet: Number(values.bet) }, key: newKey() });
        spin.reels.forEach((/** @type {string} */ symbol, /** @type {number} */ i) => { reels[i].textContent = symbol; });
        result.textContent = spin.payout > 0 ? `${spin.outcome}: won ${spin.payout} coins (×${spin.multiplier})` : "No win this time";
        answered({ coins: spin.balance_after });
      } catch (error) { notice.error(error); } finally { button.disabled = false; }
    },
  }, h("div", { class: "reels" }, ...reels), result, bet, h("button", { type: "submit", class: "primary" }, "Spin"));
  root.append(form, h("section", { class: "card", "aria-labelledby": "paytable-title" },
    h("h2", { id: "paytable-title" }, "Paytable"),
    h("p", null, "Return to player: ", h("strong", { "data-testid": "rtp" }, `${(config.rtp * 100).toFixed(2)}%`),
      ` (hit rate ${(config.hit_rate * 100).toFixed(1)}%, win streak bonus +${config.streak_bonus_step * 100}% per win up to +${config.streak_bonus_cap * 100}%)`),
    h("table", null, h("thead", null, h("tr", null, h("th", { scope: "col" }, "Symbol"), h("th", { scope: "col" }, "Chance per reel"), h("th", { scope: "col" }, "Three"), h("th", { scope: "col" }, "Two"))),
      h("tbody", null, ...config.symbols.map((/** @type {any} */ s) => h("tr", null, h("th", { scope: "row" }, s.name), h("td", null, `${(s.probability * 100).toFixed(1)}%`), h("td", null, `×${s.triple_multiplier}`), h("td", null, `×${s.pair_multiplier}`)))))));
});

registerView("gacha", "Gacha", async (root) => {
  const [config, stats] = await Promise.all([api.call("GET", "/api/games/gacha/config"), api.call("GET", "/api/games/gacha/stats")]);
  const pity = h("p", { "data-testid": "pity" }, `Pity: ${stats.pity_counter} / ${config.pity_threshold} (Epic or better guaranteed)`);
  const results = h("ul", { class: "pulls", "aria-live": "polite" });
  /** @param {1 | 10} count */
  const pull = async (count) => {
    try {
      const outcome = await api.call("POST", "/api/games/gacha/pull", { body: { count }, key: newKey() });
      replace(results, ...outcome.items.map((/** @type {any} */ item) => h("li", { class: `rarity-${item.rarity.toLowerCase()}` },
        `${item.name} (${item.rarity})`, item.pity_triggered ? " — pity!" : "", item.near_miss ? " — so close!" : "")));
      pity.textContent = `Pity: ${outcome.pity_counter} / ${config.pity_threshold} (Epic or better guaranteed)`;
      answered({ gems: outcome.balance_after });
    } catch (error) { notice.error(error); }
  };
  root.append(h("div", { class: "card" },
    h("p", null, `Rates: ${Object.entries(config.effective_rates).map(([r, p]) => `${r} ${(Number(p) * 100).toFixed(2)}%`).join(" · ")}`),
    pity,
    h("div", { class: "row" },
      h("button", { type: "button", class: "primary", onclick: () => pull(1) }, `Pull 1 (${config.costs["1"]} gems)`),
      h("button", { type: "button", class: "primary", onclick: () => pull(10) }, `Pull 10 (${config.costs["10"]} gems)`)),
    results));
});

registerView("inventory", "Inventory", async (root) => {
  const { items } = await api.call("GET", "/api/inventory");
  root.append(items.length ? h("ul", { class: "card list" }, ...items.map((/** @type {any} */ item) =>
    h("li", null, h("strong", null, item.name), ` ×${item.quantity} · ${item.rarity}`))) : h("p", null, "Nothing yet: try the gacha."));
});

registerView("history", "History & stats", async (root) => {
  const [stats, history] = await Promise.all([api.call("GET", "/api/users/stats"), api.call("GET", "/api/games/history", { query: { limit: 20 } })]);
  root.append(h("dl", { class: "card stats" }, ...Object.entries(stats).flatMap(([k, v]) => [h("dt", null, k.replaceAll("_", " ")), h("dd", null, String(v))])),
    h("table", { class: "card" }, h("caption", null, "Last plays"),
      h("thead", null, h("tr", null, ...["When", "Game", "Bet", "Payout", "Coins"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, ...history.items.map((/** @type {any} */ play) => h("tr", null, h("td", null, when(play.created_at)), h("td", null, play.game_type), h("td", null, String(play.bet)), h("td", null, String(play.payout)), h("td", null, String(play.delta_coins)))))));
});

registerView("leaderboards", "Leaderboards", async (root) => {
  const table = h("div");
  const show = async () => {
    const board = /** @type {HTMLSelectElement} */ (root.querySelector("[name=board]")).value;
    const period = /** @type {HTMLSelectElement} */ (root.querySelector("[name=period]")).value;
    const view = await api.call("GET", "/api/games/leaderboard", { query: { board, period, limit: 20 } });
    replace(table, h("table", { class: "card" }, h("thead", null, h("tr", null, ...["#", "Player", "Score"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, ...view.items.map((/** @type {any} */ e) => h("tr", { class: e.user_id === api.user.id ? "me" : null }, h("td", null, String(e.rank)), h("td", null, e.nickname), h("td", null, String(e.score)))))),
    h("p", null, view.me && view.me.rank ? `You: #${view.me.rank} (${view.me.score})` : "You are not on this board yet."));
  };
  root.append(h("div", { class: "row" },
    field("Board", { tag: "select", name: "board", options: [["net_coins", "Net coins"], ["wins", "Wins"], ["gacha_legendary", "Legendary pulls"]], onchange: show }),
    field("Period", { tag: "select", name: "period", options: [["daily", "Today"], ["weekly", "This week"], ["all_time", "All time"]], onchange: show })), table);
  await show();
});

registerView("streak", "Daily streak", async (root) => {
  const box = h("div", { class: "card" });
  const show = async () => {
    const [status, next] = await Promise.all([api.call("GET", "/api/streak/status"), api.call("GET", "/api/streak/next-reward")]);
    replace(box, h("p", { class: "big", "data-testid": "streak" }, `${status.count} day${status.count === 1 ? "" : "s"}`),
      h("p", null, `Best: ${status.best} · resets ${when(status.next_reset_at)}${status.protected_until ? ` · protected until ${status.protected_until}` : ""}`),
      h("p", null, `Next tick (${when(next.available_at)}): ${next.coins} coins${next.gems ? ` + ${next.gems} gems` : ""}`),
      h("div", { class: "row" },
        h("button", { type: "button", class: "primary", onclick: () => act("/api/streak/tick") }, "Claim today"),
        h("button", { type: "button", onclick: () => act("/api/streak/protect") }, "Use a streak shield")));
  };
  /** @param {string} path */
  const act = async (path) => {
    try { const result = await api.call("POST", path, { key: path.endsWith("tick") ? newKey() : undefined }); if (result.balances) answered(result.balances); notice.say("Done", "ok"); await show(); await showMonth(month); }
    catch (error) { notice.error(error); }
  };
  const calendar = h("section", { class: "card", "aria-labelledby": "calendar-title" });
  let month = "";
  /** @param {string} wanted YYYY-MM, or "" for this month */
  const showMonth = async (wanted) => {
    const history = await api.call("GET", "/api/streak/history", { query: { month: wanted } });
    month = history.month;
    const [year, number] = month.split("-").map(Number);
    /** @param {number} delta */
    const shift = (delta) => { const d = new Date(Date.UTC(year, number - 1 + delta, 1)); return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`; };
    const title = new Date(Date.UTC(year, number - 1, 1)).toLocaleString(undefined, { month: "long", year: "numeric", timeZone: "UTC" });
    const lead = (new Date(Date.UTC(year, number - 1, 1)).getUTCDay() + 6) % 7;  // weeks start on Monday
    const cells = [...Array(lead).fill(null), ...history.days];
    const weeks = [];
    for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
    replace(calendar, h("h2", { id: "calendar-title" }, "Calendar"),
      h("div", { class: "row" },
        h("button", { type: "button", onclick: () => showMonth(shift(-1)) }, "‹ Previous month"),
        h("button", { type: "button", onclick: () => showMonth(shift(1)) }, "Next month ›")),
      h("table", { class: "calendar", "data-testid": "calendar" }, h("caption", { "aria-live": "polite" }, title),
        h("thead", null, h("tr", null, ...["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map((d) => h("th", { scope: "col" }, d)))),
        h("tbody", null, ...weeks.map((week) => h("tr", null, ...week.map((/** @type {any} */ day) => day === null ? h("td") : h("td", {
          class: day.ticked ? "ticked" : day.protected ? "shielded" : null,
          "aria-label": `${day.date}: ${day.ticked ? "claimed" : day.protected ? "kept by a shield" : "not claimed"}`,
        }, String(Number(day.date.slice(8))), day.ticked ? h("span", { "aria-hidden": "true" }, " ✓") : day.protected ? h("span", { "aria-hidden": "true" }, " 🛡") : null)))))));
  };
  root.append(box, calendar);
  await Promise.all([show(), showMonth("")]);
});

installProgress({ api, notice, answered, registerView, listen: (listener) => listeners.push(listener) });

// ------------------------------------------------------------------------------------------------ shop

const SANDBOX_CARDS = [["tok_visa", "Visa (approves)"], ["tok_chargeDeclined", "Declined card"], ["tok_captureRetry", "Captures on retry"],
  ["tok_captureFail", "Capture always fails"], ["tok_pending", "Pending until webhook"], ["tok_timeout", "Gateway timeout"]];

registerView("shop", "Shop", async (root) => {
  const [catalog, limited] = await Promise.all([api.call("GET", "/api/shop/catalog"), api.call("GET", "/api/shop/limited/catalog")]);
  const purchase = h("p", { role: "status", "aria-live": "polite", "data-testid": "purchase-status" });
  const options = h("div", { class: "card row" },
    field("Card (sandbox)", { tag: "select", name: "card_token", options: SANDBOX_CARDS }),
    field("Promo code", { name: "promo_code", autocomplete: "off" }));
  /** @param {string} path @param {Record<string, any>} body @param {string} label */
  const buy = async (path, body, label) => {
    const card = /** @type {HTMLSelectElement} */ (options.querySelector("[name=card_token]")).value;
    const promo = /** @type {HTMLInputElement} */ (options.querySelector("[name=promo_code]")).value.trim();
    try {
      purchase.textContent = `Buying ${label}…`;
      const answer = await api.call("POST", path, { body: { ...body, card_token: card, promo_code: promo || undefined }, key: newKey() });
      purchase.textContent = answer.status === "captured" ? `Bought ${label}: +${answer.gems_granted} gems` : `Payment pending (${answer.transaction_id}); you will be told when it settles.`;
      if (answer.status === "captured") answered({ gems: answer.new_gem_balance });
    } catch (error) { purchase.textContent = ""; notice.error(error); }
  };
  /** @type {Record<string, string>} */
  const names = Object.fromEntries([...catalog.map((/** @type {any} */ i) => [i.sku, i.name]), ...limited.map((/** @type {any} */ p) => [p.package_id, p.name])]);
  listeners.push((message) => {  // a pending purchase settles later: the stream says how it ended
    if (message.type !== "purchase_update") return;
    const { sku, status, gems_granted: gems } = message.data;
    purchase.textContent = status === "captured" ? `Bought ${names[sku] || sku}: +${gems} gems` : `Purchase of ${names[sku] || sku}: ${status}`;
  });
  root.append(options, purchase,
    h("ul", { class: "grid" }, ...catalog.filter((/** @type {any} */ item) => item.enabled).map((/** @type {any} */ item) => h("li", { class: "card offer" },
      h("h2", null, item.name), h("p", null, item.description),
      h("p", { class: "price" }, item.discount_active ? h("s", null, money(item.price_cents, item.currency)) : null, " ", money(item.final_price_cents, item.currency)),
      h("button", { type: "button", class: "primary", "data-sku": item.sku, onclick: () => buy("/api/shop/buy", { sku: item.sku }, item.name) }, `Buy ${item.gems} gems`)))),
    ...(limited.length ? [h("h2", null, "Limited offers")] : []),  // append() would write a null as the text "null"
    h("ul", { class: "grid" }, ...limited.map((/** @type {any} */ p) => h("li", { class: "card offer" },
      h("h3", null, p.name), h("p", null, `${p.stock_remaining} left · until ${when(p.ends_at)}`),
      h("p", { class: "price" }, money(p.price_cents, p.currency)),
      h("button", { type: "button", onclick: () => buy("/api/shop/limited/buy", { package_id: p.package_id }, p.name) }, `Buy ${p.gems} gems`)))));
});

// ------------------------------------------------------------------------------------------------ inbox

registerView("inbox", "Inbox", async (root) => {
  const list = h("ul", { class: "inbox", "aria-live": "polite", "data-testid": "inbox" });
  /** @param {any} n */
  const entry = (n) => h("li", { class: n.read ? "read" : "unread" },
    h("strong", null, n.title), h("p", null, n.body), h("small", null, `${n.type} · ${when(n.created_at)}`),
    n.read ? null : h("button", { type: "button", class: "link", onclick: async (/** @type {Event} */ e) => {
      await api.call("POST", `/api/notifications/${n.id}/read`);
      /** @type {HTMLElement} */ (/** @type {HTMLElement} */ (e.target).parentElement).className = "read";
      /** @type {HTMLElement} */ (e.target).remove();
      state.unread = Math.max(0, state.unread - 1); renderBadge();
    } }, "Mark read"));
  const { items } = await api.call("GET", "/api/notifications", { query: { limit: 50 } });
  replace(list, ...items.map(entry));
  listeners.push((message) => {
    if (message.type === "notification") list.prepend(entry({ ...message.data, created_at: message.ts, read: false }));
  });
  root.append(h("button", { type: "button", onclick: async () => { await api.call("POST", "/api/notifications/read-all"); state.unread = 0; route(); } }, "Mark all read"), list);
});

registerView("settings", "Notification settings", async (root) => {
  const settings = await api.call("GET", "/api/notifications/settings");
  const form = h("form", {
    class: "card",
    onsubmit: async (/** @type {SubmitEvent} */ event) => {
      event.preventDefault();
      const data = new FormData(/** @type {HTMLFormElement} */ (event.target));
      const types = Object.fromEntries(Object.keys(settings.types_enabled).map((t) => [t, data.has(`type_${t}`)]));
      const start = String(data.get("dnd_start") || ""), end = String(data.get("dnd_end") || "");
      try {
        await api.call("PUT", "/api/notifications/settings", { body: {
          types_enabled: types, email: data.has("email"), push: data.has("push"),
          dnd: start && end ? { start, end } : null, timezone: String(data.get("timezone")),
        } });
        notice.say("Saved", "ok");
      } catch (error) { notice.error(error); }
    },
  },
  h("fieldset", null, h("legend", null, "Tell me about"), ...Object.entries(settings.types_enabled).map(([type, on]) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: `type_${type}`, checked: on }), type))),
  h("fieldset", null, h("legend", null, "Channels"),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "email", checked: settings.email }), "Email"),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "push", checked: settings.push }), "Push")),
  h("fieldset", null, h("legend", null, "Quiet hours"),
    field("From", { type: "time", name: "dnd_start", value: settings.dnd ? settings.dnd.start : "" }),
    field("To", { type: "time", name: "dnd_end", value: settings.dnd ? settings.dnd.end : "" }),
    field("Time zone", { name: "timezone", value: settings.timezone, required: true })),
  h("button", { type: "submit", class: "primary" }, "Save"));
  root.append(form);
});

installSafety({ api, notice, answered, registerView, listen: (listener) => listeners.push(listener) });

// ------------------------------------------------------------------------------------------------ start

window.addEventListener("hashchange", route);
if (api.signedIn) {
  realtime.start();
  refreshWallet().catch((error) => { if (!(error instanceof ApiError)) notice.error(error); });
}
route();
