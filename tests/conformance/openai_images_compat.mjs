// The official `openai` npm client against the gateway's own OpenAI-compatible
// API (not a fake): images.generate with both response formats and n, the
// model list, and the gateway's errors as the SDK's typed errors.
//
//   node openai_images_compat.mjs <gateway base URL> <key with credits> <key without credits>
//
// The key with credits must be on a tier below Scale (it may not choose a
// model). Exit status: 0 when every check holds, 1 on the first mismatch
// (printed), 77 when the SDK is not installed.
import { check, download, importSdk, isPng, rejection } from './common.mjs';

const [baseUrl, key, brokeKey] = process.argv.slice(2);
const { default: OpenAI } = await importSdk('openai/index.mjs', 'AIGATE_OPENAI_SDK_DIR');

const client = new OpenAI({ apiKey: key, baseURL: `${baseUrl}/v1`, maxRetries: 0, timeout: 60_000 });

// 1. A URL (the default), fetched: a PNG.
const url = await client.images.generate({ prompt: 'a lighthouse on a cliff', size: '1792x1024' });
check(Number.isInteger(url.created), 'created is a unix time');
check(url.data.length === 1 && typeof url.data[0].url === 'string', `one url: ${JSON.stringify(url)}`);
check(url.data[0].revised_prompt === 'a lighthouse on a cliff', 'revised_prompt is the prompt');
const file = await download(url.data[0].url);
check(file.ok && file.type === 'image/png' && isPng(file.bytes), 'the url serves a PNG');

// 2. b64_json, two of them.
const b64 = await client.images.generate({
  model: 'auto', prompt: 'a windmill in a tulip field', n: 2, response_format: 'b64_json',
  size: '1024x1024', quality: 'standard', user: 'conformance',
});
check(b64.data.length === 2, 'n: 2 gives two images');
for (const image of b64.data) {
  check(typeof image.b64_json === 'string' && image.url === undefined, 'b64_json when asked');
  check(isPng(Buffer.from(image.b64_json, 'base64')), 'b64_json decodes to a PNG');
}

// 3. The model list.
const models = [];
for await (const model of client.models.list()) models.push(model);
check(models.some((m) => m.id === 'auto' && m.object === 'model' && m.owned_by === 'aigate'),
      `models list auto: ${JSON.stringify(models)}`);

// 4. Errors are the SDK's typed errors with the gateway's codes.
const broke = new OpenAI({ apiKey: brokeKey, baseURL: `${baseUrl}/v1`, maxRetries: 0 });
const noCredits = await rejection(broke.images.generate({ prompt: 'a lighthouse on a cliff' }));
check(noCredits instanceof OpenAI.APIError && noCredits.status === 402,
      `402 is an APIError: ${noCredits}`);
check(noCredits.code === 'insufficient_credits' && noCredits.type === 'insufficient_quota',
      `402 code and type: ${noCredits?.code} ${noCredits?.type}`);
check(/costs 10 credits; you have 0/.test(noCredits.message), `402 message: ${noCredits.message}`);
check(noCredits.error?.credits_needed === 10, '402 says what is needed');

const badKey = new OpenAI({ apiKey: 'sk-aigate-wrong', baseURL: `${baseUrl}/v1`, maxRetries: 0 });
const auth = await rejection(badKey.images.generate({ prompt: 'x' }));
check(auth instanceof OpenAI.AuthenticationError && auth.code === 'invalid_api_key',
      `401 invalid_api_key: ${auth}`);

const size = await rejection(client.images.generate({ prompt: 'x', size: '640x480' }));
check(size instanceof OpenAI.BadRequestError && size.param === 'size', `400 size: ${size}`);

const model = await rejection(client.images.generate({ prompt: 'x', model: 'procedural-1' }));
check(model instanceof OpenAI.PermissionDeniedError && model.param === 'model' &&
      model.code === 'feature_not_included', `403 model: ${model}`);

const unknown = await rejection(client.images.generate({ prompt: 'x', model: 'dall-e-3' }));
check(unknown instanceof OpenAI.NotFoundError && unknown.param === 'model', `404 model: ${unknown}`);

console.log('ok');
