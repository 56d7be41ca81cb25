// A partner keeps its figures current, in a real browser: it signs in, uploads a CSV of
// one indicator's observation (preview, then apply), sees the new value on its action's
// page and the change, with its name, in the indicator's history. axe-clean pages; the
// strict Content-Security-Policy blocks nothing.
//
// Started by ./run.sh (TERRITORIA_BIN). No sleeps: synchronisation is by navigation and
// element state.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const BIN = process.env.TERRITORIA_BIN;
const ARTIFACTS = process.env.ARTIFACTS || join(tmpdir(), "territoria-browser-artifacts");
const PASSWORD = "le mot de passe du partenaire";
let server, base, context, page, dataDir, profileDir, org, action, indicator;
const cspErrors = [];

async function json(path) {
  const r = await fetch(base + path);
  assert.equal(r.status, 200, path);
  return r.json();
}

before(async () => {
  assert.ok(BIN, "TERRITORIA_BIN names the territoria binary");
  dataDir = mkdtempSync(join(tmpdir(), "territoria-govern-data-"));
  profileDir = mkdtempSync(join(tmpdir(), "territoria-govern-chromium-"));
  server = spawn(BIN, ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--organisations", "300"], {
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
  // An action with an indicator and a lead organisation, found through the API.
  const actions = await json("/api/entities/action?limit=200");
  for (const a of actions.items) {
    const d = await json(`/api/entities/action/${a.id}`);
    const lead = d.inverse_relations.find((r) => r.kind === "operates");
    if (lead && d.indicators && d.indicators.length) {
      [org, action, indicator] = [lead.entity.id, a.id, d.indicators[0].id];
      break;
    }
  }
  assert.ok(indicator, "a demo action with an indicator and a lead");
  // The administrator creates the partner's account on the command line.
  const created = execFileSync(BIN, ["--data-dir", dataDir, "admin", "create-user", "--login", "marie",
    "--name", "Marie Partenaire", "--role", "partner", "--organisation", org, "--password-stdin"],
    { input: PASSWORD + "\n", env: { ...process.env, TERRITORIA_LOG: "warn" } });
  assert.equal(created.toString(), "", "no password printed when it was given");
  const executablePath = execFileSync("sh", ["-c", "command -v chromium"]).toString().trim();
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 900 },
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

async function accessible(name) {
  await page.evaluate(AXE);
  assert.deepEqual(cspErrors, [], `Content-Security-Policy violations up to ${name}`);
  const result = await page.evaluate(() => window.axe.run(document));
  const problems = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`,
  );
  assert.deepEqual(problems, [], `axe violations on ${name}`);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

test("a partner signs in, updates its indicator by CSV (preview, apply) and the dashboard shows it", async () => {
  // Sign in from the footer link.
  await page.goto(`${base}/fr/`);
  await page.click("footer a[href='/fr/compte']");
  await page.waitForURL(/\/fr\/connexion/);
  await accessible("login");
  await page.fill("#login", "marie");
  await page.fill("#password", "pas le bon mot de passe");
  await Promise.all([page.waitForURL(/\/fr\/connexion/), page.click("button[type=submit]")]);
  assert.match(await page.textContent("[role=alert]"), /Identifiant ou mot de passe incorrect/);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(/\/fr\/compte$/), page.click("button[type=submit]")]);
  assert.match(await page.textContent("main"), /Marie Partenaire/);
  assert.equal(await page.locator(`a[href='/fr/actions/${action}']`).count(), 1, "its action is listed");
  await accessible("account");

  // Upload one observation: 4321 for 2031.
  await page.click("a[href='/fr/compte/mise-a-jour']");
  await accessible("bulk-form");
  await page.selectOption("#collection", "observations");
  const csv = "indicator;period;value;source;demo\n" + `${indicator};2031;4321;rapport annuel du partenaire;true\n`;
  await page.setInputFiles("#file", { name: "mise-a-jour.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  // The upload says how it goes (sent, then being read) until the preview replaces the page.
  await page.evaluate(() => {
    sessionStorage.setItem("progressSeen", "[]");
    const box = document.getElementById("bulk-progress");
    new MutationObserver(() => {
      const seen = JSON.parse(sessionStorage.getItem("progressSeen"));
      seen.push(box.hidden ? "" : box.textContent);
      sessionStorage.setItem("progressSeen", JSON.stringify(seen));
    })
      .observe(box, { attributes: true, childList: true, subtree: true, characterData: true });
  });
  await page.click("form[enctype] button[type=submit]");
  await page.locator("#bulk-summary").waitFor();
  const seen = await page.evaluate(() => JSON.parse(sessionStorage.getItem("progressSeen") || "[]"));
  assert.ok(seen.some((t) => /lecture et comparaison/.test(t)), `progress shown: ${JSON.stringify(seen)}`);
  assert.equal(await page.textContent("[data-count=added]"), "1");
  assert.equal(await page.textContent("[data-count=rejected]"), "0");
  assert.match(await page.textContent("#bulk-rows"), new RegExp(`indicator/${indicator} 2031`));
  await accessible("bulk-preview");
  await Promise.all([page.waitForLoadState("load"), page.click("#apply")]);
  assert.match(await page.textContent("#bulk-summary"), /Changements appliqués/);
  await accessible("bulk-applied");

  // The action's page shows the figure, in Belgian format.
  await page.goto(`${base}/fr/actions/${action}`);
  const row = page.locator(`#i-${indicator}`).locator("xpath=..").locator("tr", { hasText: "2031" });
  assert.match(await row.textContent(), /4[\u202f\u00a0 .]?321/);
  // Beside the figures: who last changed them, and when.
  const lastChange = await page.locator(`#i-${indicator}`).locator("xpath=..").locator(".last-change").textContent();
  assert.match(lastChange, /Dernière modification le .* par Marie Partenaire/);
  // The indicator's history names the partner.
  await page.goto(`${base}/fr/historique/indicator/${indicator}`);
  const history = await page.textContent("#history");
  assert.match(history, /Marie Partenaire/);
  assert.match(history, /4[\u202f\u00a0 .]?321/);
  await accessible("history");
});

test("an editor gives S3 its structure from the empty template, and the dashboard shows it", async () => {
  execFileSync(BIN, ["--data-dir", dataDir, "admin", "create-user", "--login", "paul",
    "--name", "Paul Éditeur", "--role", "editor", "--password-stdin"],
    { input: PASSWORD + "\n", env: { ...process.env, TERRITORIA_LOG: "warn" } });
  await context.clearCookies();
  // S3 is named by the memorandum without a structure: its page links to the template.
  await page.goto(`${base}/fr/?strategy=s3`);
  await Promise.all([page.waitForURL(/\/fr\/connexion/), page.click("#structure-link")]);
  await page.fill("#login", "paul");
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(/\/fr\/strategies\/nouvelle\?key=s3$/), page.click("button[type=submit]")]);
  assert.equal(await page.inputValue("#s-key"), "s3");
  assert.match(await page.inputValue("#s-name-fr"), /spécialisation intelligente/);
  await accessible("structure-new");
  await page.fill("#s-version", "2021-2027");
  await page.fill("#s-source", "Gouvernement wallon, S3 2021-2027");
  await Promise.all([page.waitForURL(/\/fr\/strategies\/s3\/structure\?version=2021-2027$/),
    page.click("#new-strategy button[type=submit]")]);
  assert.ok(await page.locator("#struct-empty").isVisible());
  await accessible("structure-empty");

  // An ambition under the strategy, then a programme under the ambition.
  await page.click("details.struct-add summary");
  await page.fill("#add-root-fr", "Domaines d'innovation stratégiques");
  await Promise.all([page.waitForLoadState("load"), page.click("details.struct-add[open] button[type=submit]")]);
  assert.match(await page.textContent("#struct-done"), /Enregistré : Domaines d'innovation stratégiques/);
  const prefix = "#add-ambition-domaines-d-innovation-strategiques";
  await page.click(`li[data-ref='ambition/domaines-d-innovation-strategiques'] > details summary`);
  await page.selectOption(`${prefix}-kind`, "programme");
  await page.fill(`${prefix}-fr`, "Matériaux circulaires");
  await Promise.all([page.waitForLoadState("load"), page.click("details.struct-add[open] button[type=submit]")]);
  assert.match(await page.textContent("#struct-tree"), /Matériaux circulaires/);
  await accessible("structure");
  await page.setViewportSize({ width: 390, height: 844 });
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `the structure page fits a phone (${scroll} > ${inner})`);
  await page.setViewportSize({ width: 1280, height: 900 });

  // The strategy's dashboard lists its new ambition.
  await page.goto(`${base}/fr/?strategy=s3`);
  assert.match(await page.textContent("main"), /Domaines d'innovation stratégiques/);
  await accessible("strategy-s3");
});

