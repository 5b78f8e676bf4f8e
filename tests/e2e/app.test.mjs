// End to end: the release build in headless Chromium. Finds every landmark of the
// accessibility contract, runs the walkthrough's command, plays until three pods run, checks
// etcd and narration, audits with axe-core, and saves screenshots under test-output/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const require = createRequire(import.meta.url);
const out = 'test-output';
mkdirSync(out, { recursive: true });
let server, browser, page, base;

before(async () => {
  server = await serve('dist');
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const offsite = [];
  page.on('request', (r) => { if (!r.url().startsWith(base)) offsite.push(r.url()); });
  page.offsite = offsite;
  await page.goto(base);
  await page.getByRole('textbox', { name: 'Command' }).waitFor({ timeout: 30000 });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('the page has every landmark of the accessibility contract', async () => {
  await page.getByRole('log', { name: 'Terminal' }).waitFor();
  for (const name of ['Control plane', 'Worker nodes', 'etcd', 'Narration']) {
    await page.getByRole('region', { name }).waitFor();
  }
  await page.getByRole('button', { name: 'Play' }).waitFor();
  await page.getByRole('button', { name: 'Step' }).waitFor();
  await page.getByRole('slider', { name: 'Speed' }).waitFor();
  await page.getByRole('slider', { name: 'Timeline' }).waitFor();
  assert.match(await page.getByRole('status').textContent(), /t = \d+\.\d{3}s/);
  assert.deepEqual(page.offsite, [], 'the page loads nothing from other origins');
  await page.screenshot({ path: `${out}/01-landing.png`, fullPage: true });
});

test('the walkthrough: create a deployment, play, three pods run', async () => {
  const cmd = page.getByRole('textbox', { name: 'Command' });
  await cmd.fill('kubectl create deployment web --image=nginx --replicas=3');
  await cmd.press('Enter');
  const log = page.getByRole('log', { name: 'Terminal' });
  await log.getByText('deployment.apps/web created').waitFor();
  await page.getByRole('region', { name: 'etcd' }).getByRole('button', { name: /\/registry\/deployments\/default\/web/ }).waitFor();
  await page.screenshot({ path: `${out}/02-created.png`, fullPage: true });

  // Full speed, then play until the nodes show three Running pods.
  await page.getByRole('slider', { name: 'Speed' }).fill('1');
  await page.getByRole('button', { name: 'Play' }).click();
  await page.getByRole('button', { name: 'Pause' }).waitFor();
  const workers = page.getByRole('region', { name: 'Worker nodes' });
  await page.waitForFunction(() => document.querySelectorAll('[aria-label="Worker nodes"] [role="group"] li[aria-label$="Running"]').length === 3, null, { timeout: 60000 });
  await page.screenshot({ path: `${out}/03-running.png`, fullPage: true });
  const perNode = [];
  for (const node of ['node-1', 'node-2']) {
    perNode.push(await workers.getByRole('group', { name: node }).getByRole('listitem').count());
  }
  assert.deepEqual(perNode.sort(), [1, 2], 'three replicas spread 2 + 1');

  const etcd = page.getByRole('region', { name: 'etcd' });
  await etcd.getByRole('button', { name: /\/registry\/replicasets\/default\/web-/ }).first().waitFor();
  assert.equal(await etcd.getByRole('button', { name: /\/registry\/pods\/default\/web-/ }).count(), 3);
  const story = await page.getByRole('region', { name: 'Narration' }).textContent();
  assert.match(story, /containerd|kubelet|scheduler/);

  await cmd.fill('kubectl get pods');
  await cmd.press('Enter');
  await log.getByText(/web-\w+-\w+\s+1\/1\s+Running/).first().waitFor();
  const scrolled = await log.evaluate((el) => el.scrollHeight - el.clientHeight - el.scrollTop);
  assert.ok(scrolled <= 1, `the terminal follows its output (${scrolled}px from the bottom)`);
  await cmd.fill('kubectl get pods --bogus');
  await cmd.press('Enter');
  await log.getByText('error: unknown flag: --bogus').waitFor();
  assert.equal(await log.locator('.err').filter({ hasText: 'unknown flag: --bogus' }).count(), 1, 'errors are marked as errors');

  // A pasted heredoc is one submission; history brings it back with the up arrow.
  const manifest = ['kubectl apply -f - <<EOF', 'apiVersion: v1', 'kind: Service', 'metadata:', '  name: web', 'spec:', '  selector: {app: web}', '  ports:', '  - port: 80', 'EOF'].join('\n');
  await cmd.fill(manifest);
  await cmd.press('Enter');
  await log.getByText('service/web created').waitFor();
  await cmd.press('ArrowUp');
  assert.equal(await cmd.inputValue(), manifest);
  await cmd.fill('');
});

test('selecting a pod shows its scheduling decision', async () => {
  const workers = page.getByRole('region', { name: 'Worker nodes' });
  await workers.getByRole('listitem').first().getByRole('button').click();
  const inspector = page.getByRole('region', { name: 'Inspector' });
  await inspector.getByText('Scheduling decision').waitFor();
  assert.match(await inspector.textContent(), /chose node-[12]/);
  const rows = inspector.getByRole('region', { name: 'Node scores' }).getByRole('row');
  assert.equal(await rows.count(), 3, 'a header and one row per node');
  await page.screenshot({ path: `${out}/04-inspector.png`, fullPage: true });
  await page.getByRole('button', { name: 'kube-scheduler' }).click();
  await inspector.getByText(/Pods bound/).waitFor();
});

test('axe-core finds no serious or critical violations', async () => {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`), []);
});

for (const width of [360, 700]) {
  test(`readable at ${width} px without sideways scrolling`, async () => {
    const narrow = await browser.newPage({ viewport: { width, height: 900 } });
    await narrow.goto(base);
    await narrow.getByRole('textbox', { name: 'Command' }).fill('kubectl create deployment web --image=nginx --replicas=3');
    await narrow.getByRole('textbox', { name: 'Command' }).press('Enter');
    await narrow.getByRole('log', { name: 'Terminal' }).getByText('deployment.apps/web created').waitFor();
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the ${width}px viewport`);
    await narrow.screenshot({ path: `${out}/05-width-${width}.png`, fullPage: true });
    await narrow.close();
  });
}

test('with reduced motion no packets travel, but state still changes', async () => {
  const ctx = await browser.newContext({ reducedMotion: 'reduce', viewport: { width: 1200, height: 900 } });
  const calm = await ctx.newPage();
  await calm.goto(base);
  await calm.getByRole('textbox', { name: 'Command' }).fill('kubectl create deployment web --image=nginx --replicas=2');
  await calm.getByRole('textbox', { name: 'Command' }).press('Enter');
  await calm.getByRole('slider', { name: 'Speed' }).fill('-1');
  await calm.getByRole('button', { name: 'Play' }).click();
  let packets = 0;
  for (let i = 0; i < 10; i++) {
    packets = Math.max(packets, await calm.locator('svg.packets circle').count());
    await calm.waitForTimeout(50);
  }
  assert.equal(packets, 0);
  await calm.getByRole('region', { name: 'etcd' }).getByRole('button', { name: /\/registry\/replicasets\// }).first().waitFor();
  await ctx.close();
});
