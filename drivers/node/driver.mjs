// The Node driver: makes the documented calls through openai-node exactly as the documentation's JavaScript
// section builds them, and reports what the SDK gave back, one JSON line per request (../PROTOCOL.md).
// It judges nothing. Logs go to stderr; stdout carries only the hello line and the results.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import net from 'node:net';

// Replay runs offline (AOAI_CONFORMANCE_NETWORK_GUARD, set by the harness): Node's fetch ignores the proxy
// variables that keep Go and the JVM on loopback, so every socket the process opens is checked here instead. A
// connection to anything but loopback fails at once, naming the guard, before any DNS lookup.
if (process.env.AOAI_CONFORMANCE_NETWORK_GUARD) {
  const loopback = (host) => host === undefined || host === 'localhost' || host === '::1' || /^127\./.test(host);
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guarded(...args) {
    const first = args[0];
    const options = first !== null && typeof first === 'object' ? (Array.isArray(first) ? first[0] : first) : null;
    const host = options ? options.host : typeof args[1] === 'string' ? args[1] : undefined;
    if (options?.path || loopback(host)) return connect.apply(this, args);
    process.nextTick(() => this.destroy(new Error(`network guard: ${host} is not loopback (replay runs offline)`)));
    return this;
  };
}

const HERE = dirname(fileURLToPath(import.meta.url));

// The SDK matrix installs another openai version under versions/<v>/ (see ./build); the same variable picks it.
const MATRIX_VERSION = process.env.AOAI_CONFORMANCE_NODE_OPENAI || '';
const OPENAI_ROOT = MATRIX_VERSION ? join(HERE, 'versions', MATRIX_VERSION) : HERE;

function fail(line) {
  process.stderr.write(`aoai-conformance node driver: ${line}\n`);
  process.exit(2);
}

function installedVersion(root, name) {
  const file = join(root, 'node_modules', ...name.split('/'), 'package.json');
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')).version;
}

const openaiVersion = installedVersion(OPENAI_ROOT, 'openai');
const identityVersion = installedVersion(HERE, '@azure/identity');
if (!openaiVersion || !identityVersion) {
  const env = MATRIX_VERSION ? `AOAI_CONFORMANCE_NODE_OPENAI=${MATRIX_VERSION} ` : '';
  fail(`openai or @azure/identity is not installed; run \`${env}drivers/node/build\` first`);
}

// versions/<v>/entry.mjs re-exports that folder's openai, so Node resolves it from there with the ESM condition.
const openaiModule = MATRIX_VERSION
  ? await import(pathToFileURL(join(OPENAI_ROOT, 'entry.mjs')).href)
  : await import('openai');
const OpenAI = openaiModule.OpenAI ?? openaiModule.default;
// @azure/identity takes twice openai's load time; it is loaded on the first Entra request, before its clock starts.
let getBearerTokenProvider = null;
async function loadIdentity() {
  if (!getBearerTokenProvider) ({ getBearerTokenProvider } = await import('@azure/identity'));
}

const DEFAULT_SCOPE = 'https://cognitiveservices.azure.com/.default';
// After the watchdog aborts, how long the SDK gets to surface its own abort error before the driver answers.
const ABORT_GRACE_MS = 200;

function writeLine(obj) {
  return new Promise((resolve) => process.stdout.write(JSON.stringify(obj) + '\n', resolve));
}

// --- the client, built as the section's code builds it ---------------------------------------------------

// Stands in for DefaultAzureCredential offline: always the given token, one hour ahead, every scope recorded.
function fixedTokenCredential(token, scopes) {
  return {
    async getToken(requested) {
      for (const s of Array.isArray(requested) ? requested : [requested]) scopes.push(s);
      return { token, expiresOnTimestamp: Date.now() + 3600 * 1000 };
    },
  };
}

function clientOptions(req) {
  const out = {};
  const opts = req.options || {};
  if (opts.max_retries !== undefined && opts.max_retries !== null) out.maxRetries = opts.max_retries;
  if (opts.timeout_ms !== undefined && opts.timeout_ms !== null) out.timeout = opts.timeout_ms;
  return out;
}

