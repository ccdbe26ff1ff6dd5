import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { layerAskOptions } from "../../src/curate/ask/ask-options.js";
import { resolveAskSettings } from "../../src/curate/ask/ask-settings.js";
import { classifyRows } from "../../src/curate/classify/classify-rows.js";
import { extractDomainCode } from "../../src/curate/classify/domain-code.js";
import {
  hierarchicalMeshRubric,
  hierarchicalQualifiers,
  MESH_CLASSIFY_SYSTEM_PROMPT,
  meshQualifiers,
  meshRubric,
} from "../../src/curate/classify/mesh-rubric.js";
import { readRows, type Row } from "../../src/io/rows.js";
import { startFakeChatServer, type FakeChatServer } from "../fixtures/fake-chat-server.js";
import { runCli } from "../support/cli.js";
import { path, useTempDir } from "./support/temp-dir.js";

const m1Row = JSON.parse(
  readFileSync(new URL("../fixtures/curate/m1-m23k-row.json", import.meta.url), "utf8"),
) as Record<string, string | boolean>;
const tempDir = useTempDir();
let server: FakeChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("MeSH rubric", () => {
  it("is m1's mesh_qualifier.json prompts joined by blank lines, byte for byte", () => {
    const rubric = meshRubric();
    // sha256 of "\n\n".join(node["prompt"] for node in m1's src/select_data/mesh_qualifier.json)
    expect(createHash("sha256").update(rubric).digest("hex")).toBe(
      "a0513f9971bf5583e521f193c54535fc3cdd526d9c849c1c379b93a0bb364389",
    );
    expect(
      rubric.startsWith(
        "### Abnormalities\n* Code: 00\n* Description: Used with organs for congenital",
      ),
    ).toBe(true);
    const qualifiers = meshQualifiers();
    expect(qualifiers).toHaveLength(76);
    expect(qualifiers.at(-1)!.code).toBe("75");
  });
});

describe("hierarchical MeSH rubric (m1's mesh_qualifier_hierarchical.json)", () => {
  it("is m1's hierarchical prompts joined by blank lines, byte for byte", () => {
    const rubric = hierarchicalMeshRubric();
    // sha256 of "\n\n".join(node["prompt"] for node in m1's mesh_qualifier_hierarchical.json)
    expect(createHash("sha256").update(rubric).digest("hex")).toBe(
      "f95381882259ba97acb3bd7a9b5d17ac2a442715e3c5e7c136819a9f40f15800",
    );
    const qualifiers = hierarchicalQualifiers();
    expect(qualifiers).toHaveLength(26);
    // capwords folds the indented sub-tree into one line; a leaf qualifier gets "  - Null".
    expect(qualifiers[0]).toMatchObject({
      code: "00",
      name: "Analysis",
      subQualifiers: "- Blood - Cerebrospinal Fluid - Isolation & Purification - Urine",
    });
    expect(qualifiers[6]).toMatchObject({ name: "Standards", subQualifiers: "  - Null" });
    expect(qualifiers[25]!.name).toBe("Veterinary");
  });

  it("classifies against it: codes 00-25 name the top-level qualifiers", async () => {
    server = await startFakeChatServer(() => ({
      content: "Drug therapy falls under therapy.\n13",
    }));
    const result = await classifyRows(
      [{ source: "medqa", prompt: "First-line drug for absence seizures?" }],
      "rows.jsonl",
      {
        ask: resolveAskSettings(
          layerAskOptions({
            preset: "classify",
            model: "gpt-4o",
            base_url: server.baseUrl,
            cache: path(tempDir(), "c.sqlite"),
          }),
        ),
        maxReasks: 0,
        rubric: "mesh-hierarchical",
      },
    );
    expect(server!.requests[0]!.userContent).toBe(
      `## Question\nFirst-line drug for absence seizures?\n\n## Classification rubrics\n${hierarchicalMeshRubric()}`,
    );
    expect(result.rows[0]).toMatchObject({
      domain_code: "13",
      domain_name: "Therapy",
      is_domain_code_extracted: true,
    });
  });
});

