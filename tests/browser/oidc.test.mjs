// OpenID Connect sign-in against a real local provider (npm `oidc-provider`, the certified
// implementation by panva), in a real browser: authorization code with PKCE, the ID
// token verified by Territoria, the role mapped from the `roles` claim, the account
// created on first sign-in. The provider's development login pages stand in for
// CSAM/itsme's.
//
// Started by ./run.sh (TERRITORIA_BIN). No sleeps: synchronisation is by navigation.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Provider from "oidc-provider";
import { chromium } from "playwright-core";

const BIN = process.env.TERRITORIA_BIN;
let provider, providerServer, server, base, context, page, dataDir, profileDir;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  assert.ok(BIN, "TERRITORIA_BIN names the territoria binary");
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // The provider, on its own port.
  providerServer = createServer();
  await new Promise((resolve) => providerServer.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${providerServer.address().port}`;
  provider = new Provider(issuer, {
    clients: [{
      client_id: "territoria",
      client_secret: "a-client-secret-for-tests-only",
      redirect_uris: [`${base}/auth/oidc/callback`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    }],
    claims: { openid: ["sub"], profile: ["name", "preferred_username", "roles"] },
    conformIdTokenClaims: false,
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, name: "Élodie Éditrice", preferred_username: id, roles: ["territoria-editor"] }),
    }),
    pkce: { required: () => true },
  });
  providerServer.on("request", provider.callback());
  // Territoria, configured with the provider.
  dataDir = mkdtempSync(join(tmpdir(), "territoria-oidc-data-"));
  profileDir = mkdtempSync(join(tmpdir(), "territoria-oidc-chromium-"));
  const config = join(dataDir, "territoria.toml");
  writeFileSync(config, `[oidc]
issuer = "${issuer}"
client_id = "territoria"
client_secret = "a-client-secret-for-tests-only"
public_url = "${base}"
label = "le fournisseur de test"
role_claim = "roles"
roles = { "territoria-editor" = "editor" }
`);
  server = spawn(BIN, ["--config", config, "serve", "--data-dir", join(dataDir, "store"), "--listen", `127.0.0.1:${port}`,
    "--organisations", "200"], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (chunk) => {
      out += chunk;
      if (/http:\/\/[0-9.:]+\//.test(out)) resolve();
    });
    server.on("exit", (code) => reject(new Error(`territoria serve exited with ${code}`)));
  });
  const executablePath = execFileSync("sh", ["-c", "command -v chromium"]).toString().trim();
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  page = context.pages()[0] || (await context.newPage());
});

after(async () => {
  await context?.close();
  server?.kill("SIGTERM");
  providerServer?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
});

test("sign-in through the identity provider creates the account with its mapped role", async () => {
  await page.goto(`${base}/fr/connexion`);
  await Promise.all([page.waitForURL((u) => !u.toString().startsWith(base)), page.click("#oidc-login")]);
  // The provider's login page (development interactions): any login.
  await page.fill("input[name=login]", "elodie");
  await page.fill("input[name=password]", "anything");
  await page.click("button[type=submit]");
  // Its consent page, then back to Territoria.
  await page.waitForLoadState("load");
  if (!page.url().startsWith(base)) {
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(base)), page.click("button[type=submit]")]);
  }
  await page.waitForURL(/\/fr\/compte$/);
  const main = await page.textContent("main");
  assert.match(main, /Élodie Éditrice/);
  assert.match(main, /éditeur/, "the role mapped from the roles claim");
  // The session is a real one: the API knows who it is.
  const me = await page.evaluate(async () => (await fetch("/api/me")).json());
  assert.equal(me.user.role, "editor");
  assert.equal(me.user.login, "oidc-elodie");
});
