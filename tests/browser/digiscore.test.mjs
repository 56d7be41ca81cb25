// Digiscore on a phone (390×844), in a real browser: a company owner starts with a KBO
// number, answers part of the questionnaire, stops, resumes through the private link,
// finishes, sees the radar, peers and next steps, prints, reassesses (T0 beside T1) and
// deletes; the barometer page too. axe-core on every step; the strict
// Content-Security-Policy blocks nothing; no page is wider than the phone.
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
// A KBO/BCE number whose check digits are right (97 − 01234567 mod 97 = 49).
const KBO = "0123.456.749";
let server, base, context, page, dataDir, profileDir;
const cspErrors = [];

before(async () => {
  assert.ok(BIN, "TERRITORIA_BIN names the territoria binary");
  dataDir = mkdtempSync(join(tmpdir(), "territoria-digiscore-data-"));
  profileDir = mkdtempSync(join(tmpdir(), "territoria-digiscore-chromium-"));
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
  const executablePath = execFileSync("sh", ["-c", "command -v chromium"]).toString().trim();
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
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
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `${name} is ${width}px wide on a 390px phone`);
  await page.screenshot({ path: join(ARTIFACTS, `digiscore-${name}.png`), fullPage: true });
}

/** Answers the unanswered questions of the page, `limit` at most, with each one's second option. */
async function answer(limit) {
  const questions = page.locator("fieldset.digiscore-question");
  const n = await questions.count();
  let done = 0;
  for (let i = 0; i < n && done < limit; i++) {
    const q = questions.nth(i);
    if ((await q.locator("input:checked").count()) > 0) continue;
    await q.locator("input[type=radio]").nth(1).check();
    done++;
  }
  return n;
}

test("a company owner assesses itself on a phone: start, stop, resume, finish, print, reassess, delete", async () => {
  await page.goto(`${base}/fr/`);
  await page.click("a[href='/fr/digiscore']");
  await page.waitForURL(/\/fr\/digiscore$/);
  await accessible("start");

  // A wrong check digit is refused, naming the field; the form keeps what was typed.
  await page.fill("#ds-kbo", "0123.456.748");
  await page.selectOption("#ds-nace", "C");
  await page.selectOption("#ds-size", "small");
  await page.fill("#ds-municipality", "92094");
  await Promise.all([page.waitForLoadState("load"), page.click("form.digiscore-form button[type=submit]")]);
  assert.match(await page.textContent("#digiscore-errors"), /BCE/);
  await accessible("start-refused");
  await page.fill("#ds-kbo", KBO);
  await Promise.all([page.waitForURL(/\/fr\/digiscore\/a\//), page.click("form.digiscore-form button[type=submit]")]);
  const link = page.url();
  await accessible("questionnaire");

  // Half the questions, saved; then the owner leaves.
  const total = await page.locator("fieldset.digiscore-question").count();
  await answer(Math.floor(total / 2));
  await Promise.all([page.waitForURL(/saved=1/), page.click("button[value=save]")]);
  assert.ok(await page.locator("#ds-notice").isVisible());
  await page.goto(`${base}/fr/`);

  // Resumes through the private link: the answers are there.
  await page.goto(link);
  assert.equal(await page.locator("fieldset.digiscore-question input:checked").count(), Math.floor(total / 2));
  // Finishing with questions left says how many and keeps the answers.
  await Promise.all([page.waitForLoadState("load"), page.click("button[value=finish]")]);
  assert.match(await page.textContent("#ds-error"), /question\(s\) sans réponse/);
  await answer(total);
  await Promise.all([page.waitForURL(link), page.click("button[value=finish]")]);

  // The result: radar with its table, peers, next steps.
  await page.locator("#ds-result-section").waitFor();
  assert.equal(await page.locator(".digiscore-radar svg").count(), 1);
  assert.equal(await page.locator("#ds-scores tbody tr").count(), 4);
  assert.match(await page.textContent("#ds-peers-section"), /Moins de 10|%/);
  assert.ok((await page.locator(".digiscore-steps > li").count()) >= 1, "next steps");
  await accessible("result");

  // Printed: the result without the buttons.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator(".digiscore-actions").isVisible(), false);
  assert.ok(await page.locator("#ds-result-section").isVisible());
  await page.emulateMedia({ media: "screen" });
  const pdf = await page.pdf({ format: "A4" });
  assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");

  // Reassess: a new private link; finished, it shows T0 beside T1.
  await Promise.all([page.waitForURL((u) => u.toString() !== link && /\/fr\/digiscore\/a\//.test(u.toString())), page.click("#ds-reassess")]);
  const second = page.url();
  await answer(total);
  await Promise.all([page.waitForURL(second), page.click("button[value=finish]")]);
  assert.equal(await page.locator("#ds-scores thead th").count(), 3, "axis, now, before");
  await accessible("reassessed");

  // Delete the first: gone for good; the second stays.
  await page.goto(link);
  await Promise.all([page.waitForURL(/deleted=1/), page.click("#ds-delete")]);
  assert.ok(await page.locator("#ds-deleted").isVisible());
  const gone = await page.goto(link);
  assert.equal(gone.status(), 404);
  const kept = await page.goto(second);
  assert.equal(kept.status(), 200);
});

test("the barometer page shows aggregates on a phone, flagged synthetic", async () => {
  await page.goto(`${base}/fr/digiscore`);
  await Promise.all([page.waitForURL(/barometre/), page.click("a[href='/fr/digiscore/barometre']")]);
  assert.match(await page.textContent("main"), /évaluations synthétiques de démonstration/);
  assert.ok((await page.locator("main table").count()) >= 3);
  await accessible("barometer");
  await page.goto(`${base}/fr/leviers/maturite-numerique-des-entreprises`);
  assert.ok(await page.locator("#lever-barometer").isVisible());
  await accessible("lever-barometer");
});
