// Built-in `route`: sets `flowlog.route` (read by the Kafka sink's topic template) to the name of the
// first route whose condition matches; `default` (if set) when none matches.
import { Condition, compileCondition, JValue, Record, Slice, transform, setNeeds, NEEDS_BODY, NEEDS_SELECTED_ATTRIBUTES } from "../sdk";
export * from "../sdk/exports";

const ROUTE_KEY = Slice.from("flowlog.route");
const names: Slice[] = [];
const conds: Condition[] = [];
let dflt: Slice | null = null;

function init(cfg: JValue): void {
  const routes = cfg.arr("routes");
  let attrs = false;
  let body = false;
  for (let i = 0; i < routes.length; i++) {
    names.push(Slice.from(routes[i].str("name")));
    const c = compileCondition(routes[i].get("condition"));
    if (c.usesAttributes) attrs = true;
    if (c.usesBody) body = true;
    conds.push(c);
  }
  if (cfg.has("default")) dflt = Slice.from(cfg.str("default"));
  setNeeds((body ? NEEDS_BODY : 0) | (attrs ? NEEDS_SELECTED_ATTRIBUTES : 0));
}

function onRecord(r: Record): void {
  for (let i = 0; i < conds.length; i++) {
    if (unchecked(conds[i]).test(r)) {
      r.setAttrSlices(ROUTE_KEY, unchecked(names[i]));
      return;
    }
  }
  const d = dflt;
  if (d !== null) r.setAttrSlices(ROUTE_KEY, d);
}

transform(init, onRecord);
