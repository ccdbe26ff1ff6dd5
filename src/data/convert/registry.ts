import { lancet, medbullets, medqa, medxpertqa, nejm } from "./choice.js";
import { gpqa } from "./gpqa.js";
import { headqa } from "./headqa.js";
import { hle } from "./hle.js";
import { medmcqa } from "./medmcqa.js";
import { mmlu } from "./mmlu.js";
import { mmluPro } from "./mmlu-pro.js";
import { pubmedqa } from "./pubmedqa.js";
import type { Converter } from "./types.js";

/** Every converter, by the name `m1 data convert --from` takes. */
export const CONVERTERS = {
  medqa,
  medmcqa,
  pubmedqa,
  mmlu,
  "mmlu-pro": mmluPro,
  gpqa,
  medbullets,
  medxpertqa,
  lancet,
  nejm,
  headqa,
  hle,
} as const satisfies Record<string, Converter>;

export type ConverterKind = keyof typeof CONVERTERS;

export const CONVERTER_KINDS = Object.keys(CONVERTERS) as ConverterKind[];

