// Browser test harness: builds and starts the local gateway on a free port with a fresh
// data directory and the development clock, drives headless Chromium (playwright-core,
// the Debian `chromium`; never a downloaded browser), and checks every page visited:
// axe-core (WCAG 2.0/2.1 A and AA) with 0 violations, no horizontal scroll at 320 px,
// no script error or CSP violation, screenshots at desktop and mobile sizes.
//
// Environment (all optional):
//   EP_BROWSER_GATEWAY     path of the gateway binary to start (default: the cargo target's
//                          debug/ep-gateway, built once by `cargo build -p ep-gateway`)
//   EP_BROWSER_SKIP_BUILD  1: do not run cargo build
//   EP_BROWSER_CHROMIUM    Chromium executable (default /usr/bin/chromium)
//   EP_BROWSER_KEEP_DATA   1: keep the temporary data directories
//   EP_BROWSER_HEADED      1: show the browser (needs a display)

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const SCREENSHOTS = path.join(HERE, 'screenshots');
export const ADMIN_EMAIL = 'admin@plateforme.example.org';

export const DESKTOP = { width: 1280, height: 800 };
export const MOBILE = { width: 320, height: 640 };
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

// ------------------------------------------------------------------ gateway

let builtBinary = null;

/** The cargo target directory (honours CARGO_TARGET_DIR and .cargo/config). */
function targetDir() {
  const res = spawnSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status === 0) {
    try {
      return JSON.parse(res.stdout).target_directory;
    } catch {
      /* fall through */
    }
  }
  return process.env.CARGO_TARGET_DIR || path.join(REPO_ROOT, 'target');
}

