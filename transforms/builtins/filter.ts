// Built-in `filter`: keeps the records that match `condition`, drops the others.
import { Condition, compileCondition, JValue, transformBatch, setNeeds, NEEDS_BODY, NEEDS_SELECTED_ATTRIBUTES } from "../sdk";
export * from "../sdk/exports";

let cond: Condition = new Condition();

function init(cfg: JValue): void {
  cond = compileCondition(cfg.get("condition"));
  setNeeds((cond.usesBody ? NEEDS_BODY : 0) | (cond.usesAttributes ? NEEDS_SELECTED_ATTRIBUTES : 0));
}

// the whole batch at once: the condition's results (1 = matches) become statuses (0 keep, 1 drop)
function statuses(base: usize, count: i32, st: usize): void {
  cond.evalBatch(base, count, st);
  for (let i: usize = 0; i < <usize>count; i++) store<u8>(st + i, load<u8>(st + i) ^ 1);
}

transformBatch(init, statuses);
