import { timingSafeEqual } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Backend } from "../backends/types.js";
import { ConfigError } from "../errors.js";
import type { ThinkingFormat } from "../engine/thinking-formats.js";
import { ApiError, invalidRequest, shuttingDown, toApiError, unauthorized } from "./api-error.js";
import type { RequestDefaults } from "./config.js";
import { fitRequest, runGeneration, writeJson, type Gateway } from "./generation.js";
import { defaultRequest, requestContext } from "./parameters.js";
import { ServeMetrics, type Endpoint } from "./metrics.js";
import { parseChatRequest, parseTextRequest, type GenerationRequest } from "./request-schema.js";
import { CHAT_DIALECT, TEXT_DIALECT, type Dialect } from "./responses.js";
import { SequenceQueue } from "./sequence-queue.js";

export interface ServeOptions {
  backend: Backend;
  /** The name clients use as `model` (GET /v1/models lists it). */
  modelName: string;
  thinkingFormat: ThinkingFormat;
  defaults: RequestDefaults;
  /** When set, every request but /health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string | null;
  /** Sequences generated at once; default: the backend's parallel sequences. */
  slots?: number;
  maxQueue: number;
  requestTimeoutSeconds: number;
  maxBodyBytes: number;
  /** Origins whose pages may call the API from a browser (CORS); "*" for any. Default none. */
  corsOrigins?: readonly string[];
}

export interface ServeApp {
  readonly options: ServeOptions;
  readonly app: FastifyInstance;
  readonly queue: SequenceQueue;
  readonly metrics: ServeMetrics;
  /** Stop taking requests (503 from now on), let those in flight finish, close the listener. */
  shutdown(): Promise<void>;
}

/**
 * The OpenAI-compatible service over one backend: `POST /v1/chat/completions`,
 * `POST /v1/completions`, `GET /v1/models`, `GET /health` and `GET /metrics`, with m1's thinking
 * control in every request. Every error has OpenAI's shape.
 */
export function buildServeApp(options: ServeOptions): ServeApp {
  const slots = options.slots ?? options.backend.capabilities.maxParallelSequences;
  const queue = new SequenceQueue(slots, options.maxQueue);
  const metrics = new ServeMetrics(queue);
  const gateway: Gateway = {
    backend: options.backend,
    queue,
    metrics,
    modelName: options.modelName,
    requests: requestContext(options.thinkingFormat, options.defaults),
    requestTimeoutMs: options.requestTimeoutSeconds * 1000,
  };
  const app = Fastify({ logger: false, bodyLimit: options.maxBodyBytes });
  const startedAt = Math.floor(Date.now() / 1000);
  let draining = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  // Any content type is read as JSON: `curl -d '{...}'` sends form-urlencoded by default.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        invalidRequest(
          `the body is not valid JSON: ${(error as Error).message} (fix: send one JSON object)`,
          null,
          "invalid_json",
        ),
        undefined,
      );
    }
  });

  const corsOrigins = new Set(options.corsOrigins ?? []);
  // Hooks take `done` rather than being async: every request passes them, and a promise per hook
  // per request is measurable under load (bench:serve). A hook that answers does not call `done`.
  app.addHook("onRequest", (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin && (corsOrigins.has("*") || corsOrigins.has(origin))) {
      // On the raw response: generation routes write it themselves.
      reply.raw.setHeader("access-control-allow-origin", corsOrigins.has("*") ? "*" : origin);
      reply.raw.setHeader("vary", "origin");
      if (request.method === "OPTIONS") {
        // A browser's preflight: no credentials are sent with it, so it is answered before auth.
        reply
          .code(204)
          .header("access-control-allow-methods", "GET, POST, OPTIONS")
          .header("access-control-allow-headers", "authorization, content-type")
          .header("access-control-max-age", "600")
          .send();
        return;
      }
    }
    if (draining) {
      reply.header("connection", "close");
      if (endpointOf(request.url) === "health") {
        reply.code(503).send({ status: "draining" });
        return;
      }
      sendError(reply, shuttingDown());
      return;
    }
    if (options.apiKey && endpointOf(request.url) !== "health") {
      const problem = checkBearer(request.headers.authorization, options.apiKey);
      if (problem) {
        sendError(reply, unauthorized(problem));
        return;
      }
    }
    done();
  });

  // Generation requests count themselves (their outcome includes clients that went away).
  const countedByHandler = new WeakSet<object>();
  app.addHook("onResponse", (request, reply, done) => {
    if (!countedByHandler.has(request.raw)) {
      metrics.requests.inc({ endpoint: endpointOf(request.url), status: String(reply.statusCode) });
    }
    done();
  });

  app.setErrorHandler((error, _request, reply) => sendError(reply, fastifyError(error, options)));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new ApiError(
        404,
        `no endpoint ${request.method} ${request.url.split("?")[0]} (fix: use POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health or GET /metrics)`,
        "invalid_request_error",
        "unknown_url",
      ),
    ),
  );

  const generation = async (
    request: FastifyRequest,
    reply: FastifyReply,
    dialect: Dialect,
    parse: () => Promise<{ request: GenerationRequest; prompts: string[] }>,
  ) => {
    reply.hijack();
    countedByHandler.add(request.raw);
    inFlight++;
    const response = reply.raw;
    let status = 500;
    try {
      const parsed = await parse();
      status = (await runGeneration(gateway, dialect, parsed.request, parsed.prompts, response))
        .status;
    } catch (error) {
      const apiError = toApiError(error);
      status = apiError.status;
      writeError(response, apiError);
    } finally {
      metrics.requests.inc({ endpoint: dialect.endpoint, status: String(status) });
      if (--inFlight === 0) drained?.();
    }
  };

  app.post("/v1/chat/completions", (request, reply) =>
    generation(request, reply, CHAT_DIALECT, async () => {
      const parsed = parseChatRequest(request.body);
      return { request: parsed, prompts: [await renderChat(options.backend, parsed.messages)] };
    }),
  );

  app.post("/v1/completions", (request, reply) =>
    generation(request, reply, TEXT_DIALECT, async () => {
      const parsed = parseTextRequest(request.body);
      return { request: parsed, prompts: parsed.prompts };
    }),
  );

  const modelObject = () => ({
    id: options.modelName,
    object: "model",
    created: startedAt,
    owned_by: "m1",
    m1: {
      backend: options.backend.description,
      thinking_format: options.thinkingFormat.name,
      ...(options.backend.contextLimit
        ? { context_size: options.backend.contextLimit.tokens }
        : {}),
    },
  });
  app.get("/v1/models", async () => ({ object: "list", data: [modelObject()] }));
  app.get<{ Params: { model: string } }>("/v1/models/:model", async (request, reply) => {
    if (request.params.model !== options.modelName) {
      return sendError(
        reply,
        new ApiError(
          404,
          `the model '${request.params.model}' is not served here (fix: use ${options.modelName})`,
          "not_found_error",
          "model_not_found",
          "model",
        ),
      );
    }
    return modelObject();
  });

  app.get("/health", async () => ({
    status: "ok",
    model: options.modelName,
    running: queue.running,
    waiting: queue.waiting,
    slots: queue.slots,
  }));

  app.get("/metrics", async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  let shutdownPromise: Promise<void> | undefined;
  const shutdown = () => {
    shutdownPromise ??= (async () => {
      draining = true;
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      await app.close();
    })();
    return shutdownPromise;
  };
  return { options, app, queue, metrics, shutdown };
}