describe("domain code extraction", () => {
  const qualifiers = meshQualifiers();

  it("reads GPT-4o's answer of a published m23K row as m1 did", () => {
    expect(extractDomainCode(m1Row.domain as string, qualifiers)).toEqual({
      domain_code: m1Row.domain_code,
      domain_name: m1Row.domain_name,
      is_domain_code_extracted: true,
    });
  });

  it("drops asterisks, backticks, surrounding space and trailing dots first", () => {
    expect(extractDomainCode("Subject:\n**`12`**...  ", qualifiers)).toMatchObject({
      domain_code: "12",
      is_domain_code_extracted: true,
    });
  });

  it("rejects answers whose last two characters are not a rubric code", () => {
    expect(extractDomainCode("Code: 5", qualifiers)).toMatchObject({
      domain_code: " 5",
      is_domain_code_extracted: false,
    });
    expect(extractDomainCode("76", qualifiers)).toMatchObject({
      domain_name: "",
      is_domain_code_extracted: false,
    });
    expect(extractDomainCode("7", qualifiers).is_domain_code_extracted).toBe(false);
    expect(extractDomainCode(null, qualifiers).is_domain_code_extracted).toBe(false);
  });
});

describe("curate classify", () => {
  const rows: Row[] = [
    { source: "medqa", prompt: "Which embryologic error causes bilious vomiting?" },
    { source: "medqa", prompt: "Which drug is first-line for absence seizures?" },
    { source: "medmcqa", prompt: "Unanswerable question" },
  ];

  async function scriptedServer() {
    server = await startFakeChatServer((request) => {
      // The rubric follows the question in every message; decide on the question alone.
      const question = request.userContent.split("\n\n## Classification rubrics")[0]!;
      if (question.includes("embryologic")) return { content: "It is about development.\n27" };
      if (question.includes("absence seizures")) {
        return {
          content: request.previousAttempts === 0 ? "I am not sure." : "Drug therapy.\n**12**",
        };
      }
      return { content: "Cannot classify" };
    });
    return server;
  }

  function settings(baseUrl: string) {
    return resolveAskSettings(
      layerAskOptions({
        preset: "classify",
        model: "gpt-4o",
        base_url: baseUrl,
        cache: path(tempDir(), "c.sqlite"),
      }),
    );
  }

  it("asks with m1's system prompt and rubric, re-asks malformed answers and reports the rest", async () => {
    const fake = await scriptedServer();
    const result = await classifyRows(rows, "rows.jsonl", {
      ask: settings(fake.baseUrl),
      maxReasks: 2,
    });
    expect(fake.requests[0]!.body.messages).toEqual([
      { role: "system", content: MESH_CLASSIFY_SYSTEM_PROMPT },
      {
        role: "user",
        content: `## Question\n${rows[0]!.prompt}\n\n## Classification rubrics\n${meshRubric()}`,
      },
    ]);
    expect(fake.requests[0]!.body.temperature).toBeUndefined();
    expect(result.rounds).toEqual([3, 2, 1]);
    expect(fake.requests).toHaveLength(6);
    expect(
      result.rows.map((row) => [row.domain_code, row.domain_name, row.is_domain_code_extracted]),
    ).toEqual([
      ["27", "Embryology", true],
      ["12", qualifierName("12"), true],
      ["fy", "", false],
    ]);
    expect(result.rows[1]!.domain).toBe("Drug therapy.\n**12**");
    expect(result.unclassified).toEqual([2]);
  });

  it("serves every round of a rerun from the cache", async () => {
    const fake = await scriptedServer();
    const ask = settings(fake.baseUrl);
    await classifyRows(rows, "rows.jsonl", { ask, maxReasks: 2 });
    const again = await classifyRows(rows, "rows.jsonl", { ask, maxReasks: 2 });
    expect(fake.requests).toHaveLength(6);
    expect(again.stats).toMatchObject({ answered: 0, cached: 6 });
    expect(again.unclassified).toEqual([2]);
  });

  it("runs from the command line and writes the unclassified rows aside", async () => {
    const fake = await scriptedServer();
    const dir = tempDir();
    const input = path(dir, "rows.jsonl");
    writeFileSync(input, rows.map((row) => JSON.stringify(row)).join("\n"));
    const out = path(dir, "domains.jsonl");
    const aside = path(dir, "unclassified.jsonl");
    const result = await runCli([
      "curate",
      "classify",
      "--in",
      input,
      "--out",
      out,
      "--model",
      "gpt-4o",
      "--base-url",
      fake.baseUrl,
      "--cache",
      path(dir, "c.sqlite"),
      "--max-retries",
      "1",
      "--unclassified-out",
      aside,
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("1 rows have no domain code after 1 re-asks (rows 3)");
    expect((await readRows(out)).map((row) => row.domain_code)).toEqual(["27", "12", "fy"]);
    expect(await readRows(aside)).toHaveLength(1);
  });
});

function qualifierName(code: string): string {
  return meshQualifiers().find((qualifier) => qualifier.code === code)!.name;
}
