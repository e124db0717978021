// @ts-check
// The player's goals: missions, achievements and the battle pass. Progress comes from the server (it counts the
// plays from its own events); a claim sends an Idempotency-Key, so a double click cannot be paid twice.
import { ApiError, h, newKey, replace, when } from "./lib.js";

/**
 * What player.js lends its views.
 * @typedef {{
 *   api: import("./lib.js").Api,
 *   notice: import("./lib.js").Notice,
 *   answered: (balances: any) => void,
 *   registerView: (name: string, label: string, render: (root: HTMLElement) => Promise<void> | void) => void,
 *   listen: (listener: (message: any) => void) => void,
 * }} PlayerContext
 */

/** @param {{coins?: number, gems?: number, item_id?: string | null} | null | undefined} reward */
export function rewardText(reward) {
  if (!reward) return "—";
  const parts = [];
  if (reward.coins) parts.push(`${reward.coins.toLocaleString()} coins`);
  if (reward.gems) parts.push(`${reward.gems.toLocaleString()} gems`);
  if (reward.item_id) parts.push(reward.item_id.replaceAll("_", " "));
  return parts.join(" + ") || "—";
}

/** A labelled progress bar with the numbers beside it (the bar alone says nothing to a screen reader's user).
 * @param {number} value @param {number} max @param {string} label */
function bar(value, max, label) {
  return h("span", { class: "meter" },
    h("progress", { value: Math.min(value, max), max: Math.max(max, 1), "aria-label": label }),
    ` ${value.toLocaleString()} / ${max.toLocaleString()}`);
}

/** @param {PlayerContext} context */
export function installProgress({ api, notice, answered, registerView, listen }) {
  /**
   * @param {string} path
   * @param {string} what
   * @param {() => Promise<void>} again
   * @param {Record<string, any>} [body]
   */
  const claim = async (path, what, again, body) => {
    try {
      const result = await api.call("POST", path, { body, key: newKey() });
      if (result.balances) answered(result.balances);
      notice.say(`Claimed ${what}: ${rewardText(result.reward)}`, "ok");
      await again();
    } catch (error) { notice.error(error); }
  };

  registerView("missions", "Missions", async (root) => {
    const box = h("div");
    const show = async () => {
      const board = await api.call("GET", "/api/missions");
      const periods = [["daily", `Daily (reset ${when(board.daily_resets_at)})`], ["weekly", `Weekly (reset ${when(board.weekly_resets_at)})`], ["once", "Milestones"]];
      replace(box, ...periods.map(([period, title]) => {
        const items = board.items.filter((/** @type {any} */ m) => m.period === period);
        if (!items.length) return "";
        return h("section", { class: "card", "aria-label": title }, h("h2", null, title),
          h("ul", { class: "goals" }, ...items.map((/** @type {any} */ m) => h("li", { "data-testid": `mission-${m.mission_id}` },
            h("strong", null, m.title), " ", bar(m.progress, m.target, `${m.title} progress`),
            h("span", { class: "reward" }, `Reward: ${rewardText(m.reward)}`),
            m.claimed ? h("span", { class: "done" }, "✓ Claimed")
              : m.claimable ? h("button", { type: "button", class: "primary", onclick: () => claim(`/api/missions/${encodeURIComponent(m.mission_id)}/claim`, m.title, show) }, `Claim ${m.title}`)
                : null))));
      }));
    };
    listen((message) => { if (message.type === "mission_completed") show().catch((error) => notice.error(error)); });
    root.append(box);
    await show();
  });

  registerView("achievements", "Achievements", async (root) => {
    const box = h("div");
    const show = async () => {
      const list = await api.call("GET", "/api/achievements");
      const categories = [...new Set(list.items.map((/** @type {any} */ a) => a.category))];
      replace(box, h("p", null, `${list.unlocked_count} unlocked`),
        ...categories.map((category) => h("section", { class: "card", "aria-label": String(category) }, h("h2", null, String(category)),
          h("ul", { class: "goals" }, ...list.items.filter((/** @type {any} */ a) => a.category === category).map((/** @type {any} */ a) =>
            h("li", { class: a.unlocked ? "unlocked" : "locked", "data-testid": `achievement-${a.achievement_id}` },
              h("strong", null, a.unlocked ? `🏆 ${a.title}` : a.title), " ",
              a.unlocked ? h("span", null, `unlocked ${when(a.unlocked_at)}`) : bar(a.progress, a.target, `${a.title} progress`),
              h("span", { class: "reward" }, `Reward: ${rewardText(a.reward)}${a.auto_claim ? " (paid at unlock)" : ""}`),
              a.claimable ? h("button", { type: "button", class: "primary", onclick: () => claim(`/api/achievements/${encodeURIComponent(a.achievement_id)}/claim`, a.title, show) }, `Claim ${a.title}`)
                : a.claimed ? h("span", { class: "done" }, "✓ Claimed") : null))))));
    };
    listen((message) => { if (message.type === "achievement_unlocked") show().catch((error) => notice.error(error)); });
    root.append(box);
    await show();
  });

  registerView("battlepass", "Battle pass", async (root) => {
    const box = h("div");
    const show = async () => {
      let pass;
      try {
        pass = await api.call("GET", "/api/battlepass/status");
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) { replace(box, h("p", { class: "card" }, "No battle pass season is running right now.")); return; }
        throw error;
      }
      const top = pass.level >= pass.max_level;
      /** @param {"free" | "premium"} track */
      const claims = (track) => pass.claimable_levels[track].map((/** @type {number} */ level) =>
        h("button", { type: "button", class: "primary", onclick: () => claim("/api/battlepass/claim", `level ${level} (${track})`, show, { level, track }) }, `Claim level ${level} (${track})`));
      replace(box,
        h("section", { class: "card", "aria-labelledby": "pass-name" },
          h("h2", { id: "pass-name" }, pass.name),
          h("p", { class: "big", "data-testid": "pass-level" }, `Level ${pass.level} / ${pass.max_level}`),
          h("p", null, top ? "Top level reached." : h("span", null, `XP ${pass.xp.toLocaleString()} · `,
            bar(pass.xp, pass.xp + pass.xp_to_next, "XP to the next level"), ` · ${pass.xp_to_next.toLocaleString()} XP to level ${pass.level + 1}`)),
          h("p", null, `Season ends ${when(pass.ends_at)}. Track: ${pass.premium ? "premium" : "free"}.`),
          pass.premium ? null : h("button", { type: "button", onclick: async () => {
            try { await api.call("POST", "/api/battlepass/premium", { key: newKey() }); notice.say("Premium track unlocked", "ok"); await show(); }
            catch (error) { notice.error(error); }
          } }, `Unlock the premium track (${pass.premium_price_gems.toLocaleString()} gems)`)),
        h("section", { class: "card", "aria-labelledby": "pass-claims" }, h("h2", { id: "pass-claims" }, "Rewards to claim"),
          pass.claimable_levels.free.length + pass.claimable_levels.premium.length
            ? h("div", { class: "row" }, ...claims("free"), ...claims("premium"))
            : h("p", null, "Nothing to claim yet: play to earn XP.")));
    };
    listen((message) => { if (message.type === "level_up") show().catch((error) => notice.error(error)); });
    root.append(box);
    await show();
  });
}
