// @ts-check
// The console's LiveOps screens: segments (RFM groups and custom rule segments, their preview, a segment's remote
// config override, the recompute job) and experiments (create, list, the scorecard with its SRM check, stop).
// The server validates everything; these screens show its answers, field by field where it names the fields.
import { ApiError, confirmation, field, h, money, replace, when } from "./lib.js";

/**
 * What admin.js lends its LiveOps views.
 * @typedef {{
 *   api: import("./lib.js").Api,
 *   notice: import("./lib.js").Notice,
 *   view: (name: string, label: string, render: (root: HTMLElement) => Promise<void>) => void,
 *   table: (headings: string[], rows: (Node | string)[][], caption?: string) => HTMLElement,
 *   route: () => Promise<void>,
 * }} ConsoleContext
 */

const GOALS = [["purchase", "Purchase (captured)"], ["spin", "Slot spin"], ["pull", "Gacha pull"], ["login", "Sign-in"],
  ["mission_claim", "Mission claim"], ["retention_d1", "Day-1 retention"]];
// what a rule may read (src/domain/liveops/rules.py PROPERTIES); the server names an unknown one with its position
const RULE_PROPERTIES = ["rank", "vip_tier", "rfm", "ltv_cents", "churn_risk", "total_spent_cents", "spent_30d_cents", "plays_30d",
  "purchases_30d", "days_since_last_play", "days_since_last_login", "days_since_signup", "streak"];
const MAX_VARIANTS = 10;  // a control and 9 treatments, as the server allows
const POLL_MS = 500;

/** The server's refusal with each field it names ("variants[1].params.discount_percent: …"). @param {unknown} error */
export function problem(error) {
  if (!(error instanceof ApiError)) return String(error);
  const fields = (error.details && Array.isArray(error.details.fields)) ? error.details.fields : [];
  const named = fields.map((/** @type {any} */ f) => `${f.key}: ${f.message || "invalid"}`).filter((/** @type {string} */ t) => !error.message.includes(t));
  return [`${error.message} (${error.code})`, ...named].join(" — ");
}

/** @param {number | null | undefined} p */
export function pValue(p) {
  if (p === null || p === undefined) return "—";
  return p < 0.0001 ? "< 0.0001" : p.toFixed(4);
}

/** "p = 0.0123" or "p < 0.0001", for a sentence. @param {number | null} p */
const pIs = (p) => p !== null && p < 0.0001 ? "p < 0.0001" : `p = ${pValue(p)}`;

/** "1 player", "2 players" @param {number} n @param {string} noun */
const count = (n, noun) => `${n.toLocaleString()} ${noun}${n === 1 ? "" : "s"}`;

/** @param {number} rate */
const percent = (rate) => `${(rate * 100).toFixed(2)}%`;

/** A wide table scrolls inside its own box at phone width, not the whole page. @param {HTMLElement} table */
const scrolling = (table) => h("div", { class: "scroll" }, table);

/** The view's heading names what it shows (route() focuses it once the view is drawn). @param {HTMLElement} root @param {string} text */
const title = (root, text) => { /** @type {HTMLElement} */ (root.querySelector("h1")).textContent = text; };

/** A labelled multi-line control (field() makes inputs and selects). @param {string} label @param {Record<string, any>} attrs */
function area(label, attrs) {
  const control = h("textarea", { rows: 3, ...attrs, id: attrs.id });
  return h("div", { class: "field wide" }, h("label", { for: attrs.id }, label), control);
}

/** @param {ConsoleContext} context */
export function installLiveOps(context) {
  context.view("segments", "Segments", (root) => {
    const name = /** @type {any} */ (root).params[0];
    return name ? segmentDetail(context, root, decodeURIComponent(name)) : segmentList(context, root);
  });
  context.view("experiments", "Experiments", (root) => {
    const id = /** @type {any} */ (root).params[0];
    return id ? experimentDetail(context, root, decodeURIComponent(id)) : experimentList(context, root);
  });
}

// ------------------------------------------------------------------------------------------------ segments

/** @param {ConsoleContext} context @param {HTMLElement} root */
async function segmentList({ api, notice, table }, root) {
  const list = h("div", { "data-testid": "segments" });
  const load = async () => {
    const { items } = await api.call("GET", "/api/admin/segments");
    replace(list, scrolling(table(["Segment", "Kind", "Rule", "Players", "Computed", ""], items.map((/** @type {any} */ s) => [
      s.name, s.kind === "rfm" ? "RFM group" : "custom", s.rule ? h("code", null, s.rule) : "—",
      h("span", { "data-testid": `count-${s.name}` }, s.count.toLocaleString()), when(s.computed_at),
      h("a", { href: `#/segments/${encodeURIComponent(s.name)}` }, `Preview ${s.name}`)]), "Segments with their members at the last recompute")));
  };
  const progress = /** @type {HTMLProgressElement} */ (h("progress", { max: 1, value: 0, "aria-labelledby": "recompute-title", hidden: true }));
  const status = h("p", { role: "status", "aria-live": "polite", "data-testid": "recompute-status" });
  const button = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "primary" }, "Recompute"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const { job_id: jobId } = await api.call("POST", "/api/admin/segments/recompute");
      const job = await followJob(api, jobId, root, (j) => {
        progress.hidden = false;
        progress.value = j.progress;
        status.textContent = `${j.status === "queued" ? "Queued" : "Running"}: ${Math.round(j.progress * 100)}%`;
        delete status.dataset.kind;
      });
      if (!job) return;  // the operator left the screen: the job runs on without us
      progress.value = job.progress;
      status.textContent = job.status === "done"
        ? `Done: ${count(job.players, "player")} profiled, ${count(job.changes, "membership change")} (finished ${when(job.finished_at)})`
        : `Failed: ${job.error || "unknown error"}`;
      status.dataset.kind = job.status === "done" ? "ok" : "error";
      await load();
    } catch (error) { notice.error(error); } finally { button.disabled = false; }
  });
  root.append(
    h("section", { class: "card", "aria-labelledby": "recompute-title" }, h("h2", { id: "recompute-title" }, "Recompute"),
      h("p", null, "Rebuilds every player's profile (LTV, recency, RFM group) and every segment's members. It also runs on a schedule."),
      h("div", { class: "row" }, button, progress), status),
    list, segmentForm({ api, notice, load }));
  await load();
}

