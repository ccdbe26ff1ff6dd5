import { InputError } from "../../errors.js";
import { closestName } from "../../text/closest-name.js";
import { MMLU_MEDICAL_SUBJECTS } from "../convert/mmlu.js";
import { checkRepoId } from "./connection.js";

/**
 * What `m1 data fetch NAME` knows: m1's published repos (docs/LINK.md of UCSC-VLAA/m1) and the
 * benchmark references m1 decontaminated against (src/collect_data/decontaminate.py,
 * `EVALUATION_DATASETS`). Any other dataset is `hf:owner/name`.
 */
export interface HubDataset {
  name: string;
  repo: string;
  repoType: "dataset" | "model";
  /** Branch or ref; references read the hub's Parquet conversion (`refs/convert/parquet`). */
  revision: string;
  /** fnmatch patterns of the files to fetch (all when absent). */
  include?: readonly string[];
  /** md5 per file that m1 published (checked on top of the hub's own hashes). */
  md5?: Readonly<Record<string, string>>;
  description: string;
  /** For decontamination references: the text field m1 compared against. */
  field?: string;
}

const PARQUET_CONVERSION = "refs/convert/parquet";

/** m1's eval file and the md5 its config checks (`eval_data_md5sum`). */
export const M1_EVAL_DATA = {
  repo: "UCSC-VLAA/m1_eval_data",
  repoType: "dataset",
  file: "m1_eval_data.json",
  md5: "fe50ce67a958cfa9bc958a51b2502e57",
} as const;

const trainingSet = (name: string, repo: string, description: string): HubDataset => ({
  name,
  repo,
  repoType: "dataset",
  revision: "main",
  include: ["data/*", "README.md"],
  description,
});

const reference = (
  name: string,
  repo: string,
  folders: readonly string[],
  field: string,
  description: string,
): HubDataset => ({
  name,
  repo,
  repoType: "dataset",
  revision: PARQUET_CONVERSION,
  include: folders.map((folder) => `${folder}/*.parquet`),
  field,
  description,
});

/** cais/mmlu subjects m1 decontaminated against: the medical ones but anatomy. */
export const M1_MMLU_SUBJECTS = MMLU_MEDICAL_SUBJECTS.filter((subject) => subject !== "anatomy");

export const HUB_DATASETS: readonly HubDataset[] = [
  {
    name: "m1-eval",
    repo: M1_EVAL_DATA.repo,
    repoType: "dataset",
    revision: "main",
    include: [M1_EVAL_DATA.file],
    md5: { [M1_EVAL_DATA.file]: M1_EVAL_DATA.md5 },
    description: "m1's eval file, m1_eval_data.json (11 sources)",
  },
  {
    name: "m1-results",
    repo: "UCSC-VLAA/m1-results",
    repoType: "dataset",
    revision: "main",
    description:
      "m1's own outputs, {output_dir}/{exp_name}/version_N trees (large: narrow with --include)",
  },
  trainingSet("m1k", "UCSC-VLAA/m1k-tokenized", "m1K, the 1K training set (domain x source)"),
  trainingSet("m23k", "UCSC-VLAA/m23k-tokenized", "m23K, the 23,493-row training set"),
  trainingSet("m196k", "mmqm/m196k", "the 196K collected questions (before any filter)"),
  trainingSet("random_1k", "mmqm/m1k-random_1k-tokenized", "ablation: random 1K"),
  trainingSet("hard_random_1k", "mmqm/m1k-hard_random_1k-tokenized", "ablation: hard random 1K"),
  trainingSet("domain_1k", "mmqm/m1k-domain_1k-tokenized", "ablation: hard, domain-balanced 1K"),
  trainingSet("random_23k", "mmqm/m1k-random_23k-tokenized", "ablation: random 23K"),
  reference(
    "gpqa-diamond",
    "Idavidrein/gpqa",
    ["gpqa_diamond/train"],
    "Question",
    "reference: GPQA diamond (gated: accept its terms, set HF_TOKEN)",
  ),
  reference(
    "medmcqa-validation",
    "openlifescienceai/medmcqa",
    ["default/validation"],
    "question",
    "reference: MedMCQA validation",
  ),
  reference(
    "medqa-test",
    "GBaker/MedQA-USMLE-4-options",
    ["default/test"],
    "question",
    "reference: MedQA-USMLE 4 options, test",
  ),
  reference(
    "pubmedqa-test",
    "mmqm/pubmedqa_custom_test",
    ["default/train"],
    "prompt",
    "reference: m1's PubMedQA test prompts",
  ),
  reference(
    "mmlu-medical",
    "cais/mmlu",
    M1_MMLU_SUBJECTS.map((subject) => `${subject}/test`),
    "question",
    "reference: MMLU medical subjects, test",
  ),
  reference("mmlu-pro", "TIGER-Lab/MMLU-Pro", ["default/test"], "question", "reference: MMLU-Pro, test"),
];

/** Every benchmark m1's first decontamination compared against, in m1's order. */
export const M1_REFERENCES_GROUP = "m1-references";
export const M1_REFERENCE_NAMES = [
  "gpqa-diamond",
  "medmcqa-validation",
  "medqa-test",
  "pubmedqa-test",
  "mmlu-medical",
  "mmlu-pro",
] as const;

export const FETCH_NAMES: readonly string[] = [
  ...HUB_DATASETS.map((dataset) => dataset.name),
  M1_REFERENCES_GROUP,
];

/**
 * The datasets a name stands for: a catalog name, `m1-references` (all six references), or
 * `hf:owner/name[@revision]` for any hub dataset.
 */
export function resolveHubDatasets(name: string, field = "<dataset>"): HubDataset[] {
  if (name === M1_REFERENCES_GROUP) return M1_REFERENCE_NAMES.map((one) => catalogEntry(one)!);
  if (name.startsWith("hf:")) {
    const [repo, revision] = name.slice(3).split("@") as [string, string | undefined];
    checkRepoId(repo, field);
    return [
      {
        name,
        repo,
        repoType: "dataset",
        revision: revision || "main",
        description: `hub dataset ${repo}`,
      },
    ];
  }
  const entry = catalogEntry(name);
  if (entry) return [entry];
  const suggestion = closestName(name, FETCH_NAMES);
  throw new InputError(
    `unknown dataset '${name}'`,
    { field },
    suggestion
      ? `did you mean '${suggestion}'? (or hf:owner/name for any hub dataset)`
      : `one of ${FETCH_NAMES.join(", ")}, or hf:owner/name`,
  );
}

export function catalogEntry(name: string): HubDataset | undefined {
  return HUB_DATASETS.find((dataset) => dataset.name === name);
}
