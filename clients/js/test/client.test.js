'use strict';
// Against a running KataForge (tests/integration/test_js_client.py starts it and sets the environment):
// KATAFORGE_URL, KATAFORGE_USERNAME/KATAFORGE_PASSWORD (an administrator), KATAFORGE_VIDEO (a shared clip).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const kataforge = require('..');

const baseUrl = process.env.KATAFORGE_URL;
const video = fs.readFileSync(process.env.KATAFORGE_VIDEO);
const suffix = () => Math.random().toString(16).slice(2, 10);

async function signedIn() {
  const client = new kataforge.Client({ baseUrl });
  await client.login(process.env.KATAFORGE_USERNAME, process.env.KATAFORGE_PASSWORD);
  return client;
}

test('coaches: create, list, update, delete; errors carry the envelope', async () => {
  const client = await signedIn();
  const id = `js_${suffix()}`;
  const created = await client.createCoach({ id, name: 'Sensei', style: 'Karate' });
  assert.equal(created.id, id);
  assert.ok((await client.listCoaches()).some((coach) => coach.id === id));
  assert.equal((await client.updateCoach(id, { name: 'Sensei Two' })).name, 'Sensei Two');
  assert.deepEqual((await client.listReferences(id)).references, []);
  await client.deleteCoach(id);
  await assert.rejects(client.getCoach(id), (error) => error.status === 404 && error.code === 'not_found');
});

test('an API key made by a signed-in user authenticates a new client', async () => {
  const client = await signedIn();
  const key = await client.createApiKey('js test');
  const byKey = new kataforge.Client({ baseUrl, apiKey: key.key });
  assert.equal((await byKey.profile()).username, process.env.KATAFORGE_USERNAME);
  await client.revokeApiKey(key.api_key.id);
  await assert.rejects(byKey.profile(), (error) => error.status === 401);
});

test('analyze a base64 video, then find it in the history', async () => {
  const client = await signedIn();
  const coach = `js_${suffix()}`;
  await client.createCoach({ id: coach, name: 'Sensei', style: 'Karate' });
  const result = await client.analyze({ videoUrl: video.toString('base64'), coach });
  assert.ok(result.metrics.overall_score >= 0 && result.metrics.overall_score <= 10);
  assert.ok(result.metrics.biomechanics.max_speed > 0);
  assert.equal((await client.getAnalysis(result.id)).id, result.id);
  const listed = await client.listAnalyses({ coach, limit: 5 });
  assert.deepEqual(listed.analyses.map((a) => a.id), [result.id]);
  // The spec's other analysis fields reach the server: a body mass outside 20-300 kg is refused there.
  await assert.rejects(client.analyze({ videoUrl: video.toString('base64'), coach, bodyMassKg: 10, device: 'cpu' }),
    (error) => error.status === 400 && Object.keys(error.details).some((k) => k.includes('body_mass_kg')));
});

test('an upload over the WebSocket reports progress, then the spec messages', async () => {
  const client = await signedIn();
  const coach = `js_${suffix()}`;
  await client.createCoach({ id: coach, name: 'Sensei', style: 'Karate' });
  const seen = [];
  const analysis = await client.analyzeWithProgress({ videoUrl: video.toString('base64'), coach,
    onMessage: (message) => seen.push(message) });
  const progress = seen.filter((m) => m.type === 'status').map((m) => m.progress);
  assert.ok(progress.length >= 3);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
  assert.equal(seen.at(-1).type, 'complete');
  assert.equal(seen.at(-1).data.analysis_id, analysis.id);
});

test('a durable batch, followed to its end', async () => {
  const client = await signedIn();
  const coach = `js_${suffix()}`;
  await client.createCoach({ id: coach, name: 'Sensei', style: 'Karate' });
  const job = await client.submitBatch({ videos: [{ url: Buffer.from('not a video '.repeat(40)).toString('base64'), coach }] });
  assert.ok(job.batch_id.startsWith('batch_'));
  const results = await client.waitForBatch(job.batch_id, { pollMs: 250, timeoutMs: 120000 });
  assert.equal(results.summary.failed, 1);
  assert.ok(results.results[0].error.code);
});
