// Conformance of the fake Runway API (tests/fakes/runway_api.h) with the
// official `@runwayml/sdk` client: it submits a text_to_video task, retrieves
// it through every status to SUCCEEDED, downloads the output, deletes a
// running task, and gets the fake's 400/401/404 as its typed errors.
//
//   node runwayml.mjs <fake base URL> <api key>
//
// The caller sets the fake to answer THROTTLED once before PENDING, RUNNING,
// SUCCEEDED. SDK: see common.mjs. Exit status 0 / 1 (mismatch) / 77 (no SDK).
import { check, download, importSdk, isMp4, rejection, sleep } from './common.mjs';

const [baseUrl, apiKey] = process.argv.slice(2);
const { default: RunwayML, TaskFailedError } = await importSdk('@runwayml/sdk/index.mjs');
const client = new RunwayML({ apiKey, baseURL: baseUrl, maxRetries: 0, timeout: 5000 });

const isCost = (c) => Number.isFinite(c?.credits);

// 1. Submit, then poll as a consumer of the SDK does until the task is final.
const created = await client.textToVideo.create({
  model: 'gen4.5', promptText: 'a lighthouse at dusk', ratio: '1280:720', duration: 5, seed: 42,
});
check(typeof created.id === 'string' && isCost(created.estimatedCost), `create: ${JSON.stringify(created)}`);
const seen = [];
let task;
for (let i = 0; i < 10; ++i) {
  task = await client.tasks.retrieve(created.id);
  check(task.id === created.id && typeof task.createdAt === 'string', `retrieve: ${JSON.stringify(task)}`);
  seen.push(task.status);
  if (task.status === 'SUCCEEDED') break;
  check(['THROTTLED', 'PENDING', 'RUNNING'].includes(task.status), `a known status: ${task.status}`);
  check(isCost(task.estimatedCost), `${task.status}: estimatedCost`);
  if (task.status === 'RUNNING') check(task.progress >= 0 && task.progress <= 1, `RUNNING: progress ${task.progress}`);
  await sleep(10);
}
check(seen.join() === 'THROTTLED,PENDING,RUNNING,SUCCEEDED', `statuses: ${seen}`);
check(isCost(task.cost) && Array.isArray(task.output) && task.output.length === 1, `SUCCEEDED: ${JSON.stringify(task)}`);
// The SDK's own waiter returns a task that is already final without waiting.
const waited = await client.tasks.retrieve(created.id).waitForTaskOutput();
check(waited.status === 'SUCCEEDED' && waited.output[0] === task.output[0], 'waitForTaskOutput: SUCCEEDED');
const video = await download(task.output[0]);
check(video.ok && isMp4(video.bytes), `output ${task.output[0]}: an MP4`);

// 2. A body the model does not take: 400 with Runway's issues.
const invalid = await rejection(client.textToVideo.create({
  model: 'gen4.5', promptText: 'x', ratio: '1920:1080', duration: 5,
}));
check(invalid instanceof RunwayML.BadRequestError && invalid.status === 400, `400: ${invalid}`);
check(typeof invalid.error?.error === 'string' &&
      invalid.error.issues?.some((i) => i.path?.[0] === 'ratio' && typeof i.message === 'string'),
      `400 issues: ${JSON.stringify(invalid.error)}`);

// 3. A key Runway does not know.
const stranger = new RunwayML({ apiKey: 'key_wrong', baseURL: baseUrl, maxRetries: 0 });
const auth = await rejection(stranger.textToVideo.create({
  model: 'veo3.1', promptText: 'x', ratio: '1280:720',
}));
check(auth instanceof RunwayML.AuthenticationError && typeof auth.error?.error === 'string', `401: ${auth}`);

// 4. Delete a running task: it reads CANCELLED, which the waiter reports as failed.
const doomed = await client.textToVideo.create({ model: 'veo3.1', promptText: 'a storm', ratio: '720:1280', duration: 4 });
check((await client.tasks.retrieve(doomed.id)).status === 'THROTTLED', 'veo3.1: THROTTLED');
await client.tasks.delete(doomed.id);  // 204: throws on anything else
const cancelled = await client.tasks.retrieve(doomed.id);
check(cancelled.status === 'CANCELLED' && isCost(cancelled.cost), `CANCELLED: ${JSON.stringify(cancelled)}`);
const failed = await rejection(client.tasks.retrieve(doomed.id).waitForTaskOutput());
check(failed instanceof TaskFailedError && failed.taskDetails.status === 'CANCELLED', `waiter on CANCELLED: ${failed}`);
const missing = await rejection(client.tasks.delete('00000000-0000-0000-0000-000000000000'));
check(missing instanceof RunwayML.NotFoundError, `404: ${missing}`);

console.log('ok');