// Returns [client, restore]: restore() puts back the environment an `env` request changed.
function buildClient(req, scopes) {
  const extra = clientOptions(req);
  if (req.auth === 'entra') {
    const tokenProvider = getBearerTokenProvider(
      fixedTokenCredential(req.token, scopes),
      req.scope || DEFAULT_SCOPE,
    );
    return [new OpenAI({ baseURL: req.base_url, apiKey: tokenProvider, ...extra }), () => {}];
  }
  if (req.auth === 'key') {
    return [new OpenAI({ baseURL: req.base_url, apiKey: req.api_key, ...extra }), () => {}];
  }
  if (req.auth === 'env') {
    const saved = {};
    for (const [k, v] of Object.entries(req.env || {})) {
      saved[k] = process.env[k];
      process.env[k] = String(v);
    }
    const restore = () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
    try {
      return [new OpenAI({ ...extra }), restore];
    } catch (err) {
      restore();
      throw err;
    }
  }
  throw driverError(`unknown auth ${JSON.stringify(req.auth)}; expected entra, key or env`);
}

// --- the call -------------------------------------------------------------------------------------------

function method(client, call) {
  if (call === 'chat.completions.create') return (p, o) => client.chat.completions.create(p, o);
  if (call === 'responses.create') return (p, o) => client.responses.create(p, o);
  if (call === 'embeddings.create') return (p, o) => client.embeddings.create(p, o);
  return null;
}

const ACCESSORS = {
  id: (o) => o.id,
  model: (o) => o.model,
  object: (o) => o.object,
  status: (o) => o.status,
  output_text: (o) => o.output_text,
  message_content: (o) => o.choices[0].message.content,
  finish_reason: (o) => o.choices[0].finish_reason,
  'usage.prompt_tokens': (o) => o.usage.prompt_tokens,
  'usage.completion_tokens': (o) => o.usage.completion_tokens,
  'usage.total_tokens': (o) => o.usage.total_tokens,
  'usage.input_tokens': (o) => o.usage.input_tokens,
  'usage.output_tokens': (o) => o.usage.output_tokens,
  embedding_count: (o) => o.data.length,
  embedding_dims: (o) => o.data[0].embedding.length,
  embedding_first: (o) => Array.from(o.data[0].embedding.slice(0, 10)),
};

function readAccessors(obj, names) {
  const values = {};
  const missing = [];
  for (const name of names || []) {
    let value;
    try {
      value = obj == null || !ACCESSORS[name] ? undefined : ACCESSORS[name](obj);
    } catch {
      value = undefined;
    }
    if (value === undefined) {
      values[name] = null;
      missing.push(name);
    } else {
      values[name] = value;
    }
  }
  return [values, missing];
}

function toJSON(obj) {
  return obj === undefined ? null : JSON.parse(JSON.stringify(obj));
}

// The text the docs' loops print: Responses deltas, or each chat chunk's first choice's content.
function streamText(call, event) {
  if (call === 'responses.create') {
    return event.type === 'response.output_text.delta' && event.delta ? event.delta : '';
  }
  const content = event.choices?.[0]?.delta?.content;
  return typeof content === 'string' ? content : '';
}

function describeError(err) {
  if (err && err.driverError) {
    return { class: 'DriverError', status: null, code: null, type: null, message: err.message, request_id: null };
  }
  const has = (k) => err !== null && typeof err === 'object' && k in err;
  const orNull = (v) => (v === undefined ? null : v);
  return {
    class: err?.constructor?.name ?? typeof err,
    status: orNull(err?.status),
    code: orNull(err?.code),
    type: orNull(err?.type),
    message: err?.message ?? String(err),
    request_id: orNull(err?.requestID ?? err?.request_id),
    cause: err?.cause ? String(err.cause?.cause ?? err.cause) : null, // "Connection error." says nothing of why
    // openai-node 4.x named it request_id; 5.0.0 renamed it requestID, yet the README still prints
    // err.request_id. Both are reported so the report can say which one exists.
    node: {
      name: orNull(err?.name),
      requestID: orNull(err?.requestID),
      has_requestID: has('requestID'),
      request_id: orNull(err?.request_id),
      has_request_id: has('request_id'),
      cause: err?.cause ? String(err.cause?.cause ?? err.cause) : null,
    },
  };
}

function driverError(message) {
  const e = new Error(message);
  e.driverError = true;
  return e;
}