test("an administrator finds a taxonomy term, gives it a Dutch label and sees the change in its history", async () => {
  execFileSync(BIN, ["--data-dir", dataDir, "admin", "create-user", "--login", "ada",
    "--name", "Ada Admin", "--role", "admin", "--password-stdin"],
    { input: PASSWORD + "\n", env: { ...process.env, TERRITORIA_LOG: "warn" } });
  await context.clearCookies();
  await page.goto(`${base}/fr/compte/taxonomies`);
  await page.fill("#login", "ada");
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(/\/fr\/compte\/taxonomies$/), page.click("button[type=submit]")]);
  await page.selectOption("#terms-scheme", "target-audience");
  await page.fill("#terms-q", "jeunes");
  await Promise.all([page.waitForURL(/scheme=target-audience/), page.click("#terms-find button[type=submit]")]);
  await accessible("terms");
  await Promise.all([page.waitForURL(/\/taxonomies\/target-audience\/jeunes$/),
    page.click("a[href='/fr/compte/taxonomies/target-audience/jeunes']")]);
  await page.fill("#term-nl", "Jongeren");
  await Promise.all([page.waitForURL(/saved=1$/), page.click("#term-form button[type=submit]")]);
  assert.ok(await page.locator("#term-saved").isVisible());
  assert.equal(await page.inputValue("#term-nl"), "Jongeren");
  assert.match(await page.textContent("#term-history"), /Ada Admin/);
  assert.match(await page.textContent("#term-history"), /labels\.nl/);
  await accessible("term");
  await page.setViewportSize({ width: 390, height: 844 });
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `the term page fits a phone (${scroll} > ${inner})`);
  await page.setViewportSize({ width: 1280, height: 900 });
});
