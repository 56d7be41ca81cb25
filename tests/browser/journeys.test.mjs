// The dashboard as its three users need it (issue #20), in headless Chromium:
// every page type fits a phone (390×844) and passes axe at 1366×900 and 390×844;
// a citizen in Namur reaches an address and a directions link in the first screen;
// a strategy manager exports her cluster with the columns she chose and can still
// untick a facet after saving it; a cabinet member opens every strategy of the
// selector and prints the home and a programme page on A4 without navigation.
//
// Started by ./run.sh (TERRITORIA_BIN). Synchronisation is by navigation and element
// state only: no sleeps, no timers.

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
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 900 };

let server, base, context, page, dataDir, profileDir;
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
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: DESKTOP,
  });
  page = context.pages()[0] || (await context.newPage());
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy/i.test(msg.text())) cspErrors.push(msg.text());
  });
});

after(async () => {
  await context?.close();
  server?.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
});

async function axe(name) {
  await page.evaluate(AXE);
  assert.deepEqual(cspErrors, [], `Content-Security-Policy violations up to ${name}`);
  const result = await page.evaluate(() => window.axe.run(document));
  const problems = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`,
  );
  assert.deepEqual(problems, [], `axe violations on ${name}`);
}

async function go(path, status = 200) {
  const res = await page.goto(base + path);
  assert.equal(res.status(), status, path);
}

/** One URL of each page type, with the status it answers. */
const PAGE_TYPES = [
  ["home", "/fr/", 200],
  ["ambition", "/fr/ambitions/territoire-intelligent", 200],
  ["lever", "/fr/leviers/intelligence-artificielle", 200],
  ["strategies", "/fr/strategies", 200],
  ["programme", "/fr/programmes/dw4ai", 200],
  ["action", "/fr/actions/demo-action-001", 200],
  ["actions", "/fr/actions", 200],
  ["explorer", "/fr/explorer?kind=organisation&f=nace-bel-2008%3AC&cols=bce,municipality,nace,size,labels,poles", 200],
  ["explorer-actions", "/en/explorer?kind=action", 200],
  ["map", "/fr/map?kind=place&q=organisation-kind%3Aepn&by=canton", 200],
  ["map-indicator", "/fr/map?indicator=dw4citizens-espaces-publics-numeriques-epn-du-reseau", 200],
  ["near", "/fr/near?postcode=5000", 200],
  ["near-error", "/fr/near?postcode=1000", 404],
  ["place", "/fr/entities/place/demo-epn-001", 200],
  ["organisation", "/fr/entities/organisation/mecatech", 200],
  ["report", "/fr/strategies/digital-wallonia/rapport", 200],
  ["watch", "/fr/strategies/digital-wallonia/a-surveiller", 200],
  ["changes", "/fr/strategies/digital-wallonia/changements?since=2020-01-01", 200],
  ["digiscore", "/fr/digiscore", 200],
  ["digiscore-support", "/fr/digiscore/accompagnement", 200],
  ["strategy-without-version", "/fr/?strategy=circular-wallonia&version=2024-2029", 200],
  ["error", "/fr/actions?status=done", 400],
  ["not-found", "/fr/programmes/no-such-programme", 404],
];

test("every page type fits a 390 px phone and passes axe on a phone and a desktop", async () => {
  const widths = {};
  for (const [name, path, status] of PAGE_TYPES) {
    await page.setViewportSize(DESKTOP);
    await go(path, status);
    await axe(`${name} at 1366×900`);
    await page.setViewportSize(PHONE);
    await go(path, status);
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    widths[name] = scrollWidth;
    assert.ok(scrollWidth <= innerWidth, `${name} (${path}) is ${scrollWidth} px wide on a ${innerWidth} px phone`);
    await axe(`${name} at 390×844`);
    await page.screenshot({ path: join(ARTIFACTS, `phone-${name}.png`), fullPage: true });
  }
  writeFileSync(join(ARTIFACTS, "phone-widths.json"), JSON.stringify(widths, null, 2));
  await page.setViewportSize(DESKTOP);
});

test("a citizen at 5000 reaches an address and a directions link in the first screen", async () => {
  await page.setViewportSize(PHONE);
  await go("/fr/near");
  await page.fill("#n-postcode", "5000");
  await page.click('form[role="search"] button[type="submit"]');
  await page.waitForURL(/postcode=5000/);
  assert.match(await page.textContent("#res-h"), /Namur/);
  const first = page.locator("#near-results > li").first();
  const address = first.locator(".address");
  const directions = first.locator("a.directions");
  assert.match(await address.textContent(), /\d.*, \d{4} \S/, "street, number, postal code and municipality");
  assert.match(await directions.getAttribute("href"), /^https:\/\/www\.openstreetmap\.org\/directions\?.*route=50\.\d+%2C4\.\d+%3B\d/);
  for (const [what, loc] of [["address", address], ["directions link", directions]]) {
    const box = await loc.boundingBox();
    assert.ok(box && box.y + box.height <= PHONE.height, `the ${what} ends at ${box?.y + box?.height} px, beyond the first screen`);
  }
  // The place's own page: its card, no raw keys, no coordinates.
  await first.locator("h3 a").click();
  await page.waitForURL(/\/fr\/entities\/place\//);
  const main = await page.textContent("main");
  assert.match(main, /Heures d'ouverture/);
  assert.match(main, /Téléphone/);
  assert.doesNotMatch(main, /Latitude|member_since|inclusion-service|organisation-kind|\bnetwork\b/);
  assert.ok(await page.locator("main a.directions").count() === 1);
  // A postal code outside Wallonia: a French sentence, the form kept with the value.
  const res = await page.goto(base + "/fr/near?postcode=1000");
  assert.equal(res.status(), 404);
  assert.match(await page.textContent("[role=alert]"), /Le code postal 1000 n'est celui d'aucune commune wallonne/);
  assert.equal(await page.inputValue("#n-postcode"), "1000");
  await page.goto(base + "/en/near?postcode=12");
  assert.match(await page.textContent("[role=alert]"), /“12” is not a Belgian postal code/);
  await page.setViewportSize(DESKTOP);
});

test("a strategy manager exports her cluster with BCE and municipality, and can untick after saving", async () => {
  await go("/fr/explorer");
  const click = async (facet, value) => {
    const before = page.url();
    await page.locator(`#facet-${facet} a[data-value="${value}"]`).click();
    await page.waitForURL((u) => u.toString() !== before);
  };
  await click("nace-bel-2008", "C");
  await click("label", "rel:labelled=label/factory-of-the-future");
  // Columns: BCE number, municipality and poles.
  for (const c of ["bce", "municipality", "nace", "size", "labels", "poles"]) {
    await page.setChecked(`#col-${c}`, ["bce", "municipality", "poles"].includes(c));
  }
  await page.click('.columns-form button[type="submit"]');
  await page.waitForURL(/cols=/);
  const total = Number(await page.getAttribute("#magnet-total", "data-count"));
  assert.ok(total > 0);
  const headers = (await page.locator("#members-table thead th").allTextContents()).map((s) => s.trim());
  assert.deepEqual(headers, ["Nom", "Numéro BCE", "Commune", "Pôles et clusters"]);
  assert.match(await page.textContent("#members-table tbody tr td"), /^\d{4}\.\d{3}\.\d{3}$/);

  const [download] = await Promise.all([page.waitForEvent("download"), page.click('a[data-export="csv"] >> nth=0')]);
  const lines = readFileSync(await download.path(), "utf8").slice(1).split("\r\n").filter((l) => l);
  assert.equal(lines[0], "id;kind;name;bce;municipality;poles;demo");
  assert.equal(lines.length - 1, total, "one line per member");
  const row = lines[1].split(";");
  assert.match(row[3], /^\d{4}\.\d{3}\.\d{3}$/, "a BCE number");
  assert.ok(row[4].length > 0, "a municipality");

  // Save it under her name: the confirmation names it, the ticks and chips stay.
  await page.fill("#magnet-name", "Mon cluster industrie");
  await page.click("form.save button[type=submit]");
  await page.waitForURL(/saved=/);
  assert.match(await page.textContent("[role=status].success"), /Mon cluster industrie/);
  assert.equal(Number(await page.getAttribute("#magnet-total", "data-count")), total);
  assert.equal(await page.locator(".chips li").count(), 3, "two chips and « clear all »");
  const fof = page.locator('#facet-label a[data-value="rel:labelled=label/factory-of-the-future"]');
  assert.equal(await fof.getAttribute("aria-current"), "true");
  assert.equal(await page.locator("#members-table thead th").count(), 4, "the chosen columns stay");
  await click("label", "rel:labelled=label/factory-of-the-future");
  assert.ok(Number(await page.getAttribute("#magnet-total", "data-count")) > total, "unticked: more members");
  assert.equal(await fof.getAttribute("aria-current"), null);

  // Copying the link says so.
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  await page.click("button[data-copy=share-url]");
  await page.locator("#share-url-copied", { hasText: "Lien copié." }).waitFor();

  // On a phone the count is in sight at the top of the facets.
  await page.setViewportSize(PHONE);
  await page.reload();
  const box = await page.locator(".live-count").boundingBox();
  assert.ok(box.y + box.height <= PHONE.height, `the count ends at ${box.y + box.height} px`);
  await page.setViewportSize(DESKTOP);
});

