import type { ServerProcess } from "./server-process.js";

/**
 * Servers m1 started and has not stopped yet. They are stopped on Ctrl-C (the CLI calls
 * `stopLiveServers`) and killed when the process exits, so a crashed or interrupted run never
 * leaves a model holding the GPUs.
 */
const live = new Set<ServerProcess>();
let hooksInstalled = false;

export function trackServer(server: ServerProcess): void {
  live.add(server);
  installHooks();
}

export function untrackServer(server: ServerProcess): void {
  live.delete(server);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", () => {
    for (const server of live) server.killNow();
  });
}

/** Stop every server m1 started (graceful: SIGTERM, then SIGKILL after the grace period). */
export function stopLiveServers(): void {
  for (const server of live) void server.stop();
}