async function perform(req, client, signal, partial) {
  const create = method(client, req.call);
  if (!create) throw driverError(`unknown call ${JSON.stringify(req.call)}`);
  const params = { ...(req.params || {}) };
  const streaming = Boolean(req.stream || params.stream);
  if (streaming) params.stream = true;
  // withResponse() reads the same call's HTTP status and x-request-id; it changes nothing on the wire.
  const { data, response, request_id } = await create(params, { signal }).withResponse();
  partial.status = response.status;
  partial.request_id = request_id ?? null;
  if (!streaming) {
    partial.request_id = data?._request_id ?? partial.request_id;
    const [values, missing] = readAccessors(data, req.accessors);
    partial.accessors = values;
    if (missing.length) partial.missing = missing;
    partial.parsed = toJSON(data);
    return;
  }
  partial.events = [];
  partial.text = '';
  for await (const event of data) {
    const key = req.call === 'responses.create' ? 'type' : 'object';
    partial.events.push({ [key]: event?.[key] ?? null, json: toJSON(event) });
    partial.text += streamText(req.call, event);
  }
  const [values, missing] = readAccessors(null, req.accessors);
  partial.accessors = values;
  if (missing.length) partial.missing = missing;
}

async function handle(req) {
  const result = {
    id: req.id ?? null,
    ok: false,
    elapsed_ms: 0,
    status: null,
    request_id: null,
    accessors: {},
    parsed: null,
    events: null,
    text: null,
    strict: null,
    credential_scopes: [],
    error: null,
    watchdog: false,
  };
  if (req.client && req.client !== 'async') {
    result.error = {
      class: 'Unsupported',
      status: null,
      code: null,
      type: null,
      message: `openai-node has no ${req.client} client; it is async only`,
      request_id: null,
    };
    return result;
  }
  if (req.auth === 'entra') await loadIdentity();
  const controller = new AbortController();
  let restore = () => {};
  let timer;
  const start = performance.now();
  try {
    let client;
    [client, restore] = buildClient(req, result.credential_scopes);
    const call = perform(req, client, controller.signal, result);
    const guarded = [call];
    if (req.deadline_ms) {
      // openai-node's retry sleep ignores the abort signal, so the watchdog cannot just wait for the SDK.
      guarded.push(
        new Promise((resolve) => {
          timer = setTimeout(() => resolve('watchdog'), req.deadline_ms);
        }),
      );
    }
    const outcome = await Promise.race(guarded);
    if (outcome === 'watchdog') {
      result.watchdog = true;
      controller.abort();
      const sdkSaid = await Promise.race([
        call.then(
          () => null,
          (err) => err,
        ),
        new Promise((resolve) => setTimeout(() => resolve(null), ABORT_GRACE_MS)),
      ]);
      result.error = sdkSaid
        ? describeError(sdkSaid)
        : {
            class: 'Watchdog',
            status: null,
            code: null,
            type: null,
            message: `no answer within deadline_ms=${req.deadline_ms}`,
            request_id: null,
          };
      call.catch(() => {});
    } else {
      result.ok = true;
    }
  } catch (err) {
    result.error = describeError(err);
    result.status = result.status ?? result.error.status;
    process.stderr.write(`call ${req.id}: ${result.error.class}: ${result.error.message}\n`);
  } finally {
    clearTimeout(timer);
    restore();
    result.elapsed_ms = Math.round((performance.now() - start) * 10) / 10;
  }
  return result;
}

async function main() {
  await writeLine({
    hello: {
      sdk: 'openai-node',
      version: openaiVersion,
      runtime: `node ${process.version}`,
      identity: `@azure/identity ${identityVersion}`,
    },
  });
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let req;
    try {
      req = JSON.parse(line);
      if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new Error('not a JSON object');
    } catch (err) {
      await writeLine({
        id: null,
        ok: false,
        elapsed_ms: 0,
        error: { ...describeError(driverError(`bad request line: ${err.message}`)) },
        watchdog: false,
      });
      continue;
    }
    let result;
    try {
      result = await handle(req);
    } catch (err) {
      result = { id: req.id ?? null, ok: false, elapsed_ms: 0, error: describeError(driverError(String(err))) };
    }
    await writeLine(result);
  }
  // A call the watchdog gave up on may still sleep in a retry timer; it must not keep the driver alive.
  process.exit(0);
}

main().catch((err) => fail(String(err?.stack ?? err)));