test("every strategy in the selector opens a page", async () => {
  await go("/fr/");
  const ids = await page.locator("#sw-strategy option").evaluateAll((os) => os.map((o) => o.value));
  assert.ok(ids.length >= 5, `${ids.length} strategies`);
  const shown = await page.inputValue("#sw-strategy");
  for (const id of ids) {
    await go("/fr/");
    if (id !== shown) {
      // The selector submits on change (site.js).
      const [res] = await Promise.all([page.waitForNavigation(), page.selectOption("#sw-strategy", id)]);
      assert.equal(res.status(), 200, id);
    }
    assert.equal(await page.getAttribute("html", "lang"), "fr");
    assert.equal(await page.inputValue("#sw-strategy"), id);
    assert.doesNotMatch(await page.textContent("main"), /has no version|Not Found/);
  }
  // Without the script the old version travels along: the page still opens and says so.
  await go("/fr/?strategy=circular-wallonia&version=2024-2029");
  assert.match(await page.textContent("main"), /La version « 2024-2029 » n'existe pas pour cette stratégie/);
});

async function printed(name) {
  await page.emulateMedia({ media: "print" });
  for (const sel of ["header.site", "nav[aria-label]", "footer.site"]) {
    assert.equal(await page.locator(sel).first().isVisible(), false, `${sel} is not printed (${name})`);
  }
  assert.match(await page.textContent(".updated"), /Données mises à jour le \d{2}\/\d{2}\/\d{4}/);
  assert.ok(await page.locator(".updated").isVisible());
  const pdf = await page.pdf({ format: "A4", preferCSSPageSize: true });
  const text = pdf.toString("latin1");
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.ok(boxes.length > 0, "pages in the PDF");
  for (const [w, h] of boxes) {
    assert.ok(Math.abs(w - 595.9) < 2 && Math.abs(h - 842.9) < 2, `A4 page, got ${w}×${h}`);
  }
  writeFileSync(join(ARTIFACTS, `print-${name}.pdf`), pdf);
  await page.emulateMedia({ media: "screen" });
  return boxes.length;
}

test("the home page and a programme page print on A4 without navigation, with the update date", async () => {
  await go("/fr/");
  const home = await printed("home");
  await go("/fr/programmes/dw4ai");
  const programme = await printed("programme");
  writeFileSync(join(ARTIFACTS, "print-pages.json"), JSON.stringify({ home, programme }));
  console.log("A4 pages printed:", JSON.stringify({ home, programme }));
});
