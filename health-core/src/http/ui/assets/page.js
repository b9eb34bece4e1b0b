"use strict";
(() => {
  const historyUrl = location.pathname.replace(/\/+$/, "") + "/history";
  const SHAPES = { UP: "\u25CF", DEGRADED: "\u25B2", DOWN: "\u2716" };
  const SVG = "http://www.w3.org/2000/svg";
  // The bearer token lives in this variable only: never in storage, gone with the tab.
  let token = null;
  let timer = 0;
  // Each poll's number: only the latest may render and schedule the next, so
  // that a poll started by a click never runs beside the scheduled one.
  let polls = 0;
  let every = 5000;
  // The server's clock minus the viewer's: ages are measured on the server's.
  let skew = 0;
  const $ = (id) => document.getElementById(id);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
    node.append(...children);
    return node;
  }

  function badge(status) {
    return el("span", { class: "badge s-" + status, "data-status": status },
      el("span", { class: "shape", "aria-hidden": "true", text: SHAPES[status] || "?" }), status);
  }

  function ago(at, now) {
    const s = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
    if (s < 60) return s + " s ago";
    const m = Math.round(s / 60);
    if (m < 60) return m + " min ago";
    const h = Math.round(m / 60);
    return h < 48 ? h + " h ago" : Math.round(h / 24) + " d ago";
  }

  function ms(value) {
    if (value < 10) return value.toFixed(2) + " ms";
    return value < 1000 ? value.toFixed(0) + " ms" : (value / 1000).toFixed(2) + " s";
  }

  // One bar per status held, from the first transition kept to now.
  function timeline(transitions, now) {
    const label = transitions.map((t) => t.to + " at " + new Date(t.at).toLocaleTimeString()).join(", ");
    const box = svg("svg", { class: "timeline", viewBox: "0 0 1000 10", preserveAspectRatio: "none", role: "img", "aria-label": "Timeline: " + label });
    if (!transitions.length) return box;
    const start = Date.parse(transitions[0].at);
    const span = Math.max(1, now - start);
    transitions.forEach((t, i) => {
      const from = Date.parse(t.at);
      const to = i + 1 < transitions.length ? Date.parse(transitions[i + 1].at) : now;
      const x = ((from - start) / span) * 1000;
      const width = Math.max(3, ((to - from) / span) * 1000);
      box.append(svg("rect", { class: "f-" + t.to, x: x.toFixed(1), y: 0, width: width.toFixed(1), height: 10 },
        svg("title", {}, t.to + " since " + new Date(from).toLocaleString())));
    });
    return box;
  }

  // Run durations, oldest first, scaled to the slowest (or to a tenth of the
  // timeout, so that noise stays flat); the timeout dashed when on the scale,
  // failed runs marked on top.
  function sparkline(runs, timeout) {
    const values = runs.duration_ms;
    const top = Math.max(1.25 * Math.max(...values, 0), (timeout || 0) / 10, 0.001);
    const y = (v) => (38 - (Math.min(v, top) / top) * 36).toFixed(2);
    const x = (i) => (values.length > 1 ? (i / (values.length - 1)) * 300 : 150).toFixed(2);
    const box = svg("svg", { class: "spark", viewBox: "0 0 300 40", preserveAspectRatio: "none", role: "img",
      "aria-label": values.length + " run durations" });
    if (timeout && timeout <= top) box.append(svg("line", { class: "limit", x1: 0, x2: 300, y1: y(timeout), y2: y(timeout) }));
    box.append(svg("polyline", { class: "line", points: values.map((v, i) => x(i) + "," + y(v)).join(" ") }));
    runs.status.forEach((status, i) => {
      if (status !== "UP") box.append(svg("rect", { class: "fail", x: x(i) - 1.5, y: 0, width: 3, height: 4 }));
    });
    return box;
  }

  function runsLabel(c) {
    const values = c.runs.duration_ms;
    const slowest = Math.max(...values, 0);
    const percent = c.timeout_ms ? Math.round((100 * slowest) / c.timeout_ms) : 0;
    const share = c.timeout_ms ? ", " + (percent < 1 ? "under 1" : percent) + " % of the " + ms(c.timeout_ms) + " timeout" : "";
    const runs = values.length === 1 ? "Last run: " : "Last " + values.length + " runs: slowest ";
    return runs + ms(slowest) + share;
  }

  function transitionList(transitions, open) {
    const list = el("ol", { class: "transitions", reversed: "" });
    for (const t of transitions.slice().reverse()) {
      const time = el("time", { datetime: t.at, text: new Date(t.at).toLocaleString() });
      const change = (t.from ? t.from + " \u2192 " : "") + t.to + (t.message ? ": " + t.message : "");
      list.append(el("li", { "data-to": t.to }, time, " ", change));
    }
    return section("transitions", transitions.length + " transition" + (transitions.length === 1 ? "" : "s"), list, open);
  }

  function section(kind, title, content, open) {
    const details = el("details", { "data-kind": kind }, el("summary", { text: title }), content);
    details.open = open.has(kind);
    return details;
  }

  // The members a component's details name: another service's components
  // (`components`), or each service of a fleet (`services`) with its own.
  function members(details) {
    const map = details && typeof details === "object" ? details.services || details.components : null;
    if (!map || typeof map !== "object" || Array.isArray(map)) return null;
    const items = Object.entries(map).filter(([, m]) => m && typeof m.status === "string");
    if (!items.length) return null;
    return el("ul", { class: "members" }, ...items.map(([name, m]) =>
      el("li", { "data-member": name, "data-status": m.status },
        badge(m.status), " ", el("span", { class: "member", text: name }),
        m.message ? el("span", { class: "meta", text: " \u2014 " + m.message }) : null,
        members(m))));
  }

  function tile(c, now, open) {
    const last = c.transitions[c.transitions.length - 1];
    const facts = el("dl", { class: "facts" });
    const fact = (name, value) => facts.append(el("dt", { text: name }), el("dd", { text: value }));
    if (last) fact("changed", ago(last.at, now));
    if (c.duration_ms != null) fact("last run", ms(c.duration_ms));
    if (c.timeout_ms != null) fact("timeout", ms(c.timeout_ms));
    if (c.groups.length) fact("groups", c.groups.join(", "));
    const critical = c.critical ? el("span", { class: "critical", text: "critical" }) : null;
    const mine = open.get(c.name) || new Set();
    return el("article", { class: "tile s-" + c.status, "data-component": c.name, "data-status": c.status },
      el("header", {}, el("h2", { text: c.name }), el("span", {}, critical, " ", badge(c.status))),
      c.description ? el("p", { class: "meta", text: c.description }) : null,
      c.message ? el("p", { class: "message", text: c.message }) : null,
      members(c.details),
      facts,
      c.runs ? el("div", { class: "label", text: runsLabel(c) }) : null,
      c.runs ? sparkline(c.runs, c.timeout_ms) : null,
      el("div", { class: "label", text: "Status history" }),
      timeline(c.transitions, now),
      transitionList(c.transitions, mine),
      c.details !== undefined ? section("details", "details", el("pre", { text: JSON.stringify(c.details, null, 2) }), mine) : null);
  }

  // Which sections of which tiles are open, to keep them so across updates.
  function openSections() {
    const open = new Map();
    for (const details of document.querySelectorAll(".tile details[open]")) {
      const name = details.closest(".tile").dataset.component;
      if (!open.has(name)) open.set(name, new Set());
      open.get(name).add(details.dataset.kind);
    }
    return open;
  }

  function render(data) {
    skew = Date.parse(data.now) - Date.now();
    const now = Date.now() + skew;
    document.title = data.title + " health: " + data.status;
    $("title").textContent = data.title;
    $("overall").replaceWith(Object.assign(badge(data.status), { id: "overall" }));
    const mode = data.background ? "checked in the background" : "checked on each update";
    const hidden = data.details_shown ? "" : " \u00B7 messages, details and timings hidden";
    const age = data.timestamp ? "Report " + ago(data.timestamp, now) + " \u00B7 " : "";
    $("meta").textContent = age + mode + ", every " + ms(data.poll_ms) + hidden +
      (data.shutting_down ? " \u00B7 shutting down" : "");
    $("groups").replaceChildren(...[{ name: "overall", ...data.overall }, ...data.groups].map((g) => {
      const last = g.transitions[g.transitions.length - 1];
      return el("li", { "data-group": g.name, "data-status": g.status, title: last && last.message ? last.message : "" },
        el("span", { text: g.name }), badge(g.status), last ? el("span", { class: "label", text: ago(last.at, now) }) : null);
    }));
    const open = openSections();
    $("components").replaceChildren(...data.components.map((c) => tile(c, now, open)));
    $("auth").hidden = !(data.visibility === "when_authorized" && !data.details_shown);
    $("forget-row").hidden = !(token && data.details_shown);
  }

  function problem(text) {
    $("error").hidden = !text;
    $("error").textContent = text || "";
    document.body.classList.toggle("stale", Boolean(text));
  }

  async function poll() {
    clearTimeout(timer);
    const mine = ++polls;
    try {
      const headers = { Accept: "application/json" };
      if (token) headers.Authorization = "Bearer " + token;
      const response = await fetch(historyUrl, { headers, cache: "no-store", credentials: "same-origin", redirect: "error" });
      if (mine !== polls) return;
      if (response.status === 401 && token) {
        token = null;
        $("auth-note").textContent = "The token was refused.";
        return poll();
      }
      if (!response.ok) throw new Error("HTTP " + response.status + " " + (await response.text()).slice(0, 200));
      const data = await response.json();
      if (mine !== polls) return;
      render(data);
      every = data.poll_ms;
      problem(null);
    } catch (error) {
      if (mine !== polls) return;
      problem("Cannot update: " + error.message + ". Showing the last report received.");
    }
    timer = setTimeout(poll, every);
  }

  $("auth").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!value) {
      $("auth-note").textContent = "Enter the token.";
      return;
    }
    token = value;
    $("token").value = "";
    $("auth-note").textContent = "";
    poll();
  });
  $("forget").addEventListener("click", () => {
    token = null;
    poll();
  });
  poll();
})();
