// @ts-check
// Shared by the web client and the operator console: DOM building without innerHTML (text is always text, so
// nothing a player or an operator typed can become markup), the API client with its tokens, and the realtime
// stream. Plain ES modules: no build step; `// @ts-check` + JSDoc give editors and `tsc --checkJs` the types.

/** @typedef {{code: string, message: string, details: any, request_id: string}} ApiErrorBody */
/** @typedef {{access_token: string, refresh_token: string, expires_in: number, user: any}} Tokens */

/**
 * Build an element: h("button", {type: "submit", onclick: fn}, "Spin").
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false | (Node | string)[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * An SVG element (they live in their own namespace, so `h` cannot make them); attributes only, no style
 * attribute, so the pages' CSP (no unsafe-inline) holds.
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false | (Node | string)[])} children
 * @returns {SVGElement}
 */
export function svg(tag, attrs, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null && value !== false) element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/**
 * JSON with object keys sorted: two outcomes are the same outcome when their canonical texts are equal.
 * @param {any} value
 * @returns {string}
 */
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** @param {Element} parent @param {...(Node | string)} children */
export function replace(parent, ...children) {
  parent.replaceChildren(...children);
}

/** A labelled input: the label is tied to the control, as screen readers need. */
let fieldCount = 0;
/**
 * @param {string} label
 * @param {Record<string, any>} attrs
 * @returns {HTMLElement}
 */
export function field(label, attrs) {
  const id = attrs.id || `f${++fieldCount}`;
  const control = attrs.tag === "select"
    ? h("select", { ...attrs, tag: null, id, options: null }, ...(attrs.options || []).map(
      /** @param {string | [string, string]} o */ (o) => Array.isArray(o) ? h("option", { value: o[0] }, o[1]) : h("option", { value: o }, o)))
    : h("input", { ...attrs, tag: null, id });
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

/** @param {number} cents @param {string} [currency] */
export function money(cents, currency = "USD") {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(cents / 100);
}

/** @param {string | null | undefined} iso */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "—";
}

/** A fresh Idempotency-Key for one user intent (a retry of the same intent reuses it). */
export function newKey() {
  return crypto.randomUUID();
}

export class ApiError extends Error {
  /** @param {number} status @param {ApiErrorBody} body */
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.code;
    this.details = body.details;
  }
}

/**
 * The API with its session. Tokens live in sessionStorage (one tab's session, gone when the tab closes; never a
 * cookie, so no CSRF); the page's CSP lets no other script run to read them. An expired access token is
 * refreshed once (one refresh in flight at a time, rotation handled), then the request is sent again.
 */
export class Api {
  /** @param {string} storageKey */
  constructor(storageKey) {
    this.storageKey = storageKey;
    /** @type {Tokens | null} */
    this.tokens = JSON.parse(sessionStorage.getItem(storageKey) || "null");
    /** @type {Promise<boolean> | null} */
    this.refreshing = null;
    /** @type {() => void} */
    this.onSignedOut = () => {};
  }

  get user() { return this.tokens ? this.tokens.user : null; }
  get signedIn() { return this.tokens !== null; }

  /** @param {Tokens | null} tokens */
  keep(tokens) {
    this.tokens = tokens;
    if (tokens) sessionStorage.setItem(this.storageKey, JSON.stringify(tokens));
    else sessionStorage.removeItem(this.storageKey);
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {{body?: any, query?: Record<string, any>, key?: string, auth?: boolean}} [options]
   * @returns {Promise<any>}
   */
  async call(method, path, options = {}) {
    const response = await this.send(method, path, options);
    if (response.status === 401 && options.auth !== false && this.tokens) {
      const body = await response.clone().json().catch(() => ({}));
      if (body.error && ["TOKEN_EXPIRED", "UNAUTHORIZED"].includes(body.error.code) && await this.refresh()) {
        return this.read(await this.send(method, path, options));
      }
    }
    return this.read(response);
  }

  /** @param {string} method @param {string} path @param {{body?: any, query?: Record<string, any>, key?: string, auth?: boolean}} options */
  send(method, path, options) {
    const url = new URL(path, location.origin);
    for (const [name, value] of Object.entries(options.query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
    }
    /** @type {Record<string, string>} */
    const headers = { accept: "application/json" };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.key) headers["idempotency-key"] = options.key;
    if (options.auth !== false && this.tokens) headers.authorization = `Bearer ${this.tokens.access_token}`;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    return fetch(url, { method, headers, body, credentials: "omit" });
  }

  /** @param {Response} response */
  async read(response) {
    if (response.status === 204) return null;
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new ApiError(response.status, body.error || { code: "HTTP_" + response.status, message: response.statusText });
      if (response.status === 401 && this.tokens && ["TOKEN_REVOKED", "REFRESH_REUSED", "UNAUTHORIZED", "TOKEN_EXPIRED"].includes(error.code)) {
        this.keep(null);
        this.onSignedOut();
      }
      throw error;
    }
    return body;
  }

