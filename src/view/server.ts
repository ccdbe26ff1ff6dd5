import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import type { FastifyInstance } from "fastify";
import type { QuestionQuery } from "./question-queries.js";
import { questionDetail, questionPage, questionQuerySchema } from "./question-queries.js";
import { ViewQueries } from "./queries.js";
import type { ViewDatabase } from "./view-db.js";

/**
 * The viewer's HTTP server: three static files and a small JSON API over the view database.
 * Model output is untrusted text: the front end only ever puts it into the page with
 * textContent, and the Content-Security-Policy below allows no inline script, no eval and no
 * request to any other origin, so even a missed escape could not run or exfiltrate anything.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const STATIC_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};

function loadStaticFiles(): Map<string, { body: string; type: string }> {
  const files = new Map<string, { body: string; type: string }>();
  for (const [route, { file, type }] of Object.entries(STATIC_FILES)) {
    const path = fileURLToPath(new URL(`./public/${file}`, import.meta.url));
    files.set(route, { body: readFileSync(path, "utf8"), type });
  }
  return files;
}

export interface ViewServerOptions {
  /** Host names the browser may use (Host header); none = any (the user bound a public address). */
  allowedHosts?: readonly string[];
}

function integers(value: unknown): number[] {
  if (typeof value !== "string" || value.trim() === "") return [];
  return value.split(",").map((part) => Number(part));
}

function optionalInteger(value: unknown): number | undefined {
  return typeof value === "string" && value !== "" ? Number(value) : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** `/api/questions` query string -> QuestionQuery (validated by the zod schema afterwards). */
export function parseQuestionQuery(query: Record<string, unknown>): unknown {
  const flipA = optionalInteger(query.flipA);
  const flipB = optionalInteger(query.flipB);
  return {
    experiments: integers(query.e),
    source: optionalString(query.source),
    correctness: optionalString(query.correct),
    correctnessIn: optionalInteger(query.correctIn),
    flip:
      flipA !== undefined && flipB !== undefined
        ? { a: flipA, b: flipB, direction: optionalString(query.flip) ?? "any" }
        : undefined,
    search: optionalString(query.q),
    searchIn: optionalString(query.in),
    after: optionalInteger(query.after),
    limit: optionalInteger(query.limit),
    withTotal: query.total === "1",
  };
}

export function buildViewServer(
  view: ViewDatabase,
  options: ViewServerOptions = {},
): FastifyInstance {
  const app = Fastify({ logger: false });
  const files = loadStaticFiles();
  const queries = new ViewQueries(view.queries);
  const allowedHosts = options.allowedHosts ? new Set(options.allowedHosts) : null;

  // A page on another site can resolve its own name to 127.0.0.1 (DNS rebinding); refusing
  // unknown Host headers keeps such pages from reading the results through the browser.
  app.addHook("onRequest", async (request, reply) => {
    const host = (request.headers.host ?? "").replace(/:\d+$/, "");
    if (allowedHosts && !allowedHosts.has(host)) {
      return reply.code(403).type("text/plain").send("unknown Host header");
    }
  });
  app.addHook("onSend", async (_request, reply) => {
    reply.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    reply.header("X-Content-Type-Options", "nosniff");
    reply.header("Referrer-Policy", "no-referrer");
    reply.header("X-Frame-Options", "DENY");
    reply.header("Cache-Control", "no-store");
  });

  for (const [route, file] of files) {
    app.get(route, async (_request, reply) => reply.type(file.type).send(file.body));
  }

  // Browsers ask for it on their own; an empty answer keeps their consoles quiet.
  app.get("/favicon.ico", async (_request, reply) => reply.code(204).send());

  app.get("/api/experiments", async () => {
    view.refresh();
    const experiments = queries.experiments();
    const sources: string[] = [];
    for (const experiment of experiments) {
      for (const { source } of experiment.sources)
        if (!sources.includes(source)) sources.push(source);
    }
    return {
      directory: view.directory,
      experiments,
      groups: queries.groups(experiments),
      stops: queries.stops(experiments),
      sources,
    };
  });

  app.get("/api/questions", async (request, reply) => {
    const parsed = questionQuerySchema.safeParse(
      parseQuestionQuery(request.query as Record<string, unknown>),
    );
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply
        .code(400)
        .send({ error: `${issue?.path.join(".") || "query"}: ${issue?.message ?? "invalid"}` });
    }
    const query: QuestionQuery = parsed.data;
    return questionPage(view.queries, query);
  });

  app.get("/api/question", async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const key = optionalString(query.key);
    const experiments = integers(query.e);
    if (!key || experiments.length === 0 || experiments.some((id) => !Number.isInteger(id))) {
      return reply.code(400).send({ error: "expected key=<question_key>&e=<experiment ids>" });
    }
    const detail = questionDetail(view.queries, key, experiments);
    if (!detail) return reply.code(404).send({ error: `no question ${key}` });
    return detail;
  });

  return app;
}

/** Host names that reach a server bound to `host` from this machine. */
export function loopbackHosts(host: string): string[] | undefined {
  const loopback = ["127.0.0.1", "localhost", "[::1]", "::1"];
  return loopback.includes(host) ? loopback : undefined;
}
