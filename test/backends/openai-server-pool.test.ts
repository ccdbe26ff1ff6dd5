import { describe, expect, it } from "vitest";
import { ServerPool, parseServerUrl } from "../../src/backends/openai/server-pool.js";
import { ConfigError } from "../../src/errors.js";

describe("server URLs and the pool", () => {
  it("finds the API base and the server root with or without /v1", () => {
    expect(parseServerUrl("http://h:8000/v1/")).toMatchObject({
      apiBase: "http://h:8000/v1",
      root: "http://h:8000",
    });
    expect(parseServerUrl("http://h:8000")).toMatchObject({
      apiBase: "http://h:8000/v1",
      root: "http://h:8000",
    });
    expect(parseServerUrl("https://h/proxy/v1")).toMatchObject({
      apiBase: "https://h/proxy/v1",
      root: "https://h/proxy",
    });
    expect(() => parseServerUrl("localhost:8000")).toThrow(ConfigError);
  });

  it("skips a server marked down until its cooldown ends, then tries it again", () => {
    let now = 0;
    const [a, b, c] = ["http://a", "http://b", "http://c"].map(parseServerUrl) as [
      never,
      never,
      never,
    ];
    const pool = new ServerPool([a, b, c], { cooldownMs: 1_000, now: () => now });
    expect([pool.next(), pool.next(), pool.next(), pool.next()]).toEqual([a, b, c, a]);
    pool.markUnhealthy(b);
    expect([pool.next(), pool.next(), pool.next()]).toEqual([c, a, c]);
    now = 1_000;
    expect([pool.next(), pool.next()]).toEqual([a, b]);
  });

  it("uses the server that recovers first when all are down", () => {
    let now = 0;
    const [a, b] = ["http://a", "http://b"].map(parseServerUrl) as [never, never];
    const pool = new ServerPool([a, b], { cooldownMs: 1_000, now: () => now });
    pool.markUnhealthy(b);
    now = 10;
    pool.markUnhealthy(a);
    expect(pool.next()).toBe(b);
  });
});
