export { readableTables } from "./migrate.js";
export * from "./queries.js";
export * from "./schema.js";
export * from "./store.js";
export * from "./sessions.js";