/** Builds the gateway once per process (quiet cargo build) and returns its path. */
export function buildGateway() {
  if (builtBinary) return builtBinary;
  if (process.env.EP_BROWSER_GATEWAY) {
    builtBinary = path.resolve(process.env.EP_BROWSER_GATEWAY);
    return builtBinary;
  }
  if (process.env.EP_BROWSER_SKIP_BUILD !== '1') {
    const started = Date.now();
    const res = spawnSync('cargo', ['build', '--quiet', '-p', 'ep-gateway'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    assert.equal(res.status, 0, 'cargo build -p ep-gateway failed (see its output above)');
    log(`gateway built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  builtBinary = path.join(targetDir(), 'debug', 'ep-gateway');
  assert.ok(existsSync(builtBinary), `gateway binary not found: ${builtBinary}`);
  return builtBinary;
}

/** A TCP port free right now on 127.0.0.1. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts the gateway from the repository root with a fresh data directory and the
 * development clock. Resolves once GET /api/health answers 200. `env`: more variables
 * for the gateway (e.g. `EP_CLAMD_ADDRESS`); the caller's own EP_* are not passed on.
 */
export async function startGateway(binary = buildGateway(), { env: extraEnv = {} } = {}) {
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ep-browser-'));
  const url = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EP_')));
  Object.assign(env, {
    EP_LISTEN: `127.0.0.1:${port}`,
    EP_PUBLIC_URL: url,
    EP_DATA_DIR: dataDir,
    EP_ADMIN_EMAIL: ADMIN_EMAIL,
    EP_DEV_CLOCK: '1',
    RUST_LOG: process.env.RUST_LOG || 'warn',
  }, extraEnv);
  const child = spawn(binary, [], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  const keep = (chunk) => {
    output.push(chunk.toString());
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });

  const gw = {
    url,
    port,
    dataDir,
    log: () => output.join(''),
    async stop() {
      if (!exited) {
        child.kill('SIGINT');
        const done = await Promise.race([exit, sleep(5000).then(() => null)]);
        if (!done) {
          child.kill('SIGKILL');
          await exit;
        }
      }
      if (process.env.EP_BROWSER_KEEP_DATA !== '1') {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
    /** The dev outbox: [{ file, to, subject, text }], oldest first. */
    async outbox() {
      const res = await fetch(`${url}/_dev/outbox.json`);
      assert.equal(res.status, 200, `GET /_dev/outbox.json answered ${res.status}`);
      return res.json();
    },
    /** Waits for a mail matching `predicate` (emails are sent right after commit). */
    async waitForMail(predicate, what = 'email', timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      let mails = [];
      while (Date.now() < deadline) {
        mails = await gw.outbox();
        const found = mails.filter(predicate);
        if (found.length) return found[found.length - 1];
        await sleep(150);
      }
      assert.fail(`no ${what} in the outbox after ${timeoutMs} ms; outbox: ${JSON.stringify(mails.map((m) => m.subject))}`);
    },
    /** Moves the portal's clock forward (POST /_dev/clock). */
    async advanceClock(days) {
      const res = await fetch(`${url}/_dev/clock`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: url },
        body: JSON.stringify({ advance_days: days }),
      });
      assert.ok(res.status >= 200 && res.status < 300, `POST /_dev/clock answered ${res.status}: ${await res.text()}`);
      return gw.clock();
    },
    async clock() {
      const res = await fetch(`${url}/_dev/clock`);
      assert.equal(res.status, 200, `GET /_dev/clock answered ${res.status}`);
      return (await res.json()).now;
    },
  };

  const deadline = Date.now() + 60000;
  for (;;) {
    if (exited) {
      await gw.stop();
      assert.fail(`the gateway stopped at start (${JSON.stringify(exited)}):\n${gw.log()}`);
    }
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await gw.stop();
      assert.fail(`GET /api/health did not answer 200 within 60 s:\n${gw.log()}`);
    }
    await sleep(100);
  }
  return gw;
}

/** « Votre identifiant : X » and the /activation#jeton=… (or /reinitialisation) link of a mail. */
export function linkOf(mail, page = 'activation') {
  const link = new RegExp(`(https?://[^\\s<>"]+/${page}#jeton=[^\\s<>"]+)`).exec(mail.text);
  assert.ok(link, `no /${page}#jeton= link in the email « ${mail.subject} »:\n${mail.text}`);
  const id = /Votre identifiant\s*:\s*(\S+)/.exec(mail.text);
  return { link: link[1], identifiant: id ? id[1].replace(/[.,;]$/, '') : null };
}

// ------------------------------------------------------------------ browser

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.EP_BROWSER_CHROMIUM || '/usr/bin/chromium',
    headless: process.env.EP_BROWSER_HEADED !== '1',
    args: CHROMIUM_ARGS,
  });
}

export function log(message) {
  process.stderr.write(`# ${message}\n`);
}

function slug(s) {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Readable report of axe violations. */
export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 8)
        .map((n) => `    - ${n.target.join(' ')}\n      ${(n.failureSummary || '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

/**
 * A browser context for one journey, with `check(name)` to run on every page visited.
 * Collects uncaught errors and CSP violations of the pages.
 */
export async function openJourney(browser, gw, journey) {
  const context = await browser.newContext({
    viewport: DESKTOP,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    baseURL: gw.url,
  });
  context.setDefaultTimeout(20000);
  context.setDefaultNavigationTimeout(30000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`uncaught error on ${page.url()}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // A failed API call (401 before sign-in, 4xx shown to the user) is logged by Chromium
    // as "Failed to load resource": expected. Anything else (CSP, script errors) is not.
    if (/Failed to load resource/.test(text)) return;
    problems.push(`console error on ${page.url()}: ${text}`);
  });
  const dir = SCREENSHOTS;
  await mkdir(dir, { recursive: true });
  let n = 0;
  const visited = [];

  const journeyObj = {
    page,
    context,
    visited,
    /** Checks the page as it is now: ready, axe clean, 320 px wide, screenshots. */
    async check(name) {
      n += 1;
      await page.waitForLoadState('load');
      await page.waitForFunction(() => !document.querySelector('main[aria-busy="true"]'), null, { timeout: 20000 });
      assert.deepEqual(problems, [], `script or CSP problems before « ${name} »`);
      const base = path.join(dir, `${slug(journey)}-${String(n).padStart(2, '0')}-${slug(name)}`);

      const title = await page.title();
      assert.ok(title && title.includes('Espace Partenaires'), `« ${name} »: no descriptive <title> (${title})`);
      assert.equal(await page.getAttribute('html', 'lang'), 'fr', `« ${name} »: <html lang="fr">`);
      // Every page links the legal pages from its footer (SPEC §5 « Legal pages »).
      const missing = await page.evaluate(() => ['/accessibilite', '/donnees-personnelles', '/mentions-legales']
        .filter((href) => !document.querySelector(`footer a[href="${href}"]`)));
      assert.deepEqual(missing, [], `« ${name} »: the footer does not link the legal pages`);

      const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
      assert.equal(
        results.violations.length,
        0,
        `axe: ${results.violations.length} violation(s) on « ${name} » (${page.url()}):\n${formatViolations(results.violations)}`,
      );
      await page.screenshot({ path: `${base}-bureau.png`, fullPage: true });

      await page.setViewportSize(MOBILE);
      try {
        const overflow = await page.evaluate(() => {
          const width = document.documentElement.scrollWidth;
          const culprits = [];
          if (width > window.innerWidth) {
            for (const e of document.querySelectorAll('body *')) {
              const r = e.getBoundingClientRect();
              if (r.right > window.innerWidth + 0.5 && r.width > 0) {
                culprits.push(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.split(' ').join('.')}` : ''} (right ${Math.round(r.right)})`);
              }
              if (culprits.length > 6) break;
            }
          }
          return { width, culprits };
        });
        // Every row of every table reads at 320 px without scrolling sideways: each of its
        // cells (the row's identity and status among them) lies inside the viewport.
        const clipped = await page.evaluate(() => {
          const out = [];
          for (const table of document.querySelectorAll('table')) {
            for (const cell of table.querySelectorAll('tbody th, tbody td')) {
              const r = cell.getBoundingClientRect();
              if (r.width > 0 && (r.right > window.innerWidth + 0.5 || r.left < -0.5)) {
                out.push(`${table.id || 'table'}: « ${cell.textContent.trim().slice(0, 30)} » (${Math.round(r.left)}–${Math.round(r.right)} px)`);
                if (out.length > 5) return out;
              }
            }
          }
          return out;
        });
        assert.deepEqual(clipped, [], `« ${name} »: table cells outside the ${MOBILE.width} px viewport`);
        assert.ok(
          overflow.width <= MOBILE.width,
          `« ${name} » scrolls horizontally at ${MOBILE.width} px (scrollWidth ${overflow.width}): ${overflow.culprits.join(', ')}`,
        );
        await page.screenshot({ path: `${base}-mobile.png`, fullPage: true });
      } finally {
        await page.setViewportSize(DESKTOP);
      }
      visited.push({ name, url: page.url(), axe: results.passes.length });
    },
    async close() {
      await context.close();
      assert.deepEqual(problems, [], 'script or CSP problems during the journey');
    },
  };
  return journeyObj;
}

/** Polls until `fn()` is truthy (for assertions on the page as the user types). */
export async function until(fn, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what} (last: ${last})`);
    await sleep(50);
  }
}

/** Writes a summary of the pages visited (for the report). */
export async function writeSummary(file, lines) {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${lines.join('\n')}\n`);
}
