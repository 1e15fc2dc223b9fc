// Conformance of the fake OpenAI Images API (tests/fakes/openai_api.h) with
// the official `openai` npm client: if the real SDK parses the fake's answers
// and errors the way our plugin expects, the fake speaks OpenAI's wire format.
//
//   node openai_images.mjs <fake base URL> <api key> <blocked word>
//
// The SDK is found in $AIGATE_OPENAI_SDK_DIR (a folder holding
// node_modules/openai), else $AIGATE_CONFORMANCE_DIR, else next to this
// script. Exit status: 0 when every check holds, 1 on the first mismatch
// (printed), 77 when the SDK is missing. The caller makes the fake
// rate-limit the first request once.
import { check, importSdk } from './common.mjs';

const [baseUrl, apiKey, blockedWord] = process.argv.slice(2);
const { default: OpenAI } = await importSdk('openai/index.mjs', 'AIGATE_OPENAI_SDK_DIR');

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const client = new OpenAI({ apiKey, baseURL: `${baseUrl}/v1`, maxRetries: 2, timeout: 10_000 });

// 1. gpt-image-1, rate limited once: the SDK waits retry-after-ms, retries,
//    and parses the base64 answer with its usage.
const gpt = await client.images.generate({ model: 'gpt-image-1', prompt: 'a red fox', size: '1536x1024', n: 1 });
check(Array.isArray(gpt.data) && gpt.data.length === 1, 'gpt-image-1: one image');
check(Buffer.from(gpt.data[0].b64_json, 'base64').subarray(0, 8).equals(PNG), 'gpt-image-1: b64_json is a PNG');
check(gpt.size === '1536x1024' && gpt.output_format === 'png', 'gpt-image-1: size and output_format echoed');
check(Number.isInteger(gpt.usage?.total_tokens), 'gpt-image-1: usage.total_tokens');

// 2. dall-e-3 with a URL answer, then the same as base64.
const url = await client.images.generate({ model: 'dall-e-3', prompt: 'a lighthouse', size: '1024x1792' });
check(typeof url.data[0].url === 'string' && typeof url.data[0].revised_prompt === 'string', 'dall-e-3: url and revised_prompt');
const file = await fetch(url.data[0].url);
check(file.ok && Buffer.from(await file.arrayBuffer()).subarray(0, 8).equals(PNG), 'dall-e-3: the url serves a PNG');
const b64 = await client.images.generate({ model: 'dall-e-3', prompt: 'a lighthouse', response_format: 'b64_json' });
check(typeof b64.data[0].b64_json === 'string' && b64.data[0].url === undefined, 'dall-e-3: b64_json when asked');

// 3. Errors come out as the SDK's typed errors with OpenAI's codes.
async function error(params, options = {}) {
  try {
    await (options.client ?? client).images.generate(params);
  } catch (e) {
    return e;
  }
  return null;
}
const policy = await error({ model: 'gpt-image-1', prompt: `a ${blockedWord} thing` });
check(policy instanceof OpenAI.BadRequestError && policy.code === 'moderation_blocked', `moderation_blocked: ${policy}`);
const dallePolicy = await error({ model: 'dall-e-3', prompt: `a ${blockedWord} thing` });
check(dallePolicy instanceof OpenAI.BadRequestError && dallePolicy.code === 'content_policy_violation', `content_policy_violation: ${dallePolicy}`);
const unknown = await error({ model: 'gpt-image-1', prompt: 'x', response_format: 'b64_json' });
check(unknown instanceof OpenAI.BadRequestError && unknown.param === 'response_format', `unknown_parameter: ${unknown}`);
const badKey = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${baseUrl}/v1`, maxRetries: 0 });
const auth = await error({ model: 'gpt-image-1', prompt: 'x' }, { client: badKey });
check(auth instanceof OpenAI.AuthenticationError && auth.code === 'invalid_api_key', `invalid_api_key: ${auth}`);

console.log('ok');
