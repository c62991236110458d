// Built-in `filter`: keeps the records that match `condition`, drops the others.
import { Condition, compileCondition, JValue, Record, transform, setNeeds, NEEDS_BODY, NEEDS_SELECTED_ATTRIBUTES } from "../sdk";
export * from "../sdk/exports";

let cond: Condition = new Condition();

function init(cfg: JValue): void {
  cond = compileCondition(cfg.get("condition"));
  setNeeds((cond.usesBody ? NEEDS_BODY : 0) | (cond.usesAttributes ? NEEDS_SELECTED_ATTRIBUTES : 0));
}

function onRecord(r: Record): void {
  if (!cond.test(r)) r.drop();
}

transform(init, onRecord);
