// The government's report in a real browser: axe-clean on screen; printed (print media,
// then Chromium's own PDF) on A4 without the site's navigation; every ambition of the
// strategy appears with a status in what is printed; the PDF is written to the artifacts.
//
// Started by ./run.sh (TERRITORIA_BIN). No sleeps: synchronisation is by navigation.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const BIN = process.env.TERRITORIA_BIN;
const ARTIFACTS = process.env.ARTIFACTS || join(tmpdir(), "territoria-browser-artifacts");
const STATUSES_FR = ["En bonne voie", "À risque", "Hors trajectoire", "Données insuffisantes", "Sans cible"];
let server, base, context, page, dataDir, profileDir;

before(async () => {
  assert.ok(BIN, "TERRITORIA_BIN names the territoria binary");
  dataDir = mkdtempSync(join(tmpdir(), "territoria-report-data-"));
  profileDir = mkdtempSync(join(tmpdir(), "territoria-report-chromium-"));
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
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] || (await context.newPage());
});

after(async () => {
  await context?.close();
  server?.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
});

test("the report prints on A4 without navigation, every ambition with its status", async () => {
  const tree = await (await fetch(`${base}/api/strategies/digital-wallonia`)).json();
  const ambitions = tree.children.filter((n) => n.kind === "ambition");
  assert.ok(ambitions.length >= 5, `the strategy's ambitions (${ambitions.length})`);

  const res = await page.goto(`${base}/fr/strategies/digital-wallonia/rapport`);
  assert.equal(res.status(), 200);
  await page.evaluate(AXE);
  const axe = await page.evaluate(() => window.axe.run(document));
  const problems = axe.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
  assert.deepEqual(problems, [], "axe violations on the report");

  await page.emulateMedia({ media: "print" });
  // The site's chrome is not printed; the report is.
  for (const sel of ["header.site", "footer.site", ".crumbs"]) {
    const shown = await page.$eval(sel, (e) => getComputedStyle(e).display !== "none").catch(() => false);
    assert.equal(shown, false, `${sel} is hidden in print`);
  }
  // Each ambition's section: its name and one of the five statuses, as printed.
  for (const a of ambitions) {
    const name = a.name.fr || Object.values(a.name)[0];
    const section = await page.$(`#amb-${a.id}`);
    assert.ok(section, `a section for ambition ${a.id}`);
    const printed = await section.innerText();
    assert.ok(printed.includes(name), `${a.id}: its name is printed`);
    assert.ok(STATUSES_FR.some((s) => printed.includes(s)), `${a.id}: a status is printed — ${printed.slice(0, 200)}`);
  }
  const pdf = await page.pdf({ format: "A4", printBackground: false });
  writeFileSync(join(ARTIFACTS, "rapport.pdf"), pdf);
  const text = pdf.toString("latin1");
  assert.ok(text.startsWith("%PDF-"), "a PDF");
  const pages = (text.match(/\/Type\s*\/Page[^s]/g) || []).length;
  // One page per ambition at least (each starts a page), plus the summary.
  assert.ok(pages >= ambitions.length + 1, `${pages} pages for ${ambitions.length} ambitions`);
  const box = text.match(/\/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]/);
  assert.ok(box, "a media box");
  // A4 is 595 × 842 points.
  assert.ok(Math.abs(Number(box[1]) - 595) < 2 && Math.abs(Number(box[2]) - 842) < 2, `A4: ${box[1]} × ${box[2]}`);
});
