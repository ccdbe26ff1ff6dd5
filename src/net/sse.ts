/**
 * The `data:` payloads of a server-sent-events body, one per event, in order. Comments and other
 * fields are skipped; several `data:` lines in one event are joined with "\n" (the SSE rules).
 */
export async function* serverSentEventData(
  body: AsyncIterable<Buffer | string>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let pending = "";
  for await (const chunk of body) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    // A "\r" at the very end may be the first half of "\r\n": normalise it with the next chunk.
    pending = pending.replace(/\r\n|\r(?!$)/g, "\n");
    let boundary = pending.indexOf("\n\n");
    while (boundary !== -1) {
      const data = eventData(pending.slice(0, boundary));
      pending = pending.slice(boundary + 2);
      if (data !== undefined) yield data;
      boundary = pending.indexOf("\n\n");
    }
  }
  pending += decoder.decode();
  const data = eventData(pending.replace(/\r\n?/g, "\n"));
  if (data !== undefined) yield data;
}

function eventData(block: string): string | undefined {
  const lines: string[] = [];
  for (const line of block.split("\n")) {
    if (!line.startsWith("data:")) continue;
    const value = line.slice("data:".length);
    lines.push(value.startsWith(" ") ? value.slice(1) : value);
  }
  return lines.length > 0 ? lines.join("\n") : undefined;
}
