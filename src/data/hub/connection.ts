import { HubApiError } from "@huggingface/hub";
import { CancelledError, InputError, M1Error } from "../../errors.js";

/** A hub call that failed for a reason outside the user's input: network, server, corrupt bytes. */
export class HubDownloadError extends M1Error {
  constructor(message: string, fix: string, options?: { cause?: unknown }) {
    super(`${message} (fix: ${fix})`, options);
  }
}

export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

/** Where the hub is and who we are: `HF_ENDPOINT` and `HF_TOKEN`, as huggingface_hub reads them. */
export interface HubConnection {
  /** Base URL, no trailing slash. */
  endpoint: string;
  token?: string;
}

export function hubConnection(env: NodeJS.ProcessEnv = process.env): HubConnection {
  return {
    endpoint: (env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, ""),
    token: env.HF_TOKEN || undefined,
  };
}

/** `owner/name`, as the hub spells repos. */
export function checkRepoId(repo: string, field: string): string {
  if (!/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(repo)) {
    throw new InputError(
      `'${repo}' is not a hub repo name`,
      { field },
      "write owner/name, e.g. my-org/m1k-domain",
    );
  }
  return repo;
}

/** `{type: "dataset", name}` for the library (models have their own type, no prefix in URLs). */
export function repoDesignation(repo: string, repoType: "dataset" | "model") {
  return { type: repoType, name: repo } as const;
}

/**
 * What a failed hub call means for the user. 401/403: the token; 404: the repo, revision or file;
 * 429/5xx and network failures are worth another attempt (`retryable`).
 */
export function describeHubFailure(
  error: unknown,
  what: string,
  context: { repo: string; revision?: string; writing?: boolean },
): { error: M1Error; retryable: boolean } {
  if (error instanceof M1Error) return { error, retryable: false };
  if (error instanceof HubApiError) {
    const status = error.statusCode;
    const firstLine = (error.message.split(". URL:")[0] ?? error.message).trim();
    if (status === 401 || status === 403) {
      return {
        error: new InputError(
          `${what}: the hub answered ${status} (${firstLine})`,
          { field: "HF_TOKEN" },
          context.writing
            ? `set HF_TOKEN to a token with write access to ${context.repo}`
            : `set HF_TOKEN to a token that can read ${context.repo} (gated datasets need their terms accepted)`,
        ),
        retryable: false,
      };
    }
    if (status === 404) {
      return {
        // The hub's words say which of repo, revision or file it did not find.
        error: new InputError(
          `${what}: the hub answered 404 (${firstLine})`,
          {},
          `check the repo name ${context.repo}, --revision (${context.revision ?? "main"}) and HF_ENDPOINT`,
        ),
        retryable: false,
      };
    }
    return {
      error: new HubDownloadError(`${what}: the hub answered ${status} (${firstLine})`, "try again later", {
        cause: error,
      }),
      retryable: status === 429 || status >= 500,
    };
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error | null)?.message ?? String(error);
  return {
    error: new HubDownloadError(
      `${what}: ${reason}`,
      context.writing
        ? "check the network and HF_ENDPOINT; a rerun skips what already arrived"
        : "check the network and HF_ENDPOINT; a rerun resumes what arrived",
      { cause: error },
    ),
    retryable: true,
  };
}

/**
 * Run a hub call until it succeeds, fails for a reason another attempt cannot mend, or `attempts`
 * run out (waiting `delayMs` x the attempt number in between); what it throws is the user's error
 * from `describeHubFailure`. A cancel is thrown as a cancel.
 */
export async function withHubRetries<T>(
  call: () => Promise<T>,
  what: string,
  context: { repo: string; revision?: string; writing?: boolean; signal?: AbortSignal },
  retry: { attempts: number; delayMs: number },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (context.signal?.aborted) throw new CancelledError(`${what}: cancelled`);
      const failure = describeHubFailure(error, what, context);
      if (!failure.retryable || attempt >= retry.attempts) throw failure.error;
      await new Promise((resolve) => setTimeout(resolve, retry.delayMs * attempt));
    }
  }
}
