// The example service's status page in a real Chromium, driven by
// playwright-core: statuses, a dependency killed and seen DOWN within one
// refresh, visibility, requests that never leave 127.0.0.1, no console errors,
// a phone-sized viewport, dark mode, and a fleet of other services read as
// health. Screenshots go to the output directory.
//
//   node tests/browser/status_page.mjs target/debug/examples/service target
//
// Needs `redis-server` and Chromium (`CHROMIUM`, default /usr/bin/chromium);
// uses PostgreSQL at DATABASE_URL when set.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium } from "playwright-core";

const [binary, out] = process.argv.slice(2);
assert.ok(binary && out, "usage: status_page.mjs <example binary> <output directory>");
const REFRESH_MS = 1000;
const children = [];
// The storage check measures this disk: memory, where there is some, keeps a
// nearly full build disk from turning it DEGRADED.
const scratch = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "status-page-"));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function until(what, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function connects(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

function start(command, args, env, log) {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const output = [];
  child.stdout.on("data", (data) => output.push(data));
  child.stderr.on("data", (data) => output.push(data));
  child.output = () => Buffer.concat(output).toString();
  child.name = log;
  children.push(child);
  return child;
}

async function startRedis() {
  const port = await freePort();
  const child = start("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no"], process.env, "redis");
  await until("redis-server to listen", () => connects(port), 10_000);
  return { child, url: `redis://127.0.0.1:${port}` };
}

/** Starts the example with `extra` in its environment; resolves once it answers. */
async function startService(extra) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    PORT: String(port),
    GRPC_PORT: String(await freePort()),
    DATA_DIR: scratch,
    REFRESH_MS: String(REFRESH_MS),
    DRAIN_MS: "0",
    NO_COLOR: "1",
    ...extra,
  };
  const child = start(binary, [], env, "service");
  const base = `http://127.0.0.1:${port}`;
  await until("the example to answer", async () => (await fetch(`${base}/health/live`)).ok, 30_000);
  return { child, base, page: `${base}/health/ui` };
}

async function stop(child) {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}

/** A page that records every request and every console error of its own. */
async function open(browser, url, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const record = { requests: [], errors: [] };
  page.on("request", (request) => record.requests.push(request.url()));
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") record.errors.push(message.text());
  });
  page.on("pageerror", (error) => record.errors.push(String(error)));
  const response = await page.goto(url);
  assert.equal(response.status(), 200);
  await page.waitForSelector("#components .tile", { timeout: 10_000 });
  return { context, page, record };
}

/** Every request the page made went to 127.0.0.1, and nothing was logged as an error. */
function assertClean(record, allowedErrors = []) {
  assert.ok(record.requests.length > 1, "the page made its requests");
  for (const url of record.requests) {
    assert.equal(new URL(url).hostname, "127.0.0.1", `a request left 127.0.0.1: ${url}`);
  }
  const unexpected = record.errors.filter((text) => !allowedErrors.some((allowed) => allowed.test(text)));
  assert.deepEqual(unexpected, [], "console errors");
}

/** Each tile's name and the status it shows, in text and in its badge's shape. */
async function tiles(page) {
  return page.$$eval("#components .tile", (tiles) =>
    Object.fromEntries(tiles.map((tile) => {
      const badge = tile.querySelector(".badge");
      return [tile.dataset.component, { status: tile.dataset.status, text: badge.textContent, shape: badge.querySelector(".shape").textContent }];
    })));
}

const SHAPES = { UP: "\u25CF", DEGRADED: "\u25B2", DOWN: "\u2716" };

/** The page shows the statuses `/health` answers, in text and by shape. */
async function assertStatusesMatch(page, base) {
  await until("the page to show the statuses /health answers", async () => {
    const report = await (await fetch(`${base}/health`)).json();
    const shown = await tiles(page);
    const expected = Object.entries(report.components).map(([name, component]) => [name, component.status]);
    const overall = await page.getAttribute("#overall", "data-status");
    return overall === report.status && expected.length === Object.keys(shown).length
      && expected.every(([name, status]) => shown[name]?.status === status);
  }, 10_000);
  for (const [name, tile] of Object.entries(await tiles(page))) {
    assert.equal(tile.text, `${SHAPES[tile.status]}${tile.status}`, `${name}: text and shape`);
  }
}

