import { InputError } from "../../errors.js";
import { readRows, rowFileFormat, type Row } from "../../io/rows.js";
import { defaultRng } from "../rng/generator.js";
import { RowReader } from "./fields.js";
import { mapWithPreview, unifyRow, type CollectedRow } from "./unified-row.js";
import { readTextFile } from "../../io/text-file.js";

export const PUBMEDQA_SOURCE = "qiaojin/PubMedQA:pqa_labeled";

/** m1 splits the 1,000 labeled items 50/50 with this seed and trains on the "train" half. */
export const PUBMEDQA_SPLIT_SEED = 0;

const DECISIONS = ["yes", "no", "maybe"] as const;

/**
 * PubMedQA PQA-L (m1's src/collect_data/pubmedqa.py). Reads the original `ori_pqal.json` (an
 * object keyed by PubMed id) or rows already in the Hugging Face `qiaojin/PubMedQA` shape.
 * Rows are mapped in file order with the seeded shuffle of `yes/no/maybe`, then split as
 * `Dataset.train_test_split(test_size=0.5, seed=0)` does (see `splitLikeTrainTestSplit`).
 */
export async function loadPubmedqaRows(
  file: string,
  seed: number,
  split: "train" | "test" = "train",
): Promise<CollectedRow[]> {
  return mapPubmedqaRows(await readPubmedqaFile(file), file, seed, split);
}

export function mapPubmedqaRows(
  rows: readonly Row[],
  file: string,
  seed: number,
  split: "train" | "test" = "train",
): CollectedRow[] {
  const rng = defaultRng(seed);
  const mapped = mapWithPreview(rows, (row, index) => {
    const reader = new RowReader(file, index, row, "PubMedQA (ori_pqal.json or qiaojin/PubMedQA)");
    const question = reader.string("question");
    const contexts = reader.stringList("contexts", reader.object("context"));
    const decision = reader.string("final_decision");
    if (!(DECISIONS as readonly string[]).includes(decision)) {
      reader.fail("final_decision", `'${decision}' is not one of yes, no, maybe`);
    }
    return unifyRow(
      {
        source: PUBMEDQA_SOURCE,
        original: row,
        stem: `${contexts.join("\n")}\n${question}`,
        options: DECISIONS,
        answerString: decision,
      },
      rng,
    );
  });
  return splitLikeTrainTestSplit(mapped, split, PUBMEDQA_SPLIT_SEED);
}

/**
 * Hugging Face `Dataset.train_test_split(test_size=0.5, seed, shuffle=True)` (datasets 3.4):
 * `np.random.default_rng(seed).permutation(n)`; the first ceil(n/2) positions are the test half,
 * the next n - ceil(n/2) the train half, each in permutation order.
 */
export function splitLikeTrainTestSplit<T>(
  rows: readonly T[],
  split: "train" | "test",
  seed: number,
): T[] {
  const permutation = defaultRng(seed).permutation(rows.length);
  const testCount = Math.ceil(0.5 * rows.length);
  const indices = split === "test" ? permutation.slice(0, testCount) : permutation.slice(testCount);
  return indices.map((index) => rows[index]!);
}

/**
 * The rows as `datasets.load_dataset("qiaojin/PubMedQA", "pqa_labeled")` gives them. From
 * `ori_pqal.json` this is the dataset script's mapping: the id becomes an int `pubid`, the context
 * fields a `context` dict. Its `Sequence` feature iterates every sub-field, so the two prediction
 * strings become lists of characters (`'yes'` -> `['y', 'e', 's']`), as the published parquet
 * holds them; m1's `metadata` text shows them that way.
 */
export async function readPubmedqaFile(file: string): Promise<Row[]> {
  if (rowFileFormat(file) !== "json") return readRows(file);
  const text = readTextFile(
    file,
    () => new InputError("cannot read file", { file }, "pass PubMedQA's ori_pqal.json"),
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(
      `not valid JSON: ${(error as Error).message}`,
      { file },
      "pass PubMedQA's ori_pqal.json",
    );
  }
  if (Array.isArray(parsed)) return readRows(file);
  if (typeof parsed !== "object" || parsed === null) {
    throw new InputError("expected ori_pqal.json's object of items keyed by PubMed id", { file });
  }
  return Object.entries(parsed as Record<string, unknown>).map(([pubid, value], index) => {
    const reader = new RowReader(file, index, (value ?? {}) as Row, "ori_pqal.json");
    if (!/^\d+$/.test(pubid)) reader.fail("pubid", `'${pubid}' is not a PubMed id`);
    return {
      pubid: Number(pubid),
      question: reader.string("QUESTION"),
      context: {
        contexts: reader.stringList("CONTEXTS"),
        labels: reader.stringList("LABELS"),
        meshes: reader.stringList("MESHES"),
        reasoning_required_pred: [...reader.string("reasoning_required_pred")],
        reasoning_free_pred: [...reader.string("reasoning_free_pred")],
      },
      long_answer: reader.string("LONG_ANSWER"),
      final_decision: reader.string("final_decision"),
    };
  });
}
