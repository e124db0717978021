// @ts-check
// The console's experiments: create (variants with weights and params, audience, window, goal), list, and each one's
// page: the scorecard with its sample ratio check (an alert when flagged), traffic phases, a new split, and stop.
import { confirmation, field, h, money, replace, when } from "./lib.js";
import { pIs, pValue, percent, problem, scrolling, title } from "./liveops.js";

/** @typedef {import("./liveops.js").ConsoleContext} ConsoleContext */

const GOALS = [["purchase", "Purchase (captured)"], ["spin", "Slot spin"], ["pull", "Gacha pull"], ["login", "Sign-in"],
  ["mission_claim", "Mission claim"], ["retention_d1", "Day-1 retention"]];
const MAX_VARIANTS = 10;  // a control and 9 treatments, as the server allows

/** @param {ConsoleContext} context */
export function installExperiments(context) {
  context.view("experiments", "Experiments", (root) => {
    const id = /** @type {any} */ (root).params[0];
    return id ? experimentDetail(context, root, decodeURIComponent(id)) : experimentList(context, root);
  });
}

/** @param {any} e */
const variantsText = (e) => e.variants.map((/** @type {any} */ v) => `${v.name} ${v.weight}`).join(" · ");

/** @param {ConsoleContext} context @param {HTMLElement} root */
async function experimentList({ api, notice, table }, root) {
  const list = h("div", { "data-testid": "experiments" });
  /** @type {any[]} */
  let shown = [];
  const more = /** @type {HTMLButtonElement} */ (h("button", { type: "button", hidden: true }, "Show more"));
  /** @param {string | null} cursor */
  const load = async (cursor) => {
    const page = await api.call("GET", "/api/admin/experiments", { query: { limit: 25, cursor } });
    shown = cursor ? [...shown, ...page.items] : page.items;
    replace(list, scrolling(table(["Key", "Status", "Window", "Variants (weights)", "Audience", "Goal"], shown.map((e) => [
      h("a", { href: `#/experiments/${encodeURIComponent(e.id)}` }, e.key), e.status, `${when(e.starts_at)} → ${when(e.ends_at)}`,
      variantsText(e), e.audience || "everyone", e.goal]), "Experiments, newest first")));
    more.hidden = !page.next_cursor;
    more.onclick = () => load(page.next_cursor).catch((error) => notice.error(error));
  };
  const { items: segments } = await api.call("GET", "/api/admin/segments");
  root.append(list, more, experimentForm({ api, notice, load: () => load(null) }, segments.map((/** @type {any} */ s) => s.name)));
  await load(null);
}

