// Conformance of the fake Luma Dream Machine API (tests/fakes/luma_api.h) with
// the official `lumaai` client: it creates a video and an image generation,
// polls get() from queued through dreaming to completed, downloads the
// assets, deletes a generation, and gets the fake's 400/401/422/404 as its
// typed errors.
//
//   node luma.mjs <fake base URL, …/dream-machine/v1> <api key>
//
// SDK: see common.mjs. Exit status 0 / 1 (mismatch) / 77 (no SDK).
import { check, download, importSdk, isMp4, isPng, rejection, sleep } from './common.mjs';

const [baseURL, authToken] = process.argv.slice(2);
const { default: LumaAI } = await importSdk('lumaai/index.mjs');
const client = new LumaAI({ authToken, baseURL, maxRetries: 0, timeout: 5000 });

// Polls `id` until it is final: the generation and the states it went through.
async function finish(id) {
  const states = [];
  for (let i = 0; i < 10; ++i) {
    const g = await client.generations.get(id);
    check(g.id === id && typeof g.created_at === 'string', `get: ${JSON.stringify(g)}`);
    states.push(g.state);
    if (g.state === 'completed' || g.state === 'failed') return { g, states };
    check(g.state === 'queued' || g.state === 'dreaming', `a known state: ${g.state}`);
    await sleep(10);
  }
  check(false, `${id} never finished: ${states}`);
}

// 1. A video: generations.create posts to /generations/video.
const video = await client.generations.create({
  prompt: 'a lighthouse at dusk', model: 'ray-2', aspect_ratio: '16:9', resolution: '720p', duration: '5s',
});
check(typeof video.id === 'string' && video.state === 'queued' && video.generation_type === 'video',
      `video create: ${JSON.stringify(video)}`);
check(video.request?.model === 'ray-2' && video.request?.duration === '5s', 'video create: the request echoed');
const doneVideo = await finish(video.id);
check(doneVideo.states.join() === 'queued,dreaming,completed', `video states: ${doneVideo.states}`);
check(typeof doneVideo.g.assets?.video === 'string', `video assets: ${JSON.stringify(doneVideo.g.assets)}`);
const mp4 = await download(doneVideo.g.assets.video);
check(mp4.ok && isMp4(mp4.bytes), 'the video asset is an MP4');

// 2. An image: generations.image.create posts to /generations/image.
const image = await client.generations.image.create({ prompt: 'a red fox', model: 'photon-1', aspect_ratio: '1:1' });
check(image.state === 'queued' && image.generation_type === 'image', `image create: ${JSON.stringify(image)}`);
const doneImage = await finish(image.id);
check(doneImage.g.state === 'completed' && typeof doneImage.g.assets?.image === 'string', 'image completed');
const png = await download(doneImage.g.assets.image);
check(png.ok && isPng(png.bytes), 'the image asset is a PNG');

// 3. Errors: Luma's 400 {detail: "…"}, FastAPI's 422 {detail: [{loc, msg, type}]}, a bad key.
const short = await rejection(client.generations.create({ prompt: 'hi', model: 'ray-2' }));
check(short instanceof LumaAI.BadRequestError && typeof short.error?.detail === 'string', `400: ${short}`);
const ratio = await rejection(client.generations.image.create({ prompt: 'a red fox', model: 'photon-1', aspect_ratio: '5:4' }));
check(ratio instanceof LumaAI.UnprocessableEntityError && Array.isArray(ratio.error?.detail) &&
      ratio.error.detail[0]?.loc?.join() === 'body,aspect_ratio' && typeof ratio.error.detail[0].msg === 'string',
      `422: ${ratio}`);
const stranger = new LumaAI({ authToken: 'luma-wrong', baseURL, maxRetries: 0 });
const auth = await rejection(stranger.generations.get(video.id));
check(auth instanceof LumaAI.AuthenticationError && typeof auth.error?.detail === 'string', `401: ${auth}`);

// 4. Delete: gone afterwards.
await client.generations.delete(video.id);  // 204: throws on anything else
const gone = await rejection(client.generations.get(video.id));
check(gone instanceof LumaAI.NotFoundError, `404 after delete: ${gone}`);
const again = await rejection(client.generations.delete(video.id));
check(again instanceof LumaAI.NotFoundError, `delete twice: ${again}`);

console.log('ok');
