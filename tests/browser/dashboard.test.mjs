// The public dashboard in a real browser: headless Chromium (the Debian package)
// driven by playwright-core, accessibility checked by axe-core on every page type,
// a screenshot of each page type saved under $ARTIFACTS.
//
// Started by ./run.sh, which builds the binary and passes TERRITORIA_BIN. This file
// starts `territoria serve` on a fresh data directory and a free port, and stops it.
// Synchronisation is by navigation and element state only: no sleeps, no timers.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const BIN = process.env.TERRITORIA_BIN;
const ARTIFACTS = process.env.ARTIFACTS || join(tmpdir(), "territoria-browser-artifacts");
const MEMORANDUM =
  "nace-bel-2008:C AND (rel:labelled=label/factory-of-the-future OR rel:labelled=label/made-different) AND rel:member_of=organisation-kind:pole-de-competitivite";

let server, base, context, page, dataDir, profileDir;
/** DOMContentLoaded of each page type, in ms from navigation start (a measurement,
 * reported in $ARTIFACTS/timings.json and docs/benchmarks.md, not asserted). */
const timings = {};
/** What the Content-Security-Policy refused, as Chromium reports it on the console. */
const cspErrors = [];

before(async () => {
  assert.ok(BIN, "TERRITORIA_BIN names the territoria binary");
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), "territoria-data-"));
  profileDir = mkdtempSync(join(tmpdir(), "territoria-chromium-"));
  server = spawn(BIN, ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  base = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/[0-9.:]+\//);
      if (m) resolve(m[0].replace(/\/$/, ""));
    });
    server.on("exit", (code) => reject(new Error(`territoria serve exited with ${code}`)));
  });
  const executablePath = execFileSync("sh", ["-c", "command -v chromium"]).toString().trim();
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    acceptDownloads: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] || (await context.newPage());
  // The pages run under a strict Content-Security-Policy: anything it blocks is a bug.
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy/i.test(msg.text())) cspErrors.push(msg.text());
  });
});

after(async () => {
  if (Object.keys(timings).length) {
    writeFileSync(join(ARTIFACTS, "timings.json"), JSON.stringify(timings, null, 2));
    console.log("DOMContentLoaded (ms):", JSON.stringify(timings));
  }
  await context?.close();
  server?.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
});