/**
 * Poll a recompute job until it is done or failed; null when the view is left first.
 * @param {import("./lib.js").Api} api @param {string} jobId @param {HTMLElement} root @param {(job: any) => void} onProgress
 */
async function followJob(api, jobId, root, onProgress) {
  for (;;) {
    const job = await api.call("GET", `/api/admin/segments/jobs/${encodeURIComponent(jobId)}`);
    if (job.status === "done" || job.status === "failed") return job;
    if (!root.isConnected) return null;
    onProgress(job);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** @param {{api: import("./lib.js").Api, notice: import("./lib.js").Notice, load: () => Promise<void>}} deps */
function segmentForm({ api, notice, load }) {
  const rule = area("Rule", { id: "segment-rule", name: "rule", required: true, maxlength: 2000, "aria-describedby": "rule-help",
    placeholder: 'ltv_cents >= 10000 and days_since_last_play > 7 and rank in ("VIP", "PREMIUM")' });
  const form = /** @type {HTMLFormElement} */ (h("form", { class: "card", "aria-labelledby": "new-segment-title" },
    h("h2", { id: "new-segment-title" }, "New custom segment"),
    field("Name", { name: "name", required: true, maxlength: 64, pattern: "[A-Za-z][A-Za-z0-9_\\-]*", autocomplete: "off" }),
    rule,
    h("p", { id: "rule-help", class: "help" }, "Comparisons (= != < <= > >=, in (…), not in (…)) joined by and / or / not, with parentheses, over the player's profile at the last recompute: ",
      RULE_PROPERTIES.join(", "), ". What each means: the API docs, POST /api/admin/segments."),
    h("button", { type: "submit" }, "Create segment")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const ruleInput = /** @type {HTMLTextAreaElement} */ (form.querySelector("textarea"));
    ruleInput.removeAttribute("aria-invalid");
    try {
      const created = await api.call("POST", "/api/admin/segments", { body: { name: String(data.get("name")), rule: String(data.get("rule")) } });
      notice.say(`Created ${created.name}: ${count(created.count, "player")}`, "ok");
      form.reset();
      await load();
    } catch (error) {
      notice.say(problem(error), "error");
      const position = error instanceof ApiError && error.details ? error.details.position : undefined;
      if (typeof position === "number") {  // put the caret where the rule stops parsing
        ruleInput.setAttribute("aria-invalid", "true");
        ruleInput.focus();
        ruleInput.setSelectionRange(position, position);
      }
    }
  });
  return form;
}

/** @param {ConsoleContext} context @param {HTMLElement} root @param {string} name */
async function segmentDetail({ api, notice, table }, root, name) {
  const path = `/api/admin/segments/${encodeURIComponent(name)}`;
  const preview = await api.call("GET", `${path}/preview`);
  const { items } = await api.call("GET", "/api/admin/segments");
  const segment = items.find((/** @type {any} */ s) => s.name === name) || {};
  const override = /** @type {HTMLFormElement} */ (h("form", { class: "card", "aria-labelledby": "override-title" },
    h("h2", { id: "override-title" }, "Remote config override"),
    h("p", { id: "override-help", class: "help" }, "Applied to this segment's members below their experiment variant, above the defaults. Keys: featured_banner (an item id), discount_percent (1–90). Empty clears it."),
    area("Params (JSON object)", { id: "segment-params", name: "params", "aria-describedby": "override-help", class: "mono",
      placeholder: '{"featured_banner": "gems_100", "discount_percent": 10}' }),
    h("button", { type: "submit" }, "Save override")));
  const paramsInput = /** @type {HTMLTextAreaElement} */ (override.querySelector("textarea"));
  paramsInput.value = segment.params ? JSON.stringify(segment.params) : "";
  override.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = paramsInput.value.trim();
    let params = null;
    try { params = text ? JSON.parse(text) : null; } catch { notice.say("Params: not valid JSON", "error"); paramsInput.focus(); return; }
    try {
      const saved = await api.call("PUT", `${path}/params`, { body: { params } });
      notice.say(saved.params ? `Override saved for ${name}` : `Override cleared for ${name}`, "ok");
    } catch (error) { notice.say(problem(error), "error"); }
  });
  title(root, `Segment ${name}`);
  root.append(
    h("p", null, h("a", { href: "#/segments" }, "← All segments")),
    h("dl", { class: "card stats" }, ...[["Kind", segment.kind === "rfm" ? "RFM group" : "custom"], ["Rule", segment.rule || "—"],
      ["Members (last recompute)", (segment.count ?? 0).toLocaleString()], ["Computed", when(segment.computed_at)]]
      .flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)])),
    h("p", { "data-testid": "preview-count" }, `${count(preview.count, "player")} ${preview.count === 1 ? "matches" : "match"} now`),
    ...(preview.sample.length ? [scrolling(table(["Player", "Nickname"], preview.sample.map((/** @type {any} */ m) => [h("a", { href: `#/users/${m.user_id}` }, m.user_id), m.nickname]),
      `The first ${preview.sample.length} of them by id`))] : []),  // append() would write a null as the text "null"
    override);
}

// ------------------------------------------------------------------------------------------------ experiments

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
