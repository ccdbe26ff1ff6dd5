import { describe, expect, it } from "vitest";
import { mergeConfig, parseDotlist } from "../../src/config/index.js";

describe("-u dotlists parse as OmegaConf does", () => {
  it("reads booleans, numbers, null and strings", () => {
    expect(
      parseDotlist(
        "force_think=True,overwrite=false,max_new_tokens=4096,temperature=1e-5,prefix_prompt=null,exp_name=run1",
      ),
    ).toEqual({
      force_think: true,
      overwrite: false,
      max_new_tokens: 4096,
      temperature: 0.00001,
      prefix_prompt: null,
      exp_name: "run1",
    });
  });

  it("keeps commas inside brackets and quotes together (sweeps inline)", () => {
    expect(parseDotlist("budgets=[128,256,512],suffix_prompt='a, b',wait_rounds=[0, 2]")).toEqual({
      budgets: [128, 256, 512],
      suffix_prompt: "a, b",
      wait_rounds: [0, 2],
    });
  });

  it("nests dotted keys and merges like OmegaConf.merge", () => {
    const override = parseDotlist("a.b=1,a.c=x");
    expect(mergeConfig({ a: { b: 0, d: 2 }, e: 3 }, override)).toEqual({
      a: { b: 1, c: "x", d: 2 },
      e: 3,
    });
  });

  it("rejects an item without '='", () => {
    expect(() => parseDotlist("force_think")).toThrowError(/"force_think" is not key=value/);
  });
});
