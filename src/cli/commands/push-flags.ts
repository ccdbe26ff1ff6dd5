import type { Command } from "commander";
import { checkRepoId, hubConnection, type HubConnection } from "../../data/hub/connection.js";
import { pushRowsToHub } from "../../data/hub/push-rows.js";
import { requireHubToken, type PushResult } from "../../data/hub/push.js";
import type { Row } from "../../io/rows.js";
import { interruptSignal } from "../interrupt.js";
import { printNote } from "../output.js";

export interface PushFlags {
  pushToHub?: string;
  private?: boolean;
}

/** `--push-to-hub owner/name` and `--private`, as m1's notebooks pushed every stage. */
export function addPushFlags(command: Command, what: string): Command {
  return command
    .option(
      "--push-to-hub <repo>",
      `also push ${what} to this hub dataset (owner/name; HF_TOKEN, HF_ENDPOINT)`,
    )
    .option("--private", "create the hub repo private (with --push-to-hub)");
}

/** Checked before any work: a push that cannot happen must not cost a long run first. */
export function checkPushFlags(flags: PushFlags): HubConnection | undefined {
  if (!flags.pushToHub) return undefined;
  checkRepoId(flags.pushToHub, "--push-to-hub");
  const connection = hubConnection();
  requireHubToken(connection);
  return connection;
}

/** Push a step's output rows when `--push-to-hub` was given; notes say where they went. */
export async function pushRowsIfAsked(
  flags: PushFlags,
  file: string,
  producedBy: string,
  rows?: readonly Row[],
): Promise<void> {
  const connection = checkPushFlags(flags);
  if (!connection) return;
  const result = await pushRowsToHub({
    repo: flags.pushToHub!,
    connection,
    private: flags.private,
    file,
    rows,
    producedBy,
    signal: interruptSignal,
  });
  printNote(describePush(result));
}

export function describePush(result: PushResult): string {
  const what =
    result.uploaded.length === 0
      ? `nothing new (${result.unchanged.length} files already there)`
      : `${result.uploaded.length} files in ${result.commits} commit${result.commits === 1 ? "" : "s"}` +
        (result.unchanged.length > 0 ? `, ${result.unchanged.length} unchanged` : "");
  return `pushed to ${result.url}${result.created ? " (new repo)" : ""}: ${what}`;
}
