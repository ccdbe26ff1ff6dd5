/**
 * huggingface_hub's `allow_patterns` (`huggingface-cli download --include`): Python's `fnmatch`,
 * where `*` also crosses `/`, `?` is one character and `[...]` a class; a pattern ending in `/`
 * names a folder and matches everything below it (m1 uploaded its results with such a folder
 * pattern, `seed*temperature*` plus a slash).
 */
export function matchesPattern(path: string, pattern: string): boolean {
  return patternRegExp(pattern).test(path);
}

export function matchesAnyPattern(path: string, patterns: readonly string[] | undefined): boolean {
  return patterns === undefined || patterns.length === 0
    ? true
    : patterns.some((pattern) => matchesPattern(path, pattern));
}

const cache = new Map<string, RegExp>();

function patternRegExp(pattern: string): RegExp {
  let compiled = cache.get(pattern);
  if (compiled) return compiled;
  const glob = pattern.endsWith("/") ? `${pattern}*` : pattern;
  let source = "";
  for (let index = 0; index < glob.length; index++) {
    const character = glob[index]!;
    if (character === "*") source += ".*";
    else if (character === "?") source += ".";
    else if (character === "[") {
      const end = glob.indexOf("]", index + 2);
      if (end === -1) {
        source += "\\[";
        continue;
      }
      let body = glob.slice(index + 1, end);
      if (body.startsWith("!")) body = `^${body.slice(1)}`;
      source += `[${body.replaceAll("\\", "\\\\")}]`;
      index = end;
    } else source += character.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  compiled = new RegExp(`^${source}$`, "s");
  cache.set(pattern, compiled);
  return compiled;
}