/** axe-core on the current page: no violation of any rule. */
async function accessible(name) {
  // Evaluated through the DevTools protocol: an injected <script> would be (rightly)
  // refused by the Content-Security-Policy.
  await page.evaluate(AXE);
  assert.deepEqual(cspErrors, [], `Content-Security-Policy violations up to ${name}`);
  const result = await page.evaluate(() => window.axe.run(document));
  const problems = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`,
  );
  assert.deepEqual(problems, [], `axe violations on ${name}`);
  timings[name] = await page.evaluate(() =>
    Math.round(performance.getEntriesByType("navigation")[0]?.domContentLoadedEventEnd ?? -1),
  );
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function go(path) {
  const res = await page.goto(base + path);
  assert.equal(res.status(), 200, path);
}

test("home → ambition → programme → action", async () => {
  await go("/fr/");
  assert.equal(await page.getAttribute("html", "lang"), "fr");
  assert.match(await page.textContent("h1"), /Digital Wallonia/);
  assert.match(await page.textContent(".notice"), /synthétique|démonstration/);
  await accessible("home");

  // In the 2024-2029 framework DW4AI sits under "Territoire numérique" (the AI lever).
  await page.click('.card h3 a[href*="/fr/ambitions/territoire-intelligent"]');
  await page.waitForURL(/\/fr\/ambitions\/territoire-intelligent/);
  assert.match(await page.textContent("h1"), /Territoire numérique/);
  assert.match(await page.textContent("main"), /Défis majeurs/);
  await accessible("ambition");

  await page.click('a[href*="/fr/programmes/dw4ai"]');
  await page.waitForURL(/\/fr\/programmes\/dw4ai/);
  assert.ok(await page.locator("svg.chart").count() > 0, "a time-series chart");
  await accessible("programme");

  const first = page.locator(".actions-table tbody th a").first();
  const name = (await first.textContent()).trim();
  await first.click();
  await page.waitForURL(/\/fr\/actions\/demo-action-/);
  assert.equal((await page.textContent("h1")).trim(), name);
  assert.match(await page.textContent("main"), /Budget/);
  await accessible("action");
});

test("actions filtered by audience and Plan de Relance, and their CSV", async () => {
  await go("/fr/actions");
  const all = Number(await page.getAttribute("#result-count", "data-count"));
  await page.selectOption("#f-audience", "pme");
  await page.selectOption("#f-relance", "yes");
  await page.click('#action-filters button[type="submit"]');
  await page.waitForURL(/audience=pme/);
  assert.match(page.url(), /relance=yes/);
  const n = Number(await page.getAttribute("#result-count", "data-count"));
  assert.ok(n > 0 && n < all, `${n} of ${all}`);
  const rows = page.locator("#actions-table tbody tr");
  const shown = await rows.count();
  assert.equal(shown, Math.min(n, 50));
  for (let i = 0; i < shown; i++) {
    assert.equal(await rows.nth(i).getAttribute("data-relance"), "yes");
    assert.ok((await rows.nth(i).getAttribute("data-audiences")).split(" ").includes("pme"));
  }
  await accessible("actions");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click('.downloads a[href*="format=csv"]'),
  ]);
  const csv = readFileSync(await download.path(), "utf8");
  assert.ok(csv.startsWith("\uFEFF"), "UTF-8 BOM");
  const lines = csv.slice(1).split("\r\n").filter((l) => l.length > 0);
  assert.match(lines[0], /^id;name;status;start;end;budget_eur;/);
  assert.equal(lines.length - 1, n, "one line per action");
  assert.ok(lines.slice(1).every((l) => l.includes("plan-de-relance") && l.includes("pme")));
});

test("the memorandum's magnet built by clicking facets equals the API's count", async () => {
  await go("/fr/explorer");
  const click = async (facet, value) => {
    const link = page.locator(`#facet-${facet} a[data-value="${value}"]`);
    const before = page.url();
    await link.click();
    await page.waitForURL((u) => u.toString() !== before);
  };
  await click("nace-bel-2008", "C");
  await click("label", "rel:labelled=label/factory-of-the-future");
  await click("label", "rel:labelled=label/made-different");
  await click("pole", "rel:member_of=organisation-kind:pole-de-competitivite");
  assert.equal((await page.textContent("#magnet-query")).trim(), MEMORANDUM);
  const shown = Number(await page.getAttribute("#magnet-total", "data-count"));
  const api = await (await page.request.get(`${base}/api/magnets/search?q=${encodeURIComponent(MEMORANDUM)}`)).json();
  assert.equal(shown, api.total);
  assert.ok(shown > 0);
  assert.equal(await page.locator("#members-table tbody tr").count(), Math.min(shown, 20));
  await accessible("explorer");

  // Export what is on screen.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click('a[data-export="csv"] >> nth=0'),
  ]);
  const csv = readFileSync(await download.path(), "utf8");
  assert.equal(csv.slice(1).split("\r\n").filter((l) => l).length - 1, shown);

  // Switch to English: same view, English words, the choice persists.
  await page.click("[data-lang-switch]");
  await page.waitForURL(/\/en\/explorer\?/);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(Number(await page.getAttribute("#magnet-total", "data-count")), shown);
  assert.match(await page.textContent("h1"), /Ecosystem explorer/);
  await go("/");
  assert.equal(await page.getAttribute("html", "lang"), "en");
});

test("near me with a Walloon postal code", async () => {
  await go("/en/near");
  await page.fill("#n-postcode", "5000");
  await page.click('form[role="search"] button[type="submit"]');
  await page.waitForURL(/postcode=5000/);
  assert.match(await page.textContent("#res-h"), /Namur/);
  assert.equal(await page.locator("#near-results > li").count(), 10);
  assert.match(await page.textContent("#near-results"), /km/);
  await accessible("near");
});

test("map and entity pages are accessible", async () => {
  await go("/fr/map?kind=place&q=organisation-kind%3Aepn&by=canton");
  assert.ok(await page.locator("svg.map path.area").count() > 40);
  assert.ok(await page.locator("#map-table tbody tr").count() > 40);
  await accessible("map");
  // An indicator broken down by municipality: from the programme page to its map.
  await go("/fr/programmes/dw4citizens");
  await page.click("text=Voir par territoire sur la carte");
  await page.waitForURL(/indicator=dw4citizens-espaces-publics-numeriques-epn-du-reseau/);
  assert.match(await page.textContent("main"), /Total de la ventilation pour la Wallonie : 226 EPN/);
  await page.click("nav[aria-label='Période'] >> text=31/12/2023");
  await page.waitForURL(/period=2023-12-31/);
  assert.match(await page.textContent("main"), /Total de la ventilation pour la Wallonie : 166 EPN/);
  assert.equal(await page.locator("#map-table tbody tr").count(), 6);
  await accessible("map-indicator");
  await go("/fr/entities/organisation/mecatech");
  await accessible("entity");
  const res = await page.goto(base + "/fr/actions?status=done");
  assert.equal(res.status(), 400);
  await accessible("error");
});
