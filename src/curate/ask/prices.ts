import { z } from "zod";

/** US dollars per million tokens, as providers publish them. */
export const modelPriceSchema = z
  .object({
    input_per_million: z
      .number()
      .nonnegative()
      .meta({ examples: [0.55] }),
    output_per_million: z
      .number()
      .nonnegative()
      .meta({ examples: [2.19] }),
  })
  .strict();

/** `prices:` in ask.yaml / pipeline.yaml: model name -> price. */
export const priceTableSchema = z.record(z.string(), modelPriceSchema);

export type ModelPrice = z.infer<typeof modelPriceSchema>;
export type PriceTable = z.infer<typeof priceTableSchema>;

export function costUsd(
  price: ModelPrice | undefined,
  promptTokens: number,
  completionTokens: number,
): number | null {
  if (!price) return null;
  return (
    (promptTokens * price.input_per_million + completionTokens * price.output_per_million) /
    1_000_000
  );
}

export function formatUsd(amount: number): string {
  if (amount === 0) return "$0";
  if (amount < 0.01) return `$${amount.toFixed(4)}`;
  return `$${amount.toFixed(2)}`;
}