/** A datetime-local value (the operator's local time) @param {Date} date */
function localInput(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

/**
 * @param {{api: import("./lib.js").Api, notice: import("./lib.js").Notice, load: () => Promise<void>}} deps
 * @param {string[]} segments
 */
function experimentForm({ api, notice, load }, segments) {
  const rows = h("tbody");
  const shares = h("p", { "aria-live": "polite", "data-testid": "variant-shares", class: "help" });
  const addButton = /** @type {HTMLButtonElement} */ (h("button", { type: "button" }, "Add variant"));
  const renumber = () => {
    const all = [...rows.children];
    all.forEach((row, i) => {
      const n = i + 1;
      const [name, weight, params] = row.querySelectorAll("input");
      name.setAttribute("aria-label", `Variant ${n} name`);
      weight.setAttribute("aria-label", `Variant ${n} weight`);
      params.setAttribute("aria-label", `Variant ${n} params (JSON, optional)`);
      const remove = /** @type {HTMLButtonElement} */ (row.querySelector("button"));
      remove.setAttribute("aria-label", `Remove variant ${n}`);
      remove.disabled = all.length <= 2;
      /** @type {HTMLElement} */ (row.querySelector("th")).textContent = i === 0 ? `${n} (control)` : String(n);
    });
    addButton.disabled = all.length >= MAX_VARIANTS;
    const weights = all.map((row) => Number(/** @type {HTMLInputElement} */ (row.querySelectorAll("input")[1]).value) || 0);
    const total = weights.reduce((a, b) => a + b, 0);
    shares.textContent = total ? `New players split: ${weights.map((w, i) => `${(/** @type {HTMLInputElement} */ (all[i].querySelector("input")).value) || `variant ${i + 1}`} ${Math.round((w / total) * 1000) / 10}%`).join(", ")}` : "The weights add up to 0: nobody would be assigned.";
  };
  /** @param {string} name @param {number} weight */
  const addRow = (name, weight) => {
    const row = h("tr", null, h("th", { scope: "row" }),
      h("td", null, h("input", { name: "variant_name", value: name, required: true, maxlength: 32 })),
      h("td", null, h("input", { name: "variant_weight", type: "number", min: 0, max: 1000, value: weight, required: true })),
      h("td", null, h("input", { name: "variant_params", class: "mono", placeholder: '{"discount_percent": 10}' })),
      h("td", null, h("button", { type: "button", class: "link", onclick: () => { row.remove(); renumber(); } }, "Remove")));
    rows.append(row);
    renumber();
    return row;
  };
  addButton.addEventListener("click", () => /** @type {HTMLInputElement} */ (addRow(`treatment_${rows.children.length}`, 50).querySelector("input")).focus());
  const now = new Date();
  const form = /** @type {HTMLFormElement} */ (h("form", { class: "card", "aria-labelledby": "new-experiment-title" },
    h("h2", { id: "new-experiment-title" }, "New experiment"),
    h("div", { class: "row" },
      field("Key", { name: "key", required: true, maxlength: 64, pattern: "[a-z0-9][a-z0-9_.\\-]*", autocomplete: "off", placeholder: "banner_test_2026_12" }),
      field("Goal", { tag: "select", name: "goal", options: GOALS }),
      field("Audience", { tag: "select", name: "audience", options: [["", "Everyone"], ...segments.map((s) => [s, `Segment: ${s}`])] })),
    h("div", { class: "row" },
      field("Starts at", { name: "starts_at", type: "datetime-local", required: true, value: localInput(now) }),
      field("Ends at", { name: "ends_at", type: "datetime-local", required: true, value: localInput(new Date(now.getTime() + 14 * 86400000)) })),
    scrolling(h("table", { class: "variants" }, h("caption", null, "Variants: the first is the control; weights are relative shares of new players"),
      h("thead", null, h("tr", null, ...["#", "Name", "Weight", "Params (JSON)", ""].map((t) => h("th", { scope: "col" }, t)))), rows)),
    shares,
    h("div", { class: "row" }, addButton, h("button", { type: "submit", class: "primary" }, "Create experiment"))));
  addRow("control", 50);
  addRow("treatment", 50);
  form.addEventListener("input", renumber);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const variants = [];
    for (const [i, row] of [...rows.children].entries()) {
      const [name, weight, params] = row.querySelectorAll("input");
      /** @type {{name: string, weight: number, params?: any}} */
      const variant = { name: name.value, weight: Number(weight.value) };
      if (params.value.trim()) {
        try { variant.params = JSON.parse(params.value); } catch { notice.say(`Variant ${i + 1} params: not valid JSON`, "error"); params.focus(); return; }
      }
      variants.push(variant);
    }
    const body = {
      key: String(data.get("key")), goal: String(data.get("goal")), audience: String(data.get("audience")) || undefined, variants,
      starts_at: new Date(String(data.get("starts_at"))).toISOString(), ends_at: new Date(String(data.get("ends_at"))).toISOString(),
    };
    try {
      const created = await api.call("POST", "/api/admin/experiments", { body });
      notice.say(`Created experiment ${created.key} (${created.status})`, "ok");
      await load();
    } catch (error) { notice.say(problem(error), "error"); }
  });
  return form;
}

/** @param {ConsoleContext} context @param {HTMLElement} root @param {string} id */
async function experimentDetail({ api, notice, table, route }, root, id) {
  const path = `/api/admin/experiments/${encodeURIComponent(id)}`;
  const experiment = await api.call("GET", path);
  const results = h("section", { "aria-labelledby": "results-title", "data-testid": "results" });
  const loadResults = async () => {
    try { showResults(results, await api.call("GET", `${path}/results`), table); }
    catch (error) { replace(results, h("h2", { id: "results-title" }, "Results"), h("p", { "data-kind": "error" }, problem(error))); }
  };
  const stoppable = experiment.status === "scheduled" || experiment.status === "running";
  title(root, `Experiment ${experiment.key}`);
  root.append(
    h("p", null, h("a", { href: "#/experiments" }, "← All experiments")),
    h("dl", { class: "card stats" }, ...[["Status", experiment.status], ["Goal", experiment.goal], ["Audience", experiment.audience || "everyone"],
      ["Starts", when(experiment.starts_at)], ["Ends", when(experiment.ends_at)], ["Traffic phase", String(experiment.phase)],
      ["Created", when(experiment.created_at)], ["Stopped", when(experiment.stopped_at)]]
      .flatMap(([k, v]) => [h("dt", null, k), h("dd", { "data-testid": `experiment-${k.toLowerCase().replaceAll(" ", "-")}` }, v)])),
    results,
    h("div", { class: "row actions" },
      h("button", { type: "button", onclick: () => loadResults() }, "Refresh results"),
      stoppable ? h("button", { type: "button", class: "danger", onclick: async () => {
        const yes = await confirmation(`Stop ${experiment.key}?`,
          "Nobody new is assigned and every player gets the default from now on. A stopped experiment cannot be restarted; its results stay.",
          "Yes, stop the experiment");
        if (!yes) return;
        try {
          await api.call("POST", `${path}/stop`);
          await route();
          notice.say(`Stopped ${experiment.key}`, "ok");
        } catch (error) { notice.error(error); }
      } }, "Stop experiment…") : null),
    scrolling(table(["Variant", "Weight", "Params"], experiment.variants.map((/** @type {any} */ v) => [
      v.is_control ? `${v.name} (control)` : v.name, String(v.weight), h("code", { class: "mono" }, JSON.stringify(v.params))]), "Variants in the current phase")),
    scrolling(table(["Phase", "Started", "Weights"], experiment.phases.map((/** @type {any} */ ph) => [String(ph.phase), when(ph.started_at),
      Object.entries(ph.weights).map(([name, weight]) => `${name} ${weight}`).join(" · ")]), "Traffic phases")),
    ...(stoppable ? [splitForm({ api, notice, route }, experiment, path)] : []));
  await loadResults();
}

