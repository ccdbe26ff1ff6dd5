/* global document, fetch, URLSearchParams */
// m1 view front end: plain DOM, no framework, no build. Every piece of data (and above all model
// output) enters the page through textContent or an attribute set with setAttribute on a
// non-executable attribute; nothing is ever parsed as HTML. The server's Content-Security-Policy
// forbids inline scripts besides.

const state = {
  experiments: [],
  groups: [],
  /** How each experiment's answers came about, by experiment id (report/stops.ts). */
  stops: {},
  sources: [],
  /** Experiment ids side by side, in display order; the first anchors the question list. */
  selected: [],
  nextAfter: null,
  openKey: null,
  /** Counts list requests so that only the latest one draws. */
  listRequest: 0,
};

const $ = (id) => document.getElementById(id);

/** Element with text children only: strings become text nodes, never markup. */
function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "className") element.className = value;
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return element;
}

async function getJson(path, parameters) {
  const query = parameters ? `?${new URLSearchParams(parameters)}` : "";
  const response = await fetch(`${path}${query}`, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

const pct = (value) => (value * 100).toFixed(1);
const byId = (id) => state.experiments.find((experiment) => experiment.id === id);

function shortModel(model) {
  const parts = String(model || "")
    .split(/[\\/]/)
    .filter(Boolean);
  return parts[parts.length - 1] || "-";
}

function experimentLabel(experiment) {
  return `${shortModel(experiment.model)} · budget ${experiment.thinking_budget} · Wait ${experiment.wait_rounds}`;
}

// ---- experiments and sweeps ------------------------------------------------------------

function renderExperiments() {
  const body = $("experiments-table").tBodies[0];
  body.replaceChildren();
  for (const experiment of state.experiments) {
    const checkbox = el("input", {
      type: "checkbox",
      "data-experiment": experiment.id,
      "aria-label": `select ${experiment.name}`,
    });
    checkbox.checked = state.selected.includes(experiment.id);
    checkbox.addEventListener("change", () => {
      if (checkbox.checked) state.selected.push(experiment.id);
      else state.selected = state.selected.filter((id) => id !== experiment.id);
      $("group-select").value = "";
      selectionChanged();
    });
    const average = experiment.average;
    body.append(
      el(
        "tr",
        {},
        el("td", {}, checkbox),
        el("td", { className: "name", text: experiment.name }),
        el("td", { className: "name", text: shortModel(experiment.model) }),
        el("td", { text: experiment.thinking_budget }),
        el("td", { text: experiment.wait_rounds }),
        el("td", { text: experiment.seed }),
        el("td", {
          text: `${average.total_count}${experiment.failed ? ` (+${experiment.failed} failed)` : ""}`,
        }),
        el(
          "td",
          {},
          `${pct(average.accuracy)} `,
          el("span", {
            className: "ci",
            text: `[${pct(average.ci95_low)}, ${pct(average.ci95_high)}]`,
          }),
        ),
      ),
    );
  }
}

function renderGroupSelect() {
  const select = $("group-select");
  select.replaceChildren(el("option", { value: "", text: "(your selection)" }));
  state.groups.forEach((group, index) =>
    select.append(el("option", { value: index, text: group.title })),
  );
  select.addEventListener("change", () => {
    if (select.value === "") return;
    state.selected = [...state.groups[Number(select.value)].experiment_ids];
    renderExperiments();
    selectionChanged();
  });
}

// ---- accuracy grid ----------------------------------------------------------------------

function cellColor(accuracy) {
  // Light red (0%) to light green (100%), readable with dark text.
  return `hsl(${Math.round(accuracy * 120)}, 60%, 88%)`;
}

function renderGrid() {
  const grid = $("grid");
  grid.replaceChildren();
  const experiments = state.selected.map(byId).filter(Boolean);
  if (experiments.length === 0) {
    grid.append(el("p", { className: "muted", text: "Select experiments or a sweep above." }));
    return;
  }
  const head = el("tr", {}, el("th", { className: "name", text: "source" }));
  for (const experiment of experiments) {
    head.append(
      el("th", {
        className: "experiment-head",
        title: experiment.name,
        text: experimentLabel(experiment),
      }),
    );
  }
  const body = el("tbody");
  for (const source of [...state.sources, "average"]) {
    const row = el("tr", {}, el("td", { className: "name", text: source }));
    for (const experiment of experiments) {
      const counts =
        source === "average"
          ? experiment.average
          : experiment.sources.find((entry) => entry.source === source);
      if (!counts) {
        row.append(el("td", { text: "–" }));
        continue;
      }
      const cell = el(
        "td",
        {
          title: `${counts.correct_count}/${counts.total_count}`,
          "data-grid-cell": `${experiment.id}:${source}`,
        },
        `${pct(counts.accuracy)} `,
        el("span", {
          className: "ci",
          text: `[${pct(counts.ci95_low)}, ${pct(counts.ci95_high)}]`,
        }),
      );
      cell.style.backgroundColor = cellColor(counts.accuracy);
      row.append(cell);
    }
    body.append(row);
  }
  grid.append(el("table", { id: "grid-table" }, el("thead", {}, head), body));
}

// ---- how answers came about -------------------------------------------------------------

const share = (part, whole) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : "–");

function accuracyCell(count) {
  if (count.accuracy === null) return el("td", { text: "–" });
  return el(
    "td",
    { title: `${count.correct}/${count.total}` },
    `${pct(count.accuracy)} `,
    el("span", { className: "ci", text: `[${pct(count.ci95_low)}, ${pct(count.ci95_high)}]` }),
  );
}

function renderStops() {
  const container = $("stops");
  container.replaceChildren();
  const rows = state.experiments
    .map((experiment) => [experiment, state.stops[String(experiment.id)]])
    .filter(([, row]) => row);
  if (rows.length === 0) {
    container.append(el("p", { className: "muted", text: "No per-sample records." }));
    return;
  }
  const head = el(
    "tr",
    {},
    ...[
      "experiment",
      "samples",
      "thinking ended by model",
      "hit budget",
      "early exit",
      "loop cut",
      "difflib guess",
      "acc. natural stops",
      "acc. forced stops",
      "Wait flips ✓→✗ / ✗→✓",
      "votes (n, mean share)",
      "probe tok/q",
      "total tok/q",
    ].map((name, index) => el("th", { className: index === 0 ? "name" : "", text: name })),
  );
  const body = el("tbody");
  for (const [experiment, row] of rows) {
    const stopped = row.stopped_by;
    body.append(
      el(
        "tr",
        { "data-stops-experiment": experiment.id },
        el("td", { className: "name", text: experiment.name, title: experiment.strategy }),
        el("td", { text: row.samples }),
        el("td", { text: share(stopped.model, row.samples) }),
        el("td", { text: share(stopped.budget, row.samples) }),
        el("td", { text: share(stopped.converged, row.samples) }),
        el("td", { text: `${stopped.loop}` }),
        el("td", { text: share(row.guessed, row.samples) }),
        accuracyCell(row.natural),
        accuracyCell(row.forced),
        el("td", {
          title: row.wait_flips ? `against ${row.wait_flips.against}` : "",
          text: row.wait_flips
            ? `${row.wait_flips.right_to_wrong} / ${row.wait_flips.wrong_to_right}`
            : "–",
        }),
        el("td", {
          text: row.votes
            ? `${row.votes.samples_per_question}, ${(100 * row.votes.mean_vote_share).toFixed(0)}%`
            : "–",
        }),
        el("td", {
          text:
            row.probe_tokens_per_question === null
              ? "–"
              : Math.round(row.probe_tokens_per_question),
        }),
        el("td", {
          text:
            row.compute_tokens_per_question === null
              ? "–"
              : Math.round(row.compute_tokens_per_question),
        }),
      ),
    );
  }
  container.append(el("table", { id: "stops-table" }, el("thead", {}, head), body));
}

// ---- filters and the question list ------------------------------------------------------

function fillExperimentSelect(select, includeNone) {
  const previous = select.value;
  select.replaceChildren();
  if (includeNone) select.append(el("option", { value: "", text: "–" }));
  for (const id of state.selected)
    select.append(el("option", { value: id, text: experimentLabel(byId(id)) }));
  if ([...select.options].some((option) => option.value === previous)) select.value = previous;
}

function renderFilters() {
  const source = $("filter-source");
  const previous = source.value;
  source.replaceChildren(el("option", { value: "", text: "all" }));
  for (const name of state.sources) source.append(el("option", { value: name, text: name }));
  source.value = previous;
  fillExperimentSelect($("filter-correct-in"), false);
  fillExperimentSelect($("filter-flip-a"), true);
  fillExperimentSelect($("filter-flip-b"), true);
  if (!$("filter-flip-a").value && state.selected.length >= 2) {
    $("filter-flip-a").value = String(state.selected[0]);
    $("filter-flip-b").value = String(state.selected[state.selected.length - 1]);
  }
}

function listParameters(after, withTotal) {
  const parameters = { e: state.selected.join(","), limit: "50", after: String(after) };
  const source = $("filter-source").value;
  if (source) parameters.source = source;
  const correct = $("filter-correct").value;
  if (correct) {
    parameters.correct = correct;
    parameters.correctIn = $("filter-correct-in").value;
  }
  const flip = $("filter-flip").value;
  if (flip && $("filter-flip-a").value && $("filter-flip-b").value) {
    parameters.flip = flip;
    parameters.flipA = $("filter-flip-a").value;
    parameters.flipB = $("filter-flip-b").value;
  }
  const search = $("filter-search").value.trim();
  if (search) {
    parameters.q = search;
    parameters.in = $("filter-search-in").value;
  }
  if (withTotal) parameters.total = "1";
  return parameters;
}

function outcomeCell(outcome) {
  if (!outcome) return el("td", { text: "–" });
  if (outcome.error) return el("td", { className: "no", text: "error" });
  const mark = outcome.correct ? "✓" : "✗";
  const text = `${mark} ${outcome.extracted_answer ?? ""}`.trim();
  // A long extracted answer is cut to the column's width; the whole of it is in the tooltip.
  return el(
    "td",
    { className: `outcome ${outcome.correct ? "ok" : "no"}`, title: text },
    el("span", { className: "clip", text }),
  );
}

function renderListHead() {
  const head = el(
    "tr",
    {},
    el("th", { text: "#" }),
    el("th", { className: "name", text: "source" }),
    el("th", { className: "name", text: "question" }),
  );
  for (const id of state.selected)
    head.append(
      el("th", {
        className: "experiment-head",
        title: byId(id).name,
        text: experimentLabel(byId(id)),
      }),
    );
  $("questions-table").tHead.replaceChildren(head);
}

function appendRows(rows) {
  const body = $("questions-table").tBodies[0];
  for (const row of rows) {
    const tr = el(
      "tr",
      { "data-question-key": row.question_key },
      el("td", { text: row.sample_index }),
      el("td", { className: "name", text: row.source }),
      el("td", { className: "text", text: row.question_start }),
    );
    for (const id of state.selected) tr.append(outcomeCell(row.outcomes[String(id)]));
    tr.addEventListener("click", () => openQuestion(row.question_key, tr));
    body.append(tr);
  }
}

async function loadList(reset) {
  if (state.selected.length === 0) {
    $("questions-table").tBodies[0].replaceChildren();
    $("list-status").textContent = "Select experiments to list their questions.";
    $("more").hidden = true;
    return;
  }
  if (reset) {
    renderListHead();
    $("questions-table").tBodies[0].replaceChildren();
    state.nextAfter = -1;
  }
  // A newer request (filters applied again) makes this one's answer stale: drop it.
  const request = ++state.listRequest;
  const table = $("questions-table");
  table.setAttribute("aria-busy", "true");
  $("list-status").textContent = "Loading…";
  try {
    const page = await getJson("/api/questions", listParameters(state.nextAfter, reset));
    if (request !== state.listRequest) return;
    appendRows(page.rows);
    state.nextAfter = page.next_after;
    const shown = $("questions-table").tBodies[0].rows.length;
    if (reset) state.total = page.total;
    $("list-status").textContent = `${state.total ?? "?"} questions match; ${shown} shown.`;
    $("more").hidden = page.next_after === null;
  } catch (error) {
    if (request === state.listRequest) $("list-status").textContent = `Error: ${error.message}`;
  } finally {
    if (request === state.listRequest) table.setAttribute("aria-busy", "false");
  }
}

// ---- one question, side by side ---------------------------------------------------------

/** One fact of a column; `clamp` cuts a long value to three lines (whole in the tooltip). */
function field(list, name, value, options = {}) {
  const text = value === null || value === undefined ? "–" : String(value);
  list.append(
    el("dt", { text: name }),
    el("dd", { className: options.clamp ? "clamp" : "", title: options.clamp ? text : "", text }),
  );
}

function sampleColumn(experiment, sample) {
  const column = el("div", { className: "column", "data-column-experiment": experiment.id });
  column.append(el("h3", { title: experiment.name, text: experimentLabel(experiment) }));
  if (!sample) {
    column.append(el("p", { className: "muted", text: "not answered in this experiment" }));
    return column;
  }
  const verdict = sample.error ? "failed" : sample.correct ? "correct" : "incorrect";
  column.append(
    el("p", { className: sample.correct ? "ok" : "no", "data-verdict": verdict, text: verdict }),
  );
  const facts = el("dl");
  field(facts, "extracted", sample.extracted_answer, { clamp: true });
  field(facts, "match_choice", sample.huatuo_extracted_answer);
  field(
    facts,
    "thinking tokens",
    sample.thinking_tokens === null
      ? null
      : `${sample.thinking_tokens} / ${experiment.thinking_budget}`,
  );
  field(facts, "tokens (num_gen_tokens)", sample.num_gen_tokens);
  field(
    facts,
    "thinking ended",
    sample.thinking_finish_reason === "length"
      ? "at the budget (length)"
      : sample.thinking_finish_reason,
  );
  field(facts, "Wait rounds run", sample.num_keep_think_below_budget);
  field(facts, "thinking stopped by", STOP_WORDS[sample.stopped_by] ?? sample.stopped_by);
  field(facts, "answer read by", sample.decided_by);
  if (sample.probe_tokens_total) field(facts, "probe tokens", sample.probe_tokens_total);
  if (sample.vote_share !== null && sample.vote_share !== undefined) {
    field(facts, "vote", `${(100 * sample.vote_share).toFixed(0)}% for ${sample.choice ?? "?"}`);
  }
  if (sample.error) field(facts, "error", sample.error);
  column.append(facts);
  const probes = sample.probe_answers ?? [];
  if (probes.length > 0) column.append(el("h4", { text: "answer probes" }), probeTrail(probes));
  column.append(
    el("h4", { text: "thinking" }),
    thinkingWithProbes(sample.thinking_text ?? "", probes),
  );
  if (sample.votes && sample.votes.length > 0) {
    column.append(
      el("h4", { text: `votes of its ${sample.votes.length} samples` }),
      votesTable(sample),
    );
  }
  column.append(
    el("h4", { text: "answer" }),
    el("pre", { className: "model-text response", text: sample.response_text ?? "" }),
  );
  return column;
}

const STOP_WORDS = {
  model: "the model (it stopped by itself)",
  budget: "the budget (answer forced)",
  converged: "early exit (probes agreed)",
  loop: "the loop cut-off",
};

/** The probes in order, each with its answer; where the answer changed is marked. */
function probeTrail(probes) {
  const trail = el("p", { className: "probe-trail" });
  probes.forEach((probe, index) => {
    const changed = index > 0 && probe.answer !== probes[index - 1].answer;
    if (index > 0) trail.append(" → ");
    trail.append(
      el("span", {
        className: `probe${changed ? " changed" : ""}${probe.correct ? " right" : ""}`,
        title: probe.response_text,
        text: `${probe.thinking_tokens}: ${probe.answer || "–"}`,
      }),
    );
  });
  return trail;
}

/** The thinking text with a marker at each probe (all text through textContent). */
function thinkingWithProbes(text, probes) {
  const pre = el("pre", { className: "model-text thinking" });
  let at = 0;
  probes.forEach((probe, index) => {
    const end = Math.min(text.length, Math.max(at, probe.thinking_chars));
    pre.append(text.slice(at, end));
    at = end;
    const changed = index === 0 || probe.answer !== probes[index - 1].answer;
    pre.append(
      el("span", {
        className: `probe inline${changed ? " changed" : ""}`,
        "data-probe-tokens": probe.thinking_tokens,
        title: probe.response_text,
        text: `⟨${probe.thinking_tokens} tok: ${probe.answer || "no answer"}${probe.correct ? " ✓" : ""}⟩`,
      }),
    );
  });
  pre.append(text.slice(at));
  return pre;
}

function votesTable(sample) {
  const body = el("tbody");
  for (const vote of sample.votes) {
    body.append(
      el(
        "tr",
        { className: vote.choice === sample.choice ? "winner" : "" },
        el("td", { text: vote.draw_index }),
        el("td", { text: vote.seed }),
        el("td", { text: vote.error ? "error" : (vote.choice ?? "–") }),
        el("td", { className: vote.correct ? "ok" : "no", text: vote.correct ? "✓" : "✗" }),
        el("td", { text: vote.decided_by ?? "–" }),
        el("td", { text: vote.stopped_by ?? "–" }),
        el("td", { text: vote.num_gen_tokens ?? "–" }),
      ),
    );
  }
  const head = el(
    "tr",
    {},
    ...["#", "seed", "answer", "", "read by", "stopped by", "tokens"].map((name) =>
      el("th", { text: name }),
    ),
  );
  return el(
    "div",
    { className: "scroll" },
    el("table", { className: "votes" }, el("thead", {}, head), body),
  );
}

async function openQuestion(key, rowElement) {
  for (const row of $("questions-table").querySelectorAll("tr.selected"))
    row.classList.remove("selected");
  if (rowElement) rowElement.classList.add("selected");
  state.openKey = key;
  const detail = $("detail");
  detail.replaceChildren(el("p", { className: "muted", text: "Loading…" }));
  $("detail-section").hidden = false;
  try {
    const question = await getJson("/api/question", { key, e: state.selected.join(",") });
    if (state.openKey !== key) return;
    const options = el("ul", { className: "options" });
    for (const [letter, text] of Object.entries(question.options)) {
      options.append(
        el("li", {
          className: letter === question.answer_idx ? "gold" : "",
          text: `${letter}. ${text}`,
        }),
      );
    }
    const columns = el("div", { className: "columns" });
    for (const id of state.selected)
      columns.append(sampleColumn(byId(id), question.samples[String(id)]));
    detail.replaceChildren(
      el("p", { className: "muted", text: `${question.source} · ${question.question_key}` }),
      el("div", { className: "question-text", text: question.question }),
      options,
      el(
        "p",
        {},
        "Gold answer: ",
        el("strong", { text: `${question.answer_idx}. ${question.answer}` }),
      ),
      columns,
    );
    $("detail-section").scrollIntoView({ block: "start" });
  } catch (error) {
    detail.replaceChildren(el("p", { className: "no", text: `Error: ${error.message}` }));
  }
}

// ---- wiring -----------------------------------------------------------------------------

function selectionChanged() {
  renderGrid();
  renderFilters();
  loadList(true);
}

async function start() {
  const data = await getJson("/api/experiments");
  state.experiments = data.experiments;
  state.groups = data.groups;
  state.stops = data.stops ?? {};
  state.sources = data.sources;
  $("directory").textContent = data.directory;
  state.selected =
    state.groups.length > 0
      ? [...state.groups[0].experiment_ids]
      : state.experiments.slice(0, 1).map((e) => e.id);
  renderGroupSelect();
  if (state.groups.length > 0) $("group-select").value = "0";
  renderExperiments();
  renderStops();
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadList(true);
  });
  $("more").addEventListener("click", () => loadList(false));
  selectionChanged();
}

start().catch((error) => {
  document.body.prepend(
    el("p", { className: "no", text: `m1 view could not load: ${error.message}` }),
  );
});
