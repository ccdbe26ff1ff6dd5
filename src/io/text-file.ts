import { readFileSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import { InputError } from "../errors.js";

/**
 * Every text file m1 reads (eval data, configs, rows, CSV, chat templates, tokenizer files, m1's
 * results) goes through here, so invalid UTF-8 is refused the same way everywhere instead of being
 * turned into U+FFFD without a word (a Latin-1 export would then score or dedup differently).
 */

/**
 * Read `path` as UTF-8 text (a byte order mark is kept, as `readFileSync(path, "utf8")` keeps it).
 * A file that cannot be read throws what `cannotRead` makes of the error; invalid UTF-8 is an
 * InputError naming the file, the line and the byte offset.
 */
export function readTextFile(
  path: string,
  cannotRead: (error: NodeJS.ErrnoException) => Error,
): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw cannotRead(error as NodeJS.ErrnoException);
  }
  return decodeUtf8(bytes, path);
}

/** `bytes` as text, or an InputError at the first byte that is not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer)) return buffer.toString("utf8");
  const offset = firstInvalidUtf8Byte(buffer);
  const line = countNewlines(buffer, offset) + 1;
  const byte = buffer[offset]!.toString(16).toUpperCase().padStart(2, "0");
  throw new InputError(
    `not valid UTF-8 at byte ${offset} (0x${byte})`,
    { file, line },
    `save the file as UTF-8, e.g. iconv -f latin1 -t utf-8 ${file} > ${utf8Name(file)}`,
  );
}

/**
 * Offset of the first byte that starts an invalid UTF-8 sequence (the lead byte of a cut or
 * overlong sequence, or a stray continuation byte), following the WHATWG decoder's rules; -1 when
 * every byte is valid.
 */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index++;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : 4;
    if (lead < 0xc2 || lead > 0xf4) return index;
    // The second byte's range rules out overlong forms, surrogates and code points above U+10FFFF.
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let next = 1; next < length; next++) {
      const byte = bytes[index + next];
      const [min, max] = next === 1 ? [low, high] : [0x80, 0xbf];
      if (byte === undefined || byte < min || byte > max) return index;
    }
    index += length;
  }
  return -1;
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let count = 0;
  for (let index = 0; index < end; index++) if (bytes[index] === 0x0a) count++;
  return count;
}

/** `data.jsonl` -> `data.utf8.jsonl`, for the fix's example. */
function utf8Name(file: string): string {
  const dot = file.lastIndexOf(".");
  const slash = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  return dot > slash + 1 ? `${file.slice(0, dot)}.utf8${file.slice(dot)}` : `${file}.utf8`;
}