/**
 * A new traffic split (phase) over the same variants: players already assigned keep theirs; a zero closes an arm.
 * @param {Pick<ConsoleContext, "api" | "notice" | "route">} context @param {any} experiment @param {string} path
 */
function splitForm({ api, notice, route }, experiment, path) {
  const form = /** @type {HTMLFormElement} */ (h("form", { class: "card", "aria-labelledby": "split-title" },
    h("h2", { id: "split-title" }, "New traffic split"),
    h("p", { class: "help" }, "Only new players are split by the new weights; everyone already assigned keeps their variant. A weight of 0 closes a variant to new players."),
    h("div", { class: "row" }, ...experiment.variants.map((/** @type {any} */ v) =>
      field(`${v.name} weight`, { name: v.name, type: "number", min: 0, max: 1000, value: v.weight, required: true }))),
    h("button", { type: "submit" }, "Start the new split")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const variants = experiment.variants.map((/** @type {any} */ v) => ({ name: v.name, weight: Number(data.get(v.name)) }));
    try {
      const changed = await api.call("POST", `${path}/phases`, { body: { variants } });
      await route();
      notice.say(`Phase ${changed.phase} started: ${variantsText(changed)}`, "ok");
    } catch (error) { notice.say(problem(error), "error"); }
  });
  return form;
}

/**
 * The scorecard: the SRM check first (a mismatch voids every number below it), then each variant against the control.
 * @param {HTMLElement} section @param {any} card @param {ConsoleContext["table"]} table
 */
function showResults(section, card, table) {
  const srm = card.srm;
  const check = srm.flagged
    ? h("div", { class: "card alert", role: "alert", "data-testid": "srm" },
      h("h3", null, "⚠ Sample ratio mismatch"),
      h("p", null, `Exposures do not match the weights (χ² ${pIs(srm.p_value)}, flagged below ${srm.alpha}). Assignment or exposure logging is broken somewhere: do not trust these results until it is explained.`),
      h("p", null, "Expected exposures: ", Object.entries(srm.expected).map(([name, n]) => `${name} ${Math.round(Number(n)).toLocaleString()}`).join(" · ")))
    : h("p", { "data-testid": "srm" }, srm.p_value === null
      ? "Sample ratio check: not enough exposures yet."
      : `Sample ratio check: ${pIs(srm.p_value)}, no mismatch (flagged below ${srm.alpha}).`);
  replace(section, h("h2", { id: "results-title" }, `Results (goal: ${card.goal})`), check,
    scrolling(table(["Variant", "Exposed", "Converted", "Conversion rate", "Lift", "Revenue per exposed", "p-value", "Revenue p-value"],
      card.variants.map((/** @type {any} */ v) => [v.is_control ? `${v.variant} (control)` : v.variant, v.exposed.toLocaleString(), v.converted.toLocaleString(),
        percent(v.conversion_rate), v.conversion_lift === null ? "—" : `${v.conversion_lift >= 0 ? "+" : ""}${(v.conversion_lift * 100).toFixed(2)} pts`,
        money(v.revenue_per_exposed_cents), pValue(v.p_value), pValue(v.revenue_p_value)]),
      "Each treatment against the control (two-proportion z-test; revenue: Welch's t-test)")));
}
