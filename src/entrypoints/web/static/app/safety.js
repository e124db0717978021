// @ts-check
// Fairness (the player's seed pair, rotation, and checking a past play against the revealed seed) and limits
// (purchase limits, play-time reminders, time-out and self-exclusion, the last two behind a confirmation).
import { canonical, confirmation, field, h, money, replace, when } from "./lib.js";

/** @typedef {import("./progress.js").PlayerContext} PlayerContext */

/** @param {[string, any][]} pairs */
function facts(pairs) {
  return h("dl", { class: "stats" }, ...pairs.flatMap(([name, value]) => [h("dt", null, name), h("dd", { class: "mono" }, String(value ?? "—"))]));
}

/** @param {PlayerContext} context */
export function installSafety({ api, notice, registerView }) {
  registerView("fairness", "Fairness", async (root) => {
    const seedsBox = h("section", { class: "card", "aria-labelledby": "seeds-title" });
    const result = h("div", { role: "status", "aria-live": "polite", "data-testid": "proof-result" });
    /** @param {any} seeds */
    const showSeeds = (seeds) => {
      const input = field("Client seed", { name: "client_seed", value: seeds.client_seed, required: true, maxlength: 64, pattern: "[ -~]{1,64}", "aria-describedby": "seed-help", autocomplete: "off" });
      replace(seedsBox, h("h2", { id: "seeds-title" }, "Your seeds"),
        h("p", null, "Every play is drawn from the server seed (committed to by its hash before you play), your client seed and a nonce that counts your plays. Rotating reveals the server seed, so you can check every play made with it."),
        facts([["Server seed hash", seeds.server_seed_hash], ["Client seed", seeds.client_seed], ["Next nonce", seeds.nonce]]),
        h("form", { class: "row", onsubmit: async (/** @type {SubmitEvent} */ event) => {
          event.preventDefault();
          const value = String(new FormData(/** @type {HTMLFormElement} */ (event.target)).get("client_seed"));
          try { showSeeds(await api.call("PUT", "/api/fairness/client-seed", { body: { client_seed: value } })); notice.say("Client seed saved", "ok"); }
          catch (error) { notice.error(error); }
        } }, input, h("button", { type: "submit" }, "Save client seed")),
        h("p", { id: "seed-help", class: "help" }, "1–64 printable characters of your choice; the next play uses it. After plays, a new client seed starts a new pair (the current server seed is revealed)."),
        h("button", { type: "button", class: "primary", onclick: async () => {
          try { showSeeds(await api.call("POST", "/api/fairness/rotate")); notice.say("Seeds rotated: the previous server seed is revealed", "ok"); }
          catch (error) { notice.error(error); }
        } }, "Rotate seeds"),
        ...(seeds.previous ? [h("div", null, h("h3", null, "Previous pair (revealed)"), facts([
          ["Server seed", seeds.previous.server_seed], ["Its hash", seeds.previous.server_seed_hash],
          ["Client seed", seeds.previous.client_seed], ["Last nonce", seeds.previous.last_nonce]]))] : []));  // not a "null" text
    };

    /** @param {any} play */
    const check = async (play) => {
      try {
        replace(result, `Checking ${play.game_type} play of ${when(play.created_at)}…`);
        const proof = await api.call("GET", `/api/games/history/${encodeURIComponent(play.id)}/proof`);
        if (!proof.server_seed) {
          replace(result, h("p", { "data-kind": "error" }, "This play's server seed is still secret: rotate your seeds, then check it."));
          return;
        }
        const inputs = proof.game_type === "slot" ? { bet: proof.bet, streak: proof.streak ?? 0 } : { count: proof.count, pity_counter: proof.pity_counter ?? 0 };
        const verified = await api.call("POST", "/api/fairness/verify", { auth: false, body: {
          game_type: proof.game_type, server_seed: proof.server_seed, client_seed: proof.client_seed, nonce: proof.nonce,
          config_version: proof.config_version, server_seed_hash: proof.server_seed_hash, ...inputs } });
        const same = canonical(verified.outcome) === canonical(proof.outcome) && verified.hash_matches === true;
        replace(result, h("p", { "data-kind": same ? "ok" : "error" }, same
          ? "✓ Verified: the seed matches its commitment and recomputes exactly this outcome."
          : "✗ Mismatch: the recomputed outcome differs from the recorded one."),
        facts([["Server seed", proof.server_seed], ["Hash", proof.server_seed_hash], ["Client seed", proof.client_seed], ["Nonce", proof.nonce],
          ["Config version", proof.config_version], ["Outcome", canonical(proof.outcome)]]));
      } catch (error) { replace(result); notice.error(error); }
    };

    const [seeds, history] = await Promise.all([api.call("GET", "/api/fairness/seeds"), api.call("GET", "/api/games/history", { query: { limit: 10 } })]);
    showSeeds(seeds);
    root.append(seedsBox, h("section", { class: "card", "aria-labelledby": "check-title" }, h("h2", { id: "check-title" }, "Check a play"),
      history.items.length ? h("table", null,
        h("thead", null, h("tr", null, ...["When", "Game", "Bet", "Payout", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", null, ...history.items.map((/** @type {any} */ play) => h("tr", null,
          h("td", null, when(play.created_at)), h("td", null, play.game_type), h("td", null, String(play.bet)), h("td", null, String(play.payout)),
          h("td", null, h("button", { type: "button", onclick: () => check(play), "aria-label": `Check the ${play.game_type} play of ${when(play.created_at)}` }, "Check"))))))
        : h("p", null, "No plays yet."),
      result));
  });

  registerView("limits", "Limits", async (root) => {
    const box = h("div");
    /** @param {number | null} cents */
    const dollars = (cents) => cents === null ? "" : (cents / 100).toFixed(2);
    const show = async () => {
      const limits = await api.call("GET", "/api/limits");
      const periods = [["daily_cents", "Daily"], ["weekly_cents", "Weekly"], ["monthly_cents", "Monthly"]];
      const form = h("form", { class: "card", "aria-labelledby": "limits-title", onsubmit: async (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const data = new FormData(/** @type {HTMLFormElement} */ (event.target));
        /** @param {string} name */
        const read = (name) => { const v = String(data.get(name) || "").trim(); return v === "" ? null : v; };
        /** @type {Record<string, any>} */
        const purchase = {};
        for (const [name] of periods) {
          const v = read(name);
          const cents = v === null ? null : Math.round(Number(v) * 100);
          if (cents !== limits.purchase[name]) purchase[name] = cents;  // only what changed: an untouched limit keeps its pending change
        }
        /** @type {Record<string, any>} */
        const body = Object.keys(purchase).length ? { purchase } : {};
        for (const name of ["play_minutes_daily", "reality_check_minutes"]) {
          const v = read(name);
          const minutes = v === null ? null : Number(v);
          if (minutes !== limits[name]) body[name] = minutes;
        }
        if (!Object.keys(body).length) { notice.say("Nothing changed"); return; }
        try {
          const saved = await api.call("PUT", "/api/limits", { body });
          notice.say(saved.pending.length ? "Saved. Lower limits apply now; higher ones and removals after 24 hours." : "Saved: in force now.", "ok");
          await show();
        } catch (error) { notice.error(error); }
      } },
      h("h2", { id: "limits-title" }, "Purchase limits"),
      h("p", { class: "help" }, "In dollars; leave empty for no limit. A lower limit applies at once, a higher one (or none) after 24 hours."),
      h("div", { class: "row" }, ...periods.map(([name, label]) => h("div", null,
        field(`${label} limit ($)`, { name, type: "number", min: 0.01, max: 1000000, step: 0.01, value: dollars(limits.purchase[name]), inputmode: "decimal" }),
        h("p", { class: "help", "data-testid": `usage-${name}` }, `Spent: ${money(limits.usage[name] ?? 0)}${limits.purchase[name] !== null ? ` of ${money(limits.purchase[name])}` : ""}`)))),
      h("h2", null, "Play time"),
      h("div", { class: "row" },
        field("Daily play limit (minutes)", { name: "play_minutes_daily", type: "number", min: 1, max: 1440, value: limits.play_minutes_daily ?? "" }),
        field("Reality check every (minutes)", { name: "reality_check_minutes", type: "number", min: 1, max: 1440, value: limits.reality_check_minutes ?? "" })),
      h("button", { type: "submit", class: "primary" }, "Save limits"));
      const pending = limits.pending.length ? h("section", { class: "card", "aria-labelledby": "pending-title" }, h("h2", { id: "pending-title" }, "Waiting to apply"),
        h("ul", { class: "list", "data-testid": "pending" }, ...limits.pending.map((/** @type {any} */ p) => h("li", null,
          `${p.field.replace("purchase.", "").replace("_cents", "").replaceAll("_", " ")}: `,
          h("strong", null, p.value === null ? "no limit" : p.field.endsWith("_cents") ? money(p.value) : `${p.value} minutes`),
          ` from ${when(p.effective_at)}`)))) : null;
      const restriction = limits.restriction;
      const breaks = h("section", { class: "card", "aria-labelledby": "break-title" }, h("h2", { id: "break-title" }, "Take a break"),
        restriction ? h("p", { "data-kind": "error", "data-testid": "restriction" },
          `${restriction.kind === "self_exclusion" ? "Self-excluded" : "Timed out"} until ${when(restriction.until)}. Play and purchases are closed until then.`) : null,
        h("p", { class: "help" }, "Both start at once and cannot be ended early, by you or by us."),
        h("div", { class: "row" },
          field("Time-out for", { tag: "select", name: "duration", options: [["24h", "24 hours"], ["7d", "7 days"], ["30d", "30 days"], ["42d", "6 weeks"]] }),
          h("button", { type: "button", onclick: async (/** @type {Event} */ event) => {
            const select = /** @type {HTMLSelectElement} */ (/** @type {HTMLElement} */ (event.target).parentElement?.querySelector("[name=duration]"));
            const label = select.selectedOptions[0].textContent;
            if (!await confirmation("Take a time-out?", `You will not be able to play or buy for ${label}. This cannot be undone.`, `Yes, pause for ${label}`)) return;
            try { await api.call("POST", "/api/limits/time-out", { body: { duration: select.value } }); notice.say(`Time-out started for ${label}`, "ok"); await show(); }
            catch (error) { notice.error(error); }
          } }, "Take a time-out…")),
        h("div", { class: "row" },
          field("Self-exclude for", { tag: "select", name: "months", options: [["6", "6 months"], ["12", "12 months"], ["60", "5 years"]] }),
          h("button", { type: "button", class: "danger", onclick: async (/** @type {Event} */ event) => {
            const select = /** @type {HTMLSelectElement} */ (/** @type {HTMLElement} */ (event.target).parentElement?.querySelector("[name=months]"));
            const label = select.selectedOptions[0].textContent;
            if (!await confirmation("Self-exclude?", `Your account will be closed to play and purchases for ${label}. This cannot be undone early, even by support.`, `Yes, exclude me for ${label}`)) return;
            try { await api.call("POST", "/api/limits/self-exclusion", { body: { months: Number(select.value) } }); notice.say(`Self-excluded for ${label}`, "ok"); await show(); }
            catch (error) { notice.error(error); }
          } }, "Self-exclude…")));
      replace(box, form, pending || "", breaks);
    };
    root.append(box);
    await show();
  });
}