/** A started service: its address, and a graceful stop. */
export interface RunningServe extends ServeApp {
  /** `http://127.0.0.1:8000` (the root; the API is under /v1). */
  readonly url: string;
  readonly port: number;
}

export async function startServe(
  options: ServeOptions & { host: string; port: number },
): Promise<RunningServe> {
  await makeRoom(options);
  const served = buildServeApp(options);
  try {
    await served.app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await served.app.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      throw new ConfigError(`cannot listen on ${options.host}:${options.port} (${code})`, {
        key: "--port",
        fix: "pick another with --port N (0 = any free port) or another --host",
      });
    }
    throw error;
  }
  const address = served.app.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { ...served, url: `http://${host}:${address.port}`, port: address.port };
}

/**
 * Where the backend has a per-sequence limit: refuse to start when a request that leaves every key
 * out could not fit it (each would fail), then make room for sequences that long (the embedded
 * engine creates its contexts now, so a lack of memory shows at start, not at the first request).
 */
async function makeRoom(options: ServeOptions): Promise<void> {
  const { backend } = options;
  const limit = backend.contextLimit;
  if (!limit) return;
  const defaults = defaultRequest(requestContext(options.thinkingFormat, options.defaults));
  await fitRequest(backend, options.modelName, defaults, [""]);
  await backend.reserveContext?.(limit.tokens);
}

async function renderChat(
  backend: Backend,
  messages: Parameters<Backend["renderChat"]>[0],
): Promise<string> {
  try {
    return await backend.renderChat(messages);
  } catch (error) {
    throw invalidRequest(
      `messages: the model's chat template refused them: ${(error as Error).message} (fix: send the roles the model's template accepts, e.g. system, then alternating user and assistant)`,
      "messages",
    );
  }
}

/** Undefined when the header carries the key; otherwise what is wrong with it. */
function checkBearer(header: string | undefined, apiKey: string): string | undefined {
  const fix = "(fix: send the header Authorization: Bearer <the key m1 serve was started with>)";
  if (!header) return `no API key given ${fix}`;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match) return `the Authorization header is not 'Bearer <key>' ${fix}`;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(apiKey);
  const same = given.length === expected.length && timingSafeEqual(given, expected);
  return same ? undefined : `the API key is not the one this server takes ${fix}`;
}

function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).headers(error.headers).send(error.toBody());
}

function writeError(response: ServerResponse, error: ApiError): void {
  if (response.destroyed) return;
  if (response.headersSent) {
    response.end();
    return;
  }
  writeJson(response, error.status, error.toBody(), error.headers);
}

/** Fastify's own errors (body too large, bad JSON) in OpenAI's shape. */
function fastifyError(error: unknown, options: ServeOptions): ApiError {
  if (error instanceof ApiError) return error;
  const code = (error as { code?: string }).code;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return new ApiError(
      413,
      `the body is larger than ${options.maxBodyBytes} bytes (fix: send a shorter conversation, or start m1 serve with a larger --max-body-bytes)`,
      "invalid_request_error",
      "request_too_large",
    );
  }
  const status = (error as { statusCode?: number }).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new ApiError(status, (error as Error).message, "invalid_request_error", null);
  }
  return toApiError(error);
}

function endpointOf(url: string): Endpoint {
  const path = url.split("?")[0];
  if (path === "/v1/chat/completions") return "chat";
  if (path === "/v1/completions") return "completions";
  if (path?.startsWith("/v1/models")) return "models";
  if (path === "/health") return "health";
  if (path === "/metrics") return "metrics";
  return "other";
}
