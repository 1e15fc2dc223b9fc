// Conformance of the fake Replicate API (tests/fakes/replicate_api.h) with the
// official `replicate` client: predictions.create on an official model, get()
// from starting through processing (progress the SDK parses from the logs)
// to succeeded, run() of a video model, a version prediction canceled, and
// the fake's 401/404/422 problem+json answers as the client's ApiError.
//
//   node replicate.mjs <fake base URL> <api token> <a version id the fake knows>
//
// SDK: see common.mjs. Exit status 0 / 1 (mismatch) / 77 (no SDK).
import { check, download, importSdk, isMp4, isPng, rejection, sleep } from './common.mjs';

const [baseUrl, auth, helloVersion] = process.argv.slice(2);
const { default: Replicate } = await importSdk('replicate/index.js');
const replicate = new Replicate({ auth, baseUrl: `${baseUrl}/v1` });

// The client's ApiError for `status`, with the problem+json body it carries
// in its message; null when `e` is something else.
function problem(e, status) {
  if (e?.name !== 'ApiError' || e.response?.status !== status) return null;
  check(e.response.headers.get('content-type')?.startsWith('application/problem+json'),
        `${status}: problem+json, not ${e.response.headers.get('content-type')}`);
  const body = JSON.parse(e.message.slice(e.message.indexOf('{'), e.message.lastIndexOf('}') + 1));
  check(typeof body.title === 'string' && typeof body.detail === 'string' && body.status === status,
        `${status}: {title, detail, status}: ${JSON.stringify(body)}`);
  return body;
}

// 1. An image on an official model, polled by hand.
const created = await replicate.predictions.create({
  model: 'black-forest-labs/flux-schnell', input: { prompt: 'a red fox', aspect_ratio: '16:9', seed: 7 },
});
check(created.status === 'starting' && typeof created.id === 'string' && created.output === null,
      `create: ${JSON.stringify(created)}`);
check(created.urls?.get?.endsWith(`/v1/predictions/${created.id}`) && typeof created.urls?.cancel === 'string',
      `create: urls ${JSON.stringify(created.urls)}`);
const statuses = [];
let prediction;
for (let i = 0; i < 10; ++i) {
  prediction = await replicate.predictions.get(created.id);
  statuses.push(prediction.status);
  if (prediction.status === 'processing') {
    const progress = Replicate.parseProgressFromLogs(prediction);
    check(progress && progress.percentage > 0 && progress.percentage < 1, `progress from logs: ${prediction.logs}`);
  }
  if (!['starting', 'processing'].includes(prediction.status)) break;
  await sleep(10);
}
check(statuses.join() === 'starting,processing,succeeded', `statuses: ${statuses}`);
check(Array.isArray(prediction.output) && typeof prediction.output[0] === 'string', `output: ${prediction.output}`);
check(prediction.error === null && Number.isFinite(prediction.metrics?.predict_time), 'succeeded: error and metrics');
const png = await download(prediction.output[0]);
check(png.ok && isPng(png.bytes), 'the output is a PNG');

// 2. A video through run(), which creates and waits with the client's own poller.
const url = await replicate.run('bytedance/seedance-1-lite', {
  input: { prompt: 'a storm at sea', duration: 5, aspect_ratio: '9:16' }, wait: { mode: 'poll', interval: 10 },
});
check(typeof url === 'string', `run: the output URL, not ${JSON.stringify(url)}`);
const mp4 = await download(url);
check(mp4.ok && isMp4(mp4.bytes), 'the run output is an MP4');

// 3. A version prediction canceled while it starts.
const started = await replicate.predictions.create({ version: helloVersion, input: { prompt: 'hello' } });
const canceled = await replicate.predictions.cancel(started.id);
check(canceled.id === started.id && canceled.status === 'canceled', `cancel: ${JSON.stringify(canceled)}`);
check((await replicate.wait(canceled, { interval: 10 })).status === 'canceled', 'wait: canceled is final');

// 4. Errors, as Replicate's problem+json.
const stranger = new Replicate({ auth: 'r8_wrong', baseUrl: `${baseUrl}/v1` });
check(problem(await rejection(stranger.predictions.get(created.id)), 401), '401');
check(problem(await rejection(replicate.predictions.create({ model: 'nobody/nothing', input: { prompt: 'x' } })), 404), '404');
const invalid = problem(await rejection(replicate.predictions.create({
  model: 'black-forest-labs/flux-schnell', input: { prompt: 'x', aspect_ratio: '7:3' },
})), 422);
check(invalid?.invalid_fields?.[0]?.field === 'input.aspect_ratio', `422 invalid_fields: ${JSON.stringify(invalid)}`);
check(problem(await rejection(replicate.predictions.create({ version: '0'.repeat(64), input: { prompt: 'x' } })), 422),
      '422 unknown version');

console.log('ok');
