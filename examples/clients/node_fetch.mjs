// AIGate from JavaScript with Node's fetch (Node 18+): who am I, search the
// library, get an image (library first), generate a video and poll its job,
// and the errors a client must handle: 402 (no credits), 403 (not in your
// tier) and 429 (slow down: wait Retry-After seconds, then send the same
// request again).
//
//   AIGATE_API_KEY=sk-aigate-... [AIGATE_BASE_URL=http://127.0.0.1:8080] node node_fetch.mjs
import { randomUUID } from 'node:crypto';

const BASE = (process.env.AIGATE_BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const KEY = process.env.AIGATE_API_KEY;
if (!KEY) {
  console.error('set AIGATE_API_KEY to your sk-aigate-... key');
  process.exit(1);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Sends one request; returns { status, body }. A 429 is waited out.
async function api(method, path, body, idempotencyKey) {
  const headers = { Authorization: `Bearer ${KEY}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let response;
  for (let attempt = 0; attempt < 5; attempt++) {
    response = await fetch(BASE + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status !== 429) break;
    const wait = Number(response.headers.get('retry-after') ?? 1);
    console.log(`429: retried after ${wait} s`);
    await sleep(wait * 1000);
  }
  return { status: response.status, body: await response.json() };
}

function fail({ status, body }) {
  console.error(`error: ${status} ${body.error}: ${body.message}`);
  process.exit(1);
}

// A 402 or 403 is part of the flow; anything else is a failure.
function handled(what, reply) {
  const { status, body } = reply;
  if (status === 402) {
    console.log(`${what}: 402 insufficient_credits handled (needs ${body.credits_needed}, ` +
                `have ${body.credits_balance}; ${body.hint})`);
  } else if (status === 403) {
    console.log(`${what}: 403 ${body.error} handled (needs the ${body.required_tier} tier)`);
  } else {
    fail(reply);
  }
}

let reply = await api('GET', '/api/v1/me');
if (reply.status !== 200) fail(reply);
const me = reply.body;
console.log(`me: ${me.email} tier=${me.tier} balance=${me.credits_balance}`);

reply = await api('GET', '/api/v1/search?q=sunset&type=image&limit=5');
if (reply.status !== 200) fail(reply);
const found = reply.body;
const first = found.items.length ? ` (first: ${found.items[0].title})` : '';
console.log(`search: ${found.total} results for "sunset"${first}`);

// One Idempotency-Key per generation: a retry can never charge twice.
reply = await api('POST', '/api/v1/generate/image',
                  { prompt: 'golden sunset over the ocean', aspect_ratio: '16:9' }, randomUUID());
if (reply.status === 200) {
  const image = reply.body;
  console.log(`image: ${image.asset.url} (source=${image.source}, charged=${image.credits_charged})`);
} else {
  handled('image', reply);
}

reply = await api('POST', '/api/v1/generate/video',
                  { prompt: 'a paper boat drifting down a rainy street', aspect_ratio: '16:9' },
                  randomUUID());
if (reply.status === 200) {
  const video = reply.body;
  console.log(`video: ${video.asset.url} (source=${video.source}, charged=${video.credits_charged})`);
} else if (reply.status === 202) {
  let job = reply.body.job;
  console.log(`video: job ${job.id} ${job.status}, polling`);
  for (let i = 0; i < 300 && (job.status === 'queued' || job.status === 'running'); i++) {
    await sleep(1000);
    const polled = await api('GET', `/api/v1/jobs/${job.id}`);
    if (polled.status !== 200) fail(polled);
    job = polled.body.job;
  }
  if (job.status === 'succeeded') {
    console.log(`video: job ${job.id} succeeded: ${job.asset.url}`);
  } else {
    console.log(`video: job ${job.id} ${job.status}: ${job.error?.message ?? 'no result'}`);
  }
} else {
  handled('video', reply);
}

reply = await api('GET', '/api/v1/me');
if (reply.status !== 200) fail(reply);
console.log(`done: balance=${reply.body.credits_balance}`);
