/**
 * Ctrl-C handling shared by every command: the first SIGINT/SIGTERM aborts `interruptSignal` so
 * long work can stop cleanly (commit what is done, stop servers); a second one exits at once.
 */
import { stopLiveServers } from "../backends/launcher/live-servers.js";

const controller = new AbortController();
let installed = false;
let stopServersOnInterrupt = true;

export const interruptSignal: AbortSignal = controller.signal;

export function installInterruptHandler(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write("\nm1: interrupted again, exiting now\n");
      process.exit(130);
    }
    process.stderr.write(
      `\nm1: ${signal} received, finishing cleanly (press Ctrl-C again to force)\n`,
    );
    controller.abort();
    if (stopServersOnInterrupt) stopLiveServers();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/**
 * For a command that drains work after the first Ctrl-C (`m1 serve` finishes the requests in
 * flight): servers it launched stay up until it closes them; a second Ctrl-C still exits at once.
 */
export function keepLaunchedServersOnInterrupt(): void {
  stopServersOnInterrupt = false;
}