async function always(browser) {
  const redis = await startRedis();
  const extra = { REDIS_URL: redis.url, UPSTREAM_URL: `http://127.0.0.1:${await freePort()}/` };
  if (process.env.DATABASE_URL) extra.DATABASE_URL = process.env.DATABASE_URL;
  else console.log("SKIPPED the database tile: set DATABASE_URL to show PostgreSQL on the page");
  const service = await startService(extra);
  const { context, page, record } = await open(browser, service.page);
  await assertStatusesMatch(page, service.base);
  // Details are shown: messages, timings, run durations.
  await until("the upstream's message", () => page.$("[data-component=upstream] .message"), 10_000);
  assert.ok(await page.$("[data-component=cache] svg.spark polyline"), "a sparkline of run durations");
  assert.match(await page.textContent("[data-component=cache] dl.facts"), /last run.*timeout/s);
  assert.equal(await page.isHidden("#auth"), true, "no token is asked for");

  // Kill Redis: the cache tile turns DOWN within one refresh of the monitor seeing it.
  const history = async () => (await fetch(`${service.page}/history`)).json();
  const before = (await history()).components.find((c) => c.name === "cache");
  assert.equal(before.status, "UP");
  const killed = Date.now();
  redis.child.kill("SIGKILL");
  await page.waitForSelector("[data-component=cache][data-status=DOWN]", { timeout: 15_000 });
  const shown = Date.now();
  const cache = (await history()).components.find((c) => c.name === "cache");
  const down = cache.transitions.findLast((t) => t.to === "DOWN");
  assert.ok(down, "the history has the transition");
  const recorded = Date.parse(down.at);
  const refresh = (await history()).poll_ms;
  console.log(`cache DOWN: recorded ${recorded - killed} ms after the kill, on the page ${shown - recorded} ms later (one refresh: ${refresh} ms)`);
  // One poll, plus a second for a loaded machine.
  assert.ok(shown - recorded <= refresh + 1000, `shown ${shown - recorded} ms after it was recorded`);
  // Its timeline entry: the list item and a DOWN bar.
  assert.ok(await page.$("[data-component=cache] ol.transitions li[data-to=DOWN]"), "a timeline entry");
  assert.ok(await page.$("[data-component=cache] svg.timeline rect.f-DOWN"), "a DOWN bar on the timeline");
  await assertStatusesMatch(page, service.base);

  await page.screenshot({ path: join(out, "status-page-desktop.png"), fullPage: true });
  assertClean(record);
  await context.close();

  // A phone: one column, nothing wider than the screen.
  const phone = await open(browser, service.page, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const widths = await phone.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(widths[0] <= widths[1], `the page is ${widths[0]} px wide on a ${widths[1]} px screen`);
  const columns = await phone.page.$$eval("#components .tile", (tiles) => new Set(tiles.map((tile) => tile.getBoundingClientRect().left)).size);
  assert.equal(columns, 1, "one column of tiles");
  await phone.page.screenshot({ path: join(out, "status-page-phone.png"), fullPage: true });
  assertClean(phone.record);
  await phone.context.close();

  // Dark mode follows prefers-color-scheme.
  const dark = await open(browser, service.page, { colorScheme: "dark" });
  const background = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, "rgb(17, 20, 24)");
  await dark.page.screenshot({ path: join(out, "status-page-dark.png"), fullPage: true });
  assertClean(dark.record);
  await dark.context.close();
  await stop(service.child);
}

/** Text that only details would show: `message` is one the page must not show. */
async function assertNoDetails(page, message) {
  const selectors = [".tile .message", ".tile svg.spark", ".tile details[data-kind=details]", ".tile .critical", ".tile dl.facts dt:text('last run')"];
  for (const selector of selectors) {
    assert.equal(await page.$(selector), null, `no ${selector}`);
  }
  // What is rendered: not the script, not hidden elements.
  const text = await page.innerText("body");
  for (const secret of ["hunter2", message, "PostgreSQL answers", "timeout", "last run"]) {
    assert.ok(!text.includes(secret), `the page shows "${secret}"`);
  }
}

async function never(browser) {
  const closed = `postgres://app:hunter2@127.0.0.1:${await freePort()}/app`;
  const service = await startService({ HEALTH_DETAILS: "never", DATABASE_URL: closed });
  const { context, page, record } = await open(browser, service.page);
  await assertStatusesMatch(page, service.base);
  await page.waitForSelector("[data-component=database][data-status=DOWN]");
  // What the page reads has nothing beyond statuses and transitions either.
  const history = await (await fetch(`${service.page}/history`)).text();
  for (const key of ['"message"', '"details"', '"runs"', '"duration_ms"', '"timeout_ms"', '"description"']) {
    assert.ok(!history.includes(key), `the history has ${key}`);
  }
  await assertNoDetails(page, "os error");
  assert.equal(await page.isHidden("#auth"), true, "no token is asked for: none would help");
  assertClean(record);
  await context.close();
  await stop(service.child);
}

