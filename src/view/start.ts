import { createServer, type AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { ConfigError } from "../errors.js";
import { buildViewServer, loopbackHosts } from "./server.js";
import type { ViewDatabase } from "./view-db.js";
import { openViewDatabase } from "./view-db.js";

/** Opens a directory and serves it; `close()` stops the server and releases the database. */
export interface RunningViewer extends AsyncDisposable {
  url: string;
  view: ViewDatabase;
  app: FastifyInstance;
  close(): Promise<void>;
}

export interface StartViewerOptions {
  directory: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export const DEFAULT_VIEW_HOST = "127.0.0.1";
export const DEFAULT_VIEW_PORT = 8420;

export async function startViewer(options: StartViewerOptions): Promise<RunningViewer> {
  const host = options.host ?? DEFAULT_VIEW_HOST;
  const port = options.port ?? DEFAULT_VIEW_PORT;
  // Loading m1-layout trees can take a while: a host or port we cannot bind is said first.
  await checkListenable(host, port);
  const view = openViewDatabase(options.directory);
  const app = buildViewServer(view, { allowedHosts: loopbackHosts(host) });
  try {
    await app.listen({ port, host });
  } catch (error) {
    view.close();
    throw listenError(error, host, port);
  }
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const close = async () => {
    await app.close();
    view.close();
  };
  return {
    url: `http://${shownHost}:${address.port}/`,
    view,
    app,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Bind `host:port` and let go at once, so that a bad --host or --port fails before any work. */
async function checkListenable(host: string, port: number): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port, exclusive: true }, () => resolve());
    });
  } catch (error) {
    throw listenError(error, host, port);
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Why the viewer cannot listen, as a one-line ConfigError naming the flag to change. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") {
    return new ConfigError(`port ${port} on ${host} is in use`, {
      key: "--port",
      fix: "pick another with --port N (0 = any free port), e.g. --port 0",
    });
  }
  if (code === "EACCES" && port > 0 && port < 1024) {
    return new ConfigError(`port ${port} needs administrator rights`, {
      key: "--port",
      fix: `use a port above 1023, e.g. --port ${DEFAULT_VIEW_PORT}`,
    });
  }
  const reasons: Record<string, string> = {
    EADDRNOTAVAIL: "is not an address of this machine",
    ENOTFOUND: "is not a known host name",
    EAI_AGAIN: "could not be resolved",
    EACCES: "may not be bound here (permission denied)",
  };
  if (code && code in reasons) {
    return new ConfigError(`cannot listen on ${host}: it ${reasons[code]}`, {
      key: "--host",
      fix: `use an address of this machine, e.g. --host ${DEFAULT_VIEW_HOST}`,
    });
  }
  return error;
}
