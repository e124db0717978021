// @ts-check
// What the console's LiveOps screens share (segments.js, experiments.js): the server's refusals field by field, how
// p-values and counts read, and wide tables that scroll in their own box at phone width.
import { ApiError, h } from "./lib.js";

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
export const pIs = (p) => p !== null && p < 0.0001 ? "p < 0.0001" : `p = ${pValue(p)}`;

/** "1 player", "2 players" @param {number} n @param {string} noun */
export const count = (n, noun) => `${n.toLocaleString()} ${noun}${n === 1 ? "" : "s"}`;

/** @param {number} rate */
export const percent = (rate) => `${(rate * 100).toFixed(2)}%`;

/** A wide table scrolls inside its own box at phone width, not the whole page. @param {HTMLElement} table */
export const scrolling = (table) => h("div", { class: "scroll" }, table);

/** The view's heading names what it shows (route() focuses it once the view is drawn). @param {HTMLElement} root @param {string} text */
export const title = (root, text) => { /** @type {HTMLElement} */ (root.querySelector("h1")).textContent = text; };

/** A labelled multi-line control (field() makes inputs and selects). @param {string} label @param {Record<string, any>} attrs */
export function area(label, attrs) {
  const control = h("textarea", { rows: 3, ...attrs, id: attrs.id });
  return h("div", { class: "field wide" }, h("label", { for: attrs.id }, label), control);
}