async function whenAuthorized(browser) {
  const closed = `postgres://app:hunter2@127.0.0.1:${await freePort()}/app`;
  const service = await startService({ HEALTH_TOKEN: "t0k3n-for-the-page", DATABASE_URL: closed });
  const { context, page, record } = await open(browser, service.page);
  await page.waitForSelector("[data-component=database][data-status=DOWN]");
  assert.equal(await page.isVisible("#auth"), true, "the token is asked for");
  // The database's message, as a request bearing the token sees it.
  const authorized = { headers: { Authorization: "Bearer t0k3n-for-the-page" } };
  const history = await (await fetch(`${service.page}/history`, authorized)).json();
  const message = history.components.find((c) => c.name === "database").message;
  assert.ok(message, "a message to hide");
  await assertNoDetails(page, message);

  await page.fill("#token", "wrong");
  await page.click("#auth button");
  await page.waitForSelector("#auth-note:text('refused')");
  await assertNoDetails(page, message);

  // An empty submit is refused; two submits at once still make one poll
  // every refresh afterwards.
  await page.click("#auth button");
  await page.waitForSelector("#auth-note:text('Enter the token')");
  await page.evaluate(() => {
    for (let i = 0; i < 2; i++) {
      document.getElementById("token").value = "t0k3n-for-the-page";
      document.getElementById("auth").requestSubmit();
    }
  });
  await page.waitForSelector("[data-component=database] .message");
  const polls = () => record.requests.filter((url) => url.endsWith("/health/ui/history")).length;
  const before = polls();
  await sleep(4 * REFRESH_MS + 200);
  const made = polls() - before;
  assert.ok(made >= 3 && made <= 5, `${made} polls in 4 refresh intervals`);
  assert.match(await page.textContent("[data-component=database] .message"), /refused|connect/i);
  assert.equal(await page.isHidden("#auth"), true);
  // The token lives in the script's memory only.
  const stored = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie,
    document.getElementById("token").value, document.body.innerHTML.includes("t0k3n")]);
  assert.deepEqual(stored, [0, 0, "", "", false], "the token is stored nowhere");

  // Forgetting the token while an answer to it is on its way: that answer,
  // arriving last, is not shown.
  await page.route("**/health/ui/history", async (route) => {
    if ((await route.request().allHeaders()).authorization) await sleep(400);
    await route.continue();
  });
  await page.evaluate(() => {
    document.getElementById("token").value = "t0k3n-for-the-page";
    document.getElementById("auth").requestSubmit();
    document.getElementById("forget").click();
  });
  // Checked after that answer, before the next poll (one refresh after the forgetting).
  await sleep(700);
  await assertNoDetails(page, message);
  await page.unroute("**/health/ui/history");
  await page.reload();
  await page.waitForSelector("#components .tile");
  assert.equal(await page.isVisible("#auth"), true, "a reload asks again");
  await assertNoDetails(page, message);
  // The wrong token's 401 is the one error the browser logs.
  assertClean(record, [/status of 401/]);
  assert.ok(record.errors.length <= 1);
  await context.close();
  await stop(service.child);
}

/** One instance pointed at two others, one of them with a dead critical
 * database: its `fleet` tile shows each service and its components. */
async function fleet(browser) {
  const healthy = await startService({});
  const closed = `postgres://app:hunter2@127.0.0.1:${await freePort()}/app`;
  const failing = await startService({ DATABASE_URL: closed });
  const urls = [`${healthy.base}/health`, `${failing.base}/health`];
  const service = await startService({ UPSTREAM_HEALTH_URLS: urls.join(",") });
  const { context, page, record } = await open(browser, service.page);
  const member = (url) => `[data-component=fleet] ul.members > li[data-member="${url}"]`;
  await page.waitForSelector(`${member(urls[1])}[data-status=DOWN]`, { timeout: 15_000 });
  assert.equal(await page.getAttribute(member(urls[0]), "data-status"), "UP");
  // Each service's own components, nested, with their statuses.
  await page.waitForSelector(`${member(urls[1])} li[data-member=database][data-status=DOWN]`);
  assert.ok(await page.$(`${member(urls[0])} li[data-member=storage][data-status=UP]`), "the healthy one's storage");
  assert.equal(await page.getAttribute("[data-component=fleet]", "data-status"), "DOWN");
  const text = await page.innerText("[data-component=fleet]");
  assert.ok(!text.includes("hunter2"), "the failing service's password stays out");
  await assertStatusesMatch(page, service.base);
  await page.screenshot({ path: join(out, "status-page-fleet.png"), fullPage: true });
  assertClean(record);
  await context.close();
  await Promise.all([healthy, failing, service].map((s) => stop(s.child)));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  await always(browser);
  await never(browser);
  await whenAuthorized(browser);
  await fleet(browser);
  console.log("status page: every check passed");
} catch (error) {
  for (const child of children) console.error(`--- ${child.name}\n${child.output().slice(-3000)}`);
  throw error;
} finally {
  await browser.close();
  await Promise.all(children.map(stop));
  rmSync(scratch, { recursive: true, force: true });
}
