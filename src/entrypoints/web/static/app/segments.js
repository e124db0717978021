// @ts-check
// The console's segments: RFM groups and custom rule segments with their counts, a new segment (a rule that does not
// parse is shown at its position), a segment's preview and remote-config override, and the recompute job followed
// to the end.
import { ApiError, field, h, replace, when } from "./lib.js";
import { area, count, problem, scrolling, title } from "./liveops.js";

/** @typedef {import("./liveops.js").ConsoleContext} ConsoleContext */

// what a rule may read (src/domain/liveops/rules.py PROPERTIES); the server names an unknown one with its position
const RULE_PROPERTIES = ["rank", "vip_tier", "rfm", "ltv_cents", "churn_risk", "total_spent_cents", "spent_30d_cents", "plays_30d",
  "purchases_30d", "days_since_last_play", "days_since_last_login", "days_since_signup", "streak"];
const POLL_MS = 500;

/** @param {ConsoleContext} context */
export function installSegments(context) {
  context.view("segments", "Segments", (root) => {
    const name = /** @type {any} */ (root).params[0];
    return name ? segmentDetail(context, root, decodeURIComponent(name)) : segmentList(context, root);
  });
}

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
