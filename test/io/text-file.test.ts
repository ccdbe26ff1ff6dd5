import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { decodeUtf8, firstInvalidUtf8Byte, readTextFile } from "../../src/io/text-file.js";
import { Mulberry32 } from "../../src/random/index.js";
import { useTempDir } from "../support/temp-dirs.js";

const tempDir = useTempDir("m1-text-file-");
const strict = new TextDecoder("utf-8", { fatal: true });

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe("firstInvalidUtf8Byte", () => {
  it("finds where the WHATWG decoder first gives up, on 5,000 random byte strings", () => {
    const generator = new Mulberry32(9);
    const random = () => generator.nextFloat();
    // Mostly text with some multi-byte sequences, cut or damaged now and then.
    const pieces = [
      [0x41],
      [0x0a],
      [0xc3, 0xa9],
      [0xe2, 0x82, 0xac],
      [0xf0, 0x9f, 0x98, 0x80],
      [0xed, 0xa0, 0x80], // a surrogate
      [0xc0, 0xaf], // overlong
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe9], // Latin-1 é
      [0x80],
      [0xff],
    ];
    let invalid = 0;
    for (let round = 0; round < 5_000; round++) {
      const bytes: number[] = [];
      const count = Math.floor(random() * 12);
      for (let index = 0; index < count; index++) {
        const piece = pieces[Math.floor(random() * pieces.length)]!;
        // Sometimes only the start of a sequence.
        bytes.push(...(random() < 0.1 ? piece.slice(0, 1) : piece));
      }
      const array = Uint8Array.from(bytes);
      const offset = firstInvalidUtf8Byte(array);
      if (isValidUtf8(array)) {
        expect(offset).toBe(-1);
        continue;
      }
      invalid++;
      // Everything before is valid, and no valid sequence starts there.
      expect(isValidUtf8(array.subarray(0, offset))).toBe(true);
      for (let length = 1; length <= 4 && offset + length <= array.length; length++) {
        expect(isValidUtf8(array.subarray(offset, offset + length))).toBe(false);
      }
    }
    expect(invalid).toBeGreaterThan(1_000);
  });
});

describe("decodeUtf8 and readTextFile", () => {
  it("names the file, the line and the byte offset of a Latin-1 character", () => {
    const bytes = Buffer.concat([
      Buffer.from('{\n  "q": "caf'),
      Buffer.from([0xe9]),
      Buffer.from('"\n}\n'),
    ]);
    expect(() => decodeUtf8(bytes, "items.json")).toThrow(
      new InputError(
        "not valid UTF-8 at byte 13 (0xE9)",
        { file: "items.json", line: 2 },
        "save the file as UTF-8, e.g. iconv -f latin1 -t utf-8 items.json > items.utf8.json",
      ),
    );
  });

  it("reads UTF-8 as it is, byte order mark included, and words a missing file the caller's way", () => {
    const path = join(tempDir(), "bom.txt");
    writeFileSync(path, "\uFEFFcafé ☕ 😀\n");
    expect(readTextFile(path, () => new Error("unused"))).toBe("\uFEFFcafé ☕ 😀\n");
    expect(() =>
      readTextFile(join(tempDir(), "nope.txt"), (error) => new Error(`no: ${error.code}`)),
    ).toThrow("no: ENOENT");
  });
});
