import { InputError } from "../../errors.js";
import { bundledDataPath } from "../../paths.js";
import { readTextFile } from "../../io/text-file.js";

/**
 * m1's classification rubric (src/select_data/build_prompt.py): the 76 MeSH qualifiers of
 * `qualifier_scope_note.tsv` in file order, qualifier i getting the two-digit code `i`
 * (`f"{idx:02d}"`), each written `### {Name}\n* Code: {NN}\n* Description: {scope note}`, joined by
 * blank lines. The tests pin the result to m1's own mesh_qualifier.json.
 */
export interface MeshQualifier {
  code: string;
  name: string;
  scopeNote: string;
}

export const MESH_SCOPE_NOTES_PATH = bundledDataPath("mesh", "qualifier_scope_note.tsv");

/** m1's classification system prompt (src/select_data/classify_sample.py), word for word. */
export const MESH_CLASSIFY_SYSTEM_PROMPT =
  "You are a helpful assistant that classifies questions into different subjects based on the provided classification rubrics. " +
  "You will be given a question and a list of subjects. " +
  "You need to classify the question into one of the subjects. " +
  "If the question has multiple subjects, you should classify the question into the most relevant subject. " +
  "Explain your reasoning, and end your response on a new line with two-digit code of the subject that the question belongs to.";

/** m1's user message; `{prompt}` is the row's prompt, `{rubric}` the rubric below. */
export const MESH_CLASSIFY_USER_TEMPLATE =
  "## Question\n{prompt}\n\n## Classification rubrics\n{rubric}";

let cachedQualifiers: MeshQualifier[] | undefined;

export function meshQualifiers(path: string = MESH_SCOPE_NOTES_PATH): MeshQualifier[] {
  if (path === MESH_SCOPE_NOTES_PATH && cachedQualifiers) return cachedQualifiers;
  const text = readTextFile(
    path,
    () =>
      new InputError(
        "cannot read the MeSH scope notes",
        { file: path },
        "reinstall m1: the file ships in data/mesh/",
      ),
  );
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  const header = lines[0]?.split("\t") ?? [];
  const nameColumn = header.indexOf("Name");
  const noteColumn = header.indexOf("Scope Notes");
  if (nameColumn < 0 || noteColumn < 0) {
    throw new InputError("expected the columns Name and Scope Notes", { file: path, line: 1 });
  }
  const qualifiers = lines.slice(1).map((line, index) => {
    const fields = line.split("\t");
    return {
      code: String(index).padStart(2, "0"),
      name: fields[nameColumn] ?? "",
      scopeNote: fields[noteColumn] ?? "",
    };
  });
  if (path === MESH_SCOPE_NOTES_PATH) cachedQualifiers = qualifiers;
  return qualifiers;
}

export function meshRubric(qualifiers: readonly MeshQualifier[] = meshQualifiers()): string {
  return qualifiers
    .map(
      (qualifier) =>
        `### ${qualifier.name}\n* Code: ${qualifier.code}\n* Description: ${qualifier.scopeNote}`,
    )
    .join("\n\n");
}

export const MESH_HIERARCHY_PATH = bundledDataPath("mesh", "qualifier_hierarchy.txt");

/** The rubrics m1 built (build_prompt.py): the 76 qualifiers, or the 26 top ones with sub-trees. */
export const MESH_RUBRICS = ["mesh", "mesh-hierarchical"] as const;
export type MeshRubricName = (typeof MESH_RUBRICS)[number];
/** The rubric m1K was classified with. */
export const DEFAULT_MESH_RUBRIC: MeshRubricName = "mesh";

/** A top-level qualifier of the hierarchical rubric, with its sub-qualifiers as m1 wrote them. */
export interface HierarchicalQualifier extends MeshQualifier {
  subQualifiers: string;
}

/**
 * m1's hierarchical rubric (build_prompt.py, `mesh_qualifier_hierarchical.json`): the top-level
 * qualifiers of `qualifier_hierarchy.txt` (m1's raw_mesh_qualifer_list.txt), in file order, coded
 * `00`..`25`, each with its scope note and its sub-tree. m1 ran the sub-tree lines through
 * Python's `string.capwords`, which also folds the lines and their indentation into one line
 * (`- Blood - Cerebrospinal Fluid - ...`); a qualifier without one gets `  - Null`. Prompts read
 * `### {Name}\n* Code: {NN}\n* Description: {note}\n* Sub Qualifiers Hiearchy:\n{sub-tree}` (m1's
 * spelling), joined by blank lines; the tests pin the result to m1's JSON.
 */
export function hierarchicalQualifiers(
  hierarchyPath: string = MESH_HIERARCHY_PATH,
  scopeNotes: readonly MeshQualifier[] = meshQualifiers(),
): HierarchicalQualifier[] {
  const text = readTextFile(
    hierarchyPath,
    () =>
      new InputError(
        "cannot read the MeSH qualifier hierarchy",
        { file: hierarchyPath },
        "reinstall m1: the file ships in data/mesh/",
      ),
  );
  const tree: { name: string; children: string[] }[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    if (!line.trim().startsWith("-")) tree.push({ name: line.trim(), children: [] });
    else if (tree.length === 0) {
      throw new InputError("the first line must be a qualifier", {
        file: hierarchyPath,
        line: index + 1,
      });
    } else tree.at(-1)!.children.push(line.trimEnd());
  });
  const notes = new Map(scopeNotes.map((qualifier) => [qualifier.name, qualifier.scopeNote]));
  return tree.map(({ name, children }, index) => {
    const title = capwords(name);
    const scopeNote = notes.get(title);
    if (scopeNote === undefined) {
      throw new InputError(
        `'${title}' has no scope note in ${MESH_SCOPE_NOTES_PATH}`,
        { file: hierarchyPath },
        "every top-level qualifier needs a row in qualifier_scope_note.tsv",
      );
    }
    return {
      code: String(index).padStart(2, "0"),
      name: title,
      scopeNote,
      subQualifiers: children.length === 0 ? "  - Null" : capwords(children.join("\n")),
    };
  });
}

export function hierarchicalMeshRubric(
  qualifiers: readonly HierarchicalQualifier[] = hierarchicalQualifiers(),
): string {
  return qualifiers
    .map(
      (qualifier) =>
        `### ${qualifier.name}\n* Code: ${qualifier.code}\n* Description: ${qualifier.scopeNote}\n* Sub Qualifiers Hiearchy:\n${qualifier.subQualifiers}`,
    )
    .join("\n\n");
}

/** The qualifiers and rubric text of a rubric by name. */
export function meshRubricByName(name: MeshRubricName): {
  qualifiers: readonly MeshQualifier[];
  rubric: string;
} {
  if (name === "mesh-hierarchical") {
    const qualifiers = hierarchicalQualifiers();
    return { qualifiers, rubric: hierarchicalMeshRubric(qualifiers) };
  }
  const qualifiers = meshQualifiers();
  return { qualifiers, rubric: meshRubric(qualifiers) };
}

/** Python's `string.capwords`: split on whitespace runs, capitalize each word, join with spaces. */
function capwords(text: string): string {
  return text
    .split(/\s+/)
    .filter((word) => word !== "")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
    .join(" ");
}
