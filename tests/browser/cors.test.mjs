// Cross-origin reads of the open data (CORS), in a real browser: a page served from a
// second local origin (a tiny node http server on another port) fetches records from the
// Territoria server with fetch() — as a widget or notebook on another site does — and the
// browser lets it read them; a cross-origin write (POST /api/magnets) is refused by the
// browser's preflight.
//
// Started by ./run.sh (TERRITORIA_BIN). No sleeps: synchronisation is by element state.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BIN = process.env.TERRITORIA_BIN;
let server, base, other, otherBase, context, page, dataDir, profileDir;

/** The page of the other origin: reads records, tries a write, reports both in the DOM. */
const PAGE = (api) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another site</title></head>
<body><main><h1>Places from Territoria</h1><ul id="places"></ul><p id="status">loading</p>
<p id="write">pending</p></main>
<script>
  const api = ${JSON.stringify(api)};
  (async () => {
    try {
      const r = await fetch(api + "/api/explore/v2.1/catalog/datasets/places/records/?limit=5&order_by=id",
        { headers: { Accept: "application/json", Authorization: "ApiKey anything" } });
      const body = await r.json();
      for (const rec of body.results) {
        const li = document.createElement("li");
        li.textContent = rec.name;
        document.getElementById("places").append(li);
      }
      document.getElementById("status").textContent = "read " + body.results.length + " of " + body.total_count;
    } catch (e) {
      document.getElementById("status").textContent = "failed: " + e;
    }
    try {
      await fetch(api + "/api/magnets", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: "cross-origin", query: "kind:organisation" }) });
      document.getElementById("write").textContent = "write allowed";
    } catch (e) {
      document.getElementById("write").textContent = "write refused";
    }
  })();
</script></body></html>`;

before(async () => {
  assert.ok(BIN, "TERRITORIA_BIN names the territoria binary");
  dataDir = mkdtempSync(join(tmpdir(), "territoria-cors-data-"));
  profileDir = mkdtempSync(join(tmpdir(), "territoria-cors-chromium-"));
  server = spawn(BIN, ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--organisations", "200"], {
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
  // The other origin: `localhost` on another port (a different host and port than
  // Territoria's 127.0.0.1), serving one page.
  other = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(PAGE(base));
  });
  await new Promise((resolve) => other.listen(0, "127.0.0.1", resolve));
  otherBase = `http://localhost:${other.address().port}`;
  const executablePath = execFileSync("sh", ["-c", "command -v chromium"]).toString().trim();
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  page = context.pages()[0] || (await context.newPage());
});

after(async () => {
  await context?.close();
  other?.close();
  server?.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
});

test("a page on another origin reads records with fetch(); a cross-origin write is refused", async () => {
  await page.goto(`${otherBase}/`);
  const origin = await page.evaluate(() => window.location.origin);
  assert.notEqual(origin, base, "the page's origin is not Territoria's");
  const status = page.locator("#status");
  await status.filter({ hasNotText: "loading" }).waitFor();
  assert.match(await status.textContent(), /^read 5 of \d+$/);
  assert.equal(await page.locator("#places li").count(), 5);
  const write = page.locator("#write");
  await write.filter({ hasNotText: "pending" }).waitFor();
  assert.equal(await write.textContent(), "write refused");
});