  /** One refresh at a time: concurrent 401s wait for the same rotation. */
  refresh() {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        try {
          const tokens = await this.read(await this.send("POST", "/api/auth/refresh", {
            body: { refresh_token: this.tokens && this.tokens.refresh_token }, auth: false,
          }));
          this.keep(tokens);
          return true;
        } catch {
          this.keep(null);
          this.onSignedOut();
          return false;
        } finally {
          this.refreshing = null;
        }
      })();
    }
    return this.refreshing;
  }

  async logout() {
    try {
      if (this.tokens) await this.call("POST", "/api/auth/logout", { body: { refresh_token: this.tokens.refresh_token } });
    } finally {
      this.keep(null);
    }
  }
}

/**
 * The player's stream over the WebSocket: token as the `bearer` subprotocol (never in the URL, so never in a
 * log), resume from the last id after a reconnect, ping to stay alive, back off on failure.
 */
export class Realtime {
  /** @param {Api} api @param {(message: {id: number | null, type: string, data: any, ts: string}) => void} onMessage */
  constructor(api, onMessage) {
    this.api = api;
    this.onMessage = onMessage;
    /** @type {number | null} */
    this.lastId = null;
    /** @type {WebSocket | null} */
    this.socket = null;
    this.attempt = 0;
    this.stopped = false;
    /** @type {(state: string) => void} */
    this.onState = () => {};
    /** @type {number | undefined} */
    this.pinger = undefined;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.pinger);
    if (this.socket) this.socket.close(1000);
  }

  connect() {
    if (this.stopped || !this.api.tokens) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = this.lastId === null ? "" : `?last_event_id=${this.lastId}`;
    const socket = new WebSocket(`${scheme}://${location.host}/api/realtime/ws${query}`, ["bearer", this.api.tokens.access_token]);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempt = 0;
      this.onState("live");
      clearInterval(this.pinger);
      this.pinger = window.setInterval(() => socket.readyState === WebSocket.OPEN && socket.send('{"type":"ping"}'), 20000);
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (typeof message.id === "number") this.lastId = message.id;
      this.onMessage(message);
    });
    socket.addEventListener("close", async (event) => {
      clearInterval(this.pinger);
      this.onState("offline");
      if (this.stopped) return;
      if (event.code === 4401 || event.code === 1006) await this.api.refresh();  // session ended or token stale
      const delay = Math.min(30000, 500 * 2 ** this.attempt++);
      window.setTimeout(() => this.connect(), delay);
    });
  }
}

/**
 * A modal confirmation (native <dialog>: focus moves into it, Escape cancels). Resolves true on "yes".
 * @param {string} title @param {string} text @param {string} yes
 * @returns {Promise<boolean>}
 */
export function confirmation(title, text, yes) {
  return new Promise((resolve) => {
    const dialog = /** @type {HTMLDialogElement} */ (h("dialog", { class: "card", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-text" },
      h("h2", { id: "confirm-title" }, title), h("p", { id: "confirm-text" }, text),
      h("form", { method: "dialog", class: "row" },
        h("button", { type: "submit", value: "no", autofocus: true }, "Cancel"),
        h("button", { type: "submit", value: "yes", class: "danger" }, yes))));
    dialog.addEventListener("close", () => { dialog.remove(); resolve(dialog.returnValue === "yes"); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Polite status line for screen readers (role=status, aria-live) and sighted players alike. */
export class Notice {
  /** @param {HTMLElement} element */
  constructor(element) { this.element = element; }
  /** @param {string} text @param {"info" | "error" | "ok"} [kind] */
  say(text, kind = "info") {
    this.element.textContent = text;
    this.element.dataset.kind = kind;
  }
  /** @param {unknown} error */
  error(error) {
    if (error instanceof ApiError) this.say(`${error.message} (${error.code})`, "error");
    else this.say(String(error), "error");
  }
}
